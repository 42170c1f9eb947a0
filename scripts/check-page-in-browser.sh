#!/usr/bin/env bash
# Starts `fashion serve` on a free port and drives its web page in headless Chromium (Selenium):
# a photo uploaded through the page must show the API's label, the model input, three bars and
# similar catalogue items; a text file must be refused with a message. Then SIGTERM must stop the
# service with status 0.
#
#   bash scripts/check-page-in-browser.sh [--weights W --index I --photo P] [--screenshot OUT.png]
#
# Without --weights it trains a 1-epoch seed-cnn on 300 images (debug build), makes 12 small
# garment PNGs (scripts/make_page_photos.py) and indexes them. Installs Debian's chromium,
# chromium-driver and python3-selenium if missing (Selenium runs on Debian's /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."

weights="" index="" photo="" screenshot="" fashion="${FASHION:-.build/debug/fashion}"
while [ $# -gt 0 ]; do
    case "$1" in
        --weights) weights="$2"; shift 2 ;;
        --index) index="$2"; shift 2 ;;
        --photo) photo="$2"; shift 2 ;;
        --screenshot) screenshot="$2"; shift 2 ;;
        *) echo "error: unknown argument $1" >&2; exit 64 ;;
    esac
done

source scripts/debian.sh
missing=()
need chromium || missing+=(chromium)
need chromedriver || missing+=(chromium-driver)
/usr/bin/python3 -c "import selenium" 2>/dev/null || missing+=(python3-selenium)
[ ${#missing[@]} -eq 0 ] || { echo "installing ${missing[*]}…"; install "${missing[@]}"; }

work="$(mktemp -d)"
server=""
cleanup() { [ -z "$server" ] || kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

[ -x "$fashion" ] || swift build >/dev/null
same_item=""
if [ -z "$weights" ]; then
    "$fashion" train --epochs 1 --limit 300 --val-limit 200 --out "$work/run" --quiet
    weights="$work/run/model.safetensors"
    python3 scripts/make_page_photos.py "$work/photos" 4
    "$fashion" index build --weights "$weights" "$work/photos" --out "$work/catalog.index" >/dev/null
    index="$work/catalog.index"
    photo="$work/photos/dress/dress-2.png"
    same_item="$(realpath "$photo")"
fi
[ -n "$photo" ] || { echo "error: --photo is needed with --weights" >&2; exit 64; }

"$fashion" serve --weights "$weights" ${index:+--index "$index"} --port 0 >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
    grep -q "^listening on " "$work/serve.log" && break
    kill -0 "$server" 2>/dev/null || { echo "error: fashion serve exited:" >&2; cat "$work/serve.log" >&2; exit 1; }
    sleep 0.1
done
base="$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$work/serve.log")"
[ -n "$base" ] || { echo "error: fashion serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
for _ in $(seq 1 300); do
    /usr/bin/python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)" "$base/v2/health/ready" 2>/dev/null && break
    sleep 0.1
done

timeout 300 /usr/bin/python3 scripts/check_page.py "$base" "$photo" ${screenshot:+--screenshot "$screenshot"} ${same_item:+--same-item "$same_item"}

kill -TERM "$server"
status=0
wait "$server" || status=$?
server=""
[ "$status" = 0 ] || { echo "error: fashion serve exited with status $status after SIGTERM:" >&2; tail -5 "$work/serve.log" >&2; exit 1; }
grep -q "^stopped" "$work/serve.log" || { echo "error: fashion serve did not say it stopped" >&2; exit 1; }
echo "page check passed; SIGTERM stopped the service with status 0"
