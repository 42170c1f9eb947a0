#!/usr/bin/env bash
# photos/s of `fashion tag` against a Python pipeline doing the same work
# (tag_pipeline.py: PIL decode, the photo preprocessing in numpy/scipy, PyTorch
# vgg-bn on the same weights), run one after another in the same run, on 1,000
# "real-size" JPEGs (the shared phone photos upscaled to 1537x2048 by
# make_large_photos.py) and on 1,000 of the original 400x533 photos.
#
# Prints the CPU (and whether it has AVX-512), the load average before the runs,
# then one table: pipeline, photos/s (as each reports it: fashion's includes its
# model load, Python's excludes the interpreter, the imports and the model load),
# wall seconds of the whole process and peak RSS (both from /usr/bin/time -v;
# for Python that is the largest single process, the main one, so a column adds
# the pool workers' own peaks), fashion's photos/s divided by the
# Python run's, and the fraction of photos whose Python label equals fashion's
# (a check that both do the same work: PIL's draft decodes the 400x533 photos at
# 1/2 scale where fashion's libjpeg-turbo call uses 3/8, so a few uncertain
# photos flip there; --turbo-scale uses fashion's scale and should agree on all).
#
# The weights are copied to a temporary file first: a training run may rewrite
# them between the runs.  Every output file is removed before its run (fashion
# tag resumes an existing output otherwise).  Not part of CI; takes a few
# minutes (longer the first time, when the photos are made): run it on an
# otherwise idle machine.
#
# Usage:  bash benchmarks/reference/tag_compare.sh
#
# Environment (all optional):
#   WEIGHTS=/work/runs/fast/model.safetensors   a vgg-bn checkpoint
#   COUNT=1000            photos per set
#   LARGE=/tmp/fashion-large-photos   SMALL=/tmp/fashion-small-photos
#   SETS="large small"    which sets to run
#   PY_MODES="draft no-draft turbo-scale"   Python decode variants to run
#   PARAMS=               JSON given to both as --preprocessing-parameters
#   SKIP_BUILD=1          use the existing binary as it is
#   FASHION=.build/release/fashion   the binary to time (e.g. /work/bin/fashion-dev)
#   VENV=/work/venv       Python venv (torch, numpy, safetensors; pillow and
#                         scipy are installed into it when missing)
#
# Smoke test:  COUNT=40 LARGE=/tmp/few-large SMALL=/tmp/few-small SKIP_BUILD=1 \
#              FASHION=/work/bin/fashion-dev bash benchmarks/reference/tag_compare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

WEIGHTS="${WEIGHTS:-/work/runs/fast/model.safetensors}"
COUNT="${COUNT:-1000}"
LARGE="${LARGE:-/tmp/fashion-large-photos}"
SMALL="${SMALL:-/tmp/fashion-small-photos}"
SETS="${SETS:-large small}"
PY_MODES="${PY_MODES:-draft no-draft turbo-scale}"
PARAMS="${PARAMS:-}"
SKIP_BUILD="${SKIP_BUILD:-0}"
FASHION="${FASHION:-.build/release/fashion}"
VENV="${VENV:-/work/venv}"
PY="$VENV/bin/python"
REF=benchmarks/reference

source "$REF/common.sh"

# --- Setup ---------------------------------------------------------------------
echo "== CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
     "AVX-512: $(grep -q -m1 -w avx512f /proc/cpuinfo && echo yes || echo no)"
if ! "$PY" -c 'import PIL, scipy' 2>/dev/null; then
    echo "== installing pillow and scipy into $VENV"
    quietly pip "$PY" -m pip install --quiet pillow scipy
fi
if [[ "$SKIP_BUILD" != 1 ]]; then
    echo "== swift build -c release"
    quietly swift_build swift build -c release
fi
[[ -x "$FASHION" ]] || { echo "error: no fashion binary at $FASHION" >&2; exit 1; }
[[ -f "$WEIGHTS" ]] || { echo "error: no weights at $WEIGHTS" >&2; exit 1; }
cp "$WEIGHTS" "$tmp/weights.safetensors"
W="$tmp/weights.safetensors"

