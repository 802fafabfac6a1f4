"""One stage-1 segmentor training step in PyTorch on the U-Net of src/models/unet.ts, for the ratio
in bench/paperStep.ts: forward, Dice-CE (the project's diceCELoss: CE + mean Dice over the
foreground classes, squared predictions, smooth 0 / 1e-6), backward to every weight, and an AdamW
update with the stage-1 settings (lr 3e-4, weight decay 0.01, betas (0.9, 0.999), eps 1e-8,
AMSGrad). Architecture as unet.ts: per encoder conv a 3x3x3 conv + norm (affine) + ReLU, 2x2x2
max-pooling between levels, a 2x2x2 stride-2 transposed conv keeping the channels, concat with the
skip, two convs to the skip's width, 1x1x1 head. `--norm instance` is the U-Net segmentor's
(InstanceNorm3d with affine weights, as unet.ts's gamma/beta); `batch` uses batch statistics.

usage: /usr/bin/python3 tools/torch_step.py --encoder '[[32,64],[64,128],[128,256],[256,512]]'
           --size 64 --batch 1 --classes 7 [--norm instance] [--steps 1] [--threads N] [--device cpu|cuda]
Prints one JSON line: {"seconds": median of --steps timed steps after one warm-up step at the
same size, "params", "torch", "threads", "device", "peakRssMiB", ...}.
"""
import argparse
import json
import os
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout, norm):
    n = nn.InstanceNorm3d(cout, affine=True) if norm == 'instance' else nn.BatchNorm3d(cout, track_running_stats=False)
    return nn.Sequential(nn.Conv3d(cin, cout, 3, padding=1), n, nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, encoder, cin, cout, norm):
        super().__init__()
        self.down = nn.ModuleList()
        c = cin
        for level in encoder:
            layers = []
            for w in level:
                layers.append(block(c, w, norm))
                c = w
            self.down.append(nn.Sequential(*layers))
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for level in reversed(encoder[:-1]):
            skip = level[-1]
            self.up.append(nn.ConvTranspose3d(c, c, 2, stride=2))
            self.dec.append(nn.Sequential(block(c + skip, skip, norm), block(skip, skip, norm)))
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
    logp = torch.log_softmax(logits, 1)
    oh = F.one_hot(label, k).permute(0, 4, 1, 2, 3).to(logits.dtype)
    ce = -(logp * oh).sum(1).mean((1, 2, 3))
    p = logp.exp()
    dims = (2, 3, 4)
    inter = (p * oh).sum(dims)
    den = (p * p).sum(dims) + (oh * oh).sum(dims)
    dice = 1 - (2 * inter) / (den + 1e-6)
    return (dice[:, 1:].mean(1) + ce).mean()


def ball_label(batch, size, classes):
    """Background 1 (an organ), a centred ball of class 2: the label bench/paperStep.ts builds."""
    r = torch.arange(size, dtype=torch.float32) - size / 2
    d2 = r[:, None, None] ** 2 + r[None, :, None] ** 2 + r[None, None, :] ** 2
    one = torch.where(d2 < (size / 6) ** 2, 2, 1).clamp(max=classes - 1)
    return one.expand(batch, size, size, size).contiguous()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--encoder', default='[[32,64],[64,128],[128,256],[256,512]]')
    ap.add_argument('--size', type=int, default=64)
    ap.add_argument('--batch', type=int, default=1)
    ap.add_argument('--classes', type=int, default=7)
    ap.add_argument('--norm', choices=['instance', 'batch'], default='instance')
    ap.add_argument('--steps', type=int, default=1)
    ap.add_argument('--threads', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    net = UNet(json.loads(a.encoder), 1, a.classes, a.norm).to(dev)
    opt = torch.optim.AdamW(net.parameters(), lr=3e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, amsgrad=True)
    x = torch.rand(a.batch, 1, a.size, a.size, a.size, device=dev)
    y = ball_label(a.batch, a.size, a.classes).to(dev)

    def sync():
        if dev.type == 'cuda':
            torch.cuda.synchronize()

    opt_times = []

    def step():
        opt.zero_grad(set_to_none=True)
        loss = dice_ce(net(x), y, a.classes)
        loss.backward()
        sync()
        t0 = time.perf_counter()
        opt.step()
        sync()
        opt_times.append(time.perf_counter() - t0)
        return loss.item()  # waits for the device, as the tfjs step's loss read does

    step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    out = {
        'seconds': statistics.median(times), 'optimizerSeconds': statistics.median(opt_times[1:]), 'steps': a.steps, 'size': a.size, 'batch': a.batch,
        'params': sum(p.numel() for p in net.parameters()), 'norm': a.norm,
        'torch': torch.__version__, 'threads': a.threads, 'device': str(dev),
        'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if dev.type == 'cuda':
        out['deviceName'] = torch.cuda.get_device_name(dev)
        out['peakDeviceMiB'] = torch.cuda.max_memory_allocated(dev) / 2 ** 20
    print(json.dumps(out))


if __name__ == '__main__':
    main()
