#!/usr/bin/env bash
# Renders a report in headless Chromium and fails if no screenshot is produced or it is blank.
#
#   bash scripts/check-report-in-browser.sh [REPORT.html [SCREENSHOT.png]]
#
# Without a report it makes one: a 2-epoch run on 300 training images with the debug build
# (what `swift test` already built), then `fashion report`. Installs Debian's chromium if
# missing. WINDOW=WIDTHxHEIGHT sets the page size (default 1280x4200).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/debian.sh
need chromium || { echo "installing chromium…"; install chromium; }
need python3 || install python3

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
report="${1:-}"
screenshot="${2:-$work/screenshot.png}"
if [ -z "$report" ]; then
    swift build >/dev/null
    fashion=".build/debug/fashion"
    "$fashion" train --epochs 2 --limit 300 --val-limit 200 --out "$work/run" --quiet
    "$fashion" report --run "$work/run" --out "$work/report.html"
    report="$work/report.html"
fi
[ -f "$report" ] || { echo "error: $report: no such file" >&2; exit 1; }

size="${WINDOW:-1280x4200}"
rm -f "$screenshot"
# --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$work/profile" --window-size="${size/x/,}" --virtual-time-budget=3000 \
    --screenshot="$screenshot" "file://$(realpath "$report")" >"$work/chromium.log" 2>&1 || {
    echo "error: chromium failed:" >&2; tail -5 "$work/chromium.log" >&2; exit 1; }
[ -s "$screenshot" ] || { echo "error: chromium wrote no screenshot" >&2; exit 1; }

# Decode the PNG (standard library only) and require a page with content, not a blank one.
python3 - "$screenshot" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("error: the screenshot is not a PNG")
pos, idat, width = 8, b"", 0
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if zlib.crc32(kind + body) != struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]:
        sys.exit("error: bad CRC in the screenshot's %s chunk" % kind.decode())
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        channels = {2: 3, 6: 4}.get(colour)
        if depth != 8 or channels is None:
            sys.exit("error: unexpected screenshot format (depth %d, colour type %d)" % (depth, colour))
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
raw, stride = zlib.decompress(idat), width * channels
previous, colours, inked = bytearray(stride), set(), 0
for y in range(height):
    kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - channels] if i >= channels else 0
        b, c = previous[i], previous[i - channels] if i >= channels else 0
        if kind == 1: line[i] = (line[i] + a) & 255
        elif kind == 2: line[i] = (line[i] + b) & 255
        elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, channels * 4):  # every 4th pixel is plenty
        pixel = bytes(line[x:x + 3])
        colours.add(pixel)
        inked += pixel != b"\xff\xff\xff"
    previous = line
share = inked / (height * ((width + 3) // 4))
print("screenshot %s: %dx%d, %d colours, %.1f%% of sampled pixels not white" % (sys.argv[1], width, height, len(colours), 100 * share))
if len(colours) < 50 or share < 0.02:
    sys.exit("error: the rendered page looks blank")
PY