count_jpegs() { find "$1" -maxdepth 1 -name '*.jpg' 2>/dev/null | wc -l; }
for set in $SETS; do
    case $set in
        large) dir=$LARGE; extra=() ;;
        small) dir=$SMALL; extra=(--original) ;;
        *) echo "error: unknown set $set (large, small)" >&2; exit 1 ;;
    esac
    if [[ "$(count_jpegs "$dir")" -lt "$COUNT" ]]; then
        echo "== making $COUNT photos in $dir"
        quietly make_$set "$PY" "$REF/make_large_photos.py" --count "$COUNT" --out "$dir" --workers 2 "${extra[@]}"
    fi
done

fashion_extra=()
py_extra=()
if [[ -n "$PARAMS" ]]; then
    fashion_extra+=(--preprocessing-parameters "$PARAMS")
    py_extra+=(--preprocessing-parameters "$PARAMS")
fi

# --- Runs ----------------------------------------------------------------------
# Each run: its summary line (stdout), /usr/bin/time -v (stderr), the tags.
echo "== load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
runs=()
run() {
    local name=$1; shift
    rm -f "$tmp/$name.jsonl" "$tmp/$name.jsonl.errors.jsonl"
    echo "== $name: $*" | sed "s|$tmp/|\$tmp/|g"
    if ! /usr/bin/time -v "$@" --out "$tmp/$name.jsonl" >"$tmp/$name.out" 2>"$tmp/$name.time"; then
        cat "$tmp/$name.out" "$tmp/$name.time" >&2
        exit 1
    fi
    sed 's/^/    /' "$tmp/$name.out"
    runs+=("$name")
}
for set in $SETS; do
    dir=$LARGE; [[ $set == small ]] && dir=$SMALL
    run "$set-fashion" "$FASHION" tag "$dir" --weights "$W" --quiet "${fashion_extra[@]}"
    for mode in $PY_MODES; do
        flag=(); [[ $mode != draft ]] && flag=(--"$mode")
        run "$set-python-$mode" "$PY" "$REF/tag_pipeline.py" "$dir" --weights "$W" "${flag[@]}" "${py_extra[@]}"
    done
done

# --- Table ---------------------------------------------------------------------
echo
python3 - "$tmp" "${runs[@]}" <<'EOF'
import json, re, sys
tmp, names = sys.argv[1], sys.argv[2:]

def wall(text):
    t = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", text).group(1).split(":")
    return sum(float(x) * 60 ** i for i, x in enumerate(reversed(t)))

def labels(name):
    return {json.loads(l)["path"]: json.loads(l)["label"] for l in open(f"{tmp}/{name}.jsonl")}

rows = {}
for name in names:
    out, timing = open(f"{tmp}/{name}.out").read(), open(f"{tmp}/{name}.time").read()
    rows[name] = {
        "rate": float(re.findall(r"([\d.]+) photos/s", out)[-1]),
        "photos": int(re.search(r"(\d+) photos", out).group(1)),
        "wall": wall(timing),
        "rss": int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing).group(1)) / 1024,
        "workers": re.search(r"main \+ workers (\d+) MiB", out),
    }

print(f"{'pipeline':<26} {'photos':>6} {'photos/s':>9} {'wall s':>7} {'peak RSS MiB':>12} "
      f"{'+workers':>8} {'fashion/python':>14} {'same label':>10}")
for name in names:
    r = rows[name]
    base = name.split("-")[0] + "-fashion"
    ratio = same = ""
    if name != base and base in rows:
        ratio = f"{rows[base]['rate'] / r['rate']:.2f}x"
        ours, theirs = labels(base), labels(name)
        common = set(ours) & set(theirs)
        same = f"{sum(ours[p] == theirs[p] for p in common) / max(1, len(common)):.1%}"
    workers = r["workers"].group(1) if r["workers"] else ""
    print(f"{name:<26} {r['photos']:>6} {r['rate']:>9.1f} {r['wall']:>7.1f} {r['rss']:>12.0f} "
          f"{workers:>8} {ratio:>14} {same:>10}")
print("\nphotos/s: fashion's includes loading the model; Python's excludes the interpreter, imports\n"
      "  and model load.  wall s: the whole process (Python's interpreter and torch start-up included).\n"
      "peak RSS: /usr/bin/time's, of the largest single process (Python: the main one);\n"
      "  +workers: Python's main peak plus each pool worker's (an upper bound: shared pages count twice).\n"
      "same label: fraction of photos given fashion's label (matched by path).")
EOF
