"""meco: the minimum-eigenvalue-of-correlation score of Jiang, Wang & Bie, "Zero-shot NAS via
the Minimum Eigenvalue of Correlation on Feature Maps" (NeurIPS 2023; code HamsterMimi/MeCo,
``correlation/NAS_Bench_201.py`` and ``zero-cost-nas/foresight/pruners/measures/meco.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl
from nas_harness.api.probes import sample_correlation

from ._torch_utils import batch, seeded

if TYPE_CHECKING:
    import torch
    from torch import nn


class MeCoConfig(PluginConfig):
    n_samples: int = Field(1, ge=1)
    """Inputs forwarded together (BatchNorm in train mode uses their statistics); the score is
    the mean over them of each one's MeCo. 1 (default) is the official NB201 setting: one
    training image per architecture."""
    input: Literal["data", "gaussian"] = "data"
    """``data`` (default, official NB201 script): the first ``n_samples`` images of the batch.
    ``gaussian``: N(0, 1) inputs of the dataset's shape from a generator seeded with the
    context's seed (the repo's other script draws ``randn(1, 3, 64, 64)``)."""
    modules: Literal["all", "leaves"] = "all"
    """Which modules' outputs are feature maps. ``all`` (default, official): every module the
    forward pass calls, containers and the model itself included, so a container's output is
    counted again beside its last child's. ``leaves``: modules without children only."""
    channels: int | None = Field(None, ge=2)
    """MeCo_opt: use this many channels drawn at random (official: 8) and scale the eigenvalue by
    C / channels. None (default) uses all channels (MeCo)."""
    bn: bool = True
    """Build the model with BatchNorm, used in train mode (official: a fresh model, train mode)."""
    single_value_bn: Literal["formula", "fail"] = "formula"
    """A train-mode BatchNorm that sees one value per channel (one input and a 1x1 map, e.g.
    TransNAS's decoders on 32x32 inputs): ``formula`` (default) gives what BatchNorm's definition
    gives, x - E[x] = 0, so the output is the shift beta; ``fail`` keeps PyTorch's refusal (the
    architecture fails). Models that never meet such a map score the same either way."""


def min_eig_channel_correlation(fea: torch.Tensor) -> float:
    """Smallest eigenvalue of the C x C Pearson correlation of the rows of ``fea`` (C x D).

    NaN/inf entries (a constant channel, or D = 1) are set to 0 first, as the official code does.
    """
    import torch

    corr = sample_correlation(fea, precision="float64")
    corr = torch.nan_to_num(corr, nan=0.0, posinf=0.0, neginf=0.0)
    return float(torch.linalg.eigvalsh(corr)[0])


def single_value_bn_as_formula(model: nn.Module) -> None:
    """Let the model's train-mode BatchNorms take one value per channel: the normalized value
    (x - mean) / sqrt(var + eps) is then 0, so the output is the shift beta (0 without affine).
    PyTorch refuses such a batch because its variance is meaningless; MeCo only reads the map."""
    import torch
    from torch import nn

    def patched(module: nn.Module, forward):
        def run(x: torch.Tensor) -> torch.Tensor:
            if module.training and x.dim() >= 2 and x.numel() == x.shape[1]:
                out = torch.zeros_like(x)
                if module.bias is not None:
                    out = out + module.bias.view(1, -1, *([1] * (x.dim() - 2)))
                return out
            return forward(x)

        return run

    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
            module.forward = patched(module, module.forward)


def meco_value(
    model: nn.Module,
    x: torch.Tensor,
    modules: str,
    channels: int | None,
    generator: torch.Generator | None = None,
) -> float:
    """(1/n) sum over samples s and hooked module calls of lambda_min(corr(channels of out[s]))."""
    import torch

    n = x.shape[0]
    totals = [0.0] * n
    calls = 0

    def hook(module: nn.Module, args, output) -> None:
        nonlocal calls
        if not isinstance(output, torch.Tensor) or output.dim() < 2 or output.shape[0] != n:
            return
        calls += 1
        for s in range(n):
            fea = output[s].detach().reshape(output.shape[1], -1)
            scale = 1.0
            c = fea.shape[0]
            if channels is not None and c > channels:
                idx = torch.randperm(c, generator=generator)[:channels].to(fea.device)
                fea, scale = fea[idx], c / channels
            value = min_eig_channel_correlation(fea) * scale
            if value == value and abs(value) != float("inf"):  # the official code drops NaN/inf
                totals[s] += value

    picked = [m for m in model.modules() if modules == "all" or not any(True for _ in m.children())]
    handles = [m.register_forward_hook(hook) for m in picked]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    if calls == 0:
        raise ProxyFailure("no module produced a feature map, so MeCo has nothing to sum")
    return sum(totals) / n


