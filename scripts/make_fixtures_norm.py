#!/usr/bin/env python3
"""Write PyTorch reference fixtures for batch norm, average pooling and residual blocks.

Run from the repository root with the venv made by
benchmarks/reference/setup_venv.sh:

    /work/venv/bin/python scripts/make_fixtures_norm.py

Output: Tests/Fixtures/torch_norm.safetensors (all tensors float32, contiguous).
As in make_fixtures.py, inputs are drawn in float32 and the references are
computed in float64 from exactly those float32 values, then rounded to float32.
Gradients are those of sum(y * dy) for the stored upstream gradient dy.

Cases (key prefixes):

* bn.*        BatchNorm2d(3) in train mode on x [4,3,5,5] with random weight/bias:
              y, dx, dweight, dbias; then running_mean/running_var (from the
              defaults 0 and 1, momentum 0.1) after a second train pass on x2.
* bn1x1.*     The same on 1x1 planes, x [8,4,1,1], momentum 0.2, eps 1e-3.
* bn_eval.*   BatchNorm2d(3, eps=1e-2) in eval mode with given running statistics
              (a large eps, so that where it enters shows in the output).
* avgpool.*   AvgPool2d(2) on x [2,3,7,7] (odd size, floor): y, dx.
* avgpool3s2.* AvgPool2d(3, stride=2) on x [2,2,7,7] (overlapping windows).
* gap.*       Global average pooling, mean over (H, W): x [3,4,5,5] -> y [3,4].
* basic.*     A torchvision-style BasicBlock (8 -> 8 channels, identity
              shortcut) on x [4,8,6,6]; projection.* the same with stride 2,
              8 -> 16 channels and a conv1x1 + BN projection on x [4,8,7,7].
              Keys: state.<name> (the initial state dict, without
              num_batches_tracked), eval_y (eval-mode output from that state),
              then one train-mode pass: y, dy, dx, grad.<parameter>,
              after.<buffer> (running statistics after the pass).

The script is deterministic: rerunning it rewrites an identical file.
"""

import copy
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

OUT_PATH = os.path.join("Tests", "Fixtures", "torch_norm.safetensors")


def f32(t):
    """Detached, contiguous float32 copy of a tensor."""
    return t.detach().to(torch.float32).contiguous().clone()


def randn(*shape):
    """Standard-normal float32 tensor (drawn from the global seeded RNG)."""
    return torch.randn(*shape, dtype=torch.float32)


def channel_data(n, c, h, w):
    """Float32 input whose channels have different means and spreads."""
    offset = randn(1, c, 1, 1) * 3
    spread = torch.rand(1, c, 1, 1, dtype=torch.float32) * 2 + 0.5
    return (randn(n, c, h, w) * spread + offset).to(torch.float32)


# ---------------------------------------------------------------------------
# Batch norm
# ---------------------------------------------------------------------------

def bn_train_case(out, name, x_shape, momentum, eps):
    """Train-mode forward/backward, then running stats after a second pass."""
    n, c, h, w = x_shape
    x, x2 = channel_data(*x_shape), channel_data(*x_shape)
    weight = (torch.rand(c) + 0.5).to(torch.float32)
    bias = randn(c)
    bn = nn.BatchNorm2d(c, momentum=momentum, eps=eps).double()
    with torch.no_grad():
        bn.weight.copy_(weight.double())
        bn.bias.copy_(bias.double())
    x64 = x.double().requires_grad_()
    y64 = bn(x64)
    dy = randn(*y64.shape)
    (y64 * dy.double()).sum().backward()
    out.update({
        f"{name}.x": f32(x), f"{name}.weight": f32(weight), f"{name}.bias": f32(bias),
        f"{name}.y": f32(y64), f"{name}.dy": f32(dy), f"{name}.dx": f32(x64.grad),
        f"{name}.dweight": f32(bn.weight.grad), f"{name}.dbias": f32(bn.bias.grad),
        f"{name}.x2": f32(x2),
    })
    with torch.no_grad():
        bn(x2.double())
    out[f"{name}.running_mean"] = f32(bn.running_mean)
    out[f"{name}.running_var"] = f32(bn.running_var)


def bn_eval_case(out, name="bn_eval"):
    c = 3
    x = channel_data(2, c, 4, 4)
    weight, bias = (torch.rand(c) + 0.5).to(torch.float32), randn(c)
    mean, var = randn(c), (torch.rand(c) * 2 + 0.1).to(torch.float32)
    y64 = F.batch_norm(x.double(), mean.double(), var.double(), weight.double(), bias.double(),
                       training=False, eps=1e-2)
    out.update({
        f"{name}.x": f32(x), f"{name}.weight": f32(weight), f"{name}.bias": f32(bias),
        f"{name}.running_mean": f32(mean), f"{name}.running_var": f32(var), f"{name}.y": f32(y64),
    })


# ---------------------------------------------------------------------------
# Average pooling
# ---------------------------------------------------------------------------

