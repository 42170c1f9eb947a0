#!/usr/bin/env bash
# The main job: set up, build release, train seed-cnn for 50 epochs (resuming if the run
# directory already holds an unfinished run), evaluate the best weights on the test set and
# write the HTML report.
# Usage: bash scripts/main-job.sh [RUN_DIR]   (default runs/seed-cnn)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release
run=${1:-runs/seed-cnn}
resume=()
[ -f "$run/last.safetensors" ] && resume=(--resume)
.build/release/fashion train --model seed-cnn --epochs 50 --batch-size 64 --seed 1 --out "$run" "${resume[@]}"
.build/release/fashion evaluate --weights "$run/model.safetensors" | tee "$run/test-report.txt"
.build/release/fashion evaluate --weights "$run/model.safetensors" --json > "$run/test-report.json"
.build/release/fashion report --run "$run"   # curves, predictions, confusion matrix: $run/report.html
