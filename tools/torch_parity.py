#!/usr/bin/python3
"""PyTorch reference for src/models (parity fixture).

Builds the same 3-D U-Net (names as in src/models/torchNames.ts), Eq. 1 synthesis with a 7^3
Gaussian, the stage-2 losses and Dice-CE, runs them on fixed random inputs and writes weights,
inputs, outputs and generator gradients to one safetensors file that
src/models/torchParity.test.ts replays in TensorFlow.js.

Run with Debian's torch (apt-get install python3-torch):
    /usr/bin/python3 tools/torch_parity.py src/models/fixtures/torchParity.safetensors
Layouts: tensors named input.* / output.* are channels-last [B, z, y, x, C] like the TS side;
weight.* / grad.* are in PyTorch layout.
"""
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
torch.set_num_threads(2)

D = 12
B = 2
ENCODER = [[2, 4], [4, 8]]
EPS = 1e-5
TUMOUR = [2, 4, 6]
LAMBDA = 0.1


class Norm(nn.Module):
    """Batch norm that always uses the batch statistics (Models Genesis' ContBatchNorm3d)."""

    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(1 + 0.2 * torch.randn(c))
        self.bias = nn.Parameter(0.2 * torch.randn(c))

    def forward(self, x):
        return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, EPS)


class Stage(nn.Module):
    pass


class UNet(nn.Module):
    def __init__(self, cin, cout, encoder):
        super().__init__()
        self.encoder = encoder
        c = cin
        skips = []
        for l, widths in enumerate(encoder):
            st = Stage()
            for i, w in enumerate(widths):
                setattr(st, f"conv{i}", nn.Conv3d(c, w, 3, padding=1))
                setattr(st, f"norm{i}", Norm(w))
                c = w
            setattr(self, f"enc{l}", st)
            skips.append(c)
        for l in range(len(encoder) - 2, -1, -1):
            st = Stage()
            st.up = nn.ConvTranspose3d(c, c, 2, stride=2)
            w = skips[l]
            st.conv0 = nn.Conv3d(c + w, w, 3, padding=1)
            st.norm0 = Norm(w)
            st.conv1 = nn.Conv3d(w, w, 3, padding=1)
            st.norm1 = Norm(w)
            setattr(self, f"dec{l}", st)
            c = w
        self.head = nn.Conv3d(c, cout, 1)
        for n, p in self.named_parameters():
            if n.endswith(".bias"):
                with torch.no_grad():
                    p.copy_(0.1 * torch.randn_like(p))

    def forward(self, x):
        skips = []
        h = x
        for l, widths in enumerate(self.encoder):
            if l > 0:
                h = F.max_pool3d(h, 2)
            st = getattr(self, f"enc{l}")
            for i in range(len(widths)):
                h = F.relu(getattr(st, f"norm{i}")(getattr(st, f"conv{i}")(h)))
            skips.append(h)
        for l in range(len(self.encoder) - 2, -1, -1):
            st = getattr(self, f"dec{l}")
            h = torch.cat([st.up(h), skips[l]], 1)
            h = F.relu(st.norm0(st.conv0(h)))
            h = F.relu(st.norm1(st.conv1(h)))
        return self.head(h)


def gaussian_kernel(size=7, sigma=1.0):
    r = (size - 1) / 2
    t = torch.tensor([math.exp(-((i - r) ** 2) / (2 * sigma * sigma)) for i in range(size)], dtype=torch.float64)
    t = t / t.sum()
    k = t[:, None, None] * t[None, :, None] * t[None, None, :]
    return k.float()[None, None]


