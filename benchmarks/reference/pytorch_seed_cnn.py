#!/usr/bin/env python3
"""PyTorch reference for the Swift "seed CNN" trainer, for timing comparisons.

Does the same work as the Swift trainer: Fashion-MNIST from the IDX .gz
files, a seeded 50,000 / 10,000 train / validation split of the 60,000
training images, the seed CNN (conv5x5x32 -> pool -> conv5x5x64 -> pool ->
fc1024 -> dropout 0.5 -> fc10), Adam(lr=1e-3, eps=1e-7), cross-entropy,
batch 64, reshuffled every epoch.

Usage (venv from benchmarks/reference/setup_venv.sh):

    /work/venv/bin/python benchmarks/reference/pytorch_seed_cnn.py \
        --epochs 2 --threads 2 [--json]

Per epoch it prints train loss/acc (running, over the epoch's batches),
validation loss/acc, training seconds and validation seconds.  At the end:
median training seconds per epoch (excluding the first, warm-up, epoch when
there are at least 2), inference images/s on the 10,000 test images at
batch 256 (best of 3 passes), single-image latency p50/p99 over 1,000 calls,
and test accuracy.  With --json the per-epoch lines go to stderr and stdout
holds a single JSON object.
"""

import sys
import time

import numpy as np
import torch

import torch.nn.functional as F

import common
from common import (BATCH_SIZE, EVAL_BATCH_SIZE, LATENCY_CALLS, VAL_IMAGES,
                    load_part)
from seed_cnn import SeedCNN


def parse_args():
    return common.parse_args(__doc__.split("\n\n")[0])


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

def load_split(data_dir, prefix):
    """Images as float32 [N,1,28,28] in [0,1], labels as int64 [N]."""
    images, labels = load_part(data_dir, prefix)
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# Training and evaluation
# ---------------------------------------------------------------------------

def train_epoch(model, opt, x, y, generator):
    """One shuffled pass; returns (mean loss, accuracy, seconds)."""
    model.train()
    start = time.perf_counter()
    order = torch.randperm(len(x), generator=generator)
    loss_sum, correct = 0.0, 0
    for i in range(0, len(x), BATCH_SIZE):
        idx = order[i:i + BATCH_SIZE]
        xb, yb = x[idx], y[idx]
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_sum += loss.item() * len(idx)
        correct += (logits.argmax(1) == yb).sum().item()
    seconds = time.perf_counter() - start
    return loss_sum / len(x), correct / len(x), seconds


@torch.no_grad()
def evaluate(model, x, y):
    """Returns (mean loss, accuracy, seconds) in eval mode."""
    model.eval()
    start = time.perf_counter()
    loss_sum, correct = 0.0, 0
    for i in range(0, len(x), EVAL_BATCH_SIZE):
        xb, yb = x[i:i + EVAL_BATCH_SIZE], y[i:i + EVAL_BATCH_SIZE]
        logits = model(xb)
        loss_sum += F.cross_entropy(logits, yb, reduction="sum").item()
        correct += (logits.argmax(1) == yb).sum().item()
    seconds = time.perf_counter() - start
    return loss_sum / len(x), correct / len(x), seconds


@torch.no_grad()
def inference_throughput(model, x, passes=3):
    """Best-of-`passes` images/s at batch 256 (eval mode, no_grad)."""
    model.eval()
    return common.throughput(model, x, passes)


@torch.no_grad()
def single_image_latency(model, x, calls=LATENCY_CALLS, warmup=20):
    """p50 / p99 milliseconds for batch-1 forward passes."""
    model.eval()
    for i in range(warmup):
        model(x[i:i + 1])
    times = []
    for i in range(calls):
        xb = x[i % len(x):i % len(x) + 1]
        start = time.perf_counter()
        model(xb)
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000.0
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def main():
    args = parse_args()
    # Thread settings first: interop threads can only be set before any
    # parallel work starts.
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    log = sys.stderr if args.json else sys.stdout

    x_all, y_all = load_split(args.data, "train")
    x_test, y_test = load_split(args.data, "t10k")
    x_test, y_test = x_test[:args.test_images], y_test[:args.test_images]
    perm = torch.from_numpy(
        np.random.default_rng(args.seed).permutation(len(x_all)))
    train_idx = perm[:len(x_all) - VAL_IMAGES][:args.train_images]
    val_idx = perm[len(x_all) - VAL_IMAGES:]
    x_train, y_train = x_all[train_idx].contiguous(), y_all[train_idx]
    x_val, y_val = x_all[val_idx].contiguous(), y_all[val_idx]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"train {len(x_train)}, val {len(x_val)}, test {len(x_test)}",
          file=log)

    model = SeedCNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    generator = torch.Generator().manual_seed(args.seed)

    epochs = []
    for epoch in range(1, args.epochs + 1):
        tr_loss, tr_acc, tr_sec = train_epoch(model, opt, x_train, y_train,
                                              generator)
        va_loss, va_acc, va_sec = evaluate(model, x_val, y_val)
        common.record_epoch(epochs, epoch, (tr_loss, tr_acc, tr_sec),
                            (va_loss, va_acc, va_sec), log)

    _, test_acc, _ = evaluate(model, x_test, y_test)
    images_per_s = inference_throughput(model, x_test)
    p50, p99 = single_image_latency(model, x_test, calls=args.latency_calls)

    result = {
        "framework": "pytorch",
        "torch_version": torch.__version__,
        "threads": args.threads,
        "train_images": len(x_train),
        **common.timing_summary(epochs, images_per_s, p50, p99, test_acc),
    }
    common.report(result, args.json, log)


if __name__ == "__main__":
    main()
