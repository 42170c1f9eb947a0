"""Sends exactly N POST requests of a photo (T threads, one connection each, keep-alive) and
prints how many got 2xx; used by load.sh to reach the request counts at which it reads memory.

    python3 count_requests.py URL PHOTO N [T]
"""
import http.client
import sys
import threading
import urllib.parse


def main():
    url, photo, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    body = open(photo, "rb").read()
    parts = urllib.parse.urlsplit(url)
    ok = [0] * threads

    def run(t):
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        for _ in range(total // threads + (1 if t < total % threads else 0)):
            connection.request("POST", parts.path, body=body, headers={"Content-Type": "image/jpeg"})
            response = connection.getresponse()
            response.read()
            ok[t] += 200 <= response.status < 300
        connection.close()

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(sum(ok))


if __name__ == "__main__":
    main()
