#!/usr/bin/env python3
"""Write PyTorch reference fixtures for the training tools (optimisers, label
smoothing, gradient clipping, learning-rate schedules).

Run from the repository root with the venv made by
benchmarks/reference/setup_venv.sh:

    /work/venv/bin/python scripts/make_fixtures_training.py

Output: Tests/Fixtures/torch_training.safetensors (all tensors float32,
contiguous; inputs drawn in float32, references computed in float64 from
exactly those inputs and rounded to float32), read by
Tests/NNTests/TrainingToolsTests.swift:

* adamw.*, sgd_nesterov.*, sgd_decay.*: three optimizer steps on a [3, 4]
  parameter p0 with gradients g1, g2, g3; p1, p2, p3 after each step (and for
  AdamW the moments exp_avg, exp_avg_sq after the third).
    adamw         AdamW(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
    sgd_nesterov  SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    sgd_decay     SGD(lr=0.1, momentum=0.9, weight_decay=0.05)  (decay large
                  enough that leaving it out fails the test)
* xent_smooth.*: cross_entropy(label_smoothing=0.1, reduction="mean") on
  logits [5, 10] (the last row scaled so some probabilities underflow in
  float32): logits, labels (as float32), loss [1], dlogits.
* clip_below.*, clip_above.*: clip_grad_norm_(max_norm) over gradients of
  shapes [3, 4], [5], [2, 2, 3]: g0..g2 before, clipped0..clipped2 after,
  max_norm [1] and norm [1] (the returned total norm); below: max_norm above
  the norm (about 1.5x: nothing changes), above: max_norm about a third of
  the norm (both multiples of 1/4, exact in float32).
* lr.*: the learning rate of each of 35 optimizer steps (5 epochs x 7 steps),
  read before each step, peak (lr / max_lr) 0.1:
    lr.step            StepLR(step_size=2, gamma=0.3) stepped per epoch
    lr.cosine          CosineAnnealingLR(T_max=35, eta_min=1e-3) per step
    lr.onecycle        OneCycleLR(total_steps=35, pct_start=0.3, div_factor=25,
                       final_div_factor=1e4, anneal cos, three_phase False)
    lr.warmup_cosine   SequentialLR([LinearLR(start_factor=0.01,
                       total_iters=7), CosineAnnealingLR(T_max=28,
                       eta_min=1e-3)], milestones=[7]) per step
    lr.warmup_step     SequentialLR([LinearLR(0.01, total_iters=14),
                       StepLR(step_size=7, gamma=0.5)], milestones=[14])
    lr.warmup_constant LinearLR(start_factor=0.01, total_iters=21) per step

The script is deterministic: rerunning it rewrites identical files.
"""

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

OUT_DIR = os.path.join("Tests", "Fixtures")
PATH = os.path.join(OUT_DIR, "torch_training.safetensors")

EPOCHS = 5
STEPS_PER_EPOCH = 7
TOTAL_STEPS = EPOCHS * STEPS_PER_EPOCH
PEAK = 0.1


def f32(t):
    """Detached, contiguous float32 copy of a tensor."""
    return t.detach().to(torch.float32).contiguous().clone()


def randn(*shape):
    """Standard-normal float32 tensor (drawn from the global seeded RNG)."""
    return torch.randn(*shape, dtype=torch.float32)


# ---------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------

def optimizer_case(out, name, make_optimizer, moments=False):
    """Three optimizer steps on a [3, 4] parameter with gradients g1, g2, g3."""
    p0 = randn(3, 4)
    grads = [randn(3, 4) for _ in range(3)]
    p = nn.Parameter(p0.double().clone())
    opt = make_optimizer([p])
    out[f"{name}.p0"] = f32(p0)
    for i, g in enumerate(grads, start=1):
        opt.zero_grad()
        p.grad = g.double().clone()
        opt.step()
        out[f"{name}.g{i}"] = f32(g)
        out[f"{name}.p{i}"] = f32(p)
    if moments:
        state = opt.state[p]
        out[f"{name}.exp_avg"] = f32(state["exp_avg"])
        out[f"{name}.exp_avg_sq"] = f32(state["exp_avg_sq"])


# ---------------------------------------------------------------------------
# Label-smoothed cross-entropy
# ---------------------------------------------------------------------------

def xent_smooth_case(out, name="xent_smooth"):
    logits = randn(5, 10) * 3.0
    logits[4] *= 20.0
    assert (F.softmax(logits[4], dim=0) == 0).any(), "no float32 underflow in row 4"
    labels = torch.tensor([3, 0, 9, 3, 7], dtype=torch.int64)
    z64 = logits.double().requires_grad_()
    loss64 = F.cross_entropy(z64, labels, reduction="mean", label_smoothing=0.1)
    loss64.backward()
    out.update({
        f"{name}.logits": f32(logits),
        f"{name}.labels": labels.to(torch.float32),
        f"{name}.loss": f32(loss64.reshape(1)),
        f"{name}.dlogits": f32(z64.grad),
    })


