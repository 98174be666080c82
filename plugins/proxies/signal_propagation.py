"""Signal-propagation proxies: LyDynIso, DynIso and NetSens (WRCor's Table 2 baselines).

WRCor (Jing et al., "Zero-Shot Neural Architecture Search with Weighted Response Correlation")
evaluates three proxies built on Jacobians of an untrained network:

* **LyDynIso** (``ly_dyn_iso``), layer-wise dynamical isometry after N. Lee, T. Ajanthan,
  S. Gould, P. H. S. Torr, "A Signal Propagation Perspective for Pruning Neural Networks at
  Initialization" (ICLR 2020): the singular values of every layer's Jacobian J^{l-1,l} should be
  concentrated near 1.
* **DynIso** (``dyn_iso``), the same property for the whole network's input-output Jacobian
  J^{0,L} (dynamical isometry in the sense of Saxe et al. / Pennington et al., which Lee et al.
  build on).
* **NetSens** (``net_sens``), "the l1-norm of the Jacobian matrix" of the network output with
  respect to its input. WRCor gives no reference for it.

WRCor gives no formula for any of them; its public code (kunjing96/ZSNAS-WRCor, measures
``layerwise_dyn_isometry``, ``dyn_isometry`` and ``resp_sens``) fixes the scalars. Each class
docstring says what we took from the definition, what from that code, and where we differ.

DynIso and NetSens share one probe: the per-sample input-output Jacobian of the logits,
computed once per architecture through ``ScoreContext.shared`` (key ``INPUT_JACOBIAN_KEY``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl

from ._torch_utils import batch, logits, prunable_layers

if TYPE_CHECKING:
    import torch
    from torch import nn

INPUT_JACOBIAN_KEY = ("input_jacobian", "logits", "bn=True", "train mode", "one backward per logit")


# --------------------------------------------------------------------------- shared probes


def input_jacobian(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """Per-sample Jacobian of the model's logits w.r.t. its input: (N, K, D), float32.

    Row k of sample n is the gradient of ``sum_m logits[m, k]`` at input ``x_n``: one backward
    pass per output k. When samples do not interact this is exactly d logits[n] / d x_n. With
    train-mode BatchNorm the samples interact through the batch statistics, and row k also
    holds the O(1/N) cross terms sum_{m != n} d logits[m, k] / d x_n (the convention of
    jacob_cov and of every batched input-gradient proxy).
    """
    import torch

    x = inputs.detach().clone().requires_grad_(True)
    for p in model.parameters():  # only input gradients are needed
        p.requires_grad_(False)
    out = logits(model, x)
    if not out.requires_grad:  # the output does not depend on the input at all
        return torch.zeros(x.shape[0], out.shape[1], x[0].numel(), dtype=x.dtype, device=x.device)
    rows = []
    for k in range(out.shape[1]):
        last = k + 1 == out.shape[1]
        (g,) = torch.autograd.grad(out[:, k].sum(), x, retain_graph=not last, allow_unused=True)
        rows.append(torch.zeros_like(x) if g is None else g)
    return torch.stack(rows, dim=1).reshape(x.shape[0], out.shape[1], -1).detach()


def shared_input_jacobian(ctx: ScoreContext) -> torch.Tensor:
    """The (N, K, D) Jacobian of a BN model in train mode on ``ctx.inputs``, computed once per arch."""
    x, _ = batch(ctx, labels=False)

    def compute() -> torch.Tensor:
        model = ctx.build_model(bn=True)
        model.train()
        return input_jacobian(model, x)

    return ctx.shared(INPUT_JACOBIAN_KEY, compute)


# --------------------------------------------------------------------------- LyDynIso


def weight_matrix(module: nn.Module) -> torch.Tensor:
    """A Conv2d/Linear weight as the (out, fan_in) matrix acting on one input patch, float64."""
    import torch

    w = module.weight.detach().to(torch.float64)
    return w.reshape(w.shape[0], -1)


def isometry_penalty(w: torch.Tensor, gram: str) -> float:
    """||G - I||_F for the Gram matrix G of ``w`` (out x fan_in).

    ``gram="smaller"``: G is the smaller of W W^T and W^T W, so ||G - I||_F^2 =
    sum_i (sigma_i^2 - 1)^2 over the min(out, fan_in) singular values of W, zero exactly when
    all of them are 1. ``gram="rows"``: always W W^T (out x out), as the WRCor code; when
    out > fan_in that adds out - fan_in zero singular values, each counting 1.
    """
    import torch

    if gram == "rows" or w.shape[0] <= w.shape[1]:
        g = w @ w.T
    else:
        g = w.T @ w
    eye = torch.eye(g.shape[0], dtype=g.dtype)
    return float(torch.linalg.matrix_norm(g - eye, ord="fro"))


class LyDynIsoConfig(PluginConfig):
    gram: Literal["smaller", "rows"] = "smaller"
    """Gram per layer: the smaller of W W^T and W^T W (default), or always W W^T (WRCor code)."""


class LyDynIso(Proxy):
    """Layer-wise dynamical isometry: -sum over conv/linear layers of ||W W^T - I||_F (Lee et al. 2020).

    Definition (Lee et al., ICLR 2020, as WRCor states it): a network is layer-wise dynamically
    isometric when the singular values of every layer's Jacobian J^{l-1,l} are concentrated
    near 1. For a linear or convolutional layer the Jacobian of its pre-activation output with
    respect to its input is the layer's weight operator; Lee et al. enforce isometry at
    initialization by making each weight matrix orthogonal, W^T W = I. We score how far each
    layer is from it and sum over layers:

        score = - sum_l || G_l - I ||_F,   G_l = Gram matrix of W_l (out x in*kh*kw)

    Higher is better (0 = every layer isometric). No data, labels or gradients are used.

    Choices:

    * **Layers and Jacobian.** Every ``nn.Conv2d`` and ``nn.Linear`` (stem, cell convolutions,
      residual-block convolutions and shortcuts, classifier); BatchNorm, ReLU and pooling are
      left out, i.e. J^{l-1,l} is taken as the weight, as in Lee et al.'s approximate isometry
      and the WRCor code. A conv kernel is reshaped to (out, in/groups * kh * kw): the map
      from one input patch to one output pixel, not the full convolution operator (whose
      singular values depend on the image size).
    * **Scalar.** The Frobenius norm of G - I per layer, summed (WRCor code: ``torch.norm(
      W W^T - I, p=2)`` of the flattened matrix, i.e. the Frobenius norm, summed over layers).
    * **Gram** (``gram``). ``"smaller"`` (default) compares only the min(out, fan_in) singular
      values with 1, which is the definition; ``"rows"`` is the WRCor code's W W^T, which also
      penalises a layer with more outputs than inputs (NB201's 1x1 shortcut convs, C -> 2C) for
      its out - fan_in structurally zero singular values. On NB201 those shortcuts are in the
      fixed reduction blocks, so the two differ by an almost constant amount (the shortcut
      weights change between architectures only through the position in the RNG stream).

    On NB201 the score falls with the number of convolutions (each adds a penalty), so it
    correlates *negatively* with accuracy (Spearman -0.61 over 200 architectures on CIFAR-10;
    WRCor reports |rho| = 0.633).

    Differs from WRCor code: only through ``gram`` (above). The WRCor repository also keeps a
    commented-out data-dependent variant (SVD of cell Jacobians); it is not the one in use.
    """

    name = "ly_dyn_iso"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL})
    Config = LyDynIsoConfig
    summary = "layer-wise dynamical isometry: -sum_l ||W_l W_l^T - I||_F over conv/linear layers"

    def layer_penalties(self, model: nn.Module) -> dict[str, float]:
        gram = self.config.gram
        return {name: isometry_penalty(weight_matrix(m), gram) for name, m in prunable_layers(model)}

    def score(self, ctx: ScoreContext) -> float:
        penalties = self.layer_penalties(ctx.build_model(bn=True))
        if not penalties:
            raise ProxyFailure("the model has no nn.Conv2d or nn.Linear layer")
        return -math.fsum(penalties.values())


# --------------------------------------------------------------------------- DynIso


def singular_values(jac: torch.Tensor) -> torch.Tensor:
    """Singular values of each sample's (K, D) Jacobian, float64: (N, min(K, D))."""
    import torch

    return torch.linalg.svdvals(jac.to(torch.float64))


def dyn_iso_from_singular_values(s: torch.Tensor, penalty: str) -> float:
    """The DynIso score (higher = closer to isometry) from (N, K) singular values.

    ``"log_gm"``: v_n = mean_k log s_nk (log of the geometric mean); score = -mean_n (v_n +
    exp(-v_n)), whose maximum, -1, is reached when every geometric mean is 1.
    ``"sq_dev"``: score = -mean_n mean_k (s_nk - 1)^2.
    """
    import torch

    if penalty == "sq_dev":
        return -float(((s - 1.0) ** 2).mean())
    if bool((s <= 0).any()):
        raise ProxyFailure(
            "the input-output Jacobian is rank-deficient for some sample (a zero singular value), "
            "so its log geometric mean is -inf; the output may not depend on the input"
        )
    v = torch.log(s).mean(dim=1)
    return -float((v + torch.exp(-v)).mean())


class DynIsoConfig(PluginConfig):
    penalty: Literal["log_gm", "sq_dev"] = "log_gm"
    """-(v + e^-v) of the log geometric mean v (WRCor code), or -mean (s - 1)^2."""


class DynIso(Proxy):
    """Dynamical isometry of the input-output Jacobian J^{0,L} (Lee et al. 2020; WRCor).

    Definition (WRCor, after Lee et al.): as LyDynIso but for the Jacobian of the whole
    network, d logits / d input, whose singular values should be near 1. For each sample n of
    the batch, J_n is the K x D Jacobian of its K logits w.r.t. its D input values (BN model
    in train mode, the probe shared with NetSens, see ``input_jacobian``); s_n are its K
    singular values (float64). With v_n = mean_k log s_nk, the log of their geometric mean,

        score = - mean_n ( v_n + exp(-v_n) )          (``penalty="log_gm"``, default)

    which is largest (-1) when every geometric mean is 1 and falls for both shrinking and
    expanding Jacobians. Higher is better. ``penalty="sq_dev"`` gives -mean_{n,k} (s_nk - 1)^2.

    Choices:

    * **Scalar.** Neither WRCor nor Lee et al. define one; the default is the WRCor code's
      (``dyn_isometry``). It measures the geometric mean only, not the spread of the singular
      values. A zero singular value raises ``ProxyFailure`` (the code would produce NaN).
    * **Output.** The logits (the code uses the network output; WRCor writes J^{0,L}).
    * **Per-sample Jacobian.** One backward pass per logit k of sum_n logits[n, k], so row k of
      J_n carries train-mode BN's O(1/N) cross-sample terms sum_{m != n} d logits[m,k]/d x_n.
      The WRCor code takes the full (N, K, N, D) Jacobian with
      ``torch.autograd.functional.jacobian`` and sums it over the *input* sample, i.e. uses
      sum_m d logits[n] / d x_m; the two agree up to those cross terms, and ours costs K
      backward passes instead of N*K.
    """

    name = "dyn_iso"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.GRAD})
    # One backward pass per output k of an (N, K) output: defined for logits and regression
    # vectors; a dense map has no K outputs per sample in that sense.
    outputs = ("classes", "regression")
    Config = DynIsoConfig
    summary = "dynamical isometry of the input-output Jacobian: -(v + e^-v), v = mean log singular value"

    def score(self, ctx: ScoreContext) -> float:
        s = singular_values(shared_input_jacobian(ctx))
        return dyn_iso_from_singular_values(s, self.config.penalty)


