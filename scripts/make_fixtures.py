#!/usr/bin/env python3
"""Write PyTorch reference fixtures for the Swift tests.

Run from the repository root with the venv made by
benchmarks/reference/setup_venv.sh:

    /work/venv/bin/python scripts/make_fixtures.py

Outputs (all tensors float32, contiguous):

* Tests/Fixtures/torch_layers.safetensors
    Per-layer forward/backward cases (conv2d, max-pool, dense, relu,
    cross-entropy) and optimizer steps (Adam, SGD with and without momentum).
    Inputs are drawn in float32; reference outputs are computed in float64
    from exactly those float32 inputs and then rounded to float32.
* Tests/Fixtures/torch_seed_cnn.safetensors.gz
    state_dict of the "seed CNN" with every parameter filled periodically
    (so that it gzips small), saved without metadata, gzipped (level 9,
    mtime 0, no file name, so reruns give identical bytes).
* Tests/Fixtures/torch_seed_cnn_io.safetensors
    `x` [8,1,28,28] uniform in [0, 1] and `logits` [8,10] = model(x) in eval
    mode (computed in float64 from the float32 weights and input).

The script is deterministic: rerunning it rewrites identical files.
"""

import gzip
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "benchmarks", "reference"))
from seed_cnn import SeedCNN  # noqa: E402

OUT_DIR = os.path.join("Tests", "Fixtures")
LAYERS_PATH = os.path.join(OUT_DIR, "torch_layers.safetensors")
CNN_PATH = os.path.join(OUT_DIR, "torch_seed_cnn.safetensors")
CNN_GZ_PATH = CNN_PATH + ".gz"
CNN_IO_PATH = os.path.join(OUT_DIR, "torch_seed_cnn_io.safetensors")

SEED_CNN_PARAMS = 3_274_634
WEIGHT_PERIOD = 97
BIAS_PERIOD = 13


def f32(t):
    """Detached, contiguous float32 copy of a tensor."""
    return t.detach().to(torch.float32).contiguous().clone()


def randn(*shape):
    """Standard-normal float32 tensor (drawn from the global seeded RNG)."""
    return torch.randn(*shape, dtype=torch.float32)


# ---------------------------------------------------------------------------
# Layer cases
# ---------------------------------------------------------------------------

def conv_case(out, name, x_shape, w_shape, stride, padding):
    """y = conv2d(x, w, b); dx, dw, db are gradients of sum(y * dy)."""
    x = randn(*x_shape)
    w = randn(*w_shape)
    b = randn(w_shape[0])
    x64, w64, b64 = (t.double().requires_grad_() for t in (x, w, b))
    y64 = F.conv2d(x64, w64, b64, stride=stride, padding=padding)
    dy = randn(*y64.shape)
    (y64 * dy.double()).sum().backward()
    out.update({
        f"{name}.x": f32(x), f"{name}.w": f32(w), f"{name}.b": f32(b),
        f"{name}.dy": f32(dy), f"{name}.y": f32(y64),
        f"{name}.dx": f32(x64.grad), f"{name}.dw": f32(w64.grad),
        f"{name}.db": f32(b64.grad),
    })
    return tuple(y64.shape)


