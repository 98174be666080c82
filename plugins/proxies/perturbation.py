"""Input-perturbation proxies on the feature map before global pooling: Phi and BT.

Both are baselines of WRCor's Table 2 (Jing et al., "Zero-Shot Neural Architecture Search with
Weighted Response Correlation"; public code kunjing96/ZSNAS-WRCor, measures ``phi_score`` and
``ssl_score``). Both feed an untrained network a batch (Gaussian for Phi, the data for BT) and
slightly perturbed copies of it, x + alpha * eps with eps ~ N(0, I), and compare the feature
maps that enter the global pooling layer ("pre-GAP" features, f(x) below):

* **Phi** (``phi``): the Phi-score of Zen-NAS, how strongly f responds to its input, as a
  measure of expressivity.
* **BT** (``bt``): minus the Barlow Twins loss between the two feature maps.

The noise is drawn from a ``torch.Generator`` seeded with the context's seed, so a score is a
deterministic function of (architecture, seed, batch).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from nas_harness.api import BuiltModel, Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl
from nas_harness.api.model import feature_map

from ._torch_utils import batch

if TYPE_CHECKING:
    import torch


def gaussian(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    import torch

    return torch.randn(shape, generator=generator, dtype=torch.float32)


# --------------------------------------------------------------------------- Phi


def phi_value(built: BuiltModel, x: torch.Tensor, eps: torch.Tensor, alpha: float, norm: str) -> float:
    """log( mean_n || f(x_n + alpha eps_n) - f(x_n) || / alpha ), norms per sample, in float64;
    f = the feature map before the head (``BuiltModel.features``)."""
    import torch

    with torch.no_grad():
        f0 = feature_map(built, x, "phi")
        f1 = feature_map(built, x + alpha * eps, "phi")
    d = (f1 - f0).reshape(x.shape[0], -1).to(torch.float64)
    per_sample = d.abs().sum(dim=1) if norm == "l1" else torch.linalg.vector_norm(d, dim=1)
    delta = float(per_sample.mean()) / alpha
    if not delta > 0:
        raise ProxyFailure("the features before global pooling do not change with the input (log 0)")
    return math.log(delta)


class PhiConfig(PluginConfig):
    batch_size: int = Field(64, ge=1)
    """Number of Gaussian inputs (WRCor: the batch size, 64)."""
    alpha: float = Field(0.01, gt=0)
    """Size of the perturbation alpha (Zen-NAS and WRCor code: 0.01)."""
    norm: Literal["l1", "fro"] = "l1"
    """Per-sample norm of the feature difference: entry-wise l1 (both public codes) or Frobenius."""
    bn: bool = False
    """Build the model with BatchNorm in train mode (WRCor code's ``phi_score_bn``); default: no BN."""


class Phi(Proxy):
    """Phi-score: log of the mean response of the pre-GAP features to a small input change (Zen-NAS).

    Source: M. Lin, P. Wang, Z. Sun, H. Chen, X. Sun, Q. Qian, H. Li, R. Jin, "Zen-NAS: A
    Zero-Shot NAS for High-Performance Image Recognition" (ICCV 2021). For a vanilla network
    (no BatchNorm) with Gaussian input and random weights, the Phi-score is the log of the
    expected norm of the gradient of the pre-GAP feature map f with respect to the input, a
    measure of expressivity; Zen-NAS estimates the gradient norm with a finite difference
    along a random Gaussian direction, and adds BN and a BN-variance correction to get the
    Zen-score (the Zen proxy, not this one). We compute

        Phi = log( (1/N) sum_n || f(x_n + alpha * eps_n) - f(x_n) || / alpha ),
              x_n, eps_n ~ N(0, I) of the dataset's input shape

    with the model built **without BatchNorm** (``bn=False``, the vanilla network of the
    definition). Higher is better.

    Choices:

    * **Norm** (``norm``). Zen-NAS writes a norm of the feature difference; both public
      implementations (Zen-NAS ``compute_zen_score`` and the WRCor code) take the entry-wise
      l1 norm, which is our default; ``"fro"`` gives the Euclidean (Frobenius) norm.
    * **One draw.** One batch of N Gaussian inputs and one perturbation per input (WRCor code);
      Zen-NAS also re-draws the weights and averages over 32 repeats, which a proxy scoring one
      initialized model cannot do.
    * **BatchNorm** (``bn``). The WRCor code registers the measure twice, without BN
      (``phi_score``) and with BN in train mode (``phi_score_bn``); WRCor does not say which one
      Table 2 reports. ``bn=True`` gives the second. On NB201 the two rank very differently
      (without BN, skip-connection-heavy cells blow the features up through the 15 cells);
      on 200 NB201 architectures (CIFAR-10, seed 42) we measured Spearman +0.63 with
      ``bn=True`` and -0.32 without BN, so only the BN variant fits Table 2's 0.703 and the
      table probably used it. The default stays with the definition.
    * **Failure.** If the features do not depend on the input (difference exactly 0) the log is
      -inf and the proxy raises ``ProxyFailure``.

    Differs from WRCor code (``phi_score`` / ``phi_score_bn``): that code returns the l1 norm
    summed over the whole batch, without the division by alpha and without the log; both are
    increasing maps of ours (for a fixed N and alpha), so the rankings are the same.
    """

    name = "phi"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL})
    Config = PhiConfig
    summary = "Zen-NAS Phi-score: log mean |f(x + a eps) - f(x)| / a of pre-GAP features, no BN"

    def score(self, ctx: ScoreContext) -> float:
        import torch

        c = self.config
        built = ctx.build(bn=c.bn)
        built.module.train()  # only matters with BN: batch statistics
        gen = torch.Generator().manual_seed(ctx.seed)
        shape = (c.batch_size, *ctx.dataset.input_shape)
        x = gaussian(shape, gen).to(ctx.device)
        eps = gaussian(shape, gen).to(ctx.device)
        return phi_value(built, x, eps, c.alpha, c.norm)


