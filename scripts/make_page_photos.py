"""Writes small garment-like PNG photos for the page check: FOLDER/<class>/<class>-N.png.

A shape per class (a T-shirt, trousers, a dress) in a dark colour on a light, noisy floor, drawn
with the standard library only, so that CI needs no photo files.

    python3 scripts/make_page_photos.py FOLDER [PER_CLASS]
"""
import os
import random
import struct
import sys
import zlib


def png(path, width, height, pixels):
    rows = b"".join(b"\x00" + bytes(pixels[y * width * 3:(y + 1) * width * 3]) for y in range(height))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def inside(kind, x, y, w, h):
    u, v = x / w, y / h
    if kind == "t-shirt":   # body and two short sleeves
        return (0.3 < u < 0.7 and 0.25 < v < 0.85) or (0.12 < u < 0.88 and 0.25 < v < 0.42)
    if kind == "pants":     # two legs from a waistband
        return (0.3 < u < 0.7 and 0.15 < v < 0.3) or (0.3 < u < 0.47 and 0.15 < v < 0.9) or (0.53 < u < 0.7 and 0.15 < v < 0.9)
    return 0.5 - (0.1 + 0.25 * (v - 0.15)) < u < 0.5 + (0.1 + 0.25 * (v - 0.15)) and 0.15 < v < 0.9  # dress


def main():
    folder = sys.argv[1]
    per_class = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    rng = random.Random(7)
    width, height = 120, 160
    for kind, colour in [("t-shirt", (40, 60, 150)), ("pants", (60, 50, 40)), ("dress", (150, 30, 60))]:
        os.makedirs(os.path.join(folder, kind), exist_ok=True)
        for n in range(per_class):
            floor = [rng.randint(185, 225) for _ in range(3)]
            dx, dy = rng.randint(-8, 8), rng.randint(-8, 8)
            pixels = []
            for y in range(height):
                for x in range(width):
                    base = colour if inside(kind, x - dx, y - dy, width, height) else floor
                    pixels += [max(0, min(255, c + rng.randint(-10, 10))) for c in base]
            png(os.path.join(folder, kind, "%s-%d.png" % (kind, n)), width, height, pixels)


if __name__ == "__main__":
    main()
