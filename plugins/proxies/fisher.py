"""fisher: channel saliency from the empirical Fisher information of the activations.

Theis et al., "Faster gaze prediction with dense networks and Fisher pruning" (2018), and
Turner et al., "BlockSwap: Fisher-guided block substitution for network compression on a
budget" (ICLR 2020), as a zero-cost proxy in Abdelfattah et al., "Zero-Cost Proxies for
Lightweight NAS" (ICLR 2021; code SamsungLabs/zero-cost-nas ``measures/fisher.py``), whose
scores NAS-Bench-Suite-Zero publishes.

For every ``nn.Conv2d`` / ``nn.Linear`` module, with z its output (before BatchNorm) and
g = dL/dz for the cross-entropy loss L of one batch (true labels, mean over the batch):

    s_k = 1/2 * mean_n ( sum_{h,w} z[n,k,h,w] * g[n,k,h,w] )^2        per output channel k

(for a Linear layer the inner sum is a single term). The score sums |s_k| over channels and
modules. zero-cost-nas broadcasts each channel's value to every weight of that channel before
summing, so a channel counts ``in_channels/groups * kh * kw`` times (``in_features`` times for a
Linear): ``per_weight=True`` (default) keeps that, ``per_weight=False`` sums channel values.

Choices:

* The reference code inserts a dummy identity after each layer and hooks its backward pass; we
  read the same quantity with a tensor hook on the layer's output (torch >= 2 safe), so the
  gradient is the total gradient of that output over all its consumers, as in the reference.
* A module called several times accumulates s_k over its calls, as the reference does.
* If a layer's output is modified in place before the backward pass, its stored activation
  no longer holds z: the proxy raises ``ProxyFailure`` rather than use the modified values
  (the reference silently would). NB201 never does this.
* A layer whose output never reaches the loss has s = 0 (reference: zeros).
* Train mode (BatchNorm with batch statistics, ``bn=True`` by default), one batch, one pass:
  the ``ChannelSaliency`` tap on the batch pass that the architecture's other proxies share
  (the weights' gradients that some of them need do not change dL/dz). A layer output that
  does not depend on the input is skipped, as when only the input carries requires_grad.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl
from nas_harness.api.probes import CE, FloatName, Objective, Tap, TapHooks, probe

if TYPE_CHECKING:
    import torch
    from torch import nn

if TYPE_CHECKING:
    Saliency = dict[str, tuple[torch.Tensor, int]]


class FisherConfig(PluginConfig):
    per_weight: bool = True
    """Count each channel's value once per weight of the channel (zero-cost-nas), or once."""
    bn: bool = True
    """Build the model with BatchNorm (reference: bn=True)."""


@dataclass(frozen=True)
class ChannelSaliency(Tap):
    """Per Conv2d/Linear module name: s_k = 1/2 mean_n (sum_hw z * dL/dz)^2 per output channel
    (float64, CPU) and the number of weights per channel; L the batch's mean cross-entropy."""

    bn: bool = True
    dtype: FloatName | None = None
    grad_objective: Objective | None = CE

    def attach(self, model: nn.Module, hooks: TapHooks) -> Callable[[], Saliency]:
        import torch
        from torch import nn

        layers = {n: m for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))}
        saliency = {n: torch.zeros(m.weight.shape[0], dtype=torch.float64) for n, m in layers.items()}
        modified: list[str] = []

        def forward_hook(name: str):
            def hook(module, args, output):
                if not hooks.reaches_input(output):
                    return
                act, version = output.detach(), output._version

                def on_grad(grad: torch.Tensor) -> None:
                    if output._version != version:
                        modified.append(name)
                        return
                    prod = act * grad
                    g_nk = prod.sum(dim=tuple(range(2, prod.dim()))) if prod.dim() > 2 else prod
                    saliency[name] += 0.5 * g_nk.pow(2).mean(0).to("cpu", torch.float64)

                hooks.on_grad(output, on_grad)

            return hook

        for n, m in layers.items():
            hooks.forward(m, forward_hook(n))

        def result() -> Saliency:
            if modified:
                raise ProxyFailure(f"the output of {modified[0]} was modified in place before backward")
            return {n: (saliency[n], m.weight[0].numel()) for n, m in layers.items()}

        return result


class Fisher(Proxy):
    """Sum over conv/linear channels of 1/2 mean_n (sum_hw act * grad)^2 (Turner et al. 2020)."""

    name = "fisher"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.LABELS, Needs.GRAD})
    Config = FisherConfig
    summary = "Fisher channel saliency of conv/linear outputs, summed (zero-cost-nas)"

    def probes(self):
        return (ChannelSaliency(bn=self.config.bn),)  # type: ignore[attr-defined]

    def channel_saliency(self, ctx: ScoreContext) -> Saliency:
        """Per Conv2d/Linear module name: s_k per output channel and the weights per channel."""
        if ctx.inputs is None or ctx.targets is None:
            raise ProxyFailure("fisher needs an input batch with labels")
        return probe(ctx, ChannelSaliency(bn=self.config.bn))  # type: ignore[attr-defined]

    def score(self, ctx: ScoreContext) -> float:
        total = 0.0
        for s, per_channel in self.channel_saliency(ctx).values():
            total += (per_channel if self.config.per_weight else 1) * s.abs().sum().item()
        return total


@hookimpl
def nas_harness_proxies():
    return [Fisher]
