"""TransNAS-Bench-101's encoder (its ``MacroNet`` backbone) and the per-task heads.

Encoder, for base width 64 and a skeleton of layer digits (micro space: ``41414``)::

    stem: conv3x3/2 (3 → 32) + BN, then ReLU-conv3x3/2-BN (32 → 64)
    per digit d: two blocks; the first doubles the channels when d ∈ {2, 4} and halves the
                 resolution when d ∈ {3, 4}; the second keeps both
    block: the micro cell (micro space) or a ResNet basic block (macro space)

Micro cell (NB201-like, 4 nodes, node j = sum of one edge from each earlier node): ops
``none`` (zeros of the output's shape), ``skip_connect`` (identity; a factorized reduction when
the edge leaves the input and the block changes channels or stride), ReLU-conv1×1-BN,
ReLU-conv3×3-BN; only edges leaving the input carry the block's stride and channel change.
Basic block: ReLU-conv3×3-BN (with the block's stride) → ReLU-conv3×3-BN, plus the input, or a
1×1 conv + BN of it when the shape changes (that BN has eps = momentum = 1, as in the
benchmark's code, which passes ``affine, track_running_stats`` positionally).

Heads (the benchmark's decoders), built for the task's input size H×W:

* ``classes`` / ``regression`` (class_object 100, class_scene 63, room_layout 9): global
  average pooling + linear;
* jigsaw: the image is cut into a 3×3 grid of tiles (its top-left ⌊H/3⌋·3 × ⌊W/3⌋·3 part),
  each tile runs through the encoder on its own (as the benchmark's Siamese network does),
  the nine feature maps are concatenated, pooled, and a linear layer gives 1,000 permutation
  logits;
* segmentsemantic: the benchmark's 8-layer conv/deconv segmentation decoder (17 classes);
* normal, autoencoder: the benchmark's 14-layer generative (pix2pix) decoder, 3 channels, tanh.

The benchmark decodes to 256×256 (Taskonomy images); here a dense head decodes to the input's
own size: ``log2(H / h)`` up-samplings from the h×h feature map (the benchmark's rule with the
target H instead of 256; 32×32 CIFAR inputs give 3–5), and a bilinear resize at the end when
H is not h·2^k. Modules are created in the benchmark's order; no init is applied here (the
harness applies the run's init; the benchmark itself used Kaiming-normal fan-out).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .arch import BASE, EDGES, N_NODES, MicroCode

# --------------------------------------------------------------------------- encoder ops


def _norm(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c, affine=True, track_running_stats=True) if bn else nn.Identity()


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, k: int, stride: int, bn: bool):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False),
            _norm(c_out, bn),
        )


class Zero(nn.Module):
    """Zeros shaped like the edge's output (channels ``c_out``, resolution ⌈H/stride⌉)."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.c_in, self.c_out, self.stride = c_in, c_out, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.c_in == self.c_out:
            return x[:, :, :: self.stride, :: self.stride].mul(0.0)
        n, _, h, w = x.shape
        return x.new_zeros((n, self.c_out, (h + 1) // self.stride, (w + 1) // self.stride))


class FactorizedReduce(nn.Module):
    """Two 1×1 convs (the second on the input shifted by one pixel, zero-padded), concat, BN."""

    def __init__(self, c_in: int, c_out: int, stride: int, bn: bool):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.convs = nn.ModuleList(
            nn.Conv2d(c_in, c, 1, stride=stride, bias=False) for c in (c_out // 2, c_out - c_out // 2)
        )
        self.bn = _norm(c_out, bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        y = F.pad(x, (0, 1, 0, 1))
        return self.bn(torch.cat([self.convs[0](x), self.convs[1](y[:, :, 1:, 1:])], dim=1))


def micro_op(op: int, c_in: int, c_out: int, stride: int, bn: bool) -> nn.Module:
    if op == 0:
        return Zero(c_in, c_out, stride)
    if op == 1:
        return nn.Identity() if stride == 1 and c_in == c_out else FactorizedReduce(c_in, c_out, stride, bn)
    if op in (2, 3):
        return ReLUConvBN(c_in, c_out, 1 if op == 2 else 3, stride, bn)
    raise ValueError(f"unknown TNB101 micro op {op}")


class MicroCell(nn.Module):
    def __init__(self, code: MicroCode, c_in: int, c_out: int, stride: int, bn: bool):
        super().__init__()
        self.edges = nn.ModuleList(
            micro_op(op, c_in, c_out, stride, bn) if i == 0 else micro_op(op, c_out, c_out, 1, bn)
            for op, (i, _) in zip(code, EDGES)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in range(1, N_NODES):
            total = None
            for e, (i, jj) in enumerate(EDGES):
                if jj == j:
                    out = self.edges[e](nodes[i])
                    total = out if total is None else total + out
            nodes.append(total)
        return nodes[-1]


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, bn: bool):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride, bn)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, bn)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            # The benchmark writes BatchNorm2d(planes, affine, track_running_stats): positionally
            # that is eps=1.0 and momentum=1.0; kept, since the published numbers were trained so.
            norm = nn.BatchNorm2d(c_out, eps=1.0, momentum=1.0) if bn else nn.Identity()
            self.downsample = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        return residual + self.conv_b(self.conv_a(x))


def layer_plan(skeleton: str, base: int = BASE) -> list[tuple[int, int, int]]:
    """(c_in, c_out, stride) of every block, in forward order."""
    plan, c = [], base
    for d in skeleton:
        d = int(d)
        c_out = 2 * c if d % 2 == 0 else c
        stride = 2 if d > 2 else 1
        plan += [(c, c_out, stride), (c_out, c_out, 1)]
        c = c_out
    return plan


def feature_side(side: int, skeleton: str) -> int:
    """Side of the encoder's output map for a ``side``-pixel input (each stride-2 step: ⌈s/2⌉)."""
    s = side
    for _ in range(2 + sum(int(d) > 2 for d in skeleton)):
        s = (s + 1) // 2
    return s


class Encoder(nn.Module):
    """The benchmark's backbone: stem, then the blocks of ``layer_plan``; ``blocks`` in order."""

    def __init__(self, skeleton: str, micro: MicroCode | None, bn: bool = True, base: int = BASE):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, base // 2, 3, stride=2, padding=1, bias=False),
            _norm(base // 2, bn),
            ReLUConvBN(base // 2, base, 3, 2, bn),
        )
        blocks = []
        for c_in, c_out, stride in layer_plan(skeleton, base):
            if micro is None:
                blocks.append(BasicBlock(c_in, c_out, stride, bn))
            else:
                blocks.append(MicroCell(micro, c_in, c_out, stride, bn))
        self.blocks = nn.ModuleList(blocks)
        self.c_out = layer_plan(skeleton, base)[-1][1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return x


# --------------------------------------------------------------------------- heads


class PoolLinear(nn.Module):
    """Global average pooling + linear: classification logits or a regression vector."""

    def __init__(self, c_in: int, n_out: int):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_in, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.avgpool(x), 1))


class ConvLayer(nn.Module):
    def __init__(
        self, c_in: int, c_out: int, act: nn.Module | None, bn: bool | None, transpose: bool = False
    ):
        super().__init__()
        if transpose:
            self.conv = nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1)
        else:
            self.conv = nn.Conv2d(c_in, c_out, 3, stride=1, padding=1)
        self.norm = None if bn is None else _norm(c_out, bn)
        self.activation = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        return x if self.activation is None else self.activation(x)


def _leaky() -> nn.Module:
    return nn.LeakyReLU(0.2, inplace=False)


def n_upsample(side_in: int, side_out: int) -> int:
    """The benchmark's rule, ``int(log2(out / in))``, kept inside its allowed 2…6."""
    return min(6, max(2, int(math.log2(max(side_out, 1) / max(side_in, 1)))))


class _Resize(nn.Module):
    def __init__(self, side: int):
        super().__init__()
        self.side = side

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] == self.side and x.shape[-2] == self.side:
            return x
        return F.interpolate(x, size=(self.side, self.side), mode="bilinear", align_corners=False)


