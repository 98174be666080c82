"""l2_norm: the sum of the L2 norms of a network's weights at initialization.

As defined by Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS" (ICLR 2021; code
SamsungLabs/zero-cost-nas, ``measures/l2_norm.py``) and used by NAS-Bench-Suite-Zero
(Krishnakumar et al. 2022): for every ``nn.Conv2d`` and ``nn.Linear`` module, the Frobenius
norm of its ``weight`` tensor, summed over modules. Biases and BatchNorm parameters are not
counted. No data is needed; the value depends on the initialization only.

Ambiguity: the WRCor paper (Jing et al.) calls this proxy "PNorm" and describes it as "the
sum of Euclidean norms of all parameters". ``parameters="all"`` gives that reading (one norm per
parameter tensor of the model, biases and BatchNorm affine parameters included); the default
is the zero-cost-nas definition, whose published scores it reproduces.
"""

from __future__ import annotations

from typing import Literal

from nas_harness.api import Needs, PluginConfig, Proxy, ScoreContext, hookimpl
from nas_harness.api.probes import PristineModel, probe


class L2NormConfig(PluginConfig):
    parameters: Literal["conv_linear_weights", "all"] = "conv_linear_weights"
    """Which tensors: Conv2d/Linear weights (zero-cost-nas), or every parameter (PNorm wording)."""


class L2Norm(Proxy):
    """Sum of the L2 (Frobenius) norms of the Conv2d/Linear weights (Abdelfattah et al. 2021)."""

    name = "l2_norm"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL})
    Config = L2NormConfig
    summary = "sum of L2 norms of conv/linear weights at init (zero-cost-nas)"

    def probes(self):
        return (PristineModel(bn=True),)

    def score(self, ctx: ScoreContext) -> float:
        import torch
        from torch import nn

        model = probe(ctx, PristineModel(bn=True))  # shared, read only
        if self.config.parameters == "all":
            tensors = list(model.parameters())
        else:
            tensors = [m.weight for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        with torch.no_grad():
            return float(sum(t.detach().to(torch.float64).norm().item() for t in tensors))


@hookimpl
def nas_harness_proxies():
    return [L2Norm]
