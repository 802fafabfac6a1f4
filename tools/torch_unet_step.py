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
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout):
    return nn.Sequential(nn.Conv3d(cin, cout, 3, padding=1), nn.BatchNorm3d(cout, track_running_stats=False), nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, encoder, cin=1, cout=7):
        super().__init__()
        self.down = nn.ModuleList()
        c = cin
        for level in encoder:
            layers = []
            for w in level:
                layers.append(block(c, w))
                c = w
            self.down.append(nn.Sequential(*layers))
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for level in reversed(encoder[:-1]):
            skip = level[-1]
            self.up.append(nn.ConvTranspose3d(c, c, 2, stride=2))
            self.dec.append(nn.Sequential(block(c + skip, skip), block(skip, skip)))
            c = skip
        self.head = nn.Conv3d(c, cout, 1)

    def forward(self, x):
        skips = []
        for n, d in enumerate(self.down):
            if n:
                x = F.max_pool3d(x, 2)
            x = d(x)
            skips.append(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips[:-1])):
            x = dec(torch.cat([up(x), skip], 1))
        return self.head(x)


def dice_ce(logits, label, k):
    ce = F.cross_entropy(logits, label)
    p = torch.softmax(logits, 1)
    oh = F.one_hot(label, k).permute(0, 4, 1, 2, 3).float()
    dims = (2, 3, 4)
    inter = (p * oh).sum(dims)
    den = (p * p).sum(dims) + (oh * oh).sum(dims)
    dice = 1 - (2 * inter) / (den + 1e-6)
    return ce + dice[:, 1:].mean()


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
    net = UNet(json.loads(a.encoder))
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
