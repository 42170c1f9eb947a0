#!/usr/bin/env bash
# Load test of `fashion serve` beside a Python service doing the same work (python_service.py:
# FastAPI + uvicorn + PyTorch, same weights, same preprocessing), in one run on one host.
#
#   bash benchmarks/serve/load.sh [WEIGHTS [PHOTO]]
#
# Both services answer POST /v1/classify for PHOTO (a real-size JPEG; default: the first t-shirt of
# ../shared/photos/clothing-small-train). wrk (Debian) posts it with 1, 8 and 50 connections for
# DURATION seconds each (default 60), alternating the two services; each line gives requests/s,
# p50/p90/p99 latency and the non-2xx answers. Memory of `fashion serve`: resident set at rest
# (12 s after the load) after its first 1,000 requests (sent from 50 connections) and after
# 100,000 (MEMORY_REQUESTS; topped up with more requests when the sweep made fewer), and its peak.
# Settings: DURATION, CONNECTIONS ("1 8 50"), THREADS (wrk threads, 2), MAX_BATCH (16),
# MAX_DELAY_MS (2), PY_WORKERS (uvicorn processes, 2), PY_TORCH_THREADS (1), FASHION (release binary),
# VENV (/work/venv, needs torch, fastapi, uvicorn: pip install fastapi 'uvicorn[standard]').
# Output: a table on stdout, raw JSON lines in $OUT (default /tmp/serve-load).
set -euo pipefail
cd "$(dirname "$0")/../.."

weights="${1:-runs/photo/model.safetensors}"
photo="${2:-$(find ../shared/photos/clothing-small-train/t-shirt -name '*.jpg' | sort | sed -n 1p)}"
duration="${DURATION:-60}" connections="${CONNECTIONS:-1 8 50}" threads="${THREADS:-2}"
fashion="${FASHION:-.build/release/fashion}" venv="${VENV:-/work/venv}" out="${OUT:-/tmp/serve-load}"
swift_port=18080 python_port=18090
mkdir -p "$out"
command -v wrk >/dev/null || { echo "error: wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$fashion" ] || swift build -c release --product fashion >/dev/null
[ -f "$photo" ] || { echo "error: no photo at '$photo'" >&2; exit 1; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_ready() {
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$1/v2/health/ready" >/dev/null && return 0; sleep 0.1; done
    echo "error: nothing ready on port $1" >&2; exit 1
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# Resident memory at rest: 12 s after the load stopped, so that the service has handed freed
# memory back (it does every 10 s) and what remains is what it holds.
rest_kib() { sleep 12; rss_kib "$1"; }

"$fashion" serve --weights "$weights" --port "$swift_port" --max-batch "${MAX_BATCH:-16}" \
    --max-delay-ms "${MAX_DELAY_MS:-2}" --queue-capacity 4096 >"$out/fashion.log" 2>&1 &
swift_pid=$!; pids+=("$swift_pid")
WEIGHTS="$weights" TORCH_THREADS="${PY_TORCH_THREADS:-1}" "$venv/bin/uvicorn" python_service:app \
    --app-dir benchmarks/serve --host 127.0.0.1 --port "$python_port" --workers "${PY_WORKERS:-2}" \
    --log-level warning --no-access-log >"$out/python.log" 2>&1 &
pids+=("$!")
wait_ready "$swift_port"; wait_ready "$python_port"

echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
     "avx512: $(grep -o 'avx512[a-z_0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' ' | xargs | sed 's/^$/none/')"
echo "photo: $photo ($(stat -c %s "$photo") bytes, $(python3 -c "import struct,sys;d=open(sys.argv[1],'rb').read();i=2
while True:
    l=struct.unpack('>H',d[i+2:i+4])[0]
    if d[i+1] in (0xC0,0xC1,0xC2): print('%dx%d'%struct.unpack('>HH',d[i+5:i+9])[::-1]); break
    i+=2+l" "$photo")); weights: $weights"
both_agree="$(curl -s -H 'Content-Type: image/jpeg' --data-binary @"$photo" "http://127.0.0.1:$swift_port/v1/classify" | python3 -c 'import json,sys; print(json.load(sys.stdin)["label"])')"
python_label="$(curl -s -H 'Content-Type: image/jpeg' --data-binary @"$photo" "http://127.0.0.1:$python_port/v1/classify" | python3 -c 'import json,sys; print(json.load(sys.stdin)["label"])')"
echo "labels: fashion '$both_agree', python '$python_label'"

# The first 1,000 requests from 50 connections at once (wrk, 500 per thread): every batch size and
# the most photos in flight are seen before the first reading, so that growth after it is a leak.
warm="$(LIMIT=500 PHOTO="$photo" wrk -t 2 -c 50 -d 15s -s benchmarks/serve/post.lua "http://127.0.0.1:$swift_port" | tail -1)"
rss_1k="$(rest_kib "$swift_pid")"
served="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["requests"])' "$warm")"

printf '%-8s %5s %10s %9s %9s %9s %8s\n' service conns "req/s" "p50 ms" "p90 ms" "p99 ms" non-2xx
for c in $connections; do
    for service in fashion python; do
        port=$([ "$service" = fashion ] && echo "$swift_port" || echo "$python_port")
        line="$(PHOTO="$photo" wrk -t "$((c < threads ? c : threads))" -c "$c" -d "${duration}s" --timeout 30s -s benchmarks/serve/post.lua \
                "http://127.0.0.1:$port" | tail -1)"
        echo "{\"service\": \"$service\", \"connections\": $c, \"result\": $line}" >>"$out/results.jsonl"
        python3 - "$service" "$c" "$line" <<'PY'
import json, sys
r = json.loads(sys.argv[3])
print("%-8s %5s %10.1f %9.2f %9.2f %9.2f %8d" % (sys.argv[1], sys.argv[2], r["requests"] / (r["duration_us"] / 1e6),
      r["p50_us"] / 1e3, r["p90_us"] / 1e3, r["p99_us"] / 1e3,
      r["non_2xx"] + r["connect"] + r["read"] + r["write"] + r["timeout"]))
PY
        if [ "$service" = fashion ]; then
            served=$((served + $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["requests"])' "$line")))
        fi
    done
done
target="${MEMORY_REQUESTS:-100000}"
if [ "$served" -lt "$target" ]; then
    python3 benchmarks/serve/count_requests.py "http://127.0.0.1:$swift_port/v1/classify" "$photo" $((target - served)) 8 >/dev/null
    served="$target"
fi
rss_100k="$(rest_kib "$swift_pid")"
peak="$(awk '/^VmHWM/ {print $2}' "/proc/$swift_pid/status")"
python3 -c "import sys; a, b, p, w, n = map(int, sys.argv[1:]); print('fashion serve resident memory at rest: %.1f MiB after %d requests, %.1f MiB after %d (%+.1f%%); peak under load %.1f MiB' % (a / 1024, w, b / 1024, n, 100 * (b - a) / a, p / 1024))" \
    "$rss_1k" "$rss_100k" "$peak" "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["requests"])' "$warm")" "$served"
curl -s "http://127.0.0.1:$swift_port/metrics" >"$out/metrics.txt"
echo "metrics: $out/metrics.txt; raw results: $out/results.jsonl"
