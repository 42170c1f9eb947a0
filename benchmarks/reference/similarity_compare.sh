#!/usr/bin/env bash
# Exact search, ours against FAISS IndexFlatIP, on the same vectors and threads, in one run:
#   1. the 60,000 training images embedded by WEIGHTS, queried with the 10,000 test images' embeddings;
#   2. 1,000,000 random unit vectors of 128 values (resnet20-w2's embedding size), queried with 2,048 others.
# Usage: benchmarks/reference/similarity_compare.sh WEIGHTS [THREADS]
# Needs a release build (swift build -c release) and the venv of setup_venv.sh (VENV, default
# /work/venv); faiss-cpu is installed into it from PyPI when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
source benchmarks/reference/common.sh
weights=${1:?usage: similarity_compare.sh WEIGHTS [THREADS]}
threads=${2:-2}
fashion=${FASHION:-.build/release/fashion}
VENV="${VENV:-/work/venv}"
python="$VENV/bin/python"
"$python" -c "import faiss" 2>/dev/null || "$VENV/bin/pip" install -q faiss-cpu
grep -m1 "model name" /proc/cpuinfo
echo "flags: $(grep -o 'avx512[a-z_0-9]*\|avx2\|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')"
quietly train "$fashion" index build --weights "$weights" --split train --out "$tmp/train.index"
quietly test "$fashion" embed --weights "$weights" --split test --out "$tmp/test.index"
quietly random "$python" benchmarks/reference/faiss_search.py --make-random 1000000 --dimension 128 --seed 1 --out "$tmp/random.index"
quietly queries "$python" benchmarks/reference/faiss_search.py --make-random 2048 --dimension 128 --seed 2 --out "$tmp/queries.index"
for case in "train test" "random queries"; do
    set -- $case
    echo "== $1 index, $2 queries, $threads threads"
    echo "-- fashion"
    /usr/bin/time -f "peak resident %M KB, %e s" "$fashion" index bench --index "$tmp/$1.index" --queries "$tmp/$2.index" --threads "$threads"
    echo "-- faiss"
    OMP_NUM_THREADS=$threads /usr/bin/time -f "peak resident %M KB, %e s" "$python" benchmarks/reference/faiss_search.py --index "$tmp/$1.index" --queries "$tmp/$2.index" --threads "$threads"
done