class MeCo(Proxy):
    """MeCo: sum over layers of the minimum eigenvalue of the channel correlation of a feature map.

    Definition (Jiang et al. 2023): for an input X and the feature map f_i(X) of layer i
    with c_i channels, reshaped to c_i x (h_i w_i), P(f_i(X)) is the c_i x c_i Pearson
    correlation matrix between channels; MeCo = sum_i lambda_min(P(f_i(X))). The theory ties a
    larger lambda_min to faster convergence and better generalization: higher is better. One
    forward pass, no labels.

    Choices, where the paper leaves room (defaults are the official NB201 script):

    * **Input.** One CIFAR training image (``n_samples=1``, ``input="data"``): the official
      script's batch size 1, the paper's single-input setting. The repo's other script uses
      Gaussian data (``input="gaussian"``). With n_samples > 1 the samples share one forward
      pass (train-mode BN statistics) and the score is the mean of the per-sample MeCos; the
      official hook reads sample 0 only.
    * **Layers.** Every module the forward pass calls (``modules="all"``, official: hooks on
      ``named_modules()``), including containers (NB201's ``ReLUConvBN`` Sequential repeats its
      BN's map, ``lastact`` its ReLU's) and the model itself. Outputs with one value per channel
      (global pooling, logits) give a matrix of NaNs, set to 0, so lambda_min = 0: they add
      nothing. Non-tensor outputs are skipped.
    * **Degenerate maps.** NaN entries of a correlation matrix (a constant channel, e.g. after
      NB201's ``none`` op or a dead ReLU channel) are set to 0 before the eigenvalues, as the
      official code does; NaN/inf eigenvalues are dropped.
    * **Eigenvalues.** ``torch.linalg.eigvalsh`` of the symmetric matrix in float64 (official:
      real part of ``torch.linalg.eig`` in float32; same values up to rounding).
    * **MeCo_opt** (``channels=8``): the official variant samples 8 channels per layer
      (from ``torch.Generator().manual_seed(ctx.seed)``, in call order) and scales by C / 8;
      a layer with at most 8 channels uses all of them unscaled (the official code would fail).
    * **Mode.** Train mode with BatchNorm (the official model is never put in eval mode).
      Where a BatchNorm sees one value per channel (one image reaching a 1x1 map: TransNAS's
      encoders on 32x32 CIFAR inputs), PyTorch refuses train mode; the paper's single-input
      definition still applies, and BatchNorm's formula then gives its shift beta
      (``single_value_bn="formula"``, default; ``"fail"`` keeps the refusal).
    """

    name = "meco"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA})
    Config = MeCoConfig
    summary = "MeCo: sum over layers of lambda_min of the channel Pearson correlation of the feature map"

    def score(self, ctx: ScoreContext) -> float:
        import torch

        cfg: MeCoConfig = self.config  # type: ignore[assignment]
        gen = torch.Generator().manual_seed(ctx.seed)
        if cfg.input == "data":
            x, _ = batch(ctx, labels=False)
            if x.shape[0] < cfg.n_samples:
                raise ProxyFailure(f"meco needs {cfg.n_samples} inputs, the batch has {x.shape[0]}")
            x = x[: cfg.n_samples]
        else:
            x = torch.randn((cfg.n_samples, *ctx.dataset.input_shape), generator=gen).to(ctx.device)
        model = ctx.build_model(bn=cfg.bn).to(ctx.device)
        model.train()
        if cfg.single_value_bn == "formula":
            single_value_bn_as_formula(model)
        with seeded(ctx):
            return meco_value(model, x, cfg.modules, cfg.channels, gen)


@hookimpl
def nas_harness_proxies():
    return [MeCo]
