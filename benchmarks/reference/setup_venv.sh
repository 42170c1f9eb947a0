#!/usr/bin/env bash
# Create (or reuse) a Python virtual environment with CPU PyTorch, safetensors
# and numpy, used by scripts/make_fixtures.py and
# benchmarks/reference/pytorch_seed_cnn.py, plus CPU TensorFlow/Keras for
# benchmarks/reference/keras_seed_cnn.py, and onnxruntime + onnx for
# benchmarks/reference/inference_compare.py.
#
# Usage:  bash benchmarks/reference/setup_venv.sh
#         VENV=/some/where bash benchmarks/reference/setup_venv.sh
#         WITH_TENSORFLOW=0 bash benchmarks/reference/setup_venv.sh  # torch only
#
# Idempotent: each part is skipped when the venv already imports it (torch,
# safetensors and numpy; then tensorflow and keras).  Torch install routes,
# smallest first:
#   1. a local CPU wheel (torch-*+cpu*.whl) in $PIP_FIND_LINKS or /opt/wheels;
#   2. the PyTorch CPU wheel index (usually unreachable from a sandbox);
#   3. the PyPI wheel with --no-deps plus its pure-Python deps (skips the
#      multi-GB nvidia-* packages; kept only if `import torch` works);
#   4. plain `pip install torch` from PyPI (large: pulls nvidia-* wheels).
# TensorFlow: the CPU-only `tensorflow-cpu` wheel from PyPI (about 250 MB,
# brings Keras 3 with it); TENSORFLOW_SPEC overrides the requirement.
set -euo pipefail

VENV="${VENV:-/work/venv}"
PYTHON="${PYTHON:-python3}"
WITH_TENSORFLOW="${WITH_TENSORFLOW:-1}"
TENSORFLOW_SPEC="${TENSORFLOW_SPEC:-tensorflow-cpu}"
CPU_INDEX="https://download.pytorch.org/whl/cpu"
# Pure-Python runtime dependencies of torch (from its wheel metadata).
TORCH_PURE_DEPS=(filelock "typing-extensions>=4.10.0" "setuptools>=77.0.3"
                 "sympy>=1.13.3" "networkx>=2.5.1" jinja2 "fsspec>=0.8.5")

log() { echo "[setup_venv] $*" >&2; }

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating venv at $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --quiet)

imports_ok() {
    "$PY" - <<'EOF' >/dev/null 2>&1
import numpy, safetensors.torch, torch
torch.zeros(2, 2).sum().item()
EOF
}

torch_ok() { "$PY" -c 'import torch; torch.ones(1).sum().item()' >/dev/null 2>&1; }

tensorflow_ok() {
    TF_CPP_MIN_LOG_LEVEL=3 "$PY" - <<'EOF' >/dev/null 2>&1
import tensorflow as tf, keras
tf.zeros([2, 2]).numpy().sum()
EOF
}

versions() {
    TF_CPP_MIN_LOG_LEVEL=3 "$PY" - <<'EOF' 2>/dev/null
import importlib
out = []
for name in ("torch", "numpy", "safetensors", "tensorflow", "keras"):
    try:
        out.append(f"{name} {importlib.import_module(name).__version__}")
    except Exception:
        pass
print(", ".join(out))
EOF
}

# --- Part 1: torch, safetensors, numpy ----------------------------------------
install_torch() {
"${PIP[@]}" numpy safetensors

route=""
if ! torch_ok; then
    # Route 1: a local CPU wheel shipped with the machine.
    wheel_dirs="${PIP_FIND_LINKS:-} /opt/wheels"
    py_tag="cp$("$PY" -c 'import sys; print("%d%d" % sys.version_info[:2])')"
    for dir in $wheel_dirs; do
        for whl in "$dir"/torch-*+cpu*-"$py_tag"-*.whl; do
            [[ -f "$whl" ]] || continue
            log "route 1: local CPU wheel $whl"
            if "${PIP[@]}" "$whl" && torch_ok; then
                route="local CPU wheel ($(basename "$whl"))"
                break 2
            fi
        done
    done
fi

if [[ -z "$route" ]] && ! torch_ok; then
    # Route 2: the official CPU-only index (fails fast when unreachable).
    log "route 2: $CPU_INDEX"
    # No --extra-index-url: PyPI's (CUDA) torch would win on version number.
    # The CPU index also mirrors torch's pure-Python dependencies.
    if "${PIP[@]}" --timeout 20 --retries 0 torch --index-url "$CPU_INDEX" \
            && torch_ok; then
        route="PyTorch CPU index"
    fi
fi

if [[ -z "$route" ]] && ! torch_ok; then
    # Route 3: PyPI wheel without the nvidia-* dependencies.
    log "route 3: PyPI torch --no-deps + pure-Python deps"
    if "${PIP[@]}" --no-deps torch && "${PIP[@]}" "${TORCH_PURE_DEPS[@]}" \
            && torch_ok; then
        route="PyPI torch --no-deps"
    else
        "$PY" -m pip uninstall --quiet --yes torch || true
    fi
fi

if [[ -z "$route" ]] && ! torch_ok; then
    # Route 4: everything from PyPI (multi-GB).
    log "route 4: plain PyPI torch (large)"
    "${PIP[@]}" torch
    route="PyPI torch with dependencies"
fi

if ! imports_ok; then
    log "ERROR: torch/safetensors/numpy still do not import in $VENV"
    exit 1
fi
log "torch part done via ${route:-existing torch}"
}

if imports_ok; then
    log "torch part already complete"
else
    install_torch
fi

# --- Part 2: TensorFlow (CPU) with Keras 3 ------------------------------------
if [[ "$WITH_TENSORFLOW" == 0 ]]; then
    log "skipping TensorFlow (WITH_TENSORFLOW=0)"
elif tensorflow_ok; then
    log "TensorFlow part already complete"
else
    log "installing $TENSORFLOW_SPEC from PyPI"
    "${PIP[@]}" "$TENSORFLOW_SPEC"
    if ! tensorflow_ok; then
        log "ERROR: tensorflow/keras do not import in $VENV"
        exit 1
    fi
    # The TensorFlow install may move numpy; check that torch still works.
    if ! imports_ok; then
        log "ERROR: torch/safetensors/numpy broke after installing TensorFlow"
        exit 1
    fi
fi

# --- Part 3: onnxruntime and onnx (inference_compare.py: fp32 and int8 rows) -------
if "$PY" -c 'import onnxruntime, onnx, onnxscript' >/dev/null 2>&1; then
    log "onnxruntime part already complete"
else
    log "installing onnxruntime, onnx and onnxscript from PyPI"
    "${PIP[@]}" onnxruntime onnx onnxscript
fi

log "venv ready: $(versions)"
