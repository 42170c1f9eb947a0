#!/usr/bin/env python3
"""Markdown tables of a training run, for docs/RESULTS.md.

Usage: python3 scripts/run_tables.py RUN_DIR
Reads RUN_DIR/history.csv and RUN_DIR/test-report.json (from `fashion evaluate --json`)
and prints: a summary line, the per-class report, the confusion matrix and the
per-epoch history.
"""

import csv
import json
import os
import statistics
import sys


def main():
    run = sys.argv[1]
    rows = list(csv.DictReader(open(os.path.join(run, "history.csv"))))
    report = json.load(open(os.path.join(run, "test-report.json")))
    seconds = [float(r["seconds"]) for r in rows]
    best = max(rows, key=lambda r: float(r["val_accuracy"]))

    print(f"- epochs: {len(rows)}; best validation accuracy {100 * float(best['val_accuracy']):.2f}% "
          f"at epoch {best['epoch']} (the weights kept in model.safetensors)")
    print(f"- test accuracy {100 * report['accuracy']:.2f}%, mean test loss {report['loss']:.4f}")
    print(f"- seconds per training epoch: median {statistics.median(seconds):.1f}, "
          f"min {min(seconds):.1f}, max {max(seconds):.1f}; total {sum(seconds) / 60:.1f} min")
    print()
    print("| class | precision | recall | F1 | support |")
    print("|---|---:|---:|---:|---:|")
    for c in report["classes"]:
        print(f"| {c['name']} | {c['precision']:.4f} | {c['recall']:.4f} | {c['f1']:.4f} | {c['support']} |")
    print()
    names = [c["name"] for c in report["classes"]]
    print("Confusion matrix (rows = true class, columns = predicted):")
    print()
    print("| true \\ predicted | " + " | ".join(str(i) for i in range(len(names))) + " |")
    print("|---|" + "---:|" * len(names))
    for i, row in enumerate(report["confusion"]):
        print(f"| {i} {names[i]} | " + " | ".join(str(v) for v in row) + " |")
    print()
    print("| epoch | train loss | train acc | val loss | val acc | seconds |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['epoch']} | {float(r['train_loss']):.4f} | {100 * float(r['train_accuracy']):.2f}% | "
              f"{float(r['val_loss']):.4f} | {100 * float(r['val_accuracy']):.2f}% | {float(r['seconds']):.1f} |")


if __name__ == "__main__":
    main()