def pool_case(out, name, x_shape, pool):
    x = randn(*x_shape)
    x64 = x.double().requires_grad_()
    y64 = pool(x64)
    dy = randn(*y64.shape)
    (y64 * dy.double()).sum().backward()
    out.update({
        f"{name}.x": f32(x), f"{name}.dy": f32(dy),
        f"{name}.y": f32(y64), f"{name}.dx": f32(x64.grad),
    })
    return tuple(y64.shape)


# ---------------------------------------------------------------------------
# Residual blocks
# ---------------------------------------------------------------------------

class BasicBlock(nn.Module):
    """torchvision's BasicBlock (same attribute names, so the same state-dict keys)."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.bn1(self.conv1(x))
        self.pre_relu = [out.detach()]
        out = self.bn2(self.conv2(self.relu(out)))
        identity = x if self.downsample is None else self.downsample(x)
        self.pre_relu.append((out + identity).detach())
        return self.relu(out + identity)


def randomize(block):
    """Random float32 weights, BN scales/shifts and running statistics."""
    with torch.no_grad():
        for module in block.modules():
            if isinstance(module, nn.Conv2d):
                fan_in = module.weight[0].numel()
                module.weight.copy_(randn(*module.weight.shape) / fan_in ** 0.5)
            elif isinstance(module, nn.BatchNorm2d):
                c = module.num_features
                module.weight.copy_((torch.rand(c) + 0.5).to(torch.float32))
                module.bias.copy_(randn(c) * 0.5)
                module.running_mean.copy_(randn(c) * 0.5)
                module.running_var.copy_((torch.rand(c) + 0.5).to(torch.float32))


def float_state(block):
    """The state dict without num_batches_tracked (checkpoints hold F32 tensors only)."""
    return {k: v for k, v in block.state_dict().items() if not k.endswith("num_batches_tracked")}


def block_input(block, x_shape):
    """A float32 input for which no ReLU input of a train-mode pass lies within 1e-4 of 0,
    where float32 rounding in the Swift block could flip the ReLU's gradient."""
    while True:
        x = randn(*x_shape)
        probe = copy.deepcopy(block).train()
        with torch.no_grad():
            probe(x.double())
        if all(t.abs().min() > 1e-4 for t in probe.pre_relu):
            return x


def block_case(out, name, inplanes, planes, stride, x_shape):
    block = BasicBlock(inplanes, planes, stride)
    randomize(block)
    for key, value in float_state(block).items():
        out[f"{name}.state.{key}"] = f32(value)
    block = block.double()
    x = block_input(block, x_shape)

    block.eval()
    with torch.no_grad():
        out[f"{name}.eval_y"] = f32(block(x.double()))

    block.train()
    x64 = x.double().requires_grad_()
    y64 = block(x64)
    dy = randn(*y64.shape)
    # block_input made sure of this; the pass itself is the same computation.
    assert all(t.abs().min() > 1e-4 for t in block.pre_relu), "ReLU input too close to 0"
    (y64 * dy.double()).sum().backward()
    out.update({f"{name}.x": f32(x), f"{name}.y": f32(y64), f"{name}.dy": f32(dy),
                f"{name}.dx": f32(x64.grad)})
    for key, p in block.named_parameters():
        out[f"{name}.grad.{key}"] = f32(p.grad)
    for key, b in block.named_buffers():
        if not key.endswith("num_batches_tracked"):
            out[f"{name}.after.{key}"] = f32(b)
    return tuple(y64.shape)


def main():
    if not os.path.isdir(os.path.dirname(OUT_PATH)):
        sys.exit(f"run from the repository root ({os.path.dirname(OUT_PATH)} not found)")
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float32)
    torch.use_deterministic_algorithms(True)

    out = {}
    bn_train_case(out, "bn", (4, 3, 5, 5), momentum=0.1, eps=1e-5)
    bn_train_case(out, "bn1x1", (8, 4, 1, 1), momentum=0.2, eps=1e-3)
    bn_eval_case(out)
    assert pool_case(out, "avgpool", (2, 3, 7, 7), nn.AvgPool2d(2)) == (2, 3, 3, 3)
    assert pool_case(out, "avgpool3s2", (2, 2, 7, 7), nn.AvgPool2d(3, stride=2)) == (2, 2, 3, 3)
    assert pool_case(out, "gap", (3, 4, 5, 5), lambda x: x.mean(dim=(2, 3))) == (3, 4)
    assert block_case(out, "basic", 8, 8, 1, (4, 8, 6, 6)) == (4, 8, 6, 6)
    assert block_case(out, "projection", 8, 16, 2, (4, 8, 7, 7)) == (4, 16, 4, 4)

    for key, t in out.items():
        assert t.dtype == torch.float32 and t.is_contiguous(), key
    save_file(out, OUT_PATH)
    print(f"{OUT_PATH}: {os.path.getsize(OUT_PATH)} bytes, {len(out)} tensors")
    print("  bn.running_var =", out["bn.running_var"].tolist())
    print("  projection.y[0,0,0] =", out["projection.y"][0, 0, 0].tolist())


if __name__ == "__main__":
    main()
