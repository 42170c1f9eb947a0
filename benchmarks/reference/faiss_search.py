"""Exact inner-product search with FAISS IndexFlatIP on the vectors of a fashion catalogue file,
timed as `fashion index bench` times ours: single queries one at a time, then batches.

  python faiss_search.py --index train.index --queries test.index [--single 200] [--count 2048] [--batch 256] [--k 10] [--threads 2]
  python faiss_search.py --make-random 1000000 --dimension 128 --seed 1 --out random.index

The second form writes random unit vectors in the catalogue format (safetensors; see
Sources/Similarity/IndexFile.swift) so both engines search the same vectors.
"""
import argparse
import json
import time

import numpy as np
from safetensors.numpy import load_file, save_file


def resident_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def live_vectors(path):
    tensors = load_file(path)
    return np.ascontiguousarray(tensors["vectors"][tensors["live"] == 1], dtype=np.float32)


def make_random(n, d, seed, out):
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, d), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = "".join(f"random:{i}\n" for i in range(n)).encode()
    save_file({
        "vectors": vectors,
        "probabilities": np.zeros(n, np.float32),
        "labels": np.full(n, -1, np.int32),
        "content_hashes": np.zeros((n, 8), np.uint8),
        "live": np.ones(n, np.uint8),
        "ids": np.frombuffer(ids, np.uint8),
    }, out, metadata={"format": "fashion-catalog", "format_version": "1", "model": "random", "weights_sha256": "",
                      "weights": "", "layer": "random", "classes": json.dumps([]), "dimension": str(d)})
    print(f"wrote {n} random unit vectors of {d} values (seed {seed}) → {out}")


def bench(args):
    import faiss
    faiss.omp_set_num_threads(args.threads)
    base = resident_mib()
    vectors = live_vectors(args.index)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    queries = np.ascontiguousarray(vectors[: args.count]) if args.queries is None else None
    del vectors
    after = resident_mib()
    if queries is None:
        queries = live_vectors(args.queries)
    raw = index.ntotal * index.d * 4 / 2**20
    print(f"faiss {faiss.__version__} IndexFlatIP: {index.ntotal} vectors × {index.d}, raw vectors {raw:.1f} MiB, "
          f"index memory (resident growth while loading and adding) {after - base:.1f} MiB ({(after - base) / raw:.2f}×), "
          f"{args.threads} threads")
    def take(n, start=0):
        rows = (np.arange(n) + start) % len(queries)
        return np.ascontiguousarray(queries[rows])
    index.search(take(1), args.k)  # warm-up
    singles = [take(1, i) for i in range(args.single)]
    started = time.perf_counter()
    for q in singles:
        index.search(q, args.k)
    seconds = time.perf_counter() - started
    print(f"single queries: {args.single} in {seconds:.3f} s, {seconds * 1000 / args.single:.2f} ms/query, "
          f"{args.single / seconds:.1f} queries/s")
    batches = [take(min(args.batch, args.count - s), s) for s in range(0, args.count, args.batch)]
    started = time.perf_counter()
    for q in batches:
        index.search(q, args.k)
    seconds = time.perf_counter() - started
    print(f"batches of {args.batch}: {args.count} queries in {seconds:.3f} s, {args.count / seconds:.1f} queries/s")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--index")
    p.add_argument("--queries")
    p.add_argument("--single", type=int, default=200)
    p.add_argument("--count", type=int, default=2048)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--make-random", type=int)
    p.add_argument("--dimension", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out")
    args = p.parse_args()
    if args.make_random:
        make_random(args.make_random, args.dimension, args.seed, args.out)
    else:
        bench(args)


if __name__ == "__main__":
    main()
