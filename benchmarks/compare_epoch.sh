#!/usr/bin/env bash
# Seconds per seed-cnn training epoch (batch 64, 50,000 images, 2 threads): Swift, then
# PyTorch doing the same work, back to back on this machine. Epoch 1 is a warm-up; the
# figure compared is epoch 2's training time. Not part of CI.
# Usage: bash benchmarks/compare_epoch.sh   (needs the venv from benchmarks/reference/setup_venv.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-/work/venv}
bash benchmarks/reference/setup_venv.sh >/dev/null
swift build -c release >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== Swift: fashion train --epochs 2 --threads 2"
.build/release/fashion train --epochs 2 --threads 2 --quiet --out "$out/swift" | tee "$out/swift.log"
swift_s=$(awk -F, 'NR==3 {print $6}' "$out/swift/history.csv")

echo "== PyTorch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)'): pytorch_seed_cnn.py --epochs 2 --threads 2"
"$VENV/bin/python" benchmarks/reference/pytorch_seed_cnn.py --epochs 2 --threads 2 --json > "$out/torch.json"
torch_s=$("$VENV/bin/python" -c "import json,sys; print(json.load(open('$out/torch.json'))['epochs'][-1]['train_seconds'])")

printf '\nseconds per training epoch (epoch 2): Swift %.1f  PyTorch %.1f  ratio Swift/PyTorch %.2f\n' \
  "$swift_s" "$torch_s" "$(python3 -c "print($swift_s / $torch_s)")"
