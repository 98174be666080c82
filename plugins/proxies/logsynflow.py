"""logsynflow: SynFlow with log-scaled gradients, from Cavagnero, Robbiano, Caputo & Averta,
"FreeREA: Training-Free Evolution-based Architecture Search" (WACV 2023), as used by Hsieh &
Tsai, "Rank-based Training-Free NAS Algorithm" (2023 draft; ``shared/spec/rank-sa.md`` §2.6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl

from ._torch_utils import FloatName, SynflowGrads, synflow_weight_grads

if TYPE_CHECKING:
    import torch


class LogSynflowConfig(PluginConfig):
    dtype: FloatName = "float64"
    """Precision of the |weights| network and its all-ones input. float64 (default, as FreeREA's
    code and zero-cost-nas's synflow) keeps the product of |weights| over ~20 layers finite."""
    bn: bool = False
    """Build the model with BatchNorm (train mode on the single all-ones image). False (default):
    FreeREA replaces every BatchNorm's forward by the identity, as synflow does."""


def logsynflow_value(probe: list[tuple[str, torch.Tensor, torch.Tensor | None]]) -> float:
    """sum over (|W|, g) of |W| * log(1 + |g|), accumulated in float64; layers with g None add 0."""
    import torch

    total = torch.zeros((), dtype=torch.float64)
    for _, w, g in probe:
        if g is not None:
            total = total + (w.abs() * torch.log1p(g.abs())).to(torch.float64).sum().cpu()
    return float(total)


class LogSynflow(Proxy):
    """LogSynFlow: sum over Conv2d/Linear weights of |theta| * log(1 + dR/dtheta) (FreeREA).

    Definition (Cavagnero et al. 2023; rank-sa eq. 9, S(theta) = theta * log(dL/dtheta + 1)):
    SynFlow's saliency theta * dR/dtheta with the gradient "scaled down" by log(g + 1), so that
    the few huge gradients of deep networks stop dominating the sum. As in SynFlow, R is the sum
    of the outputs of the network whose parameters are replaced by their absolute values, on an
    all-ones input; no data, no labels. Higher is better.

    Choices, where the papers leave room (rank-sa.md §2.6):

    * **Sign.** As printed, log(g + 1) is undefined for g <= -1. We score
      ``|theta| * log(1 + |g|)``. In the |theta| network of a ReLU net every dR/dtheta is >= 0,
      so this equals both spec readings, (a) sum theta * log(|g| + 1) and (b) sum |theta| *
      log(g + 1), and FreeREA's code (``abs(w * log(g + 1))`` with w already made positive); the
      absolute value of g only matters for networks with negative-slope parts.
    * **Probe.** Exactly SynFlow's (``_torch_utils.synflow_weight_grads``, shared per
      architecture with any other synflow-family proxy): BatchNorm removed (``bn=False``), every
      parameter replaced by its absolute value, one all-ones image ``(1, C, H, W)``, float64,
      train mode. FreeREA also removes BN and uses float64.
    * **Sum.** Over every Conv2d/Linear *weight* (not biases, not BN), the parameters
      zero-cost-nas and FreeREA score; a layer R does not depend on adds 0. Natural log.
    * **One draw.** rank-sa's Table 1 averages each metric over 3 initializations; that is a
      protocol choice (the engine's seed), not part of one score.
    """

    name = "logsynflow"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.GRAD})
    Config = LogSynflowConfig
    summary = (
        "LogSynFlow (FreeREA): sum |theta| log(1 + dR/dtheta) of the |weights| network on an all-ones input"
    )

    def probes(self):
        cfg: LogSynflowConfig = self.config  # type: ignore[assignment]
        return (SynflowGrads(bn=cfg.bn, dtype=cfg.dtype),)

    def score(self, ctx: ScoreContext) -> float:
        cfg: LogSynflowConfig = self.config  # type: ignore[assignment]
        probe = synflow_weight_grads(ctx, bn=cfg.bn, dtype=cfg.dtype)
        if not any(g is not None for _, _, g in probe):
            raise ProxyFailure(
                "no Conv2d/Linear weight influences the output, so LogSynFlow has nothing to sum"
            )
        return logsynflow_value(probe)


@hookimpl
def nas_harness_proxies():
    return [LogSynflow]