# --------------------------------------------------------------------------- NetSens


def net_sens_from_jacobian(jac: torch.Tensor, reduction: str) -> float:
    """NetSens from the (N, K, D) Jacobian.

    ``"jacobian_l1"``: mean over samples of the entry-wise l1 norm sum_{k,d} |J_nkd|.
    ``"summed_outputs"``: mean over samples of sum_d |sum_k J_nkd| (the l1 norm of the input
    gradient of the summed logits, the WRCor code's quantity up to the factor D).
    """
    import torch

    j = jac.to(torch.float64)
    if reduction == "summed_outputs":
        per_sample = j.sum(dim=1).abs().sum(dim=1)
    else:
        per_sample = j.abs().sum(dim=(1, 2))
    return float(per_sample.mean())


class NetSensConfig(PluginConfig):
    reduction: Literal["jacobian_l1", "summed_outputs"] = "jacobian_l1"
    """l1 norm of each sample's Jacobian (WRCor text), or of the summed logits' gradient (code)."""


class NetSens(Proxy):
    """Network sensitivity: the l1 norm of the input-output Jacobian (as described in WRCor).

    Definition (WRCor): "the l1-norm of the Jacobian matrix", which "measures the change in
    network output when the input changes". WRCor cites no source; sensitivity as the norm of
    the input-output Jacobian is studied by Novak et al., "Sensitivity and Generalization in
    Neural Networks: an Empirical Study" (ICLR 2018), with the Frobenius norm. We use

        score = mean_n  sum_{k,d} | J_n[k, d] |

    the entry-wise l1 norm of each sample's K x D Jacobian of the logits (the probe shared with
    DynIso, BN model in train mode), averaged over the batch.

    Choices:

    * **Sign.** ``higher_is_better = True``, as WRCor uses it (it reports NetSens correlating
      positively with accuracy on NB201 and negatively on NB101). Novak et al. relate *lower*
      sensitivity of trained networks to better generalization; at initialization the sign is
      an empirical matter, and the harness reports signed correlations.
    * **Reduction** (``reduction``). The WRCor code (``resp_sens``) back-propagates the sum of
      all logits and averages |d(sum_k logits_k)/dx| over samples and input values, i.e. it
      sums the Jacobian's rows before the absolute value and divides by D.
      ``"summed_outputs"`` gives that (without the constant 1/D); the default follows the
      paper's words, the l1 norm of the Jacobian itself.
    """

    name = "net_sens"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.GRAD})
    # One backward pass per output k of an (N, K) output: defined for logits and regression
    # vectors; a dense map has no K outputs per sample in that sense.
    outputs = ("classes", "regression")
    Config = NetSensConfig
    summary = "network sensitivity: mean over samples of the l1 norm of the logits' input Jacobian"

    def score(self, ctx: ScoreContext) -> float:
        return net_sens_from_jacobian(shared_input_jacobian(ctx), self.config.reduction)


@hookimpl
def nas_harness_proxies():
    return [LyDynIso, DynIso, NetSens]
