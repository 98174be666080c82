"""zen: the Zen-score of Lin, Wang, Sun, Chen, Sun, Qian, Li & Jin, "Zen-NAS: A Zero-Shot NAS
for High-Performance Image Recognition" (ICCV 2021; code idstcv/ZenNAS,
``ZeroShotProxy/compute_zen_score.py``). WRCor's Table 2 lists it as "Zen" (rho 0.257 on
NB201/CIFAR-10).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from nas_harness.api import BuiltModel, Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl
from nas_harness.api.model import feature_map

from ._torch_utils import prunable_layers, seeded

if TYPE_CHECKING:
    import torch
    from torch import nn


def _norm_types() -> tuple[type[nn.Module], ...]:
    from torch import nn

    return (nn.modules.batchnorm._BatchNorm, nn.GroupNorm)


class ZenConfig(PluginConfig):
    batch_size: int = Field(64, ge=2)
    """Number of Gaussian inputs per repeat (Zen-NAS's CIFAR and ImageNet search scripts: 64;
    the standalone ``compute_zen_score`` default is 16)."""
    mixup_gamma: float = Field(1e-2, gt=0)
    """Size of the input perturbation, x' = x + gamma * eps (Zen-NAS: 1e-2)."""
    repeats: int = Field(1, ge=1)
    """Independent draws (weights when ``gaussian_init``, and inputs) averaged into one score.
    Zen-NAS's evolution search uses 1 (default); its standalone script averages 32."""
    gaussian_init: bool = True
    """Re-initialize every Conv2d/Linear weight from N(0, 1) (biases 0, BatchNorm/GroupNorm
    scale 1 and shift 0) from a generator seeded with the context's seed, as the paper and code
    define the score. False keeps the engine's initialization (then repeats re-draw inputs only)."""
    bn_variance: Literal["batch", "running"] = "batch"
    """Where each BatchNorm's sigma comes from. ``batch`` (default, the paper): the per-channel
    variance of the BN's input over the clean mini-batch (biased, as BN normalizes with).
    ``running``: the BN's ``running_var`` after the clean and the perturbed forward passes, as
    the official code reads it (momentum 0.1 from 1, unbiased batch variances)."""


def gaussian_reinit(model: nn.Module, generator: torch.Generator) -> None:
    """Zen-NAS's init: Conv2d/Linear weights ~ N(0, 1), biases 0; BN/GroupNorm weight 1, bias 0.

    Draws in module order from ``generator`` (on the CPU), then copies to each weight's device.
    """
    import torch

    with torch.no_grad():
        for _, m in prunable_layers(model):
            w = torch.randn(m.weight.shape, generator=generator, dtype=torch.float32)
            m.weight.copy_(w.to(m.weight))
            if m.bias is not None:
                m.bias.zero_()
        for m in model.modules():
            if isinstance(m, _norm_types()) and m.weight is not None:
                m.weight.fill_(1.0)
                m.bias.zero_()


def zen_value(built: BuiltModel, x: torch.Tensor, eps: torch.Tensor, gamma: float, bn_variance: str) -> float:
    """log(mean_n ||f(x_n) - f(x_n + gamma eps_n)||_1) + sum over BN calls of log sigma_BN.

    f is the feature map before the head (``BuiltModel.features``); the model
    is used in its current mode (the caller puts it in train mode). sigma_BN =
    sqrt(mean over channels of the variance) of each BatchNorm2d call in the clean pass.
    """
    import torch
    from torch import nn

    model = built.module
    batch_vars: list[torch.Tensor] = []

    def record(module: nn.Module, args) -> None:
        z = args[0].detach().to(torch.float64)
        batch_vars.append(z.transpose(0, 1).reshape(z.shape[1], -1).var(dim=1, unbiased=False))

    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    handles = [m.register_forward_pre_hook(record) for m in bns] if bn_variance == "batch" else []
    try:
        with torch.no_grad():
            f0 = feature_map(built, x, "zen")
    finally:
        for h in handles:
            h.remove()
    with torch.no_grad():
        f1 = feature_map(built, x + gamma * eps, "zen")
    diff = (f0 - f1).to(torch.float64).reshape(x.shape[0], -1)
    delta = float(diff.abs().sum(dim=1).mean())
    if not delta > 0:
        raise ProxyFailure("the features before global pooling do not change with the input (log 0)")
    if bn_variance == "batch":
        variances = batch_vars
    else:
        variances = [m.running_var.detach().to(torch.float64) for m in bns if m.running_var is not None]
    log_scale = 0.0
    for v in variances:
        mean_var = float(v.mean())
        if mean_var > 0:  # a BN whose input is constant (a dead branch) has no signal to rescale
            log_scale += 0.5 * math.log(mean_var)
    return math.log(delta) + log_scale


