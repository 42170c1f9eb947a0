"""What the PyTorch and Keras reference scripts share: flags, constants and the
Fashion-MNIST IDX reader (same files, scaling and split as the Swift program)."""

import argparse
import json
import gzip
import os
import statistics
import struct
import time

import numpy as np

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
BATCH_SIZE = 64
EVAL_BATCH_SIZE = 256
VAL_IMAGES = 10_000
LATENCY_CALLS = 1_000
TEST_IMAGES = 10_000


def parse_args(description):
    """The flags both scripts take."""
    p = argparse.ArgumentParser(description=description)
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
    # Smoke-test knobs (defaults = the full benchmark).
    p.add_argument("--test-images", type=int, default=TEST_IMAGES,
                   help="test images used for accuracy, throughput and "
                        "latency (<= 10000; smaller only for smoke tests)")
    p.add_argument("--latency-calls", type=int, default=LATENCY_CALLS,
                   help="batch-1 calls timed for the latency percentiles")
    return p.parse_args()


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


def load_part(data_dir, prefix):
    """Images as float32 [N,28,28] in [0,1] and labels as int64 [N] of one
    part ("train" or "t10k")."""
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    return images.astype(np.float32) / 255.0, labels.astype(np.int64)


def throughput(run, x, passes=3, budget=float("inf")):
    """Best-of-`passes` images/s calling `run` on x in batches of EVAL_BATCH_SIZE; fewer passes when
    they would take more than `budget` seconds."""
    n = len(x)
    best, spent = float("inf"), 0.0
    for _ in range(passes):
        start = time.perf_counter()
        for i in range(0, n, EVAL_BATCH_SIZE):
            run(x[i:i + EVAL_BATCH_SIZE])
        elapsed = time.perf_counter() - start
        best, spent = min(best, elapsed), spent + elapsed
        if spent + elapsed > budget:
            break
    return n / best


def record_epoch(epochs, epoch, train, val, log):
    """Append one epoch's (loss, accuracy, seconds) for training and
    validation to `epochs` and print its line to `log`."""
    (tr_loss, tr_acc, tr_sec), (va_loss, va_acc, va_sec) = train, val
    epochs.append({"epoch": epoch, "train_loss": tr_loss,
                   "train_acc": tr_acc, "val_loss": va_loss,
                   "val_acc": va_acc, "train_seconds": tr_sec,
                   "val_seconds": va_sec})
    print(f"epoch {epoch}  train loss {tr_loss:.4f} acc {tr_acc:.4f}  "
          f"val loss {va_loss:.4f} acc {va_acc:.4f}  "
          f"{tr_sec:.1f}s train  {va_sec:.1f}s val", file=log, flush=True)


def timing_summary(epochs, images_per_s, p50, p99, test_acc):
    """The JSON keys every reference script reports: the median training
    epoch (without the first, a warm-up, when there are two or more),
    inference throughput, latency and test accuracy."""
    secs = [e["train_seconds"] for e in epochs]
    timed = secs[1:] if len(secs) >= 2 else secs
    return {
        "epochs": epochs,
        "median_train_seconds_per_epoch": statistics.median(timed) if timed else None,
        "median_excludes_first_epoch": len(secs) >= 2,
        "inference_images_per_second": images_per_s,
        "latency_ms_p50": p50,
        "latency_ms_p99": p99,
        "test_accuracy": test_acc,
    }


def report(result, as_json, log):
    """Print the summary lines to `log` and, with --json, the result to stdout."""
    if result["median_train_seconds_per_epoch"] is not None:
        print(f"median train seconds/epoch: "
              f"{result['median_train_seconds_per_epoch']:.2f}", file=log)
    print(f"inference: {result['inference_images_per_second']:.0f} images/s "
          f"(batch {EVAL_BATCH_SIZE}, best of 3)", file=log)
    print(f"latency (batch 1): p50 {result['latency_ms_p50']:.3f} ms  "
          f"p99 {result['latency_ms_p99']:.3f} ms", file=log)
    print(f"test accuracy: {result['test_accuracy']:.4f}", file=log)
    if as_json:
        print(json.dumps(result))
