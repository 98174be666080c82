"""ni: noise immunity, from Wu, Lin & Tsai, "A training-free neural architecture search algorithm
based on search economics" (IEEE TEVC 2023), as restated by Hsieh & Tsai, "Rank-based
Training-Free NAS Algorithm" (2023 draft, eqs. 3-4; ``shared/spec/rank-sa.md`` §2.2). No public
code; every constant the draft leaves out is an option below.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl

from ._torch_utils import batch, seeded

if TYPE_CHECKING:
    import torch
    from torch import nn


def pooling_types() -> tuple[type[nn.Module], ...]:
    """The pooling layers NI reads (a function: importing the plugin does not import torch)."""
    from torch import nn

    return (
        nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
        nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d,
        nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
        nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d,
        nn.LPPool1d, nn.LPPool2d,
    )  # fmt: skip


Kappa = Literal["sq_l2_over_l2", "sq_l2_over_l1", "elementwise"]


class NIConfig(PluginConfig):
    noise_std: float = Field(1.0, gt=0)
    """Standard deviation of the additive Gaussian noise z (not given; default 1, the standard
    normal, on inputs normalized to unit variance per channel)."""
    epsilon: float = Field(1e-8, gt=0)
    """The "small positive number" inside the log (not given; default 1e-8)."""
    kappa: Kappa = "sq_l2_over_l2"
    """How (tau - tau')^2 / |tau| reduces a feature map tau to a number per (pooling call, sample):
    ``sq_l2_over_l2`` (default) ||tau - tau'||_2^2 / ||tau||_2; ``sq_l2_over_l1``
    ||tau - tau'||_2^2 / ||tau||_1; ``elementwise`` sum_k (tau_k - tau'_k)^2 / |tau_k|."""
    pools: Literal["all", "global"] = "all"
    """Which pooling calls: ``all`` (default, "all pooling layers") every call of a pooling module
    (NB201: the cells' avg_pool_3x3 ops, the two reduction shortcuts' 2x2 average pools and the
    global average pool); ``global`` only calls whose output is 1x1 (the global pool)."""
    bn: bool = True
    """Build the model with BatchNorm, used in train mode; X and X' are separate passes."""


def pooled_features(model: nn.Module, x: torch.Tensor, pools: str) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Outputs of the pooling-module calls of ``model(x)``, in call order, flattened per sample,
    and the model's output."""
    import torch

    seen: list[torch.Tensor] = []

    def hook(module: nn.Module, args, output: torch.Tensor) -> None:
        if pools == "global" and any(s != 1 for s in output.shape[2:]):
            return
        seen.append(output.detach().reshape(output.shape[0], -1))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, pooling_types())]
    try:
        with torch.no_grad():
            out = model(x)
    finally:
        for h in handles:
            h.remove()
    return seen, out


def kappa_sum(clean: list[torch.Tensor], noisy: list[torch.Tensor], kappa: str) -> float:
    """e_L kappa e_N: the sum over pooling calls i and samples j of kappa_ij, in float64."""
    import torch

    if len(clean) != len(noisy):
        raise ProxyFailure(f"the clean and noisy passes ran {len(clean)} and {len(noisy)} pooling calls")
    total = 0.0
    for tau, tau_n in zip(clean, noisy):
        t = tau.to(torch.float64)
        sq = (t - tau_n.to(torch.float64)) ** 2
        if kappa == "elementwise":
            den = t.abs()
        else:
            den = t.norm(dim=1) if kappa == "sq_l2_over_l2" else t.abs().sum(dim=1)
            sq = sq.sum(dim=1)
        # 0 / 0 (a dead map or entry: zero and unchanged by the noise) counts as no change
        k = torch.where((sq == 0) & (den == 0), torch.zeros_like(sq), sq / den)
        if not bool(torch.isfinite(k).all()):
            raise ProxyFailure("kappa divides by a zero pooled feature that the noise changed (|tau| = 0)")
        total += float(k.sum())
    return total


class NI(Proxy):
    """Noise immunity eta = ln(epsilon + sum_ij kappa_ij) of pooled features under input noise; lower is better.

    Definition (rank-sa eqs. 3-4): X' = X + z with Gaussian z; tau_ij and tau'_ij are the
    feature maps of clean and noisy input j at the i-th pooling layer of the untrained network;
    kappa_ij = (tau_ij - tau'_ij)^2 / |tau_ij|; eta = ln(epsilon + e_L kappa e_N), the sum of
    all L x N entries. An architecture whose pooled features move little under noise is more
    "noise immune": **lower eta is better** (``higher_is_better = False``; rank-sa ranks by
    -eta).

    Choices, where the draft leaves room (each an option):

    * **kappa** (``kappa``). The draft writes tensors in a scalar formula. Default: squared
      Euclidean distance over the Euclidean norm of the clean map (|.| of a vector read as its
      magnitude); the l1 denominator and the element-wise ratio (unstable where tau ~ 0) are
      options. A map (or, element-wise, an entry) that is 0 and stays 0 under the noise, a dead
      branch such as an NB201 pooling edge fed by a ``none`` op, adds 0; a 0 that the noise
      changes makes kappa infinite: ``ProxyFailure``.
    * **Dead networks.** If the output is the same for X and X' (the input does not reach it,
      e.g. an NB201 cell whose output node only receives ``none`` edges), eta would only measure
      the pooling layers before the break and call the network immune: ``ProxyFailure``.
    * **Pooling layers** (``pools``). Every call of a pooling module (``all``, the default
      reading of "all pooling layers"); on NB201 their number depends on the cell (each
      avg_pool_3x3 edge is a pooling layer, plus 2 reduction shortcuts and the global pool), so
      cells with more pooling edges sum more terms. ``global`` uses the global pool only.
    * **Noise** (``noise_std``, default 1) and **epsilon** (default 1e-8): not given. z is drawn
      from ``torch.Generator().manual_seed(ctx.seed)`` with the batch's shape.
    * **Batch.** The scoring batch as is (the draft's "input data are the same kind" may mean a
      single-class batch; we do not filter by label). No labels are used.
    * **Mode.** Train mode with BatchNorm (as NASWOT, its partner proxy); X and X' are two
      forward passes, each with its own batch statistics. Feature maps in float32, kappa in
      float64.
    """

    name = "ni"
    version = "1"
    higher_is_better = False
    needs = frozenset({Needs.MODEL, Needs.DATA})
    Config = NIConfig
    summary = "noise immunity eta = ln(eps + sum (tau - tau')^2 / |tau|) at pooling layers under input noise (lower is better)"

    def score(self, ctx: ScoreContext) -> float:
        import torch

        cfg: NIConfig = self.config  # type: ignore[assignment]
        x, _ = batch(ctx, labels=False)
        gen = torch.Generator().manual_seed(ctx.seed)
        z = torch.randn(x.shape, generator=gen, dtype=x.dtype).to(x.device) * cfg.noise_std
        model = ctx.build_model(bn=cfg.bn).to(ctx.device)
        model.train()
        with seeded(ctx):
            clean, out = pooled_features(model, x, cfg.pools)
            noisy, out_noisy = pooled_features(model, x + z, cfg.pools)
        if not clean:
            raise ProxyFailure(f"no pooling layer ran ({cfg.pools!r}), so noise immunity has no feature maps")
        if isinstance(out, torch.Tensor) and torch.equal(out, out_noisy):
            raise ProxyFailure(
                "the network's output does not depend on its input: it is trivially noise-immune"
            )
        return math.log(cfg.epsilon + kappa_sum(clean, noisy, cfg.kappa))


@hookimpl
def nas_harness_proxies():
    return [NI]
