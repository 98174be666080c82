"""Differentiable ranks for FT-ScoreNet's Spearman loss.

Blondel, Teboul, Berthet & Djolonga, "Fast Differentiable Sorting and Ranking" (ICML 2020):
the soft rank of ``theta`` with L2 regularisation ``eps`` is the Euclidean projection of
``theta / eps`` onto the permutahedron of (n, n-1, ..., 1). The projection sorts the input,
solves one isotonic regression (pool adjacent violators, O(n)) and undoes the sort. Written
here because ``torchsort`` (the maintained implementation) needs a C++ build that fails on this
machine; the test compares the result with exact ranks as ``eps`` -> 0.

The isotonic solution is a mean over blocks of adjacent sorted entries; the blocks are found
without gradient, and the output is then written as ``sorted - block_mean(sorted - w)`` with
torch operations, so autograd gives the exact (piecewise constant) Jacobian of the projection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch


def _decreasing_blocks(y: np.ndarray) -> np.ndarray:
    """Block id of each entry in the non-increasing isotonic regression of ``y`` (PAV)."""
    sums: list[float] = []
    counts: list[int] = []
    for value in y:
        sums.append(float(value))
        counts.append(1)
        # a later block must not have a larger mean than the one before it: pool them
        while len(sums) > 1 and sums[-1] / counts[-1] > sums[-2] / counts[-2]:
            s, c = sums.pop(), counts.pop()
            sums[-1] += s
            counts[-1] += c
    return np.repeat(np.arange(len(counts)), counts)


def soft_rank(values: torch.Tensor, regularization_strength: float = 1.0) -> torch.Tensor:
    """Ascending soft ranks (1 = smallest) of a 1-D tensor; exact ranks as the strength -> 0."""
    import torch

    if values.dim() != 1:
        raise ValueError(f"soft_rank takes a 1-D tensor, got shape {tuple(values.shape)}")
    n = values.shape[0]
    if n < 2:
        return torch.ones_like(values)
    theta = values / regularization_strength
    w = torch.arange(n, 0, -1, dtype=theta.dtype, device=theta.device)  # n, n-1, ..., 1
    order = torch.argsort(theta.detach(), descending=True)
    sorted_theta = theta[order]
    blocks = torch.from_numpy(_decreasing_blocks((sorted_theta.detach() - w).cpu().double().numpy()))
    blocks = blocks.to(theta.device)
    n_blocks = int(blocks[-1]) + 1
    diff = sorted_theta - w
    sums = torch.zeros(n_blocks, dtype=theta.dtype, device=theta.device).index_add(0, blocks, diff)
    counts = torch.bincount(blocks, minlength=n_blocks).to(theta.dtype)
    primal = sorted_theta - (sums / counts)[blocks]
    out = torch.empty_like(primal)
    out[order] = primal
    return out


def soft_spearman(
    pred: torch.Tensor, target: torch.Tensor, regularization_strength: float = 3.0
) -> torch.Tensor:
    """Pearson correlation of the soft ranks of ``pred`` and ``target`` (both soft-ranked, as
    the paper's code does); differentiable in ``pred``."""
    a = soft_rank(pred, regularization_strength)
    b = soft_rank(target.to(pred.dtype), regularization_strength)
    a = a - a.mean()
    b = b - b.mean()
    return (a * b).sum() / (a.norm() * b.norm()).clamp_min(1e-12)
