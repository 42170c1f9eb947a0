#!/usr/bin/env python3
"""Keras (TensorFlow backend) reference for the Swift "seed CNN" trainer, for timing comparisons.

Does the same work as pytorch_seed_cnn.py (and the Swift trainer):
Fashion-MNIST from the IDX .gz files, the same seeded 50,000 / 10,000 train /
validation split of the 60,000 training images, the notebook's seed CNN
(Conv2D(32,5,same,relu) -> MaxPool(2) -> Conv2D(64,5,same,relu) -> MaxPool(2)
-> Flatten -> Dense(1024,relu) -> Dropout(0.5) -> Dense(10,softmax)), inputs
(28,28,1) channels-last, Adam(lr=1e-3, epsilon=1e-7), sparse categorical
cross-entropy, batch 64, reshuffled every epoch.  Keras defaults otherwise
(glorot-uniform weights, no XLA: Keras 3 turns jit_compile="auto" off on
CPU-only machines).

Usage (venv from benchmarks/reference/setup_venv.sh):

    /work/venv/bin/python benchmarks/reference/keras_seed_cnn.py \
        --epochs 2 --threads 2 [--json]

Flags, per-epoch lines and the JSON object mirror pytorch_seed_cnn.py, so a
driver reads both the same way.  JSON differences: "tensorflow_version" and
"keras_version" instead of "torch_version", and an extra "params"
(model.count_params(), 3,274,634).

Timings:
  * training: one model.fit(epochs=1, shuffle=True, verbose=0) call per
    epoch; the epoch's seconds are taken by a Callback from on_epoch_begin to
    on_epoch_end, so they are pure training (the per-call setup of fit and the
    validation are outside; the first epoch also holds the tf.function
    tracing, which is why the median leaves it out);
  * validation / test: model.evaluate(batch_size=256), timed separately;
  * inference throughput and batch-1 latency: a tf.function-compiled
    model(x, training=False).  On this model and machine that was the fastest
    idiomatic path: ahead of predict_on_batch (slightly) and of model.predict
    (its per-call dataset setup) for batches of 256, and about 3-4x faster
    than an eager model(x, training=False) for single images.
"""

import os
import sys
import time

# Quieter TensorFlow C++ logging (oneDNN / CPU-feature notices); set before
# the import.  An explicit TF_CPP_MIN_LOG_LEVEL in the environment wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import tensorflow as tf  # no TF op may run before the thread settings in main()
import keras
from keras import layers

import common
from common import (BATCH_SIZE, EVAL_BATCH_SIZE, LATENCY_CALLS, VAL_IMAGES, throughput,
                    load_part)



def parse_args():
    return common.parse_args(__doc__.split("\n\n")[0])


# ---------------------------------------------------------------------------
# Data (same files, scaling and split as pytorch_seed_cnn.py)
# ---------------------------------------------------------------------------

def load_split(data_dir, prefix):
    """Images as float32 [N,28,28,1] (channels-last) in [0,1], labels int64 [N]."""
    images, labels = load_part(data_dir, prefix)
    return images[..., np.newaxis], labels


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------

def seed_cnn():
    """The notebook's seed CNN (3,274,634 parameters)."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 5, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 5, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(1024, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ], name="seed_cnn")


# ---------------------------------------------------------------------------
# Training and evaluation
# ---------------------------------------------------------------------------

class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds from on_epoch_begin to on_epoch_end (training only)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def train_epoch(model, x, y, timer):
    """One shuffled pass; returns (mean loss, accuracy, seconds).

    Loss and accuracy are Keras's running means over the epoch's batches
    (dropout active), weighted by batch size like pytorch_seed_cnn.py's.
    """
    history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, shuffle=True,
                        verbose=0, callbacks=[timer])
    return (float(history.history["loss"][-1]),
            float(history.history["accuracy"][-1]), timer.seconds)


def evaluate(model, x, y):
    """Returns (mean loss, accuracy, seconds) in inference mode."""
    start = time.perf_counter()
    result = model.evaluate(x, y, batch_size=EVAL_BATCH_SIZE, verbose=0,
                            return_dict=True)
    seconds = time.perf_counter() - start
    return float(result["loss"]), float(result["accuracy"]), seconds


def compiled_forward(model):
    """model(x, training=False) as one tf.function for any batch size."""
    return tf.function(
        lambda x: model(x, training=False),
        input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)])


def inference_throughput(forward, x, passes=3):
    """Best-of-`passes` images/s at batch 256 (x: a tf.Tensor)."""
    forward(x[:EVAL_BATCH_SIZE])  # trace outside the timing
    return throughput(forward, x, passes)


def single_image_latency(forward, x, calls=LATENCY_CALLS, warmup=20):
    """p50 / p99 milliseconds for batch-1 forward passes (x: a tf.Tensor)."""
    n = int(x.shape[0])
    for i in range(warmup):
        forward(x[i % n:i % n + 1])
    times = []
    for i in range(calls):
        xb = x[i % n:i % n + 1]
        start = time.perf_counter()
        forward(xb)  # eager TF on CPU: returns when the result is computed
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000.0
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def main():
    args = parse_args()
    # Thread settings first: TensorFlow fixes its thread pools when it runs
    # its first op and raises RuntimeError on later changes.
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(args.seed)  # Python, NumPy and TF seeds
    log = sys.stderr if args.json else sys.stdout

    x_all, y_all = load_split(args.data, "train")
    x_test, y_test = load_split(args.data, "t10k")
    x_test, y_test = x_test[:args.test_images], y_test[:args.test_images]
    perm = np.random.default_rng(args.seed).permutation(len(x_all))
    train_idx = perm[:len(x_all) - VAL_IMAGES][:args.train_images]
    val_idx = perm[len(x_all) - VAL_IMAGES:]
    x_train, y_train = x_all[train_idx], y_all[train_idx]
    x_val, y_val = x_all[val_idx], y_all[val_idx]
    print(f"tensorflow {tf.__version__}, keras {keras.__version__}, threads "
          f"{tf.config.threading.get_intra_op_parallelism_threads()} "
          f"(inter-op {tf.config.threading.get_inter_op_parallelism_threads()})"
          f", train {len(x_train)}, val {len(x_val)}, test {len(x_test)}",
          file=log)

    model = seed_cnn()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"])
    params = model.count_params()
    timer = EpochTimer()

    epochs = []
    for epoch in range(1, args.epochs + 1):
        tr_loss, tr_acc, tr_sec = train_epoch(model, x_train, y_train, timer)
        va_loss, va_acc, va_sec = evaluate(model, x_val, y_val)
        common.record_epoch(epochs, epoch, (tr_loss, tr_acc, tr_sec),
                            (va_loss, va_acc, va_sec), log)

    _, test_acc, _ = evaluate(model, x_test, y_test)
    forward = compiled_forward(model)
    x_test_t = tf.constant(x_test)
    images_per_s = inference_throughput(forward, x_test_t)
    p50, p99 = single_image_latency(forward, x_test_t,
                                    calls=args.latency_calls)

    result = {
        "framework": "keras",
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
        "threads": args.threads,
        "train_images": len(x_train),
        **common.timing_summary(epochs, images_per_s, p50, p99, test_acc),
        "params": params,
    }
    print(f"parameters: {params:,}", file=log)
    common.report(result, args.json, log)


if __name__ == "__main__":
    main()
