"""Forward time of the paper-size networks in PyTorch, for the ratios in bench/paperForward.ts:
the generator's U-Net (tools/torch_unet_step.py's mirror of src/models/unet.ts, paper widths,
3 outputs) and MONAI 1.3.0's SwinUNETR with FreeTumor's arguments (feature size 48, use_v2).

MONAI is not a Debian package and this machine reaches no PyPI: point MONAI_PATH at a checkout of
MONAI's tag 1.3.0 (its `monai/` folder's parent). einops, which SwinUNETR imports for two axis
permutations, is replaced by a permute-only stand-in when it is not installed — it does no maths.

usage: MONAI_PATH=/tmp/monai130 /usr/bin/python3 tools/torch_forward.py --net swinunetr --size 96 --threads 2
Prints one JSON line: {"net", "size", "seconds" (median of --runs after one warm-up), "peakRssMiB", ...}.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time
import types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def einops_stand_in():
    try:
        import einops  # noqa: F401
        return
    except ImportError:
        pass
    perms = {
        'b c d h w -> b d h w c': (0, 2, 3, 4, 1), 'n c d h w -> n d h w c': (0, 2, 3, 4, 1),
        'b d h w c -> b c d h w': (0, 4, 1, 2, 3), 'n d h w c -> n c d h w': (0, 4, 1, 2, 3),
    }
    mod = types.ModuleType('einops')
    mod.rearrange = lambda x, pattern: x.permute(*perms[pattern])
    sys.modules['einops'] = mod


def build(net, out_channels):
    if net == 'unet':
        from torch_unet_step import UNet
        return UNet([[32, 64], [64, 128], [128, 256], [256, 512]], cin=1, cout=out_channels)
    path = os.environ.get('MONAI_PATH')
    if path:
        sys.path.insert(0, path)
    einops_stand_in()
    from monai.networks.nets import SwinUNETR
    return SwinUNETR(img_size=(96, 96, 96), in_channels=1, out_channels=out_channels, feature_size=48,
                     drop_rate=0.0, attn_drop_rate=0.0, dropout_path_rate=0.0, use_v2=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--net', choices=['unet', 'swinunetr'], required=True)
    ap.add_argument('--size', type=int, default=96)
    ap.add_argument('--out', type=int, default=7)
    ap.add_argument('--runs', type=int, default=2)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = build(a.net, a.out).eval()
    x = torch.rand(1, 1, a.size, a.size, a.size)
    times = []
    with torch.no_grad():
        model(x)
        for _ in range(a.runs):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    print(json.dumps({
        'net': a.net, 'size': a.size, 'seconds': statistics.median(times), 'runs': a.runs,
        'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'params': sum(p.numel() for p in model.parameters()), 'torch': torch.__version__, 'threads': a.threads,
    }))


if __name__ == '__main__':
    main()
