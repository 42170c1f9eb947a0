#!/usr/bin/env bash
# Seed-CNN timing comparison on this machine: Swift, PyTorch and Keras doing the
# same training work (50,000 images, batch 64, Adam), run back to back.
#
# Prints one table: seconds per training epoch (median of the epochs after the
# first, which is a warm-up), inference images/s at batch 256, batch-1 latency
# p50, test accuracy, and Swift's epoch time divided by the faster of PyTorch
# and Keras.  Not part of CI.  Takes several minutes with the defaults: run it
# on an otherwise idle machine.
#
# Usage:  bash benchmarks/reference/compare.sh
#
# Environment (all optional):
#   EPOCHS=2          epochs per framework (>= 2 so the median skips warm-up)
#   THREADS=2         compute threads for every framework
#   TRAIN_IMAGES=     training images (--limit for Swift, --train-images for
#                     Python); empty = all 50,000.  For smoke tests only.
#   TEST_IMAGES=      Python only: test images for accuracy/throughput/latency
#   LATENCY_CALLS=    Python only: batch-1 calls for the latency percentiles
#   SKIP_BUILD=1      use the existing .build/release/fashion as it is
#   VENV=/work/venv   Python venv (made/completed by setup_venv.sh)
#
# Smoke test:  EPOCHS=1 THREADS=1 TRAIN_IMAGES=2000 TEST_IMAGES=512 \
#              LATENCY_CALLS=100 bash benchmarks/reference/compare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

EPOCHS="${EPOCHS:-2}"
THREADS="${THREADS:-2}"
TRAIN_IMAGES="${TRAIN_IMAGES:-}"
TEST_IMAGES="${TEST_IMAGES:-}"
LATENCY_CALLS="${LATENCY_CALLS:-}"
SKIP_BUILD="${SKIP_BUILD:-0}"
VENV="${VENV:-/work/venv}"
PY="$VENV/bin/python"
FASHION=.build/release/fashion
REF=benchmarks/reference

source "$REF/common.sh"

# Print a log without TensorFlow's start-up notices, indented.
show_log() {
    { grep -v -e 'oneDNN custom operations' -e 'absl::InitializeLog' "$1" || true; } | sed 's/^/    /'
}

# --- Setup ---------------------------------------------------------------------
echo "== setup: venv ($VENV) and release build"
quietly setup_venv bash "$REF/setup_venv.sh"
if [[ "$SKIP_BUILD" != 1 ]]; then
    quietly swift_build swift build -c release
fi

# Extra arguments for the smoke-test knobs, when set.
swift_extra=()
py_extra=()
if [[ -n "$TRAIN_IMAGES" ]]; then
    swift_extra+=(--limit "$TRAIN_IMAGES")
    py_extra+=(--train-images "$TRAIN_IMAGES")
fi
if [[ -n "$TEST_IMAGES" ]]; then py_extra+=(--test-images "$TEST_IMAGES"); fi
if [[ -n "$LATENCY_CALLS" ]]; then py_extra+=(--latency-calls "$LATENCY_CALLS"); fi

# --- Swift ---------------------------------------------------------------------
# Epoch time from real training (history.csv), test accuracy from `evaluate`,
# inference throughput and latency from `fashion bench` (same measurements as the
# Python scripts: 10,000 test images at batch 256, best of 3; 1,000 single images).
echo "== Swift: fashion train --epochs $EPOCHS --threads $THREADS ${swift_extra[*]}"
"$FASHION" train --epochs "$EPOCHS" --threads "$THREADS" --quiet \
    --out "$tmp/swift" "${swift_extra[@]}" >"$tmp/swift.log" 2>&1 \
    || { cat "$tmp/swift.log" >&2; exit 1; }
show_log "$tmp/swift.log"
# Test accuracy of the final weights (last.safetensors: the last epoch's).
"$FASHION" evaluate --weights "$tmp/swift/last.safetensors" --json \
    --threads "$THREADS" >"$tmp/swift_eval.json" \
    || { echo "error: fashion evaluate failed" >&2; exit 1; }
"$FASHION" bench --json --steps 20 --threads "$THREADS" >"$tmp/swift_bench.json" \
    || { echo "error: fashion bench failed" >&2; exit 1; }
# Same JSON keys as the Python scripts.
python3 - "$tmp/swift/history.csv" "$tmp/swift_eval.json" "$tmp/swift_bench.json" >"$tmp/swift.json" <<'EOF'
import csv, json, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
secs = [float(r["seconds"]) for r in rows]
timed = secs[1:] if len(secs) >= 2 else secs   # epoch 1 is a warm-up
bench = json.load(open(sys.argv[3]))["report"]
print(json.dumps({
    "framework": "swift",
    "median_train_seconds_per_epoch": statistics.median(timed),
    "median_excludes_first_epoch": len(secs) >= 2,
    "inference_images_per_second": bench["inferenceImagesPerSecond"],
    "latency_ms_p50": bench["latencyP50Milliseconds"],
    "latency_ms_p99": bench["latencyP99Milliseconds"],
    "test_accuracy": json.load(open(sys.argv[2]))["accuracy"],
}))
EOF

# --- PyTorch and Keras ---------------------------------------------------------
# Each prints one JSON object on stdout and its progress on stderr.
for fw in pytorch keras; do
    echo "== $fw: ${fw}_seed_cnn.py --json --epochs $EPOCHS --threads $THREADS ${py_extra[*]}"
    "$PY" "$REF/${fw}_seed_cnn.py" --json --epochs "$EPOCHS" --threads "$THREADS" \
        "${py_extra[@]}" >"$tmp/$fw.json" 2>"$tmp/$fw.log" \
        || { cat "$tmp/$fw.log" >&2; exit 1; }
    show_log "$tmp/$fw.log"
done

# --- Table ---------------------------------------------------------------------
echo
python3 - "$tmp/swift.json" "$tmp/pytorch.json" "$tmp/keras.json" <<'EOF'
import json, sys
runs = [json.load(open(path)) for path in sys.argv[1:]]

def fmt(value, spec):
    return "n/a" if value is None else format(value, spec)

print(f"{'framework':<10} {'s/epoch':>9} {'images/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'test acc':>9}")
for r in runs:
    print(f"{r['framework']:<10} "
          f"{fmt(r['median_train_seconds_per_epoch'], '.2f'):>9} "
          f"{fmt(r['inference_images_per_second'], '.0f'):>9} "
          f"{fmt(r['latency_ms_p50'], '.3f'):>8} "
          f"{fmt(r.get('latency_ms_p99'), '.3f'):>8} "
          f"{fmt(r['test_accuracy'], '.4f'):>9}")

swift = runs[0]["median_train_seconds_per_epoch"]
fastest = min(runs[1:], key=lambda r: r["median_train_seconds_per_epoch"])
note = "" if runs[0]["median_excludes_first_epoch"] else \
    "  (single epoch: includes warm-up)"
print(f"\nepoch time Swift / fastest of PyTorch and Keras ({fastest['framework']}): "
      f"{swift / fastest['median_train_seconds_per_epoch']:.2f}{note}")
best_ips = max(runs[1:], key=lambda r: r["inference_images_per_second"])
print(f"inference images/s Swift / fastest of the two ({best_ips['framework']}): "
      f"{runs[0]['inference_images_per_second'] / best_ips['inference_images_per_second']:.2f}")
EOF
