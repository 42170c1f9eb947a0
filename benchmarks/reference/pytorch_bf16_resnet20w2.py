"""Time one training step of a resnet20-w2-shaped network (1,084,010 parameters) at batch 128 on
the CPU, float32 against bfloat16 autocast (oneDNN), to size what bf16 convolutions could buy
the `best` recipe. Synthetic input, no augmentation; median of 15 steps after 3 warm-up steps.

Usage: $VENV/bin/python benchmarks/reference/pytorch_bf16_resnet20w2.py [--threads 2]  (venv: setup_venv.sh)"""
import argparse, time, torch, torch.nn as nn, torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
torch.set_num_threads(parser.parse_args().threads)

class Block(nn.Module):
    def __init__(s, cin, cout, stride):
        super().__init__()
        s.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); s.bn1 = nn.BatchNorm2d(cout)
        s.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); s.bn2 = nn.BatchNorm2d(cout)
        s.down = None if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
    def forward(s, x):
        y = F.relu(s.bn1(s.conv1(x))); y = s.bn2(s.conv2(y))
        return F.relu(y + (x if s.down is None else s.down(x)))

def net():
    layers = [nn.Conv2d(1, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU()]
    cin = 32
    for width, stride in [(32, 1), (64, 2), (128, 2)]:
        for i in range(3):
            layers.append(Block(cin, width, stride if i == 0 else 1)); cin = width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))

torch.manual_seed(0)
model = net()
print("parameters", sum(p.numel() for p in model.parameters()))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
x = torch.rand(128, 1, 28, 28); y = torch.randint(0, 10, (128,))
for name, dtype in [("float32", None), ("bfloat16 autocast", torch.bfloat16)]:
    def step():
        opt.zero_grad()
        with torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
            loss = F.cross_entropy(model(x), y)
        loss.backward(); opt.step()
    for _ in range(3): step()
    times = []
    for _ in range(15):
        t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
    times.sort()
    ms = times[len(times) // 2] * 1000
    print(f"{name}: median step {ms:.1f} ms at batch 128 → {ms * 391 / 1000:.0f} s per 50,000-image epoch")
