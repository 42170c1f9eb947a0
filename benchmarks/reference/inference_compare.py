"""Inference of one trained seed-cnn checkpoint (a `fashion train` safetensors file) in PyTorch
(fp32, bf16 autocast) and onnxruntime (fp32, and int8 after static post-training quantization):
test accuracy and images/s at batch 256 (best of 3 passes over the test images), on the same CPU
threads as the Swift program.

The weights are exported to ONNX here (torch.onnx.export); int8 is onnxruntime's
quantize_static: QDQ format, int8 weights per output channel, uint8 activations with ranges
calibrated (MinMax) on the first --calibrate training images, the same images `fashion
quantize --calibrate N` uses.

Usage: $VENV/bin/python benchmarks/reference/inference_compare.py --weights W [--threads 2]
       [--calibrate 1000] [--json]"""

import argparse
import json
import os
import sys
import tempfile

import numpy as np
import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
from seed_cnn import SeedCNN  # noqa: E402


def throughput(run, x):
    """common.throughput with a 30-s budget: PyTorch's bf16 autocast on a CPU without bf16
    instructions is ~20x slower than fp32."""
    return common.throughput(run, x, budget=30.0)


def accuracy(run, x, y):
    correct = 0
    for i in range(0, len(x), common.EVAL_BATCH_SIZE):
        correct += int((np.asarray(run(x[i:i + common.EVAL_BATCH_SIZE])).argmax(1) == y[i:i + common.EVAL_BATCH_SIZE]).sum())
    return correct / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", required=True, help="seed-cnn safetensors from `fashion train`")
    p.add_argument("--data", default=os.environ.get("FASHION_MNIST_DIR", common.DEFAULT_DATA))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--calibrate", type=int, default=1000, help="training images for int8 activation ranges")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    log = sys.stderr
    torch.set_num_threads(args.threads)

    test_x, test_y = common.load_part(args.data, "t10k")
    train_x, _ = common.load_part(args.data, "train")
    test_x = test_x[:, None]
    calibration = train_x[:args.calibrate, None]

    model = SeedCNN()
    state = {k: v for k, v in load_file(args.weights).items() if k in model.state_dict()}
    model.load_state_dict(state)
    model.eval()
    rows = []

    tx = torch.from_numpy(test_x)
    with torch.no_grad():
        fp32 = lambda b: model(b).numpy()  # noqa: E731
        rows.append(("pytorch fp32", throughput(fp32, tx), accuracy(fp32, tx, test_y)))

        def bf16(b):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return model(b).float().numpy()
        rows.append(("pytorch bf16 autocast", throughput(bf16, tx), accuracy(bf16, tx, test_y)))

    import onnxruntime as ort
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    work = tempfile.mkdtemp(prefix="fashion-onnx-")
    fp32_path, pre_path, int8_path = (os.path.join(work, n) for n in ("fp32.onnx", "pre.onnx", "int8.onnx"))
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), fp32_path, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "n"}, "logits": {0: "n"}}, dynamo=False)

    class Calibration(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{"x": calibration[i:i + 64]} for i in range(0, len(calibration), 64)])

        def get_next(self):
            return next(self.batches, None)

    quant_pre_process(fp32_path, pre_path)
    quantize_static(pre_path, int8_path, Calibration(), quant_format=QuantFormat.QDQ, per_channel=True,
                    weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    for name, path in (("onnxruntime fp32", fp32_path), ("onnxruntime int8", int8_path)):
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        run = lambda b, s=session: s.run(None, {"x": b})[0]  # noqa: E731
        rows.append((name, throughput(run, test_x), accuracy(run, test_x, test_y)))

    for name, ips, acc in rows:
        print(f"{name:<24} {ips:>9.0f} images/s  test accuracy {acc:.4f}", file=log)
    if args.json:
        print(json.dumps({"torch": torch.__version__, "onnxruntime": ort.__version__, "threads": args.threads,
                          "calibration_images": args.calibrate,
                          "rows": [{"framework": n, "images_per_second": i, "test_accuracy": a} for n, i, a in rows]}))


if __name__ == "__main__":
    main()