class SegmentationDecoder(nn.Module):
    """The benchmark's segmentation decoder: conv → (6-u) convs → (u-1) deconvs → deconv → conv."""

    def __init__(self, c_in: int, side_in: int, side_out: int, n_classes: int, bn: bool):
        super().__init__()
        u = n_upsample(side_in, side_out)
        layers = [ConvLayer(c_in, 1024, _leaky(), bn)]
        c = 1024
        for _ in range(6 - u):
            layers.append(ConvLayer(c, c // 2, _leaky(), bn))
            c //= 2
        for _ in range(u - 1):
            layers.append(ConvLayer(c, c // 2, _leaky(), bn, transpose=True))
            c //= 2
        layers.append(ConvLayer(c, c, _leaky(), bn, transpose=True))
        layers.append(ConvLayer(c, n_classes, None, None))
        self.model = nn.Sequential(*layers)
        self.resize = _Resize(side_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.resize(self.model(x))


class GenerativeDecoder(nn.Module):
    """The benchmark's pix2pix decoder: 14 conv/deconv layers, up-sampling u times, tanh output."""

    def __init__(self, c_in: int, side_in: int, side_out: int, n_out: int, bn: bool):
        super().__init__()
        u = n_upsample(side_in, side_out)
        spec = [  # (c_in, c_out, transposed?)
            (c_in, 1024, False),
            (1024, 1024, False),
            (1024, 512, u == 6),
            (512, 512, False),
            (512, 256, u >= 5),
            (256, 128, False),
            (128, 64, u >= 4),
            (64, 64, False),
            (64, 32, u >= 3),
            (32, 32, False),
            (32, 16, True),
            (16, 32, False),
            (32, 16, True),
        ]
        layers = [ConvLayer(a, b, _leaky(), bn, transpose=t) for a, b, t in spec]
        layers.append(ConvLayer(16, n_out, nn.Tanh(), None))
        self.model = nn.Sequential(*layers)
        self.resize = _Resize(side_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.resize(self.model(x))


def tiles(x: torch.Tensor, grid: int = 3) -> list[torch.Tensor]:
    """The image's grid×grid tiles, row-major (the benchmark's jigsaw pieces, unpermuted)."""
    th, tw = x.shape[-2] // grid, x.shape[-1] // grid
    return [x[:, :, r * th : (r + 1) * th, c * tw : (c + 1) * tw] for r in range(grid) for c in range(grid)]


class TNB101Network(nn.Module):
    """Encoder + task head; ``forward`` returns the task's output.

    ``features`` is the encoder (its output is the feature map the head reads) and ``head``
    the decoder. For jigsaw the forward runs the encoder on each of the nine tiles.
    """

    def __init__(self, encoder: Encoder, head: nn.Module, jigsaw: bool = False):
        super().__init__()
        self.features = encoder
        self.head = head
        self.jigsaw = jigsaw

    @property
    def stem(self) -> nn.Module:
        return self.features.stem

    @property
    def cells(self) -> nn.ModuleList:
        return self.features.blocks

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.jigsaw:
            return self.head(torch.cat([self.features(t) for t in tiles(x)], dim=1))
        return self.head(self.features(x))


def build_network(
    skeleton: str, micro: MicroCode | None, task: str, n_out: int, side: int, *, bn: bool = True
) -> TNB101Network:
    """The network for one task on ``side``×``side`` inputs (``n_out`` classes/channels/values)."""
    encoder = Encoder(skeleton, micro, bn)
    tile = side // 3 if task == "jigsaw" else side
    head = build_head(task, encoder.c_out, feature_side(tile, skeleton), side, n_out, bn=bn)
    return TNB101Network(encoder, head, jigsaw=task == "jigsaw")


def build_head(task: str, c: int, h: int, side: int, n_out: int, *, bn: bool = True) -> nn.Module:
    """The task's head on a ``c``×h×h feature map of a ``side``-pixel input."""
    if task == "jigsaw":
        return PoolLinear(9 * c, n_out)
    if task == "segmentsemantic":
        return SegmentationDecoder(c, h, side, n_out, bn)
    if task in ("normal", "autoencoder"):
        return GenerativeDecoder(c, h, side, n_out, bn)
    return PoolLinear(c, n_out)
