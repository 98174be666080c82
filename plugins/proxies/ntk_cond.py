"""ntk_cond: the condition number of the empirical neural tangent kernel, the trainability
score of TE-NAS: Chen, Gong & Wang, "Neural Architecture Search on ImageNet in Four GPU Hours:
A Theoretically Inspired Perspective" (ICLR 2021; code VITA-Group/TENAS,
``lib/procedures/ntk.py``). rank-sa's Table 1 lists it as "NTK" (Kendall tau -0.33 on
NATS-TSS/CIFAR-10: a lower condition number goes with a higher accuracy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl

from ._torch_utils import batch, network_output, seeded

if TYPE_CHECKING:
    import torch
    from torch import nn


class NTKCondConfig(PluginConfig):
    batch_size: int | None = Field(None, ge=2)
    """Number of inputs (the first ones of the batch) whose per-sample gradients span the NTK.
    None (default): the whole scoring batch (harness default 64; TE-NAS on NB201: 72). The cost
    is one backward pass of the batch per sample, i.e. quadratic in it."""
    params: Literal["weights", "all"] = "weights"
    """Parameters differentiated: ``weights`` (default, TE-NAS) every parameter whose name
    contains "weight" (Conv2d, Linear and BatchNorm scales); ``all`` adds the biases."""
    bn: bool = True
    """Build the model with BatchNorm, used in train mode (TE-NAS: ``train_mode=True``)."""


def per_sample_output_gradients(
    model: nn.Module, x: torch.Tensor, params: list[torch.Tensor]
) -> torch.Tensor:
    """J (N x P): row n is d(sum_k f_k(x_n))/d(params), flattened, from one forward of the batch.

    One backward pass per sample through the whole batch's graph, as TE-NAS does, so with
    train-mode BatchNorm row n also holds the cross-sample terms through the batch statistics.
    A parameter the outputs do not depend on contributes zeros.
    """
    import torch

    out = network_output(model, x)
    rows = []
    for n in range(x.shape[0]):
        grads = torch.autograd.grad(out[n].sum(), params, retain_graph=n + 1 < x.shape[0], allow_unused=True)
        rows.append(
            torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1) for p, g in zip(params, grads)])
        )
    return torch.stack(rows)


def condition_number(jacobian: torch.Tensor) -> float:
    """lambda_max / lambda_min of the Gram matrix J J^T (float64, ``torch.linalg.eigvalsh``)."""
    import torch

    ntk = torch.zeros(jacobian.shape[0], jacobian.shape[0], dtype=torch.float64, device=jacobian.device)
    for block in jacobian.split(1 << 16, dim=1):  # float64 one column block at a time
        b = block.to(torch.float64)
        ntk += b @ b.T
    eig = torch.linalg.eigvalsh(ntk)  # ascending
    lo, hi = float(eig[0]), float(eig[-1])
    if not torch.isfinite(eig).all():
        raise ProxyFailure("the empirical NTK has non-finite eigenvalues")
    tolerance = hi * ntk.shape[0] * torch.finfo(torch.float64).eps  # numpy.linalg.matrix_rank's
    if not lo > tolerance:
        raise ProxyFailure(
            f"the empirical NTK is singular (eigenvalues {lo:.3g} .. {hi:.3g}), its condition number is infinite"
        )
    return hi / lo


class NTKCond(Proxy):
    """Condition number lambda_max / lambda_min of the empirical NTK J J^T over a batch; lower is better.

    Definition (Chen et al. 2021): with Theta = J J^T the N x N empirical neural
    tangent kernel of an untrained network on N inputs (J: Jacobian of the outputs with
    respect to the parameters), kappa = lambda_max(Theta) / lambda_min(Theta). A small kappa
    means a well-conditioned optimization (trainable network). We return kappa itself, so
    **lower is better** (``higher_is_better = False``); TE-NAS's code returns it too, and its
    ranking sorts it ascending (the ZenNAS port returns -kappa instead).

    Choices, where the paper leaves room (defaults follow the TE-NAS code):

    * **Outputs.** Each sample's logits are summed before differentiating (TE-NAS backpropagates
      a vector of ones from ``logit[n]``), so J has one row per input, N x P. The same sum is
      defined for every output kind (a dense or reconstructed map is summed over its pixels
      and channels), so the proxy runs on every task.
    * **Parameters.** Every parameter whose name contains "weight" (``params="weights"``):
      Conv2d, Linear and BatchNorm scale weights, not biases; ``params="all"`` adds them.
    * **Mode.** Train mode with BatchNorm (``train_mode=True``); each row is a backward pass of
      the whole batch's graph, so it carries BN's cross-sample terms (TE-NAS does the same).
    * **Inputs.** The scoring batch (TE-NAS: one batch of real training images; 72 on NB201),
      or its first ``batch_size`` inputs; no labels. TE-NAS re-initializes with Kaiming-normal
      (fan-out) and repeats 3 times; here the engine's initialization and seed apply, one draw.
    * **Numerics.** J in the model's dtype (float32), Theta and its eigenvalues (symmetric
      solver ``torch.linalg.eigvalsh``) in float64. A numerically singular kernel, lambda_min <=
      N * eps64 * lambda_max (NumPy's ``matrix_rank`` tolerance; e.g. two identical inputs),
      raises ``ProxyFailure``: the condition number is infinite.
    """

    name = "ntk_cond"
    version = "1"
    higher_is_better = False
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.GRAD})
    Config = NTKCondConfig
    summary = "TE-NAS NTK condition number lambda_max/lambda_min of J J^T from per-sample gradients (lower is better)"

    def score(self, ctx: ScoreContext) -> float:
        cfg: NTKCondConfig = self.config  # type: ignore[assignment]
        x, _ = batch(ctx, labels=False)
        if cfg.batch_size is not None:
            if x.shape[0] < cfg.batch_size:
                raise ProxyFailure(f"ntk_cond needs {cfg.batch_size} inputs, the batch has {x.shape[0]}")
            x = x[: cfg.batch_size]
        if x.shape[0] < 2:
            raise ProxyFailure("the NTK condition number needs at least two inputs")
        model = ctx.build_model(bn=cfg.bn).to(ctx.device)
        model.train()
        params = [p for name, p in model.named_parameters() if cfg.params == "all" or "weight" in name]
        if not params:
            raise ProxyFailure("the model has no parameter to differentiate")
        with seeded(ctx):
            jac = per_sample_output_gradients(model, x, params)
        return condition_number(jac)


@hookimpl
def nas_harness_proxies():
    return [NTKCond]