# --------------------------------------------------------------------------- BT


def standardize(z: torch.Tensor, eps: float) -> torch.Tensor:
    """Each column centred and divided by sqrt(biased variance + eps), as BatchNorm1d(affine=False)."""
    import torch

    zc = z - z.mean(dim=0, keepdim=True)
    var = (zc * zc).mean(dim=0, keepdim=True)
    if eps == 0 and bool((var == 0).any()):
        raise ProxyFailure("a feature is constant over the batch: its correlation is undefined")
    return zc / torch.sqrt(var + eps)


def barlow_twins_loss(z1: torch.Tensor, z2: torch.Tensor, lambd: float, eps: float) -> float:
    """sum_i (1 - C_ii)^2 + lambd * sum_{i != j} C_ij^2, C = standardized z1^T z2 / N, in float64.

    The D x D matrix C is never formed: sum_ij C_ij^2 = sum_nm (A A^T)_nm (B B^T)_nm / N^2 for
    the standardized N x D matrices A and B.
    """
    import torch

    n = z1.shape[0]
    a = standardize(z1.reshape(n, -1).to(torch.float64), eps)
    b = standardize(z2.reshape(n, -1).to(torch.float64), eps)
    diag = (a * b).sum(dim=0) / n
    total_sq = ((a @ a.T) * (b @ b.T)).sum() / (n * n)
    on = ((1.0 - diag) ** 2).sum()
    off = total_sq - (diag * diag).sum()
    return float(on + lambd * off)


class BTConfig(PluginConfig):
    alpha: float = Field(0.01, gt=0)
    """Std of the additive Gaussian noise that makes the two views (WRCor code: 0.01)."""
    lambd: float = Field(0.005, ge=0)
    """Weight of the off-diagonal (redundancy) term (Barlow Twins paper and WRCor code: 5e-3)."""
    eps: float = Field(1e-5, ge=0)
    """Added to each feature's variance when standardizing (BatchNorm1d's default, as both codes)."""


class BT(Proxy):
    """-1 x the Barlow Twins loss between the pre-GAP features of two noisy views of a batch.

    Source: J. Zbontar, L. Jing, I. Misra, Y. LeCun, S. Deny, "Barlow Twins: Self-Supervised
    Learning via Redundancy Reduction" (ICML 2021). Two distorted views of each sample go
    through the same network; with z^A, z^B the N x D outputs, each feature standardized over
    the batch, C = (z^A)^T z^B / N is the D x D cross-correlation matrix and

        L_BT = sum_i (1 - C_ii)^2 + lambda * sum_i sum_{j != i} C_ij^2

    (invariance term + redundancy-reduction term). WRCor uses -L_BT as a proxy: higher is
    better.

    Choices:

    * **Views.** x + alpha * eps_1 and x + alpha * eps_2 with eps ~ N(0, I) and alpha = 0.01
      on the real batch (WRCor code), not the paper's image augmentations (crops, colour
      jitter, blur, ...), which are training-time, dataset-specific choices.
    * **Embedding.** The feature map before global pooling, flattened (C*H*W features; 4096
      for NB201 on CIFAR), of the model with BatchNorm in train mode, one forward pass per
      view (WRCor code); Barlow Twins' projector head does not exist in a NAS network.
    * **Standardization.** Per feature, centred and divided by sqrt(biased variance + eps)
      (``torch.nn.BatchNorm1d(affine=False)`` in both the Barlow Twins and WRCor code), so a
      feature that is constant over the batch contributes C_i. = 0. ``eps=0`` gives the exact
      correlation and raises ``ProxyFailure`` for a constant feature.
    * lambda = 5e-3 as in the paper (tuned there for 8192 features) and the WRCor code.

    Same as the WRCor code (``ssl_score``) apart from the noise generator and float64
    arithmetic.
    """

    name = "bt"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA})
    Config = BTConfig
    summary = "-Barlow Twins loss between pre-GAP features of two Gaussian-noised views of the batch"

    def score(self, ctx: ScoreContext) -> float:
        import torch

        c = self.config
        x, _ = batch(ctx, labels=False)
        built = ctx.build(bn=True)
        built.module.train()
        gen = torch.Generator().manual_seed(ctx.seed)  # noise drawn on the CPU: the same on any device
        e1 = gaussian(tuple(x.shape), gen).to(x.device)
        e2 = gaussian(tuple(x.shape), gen).to(x.device)
        with torch.no_grad():
            z1 = feature_map(built, x + c.alpha * e1, "bt")
            z2 = feature_map(built, x + c.alpha * e2, "bt")
        return -barlow_twins_loss(z1, z2, c.lambd, c.eps)


@hookimpl
def nas_harness_proxies():
    return [Phi, BT]
