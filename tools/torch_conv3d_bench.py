"""PyTorch reference timings for bench/conv3d.ts (run with Debian's /usr/bin/python3 + python3-torch).

Same shapes and network as the TypeScript bench; prints one JSON object on stdout. Usage:
  /usr/bin/python3 tools/torch_conv3d_bench.py '{"kernelSize":32,"channels":16,"stepSize":32,"reps":3,"threads":2}'
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def timed(fn, reps):
    fn()  # warm-up (allocator, kernel selection)
    best = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best.append(time.perf_counter() - t)
    return min(best)  # best of reps: the machine is shared, contention only adds time


def main():
    cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    s = cfg.get("kernelSize", 32)
    c = cfg.get("channels", 16)
    ss = cfg.get("stepSize", 32)
    reps = cfg.get("reps", 3)
    torch.set_num_threads(cfg.get("threads", 2))
    torch.manual_seed(0)
    blas = [l.split("BLAS_INFO=")[1].split(",")[0] for l in torch.__config__.show().splitlines() if "BLAS_INFO=" in l]
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas[0] if blas else "?", "kernels": {}}

    x = torch.randn(1, c, s, s, s)
    w = torch.randn(c, c, 3, 3, 3)
    y = F.conv3d(x, w, padding=1)
    dy = torch.randn_like(y)
    k = out["kernels"]
    k["Conv3D"] = timed(lambda: F.conv3d(x, w, padding=1), reps)
    # F.conv3d on this Debian build (BLAS_INFO=generic: the reference libblas3) takes a slow
    # im2col path for these widths; oneDNN's kernel is in the same build and is what a tuned
    # PyTorch uses, so it is timed too (forward only: autograd does not route through it).
    k["Conv3D_mkldnn"] = timed(lambda: torch.mkldnn_convolution(x, w, None, [1, 1, 1], [1, 1, 1], [1, 1, 1], 1), reps)
    k["Conv3DBackpropInputV2"] = timed(lambda: torch.nn.grad.conv3d_input(x.shape, w, dy, padding=1), reps)
    k["Conv3DBackpropFilterV2"] = timed(lambda: torch.nn.grad.conv3d_weight(x, w.shape, dy, padding=1), reps)
    # The transposed conv the decoder uses (k = stride = 2): input s/2, output s.
    xt = torch.randn(1, c, s // 2, s // 2, s // 2)
    wt = torch.randn(c, c, 2, 2, 2)
    k["Conv3DTranspose2x"] = timed(lambda: F.conv_transpose3d(xt, wt, stride=2), reps)

    # The bench's U-Net: enc [[16,16],[32,32]], no norm, relu, transposed-conv up, 1x1 head, 2 classes.
    def conv(cin, cout, kk=3):
        m = torch.nn.Conv3d(cin, cout, kk, padding=kk // 2)
        return m

    net = torch.nn.ModuleDict({
        "e00": conv(1, 16), "e01": conv(16, 16), "e10": conv(16, 32), "e11": conv(32, 32),
        "up": torch.nn.ConvTranspose3d(32, 32, 2, stride=2),
        "d0": conv(48, 16), "d1": conv(16, 16), "head": conv(16, 2, 1),
    })

    def forward(v):
        h = F.relu(net["e01"](F.relu(net["e00"](v))))
        skip = h
        h = F.max_pool3d(h, 2)
        h = F.relu(net["e11"](F.relu(net["e10"](h))))
        h = torch.cat([net["up"](h), skip], 1)
        h = F.relu(net["d1"](F.relu(net["d0"](h))))
        return net["head"](h)

    xs = torch.randn(1, 1, ss, ss, ss)
    target = torch.randn(1, 2, ss, ss, ss)

    def step():
        net.zero_grad(set_to_none=True)
        loss = ((forward(xs) - target) ** 2).mean()
        loss.backward()

    out["step"] = timed(step, reps)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
