"""Eproxy's synthetic regression targets and its augmented image batch, all from seeds (no files).

The reference code ships five pre-generated tensors (``net``, ``wave_l``, ``wave_m``, ``wave_h``,
``dot``; 16 x 512 x 8 x 8) and crops them to the batch, channels and size it needs. Here each
kind is a *bank* of ``bank_channels`` channels drawn from its own NumPy stream
(``default_rng([seed, kind])``), so a branch with ``c_out`` channels reads the first ``c_out`` of
the same bank whatever else the config selects, and the draws are the same on every platform.

* ``net``: the output of an untrained 6-layer CNN (the paper's "Net", a tiny distillation task
  from an untrained teacher) applied to the scoring batch itself. The paper gives no widths;
  here: 3x3 convs 3→64→64→128→128→256→bank (padding 1, no bias), stride 2 at layers 3 and 5
  (32x32 → 8x8, the size of the network's feature map on CIFAR), ReLU between layers (none after
  the last), weights N(0, 2/fan_in) (Kaiming normal). The output is pooled (adaptive average) to
  the target size when the two stride-2 layers do not already give it, then standardized per
  channel over batch and space (mean 0, std 1) so that its scale is the sines' and dots' scale.
* ``wave_l`` / ``wave_m`` / ``wave_h``: for each (image, channel) a sine ``sin(2 pi f p + phi)``
  along the width (p = column index) or the height (p = row index) with probability 1/2 each,
  f uniform in the band (L: (0, 0.125), M: (0.125, 0.375), H: (0.375, 0.5) cycles per pixel of
  the target map), phi uniform in [0, 2 pi). The paper gives the bands only; per (image,
  channel) draws follow the shape of the shipped tensors (``waves_per_image=False`` draws one
  pattern per channel for the whole batch).
* ``dot``: Rademacher +-1 per element.

A branch's target is the sum of its selected kinds (zeros when none is selected, as the code
does) times its augment coefficient.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

FEATURE_KINDS = ("net", "wave_l", "wave_m", "wave_h", "dot")
WAVE_BANDS = {"wave_l": (0.0, 0.125), "wave_m": (0.125, 0.375), "wave_h": (0.375, 0.5)}
TEACHER_WIDTHS = (64, 64, 128, 128, 256)  # the 6th layer's width is the bank's channel count
TEACHER_STRIDES = (1, 1, 2, 1, 2, 1)


def _stream(seed: int, kind: str) -> np.random.Generator:
    return np.random.default_rng([seed, FEATURE_KINDS.index(kind)])


def waves(
    kind: str, batch: int, channels: int, hw: tuple[int, int], seed: int, *, per_image: bool = True
) -> torch.Tensor:
    """(batch, channels, h, w) sines of one frequency band, one pattern per (image, channel)."""
    import torch

    lo, hi = WAVE_BANDS[kind]
    rng = _stream(seed, kind)
    n = batch if per_image else 1
    along_width = rng.random((n, channels)) < 0.5
    freq = rng.uniform(lo, hi, (n, channels))
    phase = rng.uniform(0.0, 2 * math.pi, (n, channels))
    h, w = hw
    rows = np.arange(h, dtype=np.float64)[:, None] * np.ones((1, w))
    cols = np.ones((h, 1)) * np.arange(w, dtype=np.float64)[None, :]
    pos = np.where(along_width[..., None, None], cols, rows)  # n, C, h, w
    out = np.sin(2 * math.pi * freq[..., None, None] * pos + phase[..., None, None])
    if not per_image:
        out = np.broadcast_to(out, (batch, channels, h, w))
    return torch.from_numpy(np.ascontiguousarray(out, dtype=np.float32))


def dots(batch: int, channels: int, hw: tuple[int, int], seed: int) -> torch.Tensor:
    """(batch, channels, h, w) Rademacher +-1 values."""
    import torch

    signs = _stream(seed, "dot").integers(0, 2, (batch, channels, *hw)) * 2 - 1
    return torch.from_numpy(signs.astype(np.float32))


def teacher_weights(c_in: int, channels: int, seed: int) -> list[torch.Tensor]:
    """The untrained teacher's six 3x3 conv weights, Kaiming normal, from the ``net`` stream."""
    import torch

    rng = _stream(seed, "net")
    widths = (c_in, *TEACHER_WIDTHS, channels)
    weights = []
    for a, b in itertools.pairwise(widths):
        std = math.sqrt(2.0 / (a * 9))
        weights.append(
            torch.from_numpy(rng.standard_normal((b, a, 3, 3)).astype(np.float32) * np.float32(std))
        )
    return weights


def teacher_features(images: torch.Tensor, channels: int, hw: tuple[int, int], seed: int) -> torch.Tensor:
    """(batch, channels, h, w): the untrained 6-layer CNN on ``images``, standardized per channel."""
    import torch
    import torch.nn.functional as F

    with torch.no_grad():
        x = images.detach().to(torch.float32)
        weights = teacher_weights(x.shape[1], channels, seed)
        for i, (w, stride) in enumerate(zip(weights, TEACHER_STRIDES)):
            x = F.conv2d(x, w.to(x.device), stride=stride, padding=1)
            if i < len(weights) - 1:
                x = F.relu(x)
        if tuple(x.shape[-2:]) != tuple(hw):
            x = F.adaptive_avg_pool2d(x, hw)
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        std = x.std(dim=(0, 2, 3), keepdim=True, unbiased=False).clamp_min(1e-12)
        return ((x - mean) / std).cpu()


def feature_bank(
    kind: str,
    images: torch.Tensor,
    channels: int,
    hw: tuple[int, int],
    seed: int,
    *,
    waves_per_image: bool = True,
) -> torch.Tensor:
    """The ``channels``-channel bank of one feature kind for this batch (on the CPU)."""
    batch = images.shape[0]
    if kind == "net":
        return teacher_features(images, channels, hw, seed)
    if kind in WAVE_BANDS:
        return waves(kind, batch, channels, hw, seed, per_image=waves_per_image)
    if kind == "dot":
        return dots(batch, channels, hw, seed)
    raise ValueError(f"unknown Eproxy feature kind {kind!r}; known: {FEATURE_KINDS}")


def combined_target(
    banks: dict[str, torch.Tensor], kinds: Sequence[str], c_out: int, coefficient: float, like: torch.Tensor
) -> torch.Tensor:
    """Sum of the first ``c_out`` channels of the selected banks, times the augment coefficient."""
    import torch

    target = torch.zeros((like.shape[0], c_out, *like.shape[-2:]), dtype=torch.float32)
    for kind in kinds:
        target = target + banks[kind][:, :c_out]
    return (target * coefficient).to(like.device)


def augment(images: torch.Tensor, *, pad: int, flip: bool, seed: int) -> torch.Tensor:
    """RandomCrop(size, padding=pad) then RandomHorizontalFlip, one seeded draw per image.

    The images arrive normalized, so the zero padding is the mean colour (torchvision pads the
    raw image with black before normalizing); ``pad=0`` and ``flip=False`` leave them unchanged.
    """
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng([seed, 7])
    n, _, h, w = images.shape
    padded = F.pad(images, (pad, pad, pad, pad)) if pad else images
    out = []
    for i in range(n):
        top, left = (int(rng.integers(0, 2 * pad + 1)), int(rng.integers(0, 2 * pad + 1))) if pad else (0, 0)
        img = padded[i, :, top : top + h, left : left + w]
        if flip and rng.random() < 0.5:
            img = img.flip(-1)
        out.append(img)
    return torch.stack(out)