# ---------------------------------------------------------------------------
# Gradient clipping
# ---------------------------------------------------------------------------

def clip_case(out, name, grads, max_norm):
    params = [nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.double().clone()
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm=max_norm, norm_type=2.0)
    for i, (p, g) in enumerate(zip(params, grads)):
        out[f"{name}.g{i}"] = f32(g)
        out[f"{name}.clipped{i}"] = f32(p.grad)
    out[f"{name}.max_norm"] = torch.tensor([max_norm], dtype=torch.float32)
    out[f"{name}.norm"] = f32(norm.reshape(1))
    return norm.item()


def clip_cases(out):
    grads = [randn(3, 4), randn(5), randn(2, 2, 3)]
    norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads)).item()
    # Multiples of 1/4, so that float32 holds max_norm exactly.
    below = round(norm * 1.5 * 4) / 4
    above = round(norm / 3 * 4) / 4
    assert clip_case(out, "clip_below", grads, below) < below
    assert clip_case(out, "clip_above", grads, above) > above


# ---------------------------------------------------------------------------
# Learning-rate schedules
# ---------------------------------------------------------------------------

def rates(make_scheduler, per_epoch=False):
    """The lr read before each of TOTAL_STEPS optimizer steps."""
    p = nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=PEAK)
    scheduler = make_scheduler(opt)
    values = []
    for step in range(TOTAL_STEPS):
        values.append(opt.param_groups[0]["lr"])
        opt.step()
        if not per_epoch or (step + 1) % STEPS_PER_EPOCH == 0:
            scheduler.step()
    return torch.tensor(values, dtype=torch.float64).to(torch.float32)


def warmup_then(opt, warmup_steps, make_second):
    warmup = torch.optim.lr_scheduler.LinearLR(
        opt, start_factor=0.01, end_factor=1.0, total_iters=warmup_steps)
    second = make_second(opt)
    return torch.optim.lr_scheduler.SequentialLR(
        opt, schedulers=[warmup, second], milestones=[warmup_steps])


def schedule_cases(out):
    sched = torch.optim.lr_scheduler
    out["lr.step"] = rates(lambda o: sched.StepLR(o, step_size=2, gamma=0.3),
                           per_epoch=True)
    out["lr.cosine"] = rates(lambda o: sched.CosineAnnealingLR(
        o, T_max=TOTAL_STEPS, eta_min=1e-3))
    out["lr.onecycle"] = rates(lambda o: sched.OneCycleLR(
        o, max_lr=PEAK, total_steps=TOTAL_STEPS, pct_start=0.3,
        anneal_strategy="cos", cycle_momentum=False, div_factor=25.0,
        final_div_factor=1e4, three_phase=False))
    w = 1 * STEPS_PER_EPOCH
    out["lr.warmup_cosine"] = rates(lambda o: warmup_then(
        o, w, lambda o: sched.CosineAnnealingLR(o, T_max=TOTAL_STEPS - w,
                                                eta_min=1e-3)))
    w2 = 2 * STEPS_PER_EPOCH
    out["lr.warmup_step"] = rates(lambda o: warmup_then(
        o, w2, lambda o: sched.StepLR(o, step_size=1 * STEPS_PER_EPOCH,
                                      gamma=0.5)))
    out["lr.warmup_constant"] = rates(lambda o: sched.LinearLR(
        o, start_factor=0.01, end_factor=1.0, total_iters=3 * STEPS_PER_EPOCH))


def main():
    if not os.path.isdir(OUT_DIR):
        sys.exit(f"run from the repository root ({OUT_DIR} not found)")
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float32)
    torch.use_deterministic_algorithms(True)

    out = {}
    optimizer_case(out, "adamw", lambda ps: torch.optim.AdamW(
        ps, lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1,
        foreach=False), moments=True)
    optimizer_case(out, "sgd_nesterov", lambda ps: torch.optim.SGD(
        ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4,
        foreach=False))
    optimizer_case(out, "sgd_decay", lambda ps: torch.optim.SGD(
        ps, lr=0.1, momentum=0.9, weight_decay=0.05, foreach=False))
    xent_smooth_case(out)
    clip_cases(out)
    schedule_cases(out)
    for key, t in out.items():
        assert t.dtype == torch.float32 and t.is_contiguous(), key
    save_file(out, PATH)

    print(f"{PATH}: {os.path.getsize(PATH)} bytes, {len(out)} tensors")
    print("  xent_smooth.loss =", out["xent_smooth.loss"].tolist())
    print("  clip norms       =", out["clip_below.norm"].tolist(),
          out["clip_above.norm"].tolist(), "max_norm",
          out["clip_below.max_norm"].tolist(), out["clip_above.max_norm"].tolist())
    for key in sorted(k for k in out if k.startswith("lr.")):
        print(f"  {key:18} =", [f"{v:.5g}" for v in out[key].tolist()[:9]], "...")


if __name__ == "__main__":
    main()
