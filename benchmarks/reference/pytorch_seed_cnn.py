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

import argparse
import gzip
import json
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch

from seed_cnn import SeedCNN
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
BATCH_SIZE = 64
EVAL_BATCH_SIZE = 256
VAL_IMAGES = 10_000
LATENCY_CALLS = 1_000
TEST_IMAGES = 10_000


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=os.environ.get("FASHION_MNIST_DIR",
                                                    DEFAULT_DATA),
                   help="directory with the *-ubyte.gz files")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--train-images", type=int, default=50_000,
                   help="number of training images used (<= 50000)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true",
                   help="print one JSON object at the end")
    # Smoke-test knobs (defaults = the full benchmark), as in
    # keras_seed_cnn.py.
    p.add_argument("--test-images", type=int, default=TEST_IMAGES,
                   help="test images used for accuracy, throughput and "
                        "latency (<= 10000; smaller only for smoke tests)")
    p.add_argument("--latency-calls", type=int, default=LATENCY_CALLS,
                   help="batch-1 calls timed for the latency percentiles")
    return p.parse_args()


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

def read_idx(path):
    """Read a gzipped IDX file into a numpy uint8 array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_split(data_dir, prefix):
    """Images as float32 [N,1,28,28] in [0,1], labels as int64 [N]."""
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


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
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        for i in range(0, len(x), EVAL_BATCH_SIZE):
            model(x[i:i + EVAL_BATCH_SIZE])
        best = min(best, time.perf_counter() - start)
    return len(x) / best


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
        epochs.append({"epoch": epoch, "train_loss": tr_loss,
                       "train_acc": tr_acc, "val_loss": va_loss,
                       "val_acc": va_acc, "train_seconds": tr_sec,
                       "val_seconds": va_sec})
        print(f"epoch {epoch}  train loss {tr_loss:.4f} acc {tr_acc:.4f}  "
              f"val loss {va_loss:.4f} acc {va_acc:.4f}  "
              f"{tr_sec:.1f}s train  {va_sec:.1f}s val", file=log, flush=True)

    train_secs = [e["train_seconds"] for e in epochs]
    timed = train_secs[1:] if len(train_secs) >= 2 else train_secs
    median_epoch = statistics.median(timed) if timed else None

    _, test_acc, _ = evaluate(model, x_test, y_test)
    images_per_s = inference_throughput(model, x_test)
    p50, p99 = single_image_latency(model, x_test, calls=args.latency_calls)

    result = {
        "framework": "pytorch",
        "torch_version": torch.__version__,
        "threads": args.threads,
        "train_images": len(x_train),
        "epochs": epochs,
        "median_train_seconds_per_epoch": median_epoch,
        "median_excludes_first_epoch": len(train_secs) >= 2,
        "inference_images_per_second": images_per_s,
        "latency_ms_p50": p50,
        "latency_ms_p99": p99,
        "test_accuracy": test_acc,
    }
    if median_epoch is not None:
        print(f"median train seconds/epoch: {median_epoch:.2f}", file=log)
    print(f"inference: {images_per_s:.0f} images/s (batch "
          f"{EVAL_BATCH_SIZE}, best of 3)", file=log)
    print(f"latency (batch 1): p50 {p50:.3f} ms  p99 {p99:.3f} ms", file=log)
    print(f"test accuracy: {test_acc:.4f}", file=log)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