def blur(x, size=7, sigma=1.0):
    # Zero padding, kernel normalised over its full extent (as gaussianBlur.ts).
    b, c = x.shape[:2]
    y = F.conv3d(x.reshape(b * c, 1, *x.shape[2:]), gaussian_kernel(size, sigma), padding=size // 2)
    return y.reshape(x.shape)


def synthesize(g, image, soft, texture, organ):
    sel = torch.stack([torch.tanh(g[b, organ[b]]) for b in range(g.shape[0])])[:, None]
    changed = image - soft * blur(sel) * texture
    return torch.where(soft > 0, changed, image)


def masked_mean(v, m):
    n = m.sum()
    return (v * m).sum() / torch.clamp(n, min=1), (n > 0).float()


def tumour_prob(logits):
    return F.softmax(logits, 1)[:, TUMOUR].sum(1, keepdim=True)


def seg_loss(logits, m, form="reference"):
    miss = 1 - tumour_prob(logits)
    mean, present = masked_mean(miss if form == "reference" else miss ** 2, m)
    return mean * present


def adv_loss(c_logits, m):
    mean, present = masked_mean(F.softmax(c_logits, 1)[:, 1:2], m)
    return (1 - mean) * present


def cls_loss(c_logits, syn, real):
    p = F.softmax(c_logits, 1)
    s, sp = masked_mean(p[:, 2:3], syn)
    r, rp = masked_mean(p[:, 1:2], real)
    return ((1 - s) * sp + (1 - r) * rp) / torch.clamp(sp + rp, min=1)


def dice_ce_per_sample(logits, labels, smooth_nr=0.0, smooth_dr=1e-6):
    k = logits.shape[1]
    y = F.one_hot(labels.long(), k).permute(0, 4, 1, 2, 3).float()
    logp = F.log_softmax(logits, 1)
    ce = -(logp * y).sum(1).mean((1, 2, 3))
    p = logp.exp()[:, 1:]
    yf = y[:, 1:]
    inter = (p * yf).sum((2, 3, 4))
    den = (p * p).sum((2, 3, 4)) + (yf * yf).sum((2, 3, 4))
    dice = 1 - (2 * inter + smooth_nr) / (den + smooth_dr)
    return dice.mean(1) + ce


def ball(c, r):
    z, y, x = np.meshgrid(np.arange(D), np.arange(D), np.arange(D), indexing="ij")
    return (((z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2) <= r * r).astype(np.float32)


def cl(t):  # [B, C, z, y, x] -> channels-last numpy
    return t.detach().permute(0, 2, 3, 4, 1).contiguous().numpy()


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    off = 0
    blobs = []
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        dtype = {np.dtype("float32"): "F32", np.dtype("int32"): "I32"}[a.dtype]
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - (len(h) + 8) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main(path):
    G = UNet(1, 3, ENCODER)
    S = UNet(1, 7, ENCODER)
    C = UNet(1, 3, ENCODER)
    image = torch.rand(B, 1, D, D, D)
    m = torch.from_numpy(np.stack([ball((6, 6, 6), 3), ball((5, 7, 6), 2.5)]))[:, None]
    soft = blur(m, 7, 1.5)
    texture = 0.04 + 0.22 * torch.rand(B, 1, D, D, D)
    real = torch.zeros(B, 1, D, D, D)
    real[:, :, :2] = 1
    labels = torch.randint(0, 7, (B, D, D, D), dtype=torch.int32)
    labels[m[:, 0] > 0] = 2
    organ = [0, 2]

    g = G(image)
    xhat = synthesize(g, image, soft, texture, organ)
    s_logits = S(xhat)
    c_logits = C(xhat)
    l_seg = seg_loss(s_logits, m)
    l_adv = adv_loss(c_logits, m)
    l_g = l_seg + LAMBDA * l_adv
    per = dice_ce_per_sample(s_logits, labels)
    losses = torch.stack([
        l_seg, l_adv, l_g, seg_loss(s_logits, m, "euclidean"), cls_loss(c_logits, m, real), per.mean(),
        (per * torch.tensor([0.4, 1.0])).mean(),
    ])
    grads = torch.autograd.grad(l_g, list(G.parameters()))

    out = {}
    for tag, net in (("G", G), ("S", S), ("C", C)):
        for n, p in net.named_parameters():
            out[f"weight.{tag}.{n}"] = p.detach().numpy()
    for (n, _), gr in zip(G.named_parameters(), grads):
        out[f"grad.G.{n}"] = gr.numpy()
    out["input.image"] = cl(image)
    out["input.synthMask"] = cl(m)
    out["input.softMask"] = cl(soft)
    out["input.texture"] = cl(texture)
    out["input.realMask"] = cl(real)
    out["input.labels"] = labels.numpy().astype(np.int32)
    out["input.organChannel"] = np.array(organ, dtype=np.int32)
    out["output.generator"] = cl(g)
    out["output.synthesis"] = cl(xhat)
    out["output.segmentor"] = cl(s_logits)
    out["output.classifier"] = cl(c_logits)
    out["output.losses"] = losses.detach().numpy().astype(np.float32)
    meta = {"encoder": json.dumps(ENCODER), "torch": torch.__version__, "losses": "seg,adv,gen,segEuclidean,cls,diceCE,diceCEweighted"}
    write_safetensors(path, out, meta)
    print(f"wrote {path}: {len(out)} tensors; losses {losses.detach().numpy()}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "src/models/fixtures/torchParity.safetensors")
