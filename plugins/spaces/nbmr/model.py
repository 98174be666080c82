"""The NAS-Bench-MR network in its classification form, as a plain ``torch.nn.Module``.

Written from the description of the official ``MultiResolutionNet`` (dingmyu/NCP,
``models/supernet.py``) with its defaults (BasicBlock, ReLU, only neighbouring branches fused,
direct stride-2 downsampling):

* **stem**: two 3×3 stride-2 conv-BN-ReLU, 3 → ic0 → ic1 (1/4 of the input side);
* **modules**, each a fuse step then parallel branches. Fuse: output branch i sums, over the
  input branches j ∈ {i−1, i, i+1}, a 3×3 conv-BN-ReLU (j = i), a 3×3 stride-2 conv-BN-ReLU
  (j = i−1) or a 1×1 conv-BN-ReLU followed by nearest ×2 upsampling (j = i+1), each mapping
  the widths c_in[j] → c_out[i]; a ReLU follows the sum. A module with one branch more than
  the previous adds it as a 3×3 stride-2 conv-BN-ReLU of the new previous branch. Branch k
  then runs ``blocks[k]`` ResNet basic blocks (conv3x3-BN-ReLU-conv3x3-BN + identity, ReLU)
  at 1/2^k of the stem's side;
* **head**: every branch resized (bilinear) to the side of the last, lowest-resolution branch
  and concatenated, a 1×1 conv-BN-ReLU to ``last_channel``, global average pooling and a 1×1
  conv classifier (with bias).

The head is the official network's classification mode (``task != 'segmentation'``): it resizes
to the *lowest* resolution, not up to branch 0 as the segmentation mode does. The benchmark's
FLOPs are those of this form (``cost.py``: equal for all 2,507 networks at 128×128 with 50
classes), not of the segmentation mode. Sizes that do not halve evenly are matched by the
bilinear resize. BatchNorm layers are affine and track
running stats (``nn.Identity`` with ``bn=False``); every ReLU is out-of-place. Weights keep
PyTorch's default initialization (the official code uses Kaiming-normal fan-out; the run's
``init`` decides here).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .arch import Module, Setting


def _norm(channels: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(channels) if bn else nn.Identity()


class ConvBNReLU(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, bn: bool):
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2, bias=False),
            _norm(c_out, bn),
            nn.ReLU(inplace=False),
        )


class BasicBlock(nn.Module):
    def __init__(self, channels: int, bn: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn1 = _norm(channels, bn)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = _norm(channels, bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + x)


def _resize(x: torch.Tensor, size: torch.Size) -> torch.Tensor:
    return x if x.shape[2:] == size else F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class Fuse(nn.Module):
    """Exchange between neighbouring branches, then any new lower-resolution branch."""

    def __init__(self, c_in: tuple[int, ...], c_out: tuple[int, ...], bn: bool):
        super().__init__()
        self.n_in, self.n_out = len(c_in), len(c_out)
        self.n_fused = min(self.n_in, self.n_out)
        self.paths = nn.ModuleDict()
        for i in range(self.n_fused):
            for j in range(max(0, i - 1), min(self.n_in, i + 2)):
                if j == i:
                    path: nn.Module = ConvBNReLU(c_in[j], c_out[i], 3, 1, bn)
                elif j < i:
                    path = ConvBNReLU(c_in[j], c_out[i], 3, 2, bn)
                else:
                    path = nn.Sequential(
                        ConvBNReLU(c_in[j], c_out[i], 1, 1, bn), nn.Upsample(scale_factor=2, mode="nearest")
                    )
                self.paths[f"{j}to{i}"] = path
        self.new = nn.ModuleList(
            ConvBNReLU(c_out[k - 1], c_out[k], 3, 2, bn) for k in range(self.n_fused, self.n_out)
        )

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        out = []
        for i in range(self.n_fused):
            y = None
            for j in range(max(0, i - 1), min(self.n_in, i + 2)):
                z = self.paths[f"{j}to{i}"](xs[j])
                y = z if y is None else y + _resize(z, y.shape[2:])
            out.append(F.relu(y))
        for new in self.new:
            out.append(new(out[-1]))
        return out


class Parallel(nn.Module):
    def __init__(self, module: Module, bn: bool):
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Sequential(*(BasicBlock(c, bn) for _ in range(b)))
            for b, c in zip(module.blocks, module.channels)
        )

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        return [branch(x) for branch, x in zip(self.branches, xs)]


class Stage(nn.Module):
    """One module: fuse, then the parallel branches (a cell of the network)."""

    def __init__(self, c_in: tuple[int, ...], module: Module, bn: bool):
        super().__init__()
        self.fuse = Fuse(c_in, module.channels, bn)
        self.parallel = Parallel(module, bn)

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        return self.parallel(self.fuse(xs))


class Features(nn.Module):
    """Stem, modules and the head's concat + 1×1 conv: the feature map before pooling."""

    def __init__(self, setting: Setting, bn: bool):
        super().__init__()
        ic0, ic1 = setting.input_channel
        self.stem = nn.Sequential(ConvBNReLU(3, ic0, 3, 2, bn), ConvBNReLU(ic0, ic1, 3, 2, bn))
        stages = []
        c_prev: tuple[int, ...] = (ic1,)
        for module in setting.modules:
            stages.append(Stage(c_prev, module, bn))
            c_prev = module.channels
        self.cells = nn.ModuleList(stages)
        self.transform = ConvBNReLU(sum(c_prev), setting.last_channel, 1, 1, bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xs = [self.stem(x)]
        for stage in self.cells:
            xs = stage(xs)
        size = xs[-1].shape[2:]
        return self.transform(torch.cat([_resize(x, size) for x in xs], dim=1))


class Head(nn.Module):
    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Conv2d(channels, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.classifier(self.pool(x)), 1)


class MRNetwork(nn.Module):
    def __init__(self, setting: Setting, num_classes: int, *, bn: bool = True):
        super().__init__()
        self.setting = setting
        self.features = Features(setting, bn)
        self.head = Head(setting.last_channel, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
