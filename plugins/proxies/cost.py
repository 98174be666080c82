"""params and flops: the model-size baselines every zero-cost proxy paper compares against.

Both are reported by NAS-Bench-201 (Dong & Yang, ICLR 2020) for each cell, used as baselines
by Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS" (ICLR 2021), and published as
proxies by NAS-Bench-Suite-Zero (Krishnakumar et al., NeurIPS 2022 Datasets & Benchmarks).
They are measured on the built model, so they work for any space; a space's own
``Space.cost`` is an analytic shortcut for the same quantities.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nas_harness.api import Needs, PluginConfig, Proxy, ScoreContext, hookimpl
from nas_harness.api.probes import PristineModel, probe

from ._torch_utils import prunable_layers

if TYPE_CHECKING:
    import torch
    from torch import nn


class ParamsConfig(PluginConfig):
    """params has no options: it counts the model built with BatchNorm (``bn=True``)."""


class Params(Proxy):
    """Number of trainable parameters of the model (NAS-Bench-201's ``params``).

    Choices:

    * The model is the one the space builds by default, with BatchNorm (``build_model(bn=True)``),
      so BatchNorm scales and shifts count, as in NAS-Bench-201's ``params``.
    * Only parameters with ``requires_grad`` count (buffers such as BatchNorm running statistics
      do not); a parameter shared by several modules counts once.
    * The raw count is returned (NB201 and NAS-Bench-Suite-Zero publish it in millions; the
      scale does not change any ranking).
    """

    name = "params"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL})
    Config = ParamsConfig
    summary = "number of trainable parameters of the model (with BatchNorm)"

    def probes(self):
        return (PristineModel(bn=True),)

    def score(self, ctx: ScoreContext) -> float:
        model = probe(ctx, PristineModel(bn=True))  # shared, read only
        return float(sum(p.numel() for p in model.parameters() if p.requires_grad))


class FlopsConfig(PluginConfig):
    """flops has no options: one image of the dataset's input shape, Conv2d/Linear only."""


def count_macs(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass of one zero image of shape ``input_shape``.

    Counted by forward hooks, once per call of a module:

    * ``nn.Conv2d``: each output element costs ``in_channels / groups * kh * kw`` MACs, plus one
      for the bias when there is one;
    * ``nn.Linear``: each output element costs ``in_features`` MACs, plus one for the bias.

    Nothing else is counted (pooling, BatchNorm, activations, additions), which is
    NAS-Bench-201's convention for ``flops``. The model runs in eval mode without gradients;
    the count depends only on shapes, never on values.
    """
    import torch
    from torch import nn

    total = 0

    def hook(module: nn.Module, args, output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            per_output = module.in_channels // module.groups * kh * kw
        else:
            per_output = module.in_features
        total += output.numel() * (per_output + (1 if module.bias is not None else 0))

    handles = [m.register_forward_hook(hook) for _, m in prunable_layers(model)]
    was_training = model.training
    try:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        dtype = param.dtype if param is not None else torch.float32
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *input_shape), dtype=dtype, device=device))
    finally:
        model.train(was_training)  # the model may be shared (PristineModel): leave it as found
        for h in handles:
            h.remove()
    return total


class Flops(Proxy):
    """Multiply-accumulates of one forward pass of one image (NAS-Bench-201's ``flops``).

    Choices:

    * One image of shape ``ctx.dataset.input_shape`` (batch of 1), so the value is per image;
      no data is needed (an all-zero image: the count depends on shapes only).
    * Multiply-accumulates of every ``nn.Conv2d`` and ``nn.Linear`` call, bias additions
      included; pooling, BatchNorm, activations and additions are not counted. This is what
      NAS-Bench-201 calls FLOPs (NB201 and NAS-Bench-Suite-Zero publish it in millions as
      "MFLOPs"); we return the raw MAC count as a float, not divided by 1e6. A conv whose input
      is always zero (an NB201 edge fed only by ``none``) still runs, so it counts.
    * A module called several times in one forward pass counts once per call.
    * NAS-Bench-Suite-Zero's published ``flops`` come from NASLib's own counter, which also
      counts some other operations: on NB201 CIFAR-10 its values exceed NB201's by a constant
      plus multiples of about 0.43 M. They rank architectures almost as ours do (Spearman 0.99
      on 100 cells), but are not NB201's numbers; ours are.
    * The model is built with BatchNorm (``bn=True``) and run in eval mode (no statistics are
      updated; BatchNorm is not counted either way).
    """

    name = "flops"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL})
    Config = FlopsConfig
    summary = "multiply-accumulates of one forward pass of one image (Conv2d/Linear, NB201 convention)"

    def probes(self):
        return (PristineModel(bn=True),)

    def score(self, ctx: ScoreContext) -> float:
        model = probe(ctx, PristineModel(bn=True))  # shared: count_macs leaves it unchanged
        return float(count_macs(model, tuple(ctx.dataset.input_shape)))


@hookimpl
def nas_harness_proxies():
    return [Params, Flops]
