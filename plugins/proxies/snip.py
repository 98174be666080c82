"""snip: connection sensitivity, Lee, Ajanthan & Torr, "SNIP: Single-shot Network Pruning based
on Connection Sensitivity" (ICLR 2019), as a zero-cost NAS proxy in Abdelfattah et al.,
"Zero-Cost Proxies for Lightweight NAS" (ICLR 2021; code SamsungLabs/zero-cost-nas, whose
measure NAS-Bench-Suite-Zero used for its published scores).
"""

from __future__ import annotations

from nas_harness.api import Needs, PluginConfig, Proxy, ScoreContext, hookimpl

from ._torch_utils import ParamGrads, cross_entropy_weight_grads


class SnipConfig(PluginConfig):
    bn: bool = True
    """Build the model with BatchNorm, used in train mode (zero-cost-nas: bn=True)."""


class Snip(Proxy):
    """Connection sensitivity: sum over Conv2d/Linear weights of |theta * dL/dtheta|.

    Definition (Lee et al. 2019, eq. 6 before normalisation): the sensitivity of the loss to
    each connection is |dL/dc| at mask c = 1, which for a weight theta gated by c is
    |theta * dL/dtheta|. zero-cost-nas computes it with a multiplicative mask of ones on every
    Conv2d/Linear weight; we use the identity directly (same value, no patched forwards).

    Choices, where the paper leaves room:

    * L is the cross-entropy of the whole batch against its labels (mean over the batch), one
      forward and one backward pass, float32.
    * The model is in train mode, with BatchNorm using the batch statistics (``bn=True``).
    * Only Conv2d/Linear weights are scored (not biases, not BatchNorm); a layer the loss does
      not depend on scores 0. Snip does not normalise by the total (Lee et al. do, to prune; the
      sum over all weights is the network's score, as in zero-cost-nas).
    * The gradient probe (``ParamGrads``) is shared with grad_norm, plain and every other proxy
      of the same batch pass (one forward and one backward per architecture).
    """

    name = "snip"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.LABELS, Needs.GRAD})
    Config = SnipConfig
    summary = "SNIP connection sensitivity sum |theta * dL/dtheta| over conv/linear weights"

    def probes(self):
        return (ParamGrads(bn=self.config.bn),)  # type: ignore[attr-defined]

    def score(self, ctx: ScoreContext) -> float:
        grads = cross_entropy_weight_grads(ctx, bn=self.config.bn)  # type: ignore[attr-defined]
        return float(sum((w.double() * g.double()).abs().sum().item() for _, w, g in grads if g is not None))


@hookimpl
def nas_harness_proxies():
    return [Snip]
