#!/usr/bin/env bash
# Retrieval quality (docs/RESULTS.md § Similar items and duplicates): for each weights file (or
# "pixels" for the raw-pixel baseline), test queries against the 60,000 training images, and the
# shared photos each against the rest. Usage: benchmarks/similarity_quality.sh OUT_DIR WEIGHTS|pixels…
set -euo pipefail
cd "$(dirname "$0")/.."
fashion=${FASHION:-.build/release/fashion}
photos=${PHOTOS:-../shared/photos/clothing-small-train}
out=${1:?usage: similarity_quality.sh OUT_DIR WEIGHTS|pixels…}; shift
mkdir -p "$out"
for weights in "$@"; do
    if [ "$weights" = pixels ]; then name=pixels; embedding=(--pixels)
    else name=$(basename "$(dirname "$weights")"); embedding=(--weights "$weights"); fi
    "$fashion" index build "${embedding[@]}" --split train --out "$out/$name-train.index"
    "$fashion" similar --index "$out/$name-train.index" --split test --evaluate --k 10
    "$fashion" index build "${embedding[@]}" "$photos" --out "$out/$name-photos.index"
    "$fashion" similar --index "$out/$name-photos.index" --evaluate --k 10
done
