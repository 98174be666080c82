"""plain: the first-order Taylor saliency theta * dL/dtheta, summed over the network.

The "plain" baseline of Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS" (ICLR 2021;
code SamsungLabs/zero-cost-nas ``measures/plain.py``; Mozer & Smolensky 1989 / LeCun et al.'s
first-order saliency without the absolute value), as published by NAS-Bench-Suite-Zero:

    plain = sum over the weights theta of every nn.Conv2d / nn.Linear of  theta * dL/dtheta

with L the cross-entropy of one batch (true labels, mean over the batch), the model in train
mode (BatchNorm with batch statistics). Biases and BatchNorm parameters are not summed.

Orientation: ``higher_is_better = True`` keeps the published sign; on NB201 the published plain
scores correlate *negatively* with accuracy (NAS-Bench-Suite-Zero), which a correlation
protocol then reports as a negative rho rather than hiding it.

The value is a signed sum of many terms of both signs, so it depends strongly on the batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl

from ._torch_utils import ParamGrads, cross_entropy_weight_grads

if TYPE_CHECKING:
    import torch


class PlainConfig(PluginConfig):
    bn: bool = True
    """Build the model with BatchNorm (reference: bn=True)."""


def plain_value(grads: list[tuple[str, torch.Tensor, torch.Tensor | None]]) -> float:
    """sum(theta * dL/dtheta) over (name, theta, dL/dtheta) triples, in float64; None adds 0."""
    return float(sum((w.double() * g.double()).sum().item() for _, w, g in grads if g is not None))


class Plain(Proxy):
    """sum theta * dL/dtheta over conv/linear weights (zero-cost-nas "plain").

    The gradients are the ``ParamGrads`` probe (one seeded forward and backward of the batch in
    train mode), shared with snip, grad_norm and every other proxy of the same pass.
    """

    name = "plain"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.LABELS, Needs.GRAD})
    Config = PlainConfig
    summary = "sum of theta * dL/dtheta over conv/linear weights (zero-cost-nas)"

    def probes(self):
        return (ParamGrads(bn=self.config.bn),)  # type: ignore[attr-defined]

    def score(self, ctx: ScoreContext) -> float:
        if ctx.inputs is None or ctx.targets is None:
            raise ProxyFailure("plain needs an input batch with labels")
        return plain_value(cross_entropy_weight_grads(ctx, bn=self.config.bn))  # type: ignore[attr-defined]


@hookimpl
def nas_harness_proxies():
    return [Plain]