class Zen(Proxy):
    """Zen-score: log E||f(x) - f(x + gamma eps)||_1 + sum_BN log sigma_BN, Gaussian weights and inputs.

    Definition (Lin et al. 2021, Alg. 1): draw a network with N(0, 1) weights and a mini-batch
    x of N(0, 1) "images" and a Gaussian direction eps; with BatchNorm in train mode, let f be
    the feature map before global average pooling; Delta = E_x ||f(x) - f(x + gamma eps)||,
    and for each BN layer i with m channels sigma_i = sqrt(sum_j sigma_ij^2 / m) from the
    mini-batch statistics. Zen = log Delta + sum_i log sigma_i (the BN terms undo BN's
    rescaling, recovering the expressivity of the BN-free network). Data-free; higher is better.

    Choices, where the paper leaves room:

    * **Norm.** Entry-wise l1 of each sample's feature difference, averaged over the batch, no
      division by gamma (official code; dividing would shift every score by -log gamma).
    * **sigma.** ``bn_variance="batch"`` (default) uses the paper's mini-batch statistics of
      the clean pass; ``"running"`` reproduces the code, which reads ``running_var`` after both
      passes. Only ``nn.BatchNorm2d`` layers count (official code); a BN called twice counts
      twice under ``batch``. Under ``batch``, a BN whose input is constant over the batch (a
      dead branch, e.g. a conv fed by NB201's ``none`` op) is left out: its sigma is 0, its
      output carries no signal, and log 0 would make any such cell -inf (the official
      ``running_var`` stays at 0.81 there, a small constant). A network whose pre-GAP features
      ignore the input has Delta = 0: ``ProxyFailure`` (the official score is -inf).
    * **Weights.** ``gaussian_init=True`` (default) re-draws the weights from N(0, 1) as Zen-NAS
      does, from ``torch.Generator().manual_seed(ctx.seed)``, so the score ignores the
      engine's init scheme (but not its seed). The model is built with BN (``bn=True``) and is
      in train mode.
    * **Inputs.** ``batch_size`` Gaussian inputs of the dataset's shape and the perturbation,
      drawn after the weights from the same generator: a score is a deterministic function of
      (architecture, seed, config). ``repeats`` > 1 rebuilds the model each time and averages.
    * **Features.** "Before global pooling" is the output of the module the space declares as
      its models' feature map (``BuiltModel.features``; NB201: ``lastact``, BN + ReLU), as
      ``phi``/``bt`` read it; not applicable where a space declares none.
    """

    name = "zen"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL})
    Config = ZenConfig
    summary = "Zen-NAS Zen-score: log pre-GAP response to a Gaussian perturbation + sum of log BN scales (data-free)"

    def score(self, ctx: ScoreContext) -> float:
        import torch

        cfg: ZenConfig = self.config  # type: ignore[assignment]
        gen = torch.Generator().manual_seed(ctx.seed)
        shape = (cfg.batch_size, *ctx.dataset.input_shape)
        values = []
        for _ in range(cfg.repeats):
            built = ctx.build(bn=True).to(ctx.device)
            built.module.train()
            if cfg.gaussian_init:
                gaussian_reinit(built.module, gen)
            x = torch.randn(shape, generator=gen).to(ctx.device)
            eps = torch.randn(shape, generator=gen).to(ctx.device)
            with seeded(ctx):
                values.append(zen_value(built, x, eps, cfg.mixup_gamma, cfg.bn_variance))
        return float(sum(values) / len(values))


@hookimpl
def nas_harness_proxies():
    return [Zen]
