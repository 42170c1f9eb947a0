#!/usr/bin/env bash
# Seed-CNN timing comparison on this machine: Swift, PyTorch and Keras doing the
# same training work (50,000 images, batch 64, Adam), run back to back.
#
# Prints the CPU (model, AVX-512/BF16/VNNI flags) and three tables:
#  1. seed-cnn training: seconds per epoch (median of the epochs after the
#     first, a warm-up), inference images/s at batch 256, batch-1 latency,
#     test accuracy, and Swift's epoch time over the faster of PyTorch and Keras;
#  2. inference of the Swift run's weights in every precision: Swift fp32,
#     bf16 and int8 (fashion quantize), PyTorch fp32 and bf16 autocast, onnxruntime fp32 and int8 (the same
#     weights exported to ONNX, static quantization calibrated on CALIBRATE
#     training images: inference_compare.py);
#  3. one resnet20-w2 training step at batch 128, fp32 and bf16: Swift
#     (`fashion bench --precision`) against PyTorch autocast.
# Not part of CI.  Takes several minutes with the defaults: run it on an
# otherwise idle machine.
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
#   CALIBRATE=1000    training images for the int8 activation ranges
#   SKIP_PRECISION=1  only table 1 (the training comparison of issue 4)
#   WEIGHTS=W         only table 2 (inference by precision), on the seed-cnn weights W
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
CALIBRATE="${CALIBRATE:-1000}"
SKIP_PRECISION="${SKIP_PRECISION:-0}"
WEIGHTS="${WEIGHTS:-}"
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
flags=$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx2|fma|avx512f|avx512_bf16|avx512_vnni|avx_vnni' | sort -u | tr '\n' ' ')
echo "== CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; flags: $flags"
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

if [[ -z "$WEIGHTS" ]]; then
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
fi
[[ "$SKIP_PRECISION" == 1 ]] && exit 0
weights="${WEIGHTS:-$tmp/swift/last.safetensors}"

# --- Inference in every precision, on the Swift run's weights -------------------
echo
echo "== inference by precision: fashion evaluate/bench --precision, inference_compare.py --calibrate $CALIBRATE"
for precision in fp32 bf16; do
    "$FASHION" evaluate --weights "$weights" --json --threads "$THREADS" \
        --precision "$precision" >"$tmp/eval_$precision.json" || { echo "error: evaluate $precision failed" >&2; exit 1; }
    "$FASHION" bench --json --steps 1 --threads "$THREADS" --precision "$precision" >"$tmp/bench_$precision.json" \
        || { echo "error: bench $precision failed" >&2; exit 1; }
done
"$FASHION" quantize --weights "$weights" --calibrate "$CALIBRATE" --out "$tmp/int8.safetensors" \
    --threads "$THREADS" >"$tmp/quantize.txt" || { echo "error: quantize failed" >&2; exit 1; }
"$FASHION" evaluate --weights "$tmp/int8.safetensors" --json --threads "$THREADS" >"$tmp/eval_int8.json" \
    || { echo "error: evaluate int8 failed" >&2; exit 1; }
"$FASHION" bench --json --steps 1 --threads "$THREADS" --weights "$tmp/int8.safetensors" >"$tmp/bench_int8.json" \
    || { echo "error: bench int8 failed" >&2; exit 1; }
"$PY" "$REF/inference_compare.py" --weights "$weights" --threads "$THREADS" \
    --calibrate "$CALIBRATE" --json >"$tmp/inference.json" 2>"$tmp/inference.log" \
    || { cat "$tmp/inference.log" >&2; exit 1; }
python3 - "$tmp" <<'EOF'
import json, sys
tmp = sys.argv[1]
rows = []
for precision in ("fp32", "bf16"):
    bench = json.load(open(f"{tmp}/bench_{precision}.json"))["report"]
    rows.append((f"swift {precision}", bench["inferenceImagesPerSecond"],
                 json.load(open(f"{tmp}/eval_{precision}.json"))["accuracy"], bench["precisionImplementation"]))
bench = json.load(open(f"{tmp}/bench_int8.json"))["report"]
rows.append(("swift int8", bench["inferenceImagesPerSecond"], json.load(open(f"{tmp}/eval_int8.json"))["accuracy"],
             "int8: " + ", ".join(bench["int8Layers"])))
others = json.load(open(f"{tmp}/inference.json"))
rows += [(r["framework"], r["images_per_second"], r["test_accuracy"], "") for r in others["rows"]]
print(f"{'inference (batch 256)':<24} {'images/s':>9} {'test acc':>9}")
for name, ips, acc, how in rows:
    print(f"{name:<24} {ips:>9.0f} {acc:>9.4f}" + (f"   ({how})" if how else ""))
best = max((r for r in rows if "fp32" in r[0] and not r[0].startswith("swift")), key=lambda r: r[1])
print(f"\nSwift fp32 / fastest other fp32 ({best[0]}): {rows[0][1] / best[1]:.2f}")
int8 = {name: ips for name, ips, _, _ in rows if "int8" in name}
if "onnxruntime int8" in int8:
    print(f"Swift int8 / onnxruntime int8: {int8['swift int8'] / int8['onnxruntime int8']:.2f}")
EOF

[[ -n "$WEIGHTS" ]] && exit 0

# --- resnet20-w2 training steps, fp32 and bf16 ----------------------------------
echo
echo "== resnet20-w2 training step at batch 128: fashion bench --precision, pytorch_bf16_resnet20w2.py"
for precision in fp32 bf16; do
    "$FASHION" bench --model resnet20-w2 --batch-size 128 --steps 15 --skip-inference --json --threads "$THREADS" \
        --precision "$precision" >"$tmp/resnet_$precision.json" || { echo "error: bench resnet20-w2 failed" >&2; exit 1; }
done
"$PY" "$REF/pytorch_bf16_resnet20w2.py" --threads "$THREADS" >"$tmp/resnet_torch.txt" 2>&1 \
    || { cat "$tmp/resnet_torch.txt" >&2; exit 1; }
python3 - "$tmp" <<'EOF'
import json, re, sys
tmp = sys.argv[1]
swift = {p: json.load(open(f"{tmp}/resnet_{p}.json"))["report"]["stepMilliseconds"] for p in ("fp32", "bf16")}
text = open(f"{tmp}/resnet_torch.txt").read()
torch_ms = {"fp32": float(re.search(r"float32: median step ([\d.]+) ms", text).group(1)),
            "bf16": float(re.search(r"bfloat16 autocast: median step ([\d.]+) ms", text).group(1))}
print(f"{'resnet20-w2 step':<18} {'swift ms':>9} {'pytorch ms':>11} {'swift/pytorch':>14}")
for p in ("fp32", "bf16"):
    print(f"{p:<18} {swift[p]:>9.1f} {torch_ms[p]:>11.1f} {swift[p] / torch_ms[p]:>14.2f}")
EOF