def maxpool_case(out, name, x_shape):
    """2x2 stride-2 max-pool (floor mode) forward and backward."""
    x = randn(*x_shape)
    # Random normals have no ties in practice; check it anyway so the
    # gradient routing is unambiguous.
    h, w = x_shape[2] // 2 * 2, x_shape[3] // 2 * 2
    windows = x[:, :, :h, :w].unfold(2, 2, 2).unfold(3, 2, 2).reshape(
        x_shape[0], x_shape[1], h // 2, w // 2, 4)
    top2 = windows.topk(2, dim=-1).values
    assert (top2[..., 0] > top2[..., 1]).all(), "tie in a max-pool window"
    x64 = x.double().requires_grad_()
    y64 = F.max_pool2d(x64, kernel_size=2, stride=2)
    dy = randn(*y64.shape)
    (y64 * dy.double()).sum().backward()
    out.update({
        f"{name}.x": f32(x), f"{name}.dy": f32(dy),
        f"{name}.y": f32(y64), f"{name}.dx": f32(x64.grad),
    })
    return tuple(y64.shape)


def dense_case(out, name="dense"):
    """y = x @ w.T + b with PyTorch Linear layout w [out, in]."""
    x, w, b = randn(4, 6), randn(5, 6), randn(5)
    x64, w64, b64 = (t.double().requires_grad_() for t in (x, w, b))
    y64 = F.linear(x64, w64, b64)
    dy = randn(*y64.shape)
    (y64 * dy.double()).sum().backward()
    out.update({
        f"{name}.x": f32(x), f"{name}.w": f32(w), f"{name}.b": f32(b),
        f"{name}.dy": f32(dy), f"{name}.y": f32(y64),
        f"{name}.dx": f32(x64.grad), f"{name}.dw": f32(w64.grad),
        f"{name}.db": f32(b64.grad),
    })


def relu_case(out, name="relu"):
    x = randn(3, 4)
    assert (x != 0).all()
    x64 = x.double().requires_grad_()
    y64 = F.relu(x64)
    dy = randn(3, 4)
    (y64 * dy.double()).sum().backward()
    out.update({
        f"{name}.x": f32(x), f"{name}.dy": f32(dy),
        f"{name}.y": f32(y64), f"{name}.dx": f32(x64.grad),
    })


def xent_case(out, name="xent"):
    """Mean softmax cross-entropy; labels stored as float32 indices."""
    logits = randn(4, 10) * 3.0
    labels = torch.tensor([3, 0, 9, 3], dtype=torch.int64)
    z64 = logits.double().requires_grad_()
    loss64 = F.cross_entropy(z64, labels, reduction="mean")
    loss64.backward()
    out.update({
        f"{name}.logits": f32(logits),
        f"{name}.labels": labels.to(torch.float32),
        f"{name}.loss": f32(loss64.reshape(1)),
        f"{name}.dlogits": f32(z64.grad),
    })


def optimizer_case(out, name, make_optimizer):
    """Two optimizer steps on a [6] parameter with gradients g1, g2."""
    p0, g1, g2 = randn(6), randn(6), randn(6)
    p = nn.Parameter(p0.double().clone())
    opt = make_optimizer([p])
    results = []
    for g in (g1, g2):
        opt.zero_grad()
        p.grad = g.double().clone()
        opt.step()
        results.append(f32(p))
    out.update({
        f"{name}.p0": f32(p0), f"{name}.g1": f32(g1), f"{name}.g2": f32(g2),
        f"{name}.p1": results[0], f"{name}.p2": results[1],
    })


def make_layer_fixtures():
    out = {}
    assert conv_case(out, "conv_same", (2, 3, 7, 7), (4, 3, 5, 5),
                     stride=1, padding=2) == (2, 4, 7, 7)
    assert conv_case(out, "conv_stride2", (2, 3, 8, 8), (5, 3, 3, 3),
                     stride=2, padding=1) == (2, 5, 4, 4)
    assert conv_case(out, "conv_valid", (1, 2, 6, 6), (3, 2, 3, 3),
                     stride=1, padding=0) == (1, 3, 4, 4)
    assert conv_case(out, "conv_1x1s2", (2, 4, 5, 5), (3, 4, 1, 1),
                     stride=2, padding=0) == (2, 3, 3, 3)
    assert maxpool_case(out, "maxpool", (2, 3, 6, 6)) == (2, 3, 3, 3)
    assert maxpool_case(out, "maxpool_odd", (1, 2, 7, 7)) == (1, 2, 3, 3)
    dense_case(out)
    relu_case(out)
    xent_case(out)
    optimizer_case(out, "adam", lambda ps: torch.optim.Adam(
        ps, lr=1e-3, betas=(0.9, 0.999), eps=1e-7, foreach=False))
    optimizer_case(out, "sgd", lambda ps: torch.optim.SGD(
        ps, lr=0.1, momentum=0.9, foreach=False))
    optimizer_case(out, "sgd_plain", lambda ps: torch.optim.SGD(
        ps, lr=0.1, foreach=False))
    for key, t in out.items():
        assert t.dtype == torch.float32 and t.is_contiguous(), key
    save_file(out, LAYERS_PATH)
    return out


# ---------------------------------------------------------------------------
# Seed CNN
# ---------------------------------------------------------------------------

def fill_periodic(model):
    """Set each parameter to base[i % P] with base ~ N(0, 1/fan_in)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            layer = getattr(model, name.split(".")[0])
            if isinstance(layer, nn.Conv2d):
                kh, kw = layer.kernel_size
                fan_in = layer.in_channels * kh * kw
            else:
                fan_in = layer.in_features
            period = WEIGHT_PERIOD if name.endswith("weight") else BIAS_PERIOD
            base = randn(period) * (1.0 / math.sqrt(fan_in))
            idx = torch.arange(p.numel()) % period
            p.copy_(base[idx].reshape(p.shape))


def make_cnn_fixtures():
    model = SeedCNN()
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == SEED_CNN_PARAMS, n_params
    fill_periodic(model)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, CNN_PATH)
    with open(CNN_PATH, "rb") as src:
        raw = src.read()
    # mtime=0 and an empty file name keep the .gz byte-identical on reruns.
    with open(CNN_GZ_PATH, "wb") as dst:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9,
                           fileobj=dst, mtime=0) as gz:
            gz.write(raw)
    os.remove(CNN_PATH)

    x = torch.rand(8, 1, 28, 28, dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        logits64 = model.double()(x.double())
    save_file({"x": f32(x), "logits": f32(logits64)}, CNN_IO_PATH)
    return len(raw), f32(logits64)


def main():
    if not os.path.isdir(OUT_DIR):
        sys.exit(f"run from the repository root ({OUT_DIR} not found)")
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float32)
    torch.use_deterministic_algorithms(True)

    layers = make_layer_fixtures()
    raw_size, logits = make_cnn_fixtures()

    total = 0
    for path in (LAYERS_PATH, CNN_GZ_PATH, CNN_IO_PATH):
        size = os.path.getsize(path)
        total += size
        print(f"{path}: {size} bytes")
    print(f"(uncompressed seed CNN: {raw_size} bytes; total {total} bytes)")
    assert total < 1_000_000, "fixtures must stay under 1 MB"
    print(f"{len(layers)} layer tensors; samples:")
    print("  xent.loss   =", layers["xent.loss"].tolist())
    print("  adam.p1[:3] =", layers["adam.p1"][:3].tolist())
    print("  sgd.p2[:3]  =", layers["sgd.p2"][:3].tolist())
    print("  logits[0,:3] =", logits[0, :3].tolist())


if __name__ == "__main__":
    main()
