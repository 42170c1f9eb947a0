#!/usr/bin/env bash
# The real-photo figures of docs/RESULTS.md for each checkpoint given: Fashion-MNIST test accuracy,
# the test set rendered as photos, and the shared phone photos (seeded val and test halves, with
# the photo pipeline and with the paper's), with the expected calibration error.
#
# Usage: bash benchmarks/photo_figures.sh runs/fast/model.safetensors runs/photo/model.safetensors …
#        PHOTOS=DIR FASHION=path/to/fashion bash benchmarks/photo_figures.sh W…
set -euo pipefail
cd "$(dirname "$0")/.."
PHOTOS="${PHOTOS:-../shared/photos/clothing-small-train}"
FASHION="${FASHION:-.build/release/fashion}"
[ -x "$FASHION" ] || swift build -c release
map=docs/clothing-small-classes.csv
line() { sed -n 2p | sed 's/^accuracy //; s/   (.*//'; }
echo "host: $(lscpu | sed -n 's/^Model name: *//p'), $(grep -c processor /proc/cpuinfo) cores, avx512: $(grep -qo avx512f /proc/cpuinfo && echo yes || echo no)"
for weights in "$@"; do
  echo "== $weights"
  echo "  test:                    $("$FASHION" evaluate --weights "$weights" | line)"
  echo "  test as photos:          $("$FASHION" evaluate --weights "$weights" --photo-style | line)"
  for subset in val test; do
    for method in photo paper; do
      printf '  photos %-4s (%-5s):     %s\n' "$subset" "$method" \
        "$("$FASHION" evaluate --weights "$weights" --images "$PHOTOS" --class-map "$map" --subset "$subset" --preprocessing "$method" 2>/dev/null | line)"
    done
  done
done
