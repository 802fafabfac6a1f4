"""One segmentor training step in PyTorch on the same 3-D U-Net as src/models/unet.ts, for the
speed ratio in bench/trainStep.ts: 3x3x3 conv + BatchNorm (batch statistics) + ReLU per encoder
conv, 2x2x2 max-pooling between levels, 2x2x2 stride-2 transposed conv (channels kept) + skip concat
+ two convs to the skip's width per decoder level, 1x1x1 head; Dice-CE loss; AdamW.

usage: /usr/bin/python3 tools/torch_unet_step.py --patch 32 --batch 2 --encoder '[[4,8],[8,16]]' --steps 2
Prints one JSON line: {"seconds": median seconds per step, ...}.
"""
import argparse
import json
import statistics
import time

import torch

# The network and loss are torch_step.py's (the paper-step benchmark), with batch statistics here.
from torch_step import UNet, dice_ce


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--patch', type=int, default=32)
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--encoder', default='[[4,8],[8,16]]')
    ap.add_argument('--steps', type=int, default=2)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = UNet(json.loads(a.encoder), 1, 7, 'batch')
    opt = torch.optim.AdamW(net.parameters(), lr=3e-4, weight_decay=0.01)
    x = torch.rand(a.batch, 1, a.patch, a.patch, a.patch)
    y = torch.randint(0, 7, (a.batch, a.patch, a.patch, a.patch))

    def step():
        opt.zero_grad()
        loss = dice_ce(net(x), y, 7)
        loss.backward()
        opt.step()
        return loss.item()

    step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    print(json.dumps({'seconds': statistics.median(times), 'torch': torch.__version__, 'threads': a.threads}))


if __name__ == '__main__':
    main()
