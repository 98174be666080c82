"""BndlEnt: the mean bundle entropy over a network's blocks (WRCor's Table 2 baseline).

Sources: D. Peer, S. Stabinger, A. Rodriguez-Sanchez, "Conflicting Bundles: Adapting
Architectures Towards the Improved Training of Deep Neural Networks" (WACV 2021) and
"Auto-tuning of Deep Neural Networks by Conflicting Layer Removal" (arXiv:2103.04331, which
WRCor cites); authors' code peerdavid/conflicting-bundles (``conflicting_bundle.py``). WRCor
(Jing et al.) uses "the average value of bundle entropies for all network layers" as a proxy;
its code is the ``bundle_entropy`` measure of kunjing96/ZSNAS-WRCor.

Definitions (Peer et al.). At layer l, two samples fall into the same *bundle* when their
outputs a^l are equal up to a tolerance gamma, i.e. indistinguishable for every later layer
and for the weight update. Bundles partition the batch. Samples of different classes in one
bundle *conflict*: no later layer can separate them. The bundle entropy of layer l is

    H_l = sum_b (|b| / N) * H(labels in b),     H(p) = -sum_c p_c log p_c   (natural log)

0 when every bundle is pure (e.g. all samples distinct) and at most the label entropy of the
batch (all samples in one bundle). Lower is better; ``higher_is_better = False``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import Field

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl

from ._torch_utils import batch

if TYPE_CHECKING:
    import torch
    from torch import nn


def bundles_float_equality(a: torch.Tensor, w_max: float, lr: float) -> torch.Tensor:
    """Bundle id per sample: rows equal after the authors' float32 "weight update" test.

    Peer et al.'s code replaces ``|a_i - a_j| <= gamma`` by exact equality of
    ``float32(w_max - lr * a / N)``: two outputs are the same bundle when the updates they would
    cause on the largest weight round to the same float32 number. Equality is transitive, so
    the bundles are the classes of identical rows (their greedy loop finds the same partition).
    """
    import torch

    n = a.shape[0]
    x = torch.tensor(w_max, dtype=torch.float32) - a.reshape(n, -1).to(torch.float32) * (lr / n)
    return torch.unique(x, dim=0, return_inverse=True)[1]


def bundles_tolerance(a: torch.Tensor, gamma: float) -> torch.Tensor:
    """Bundle id per sample with an explicit tolerance: greedy, as Peer et al.'s loop.

    Take the first sample not yet in a bundle; its bundle is itself and every sample not yet in
    a bundle within ``gamma`` of it in the max norm, ||a_i - a_j||_inf <= gamma.
    """
    import torch

    n = a.shape[0]
    x = a.reshape(n, -1).to(torch.float64)
    ids = torch.full((n,), -1, dtype=torch.long)
    next_id = 0
    for i in range(n):
        if ids[i] >= 0:
            continue
        close = (x - x[i]).abs().amax(dim=1) <= gamma
        ids[(ids < 0) & close] = next_id
        next_id += 1
    return ids


def bundle_entropy(ids: torch.Tensor, labels: torch.Tensor) -> float:
    """sum over bundles of |b|/N * entropy (nats) of the labels inside b."""
    import torch

    n = ids.shape[0]
    labels = labels.reshape(-1).cpu()
    ids = ids.cpu()
    total = 0.0
    for b in torch.unique(ids):
        members = labels[ids == b]
        counts = torch.unique(members, return_counts=True)[1].to(torch.float64)
        p = counts / counts.sum()
        h = float(-(p * torch.log(p)).sum())
        total += members.numel() / n * h
    return total


def max_abs_parameter(model: nn.Module) -> float:
    return max((float(p.detach().abs().max()) for p in model.parameters() if p.numel()), default=0.0)


class BndlEntConfig(PluginConfig):
    lr: float = Field(1e-3, gt=0)
    """Learning rate in the float32 equality test w_max - lr * a / N (WRCor code: 1e-3)."""
    gamma: float | None = Field(None, ge=0)
    """Tolerance ||a_i - a_j||_inf <= gamma; None (default): the authors' float32 equality test."""
    train_mode_bn: bool = False
    """BatchNorm with batch statistics; default False: inference mode, as both codes."""


class BndlEnt(Proxy):
    """Mean over blocks of the bundle entropy of the batch at the block's output (Peer et al.).

    score = (1/L) sum_l H_l over the outputs a^l of the model's L blocks (see the module
    docstring for H_l). Lower is better.

    Choices:

    * **Layers.** The outputs of the cells/blocks the space declares (``BuiltModel.cells``;
      NB201: its 15 cells and 2 residual reduction blocks), as the WRCor code; Peer et al. take
      every layer / residual block output except the logits. On a space whose models declare no
      cells the proxy is not applicable. A block called several times contributes each call.
    * **Equality.** By default the authors' test: rows equal after float32(w_max - lr * a / N),
      with w_max the largest |parameter| of the model (1.0 at init for NB201: BN weights),
      lr = 1e-3 and N the batch size. Components further apart than one float32 spacing at
      w_max divided by lr / N (about 3.8e-3 for w_max = 1, N = 64) never count as equal; closer
      ones do or not depending on rounding. ``gamma`` sets an explicit max-norm tolerance instead.
    * **Mode.** Inference mode (``model.eval()``; ``train_mode_bn=False``) as both the authors'
      code (``training=False``) and the WRCor code; at initialization BN then has its initial
      running statistics (mean 0, variance 1), i.e. it is almost the identity.
    * **Labels.** The batch's true labels; entropy in nats with 0 log 0 = 0.
    * **Orientation.** Lower is better by the definition. At initialization on NB201 the data
      disagree: over 200 architectures (CIFAR-10) the entropy correlated *positively* with test
      accuracy (Spearman +0.16; WRCor reports only |rho| = 0.199). A likely reason: in
      inference mode convolution-heavy cells shrink the activations until outputs of different
      samples round to the same float32 update, and such cells train best.

    Differs from WRCor code: (1) the WRCor port builds each bundle's class histogram from
    ``labels * in_bundle``, which counts every sample *outside* the bundle as class 0, so a
    singleton bundle gets a positive entropy; we use the labels of the bundle's members only,
    as Peer et al.'s code (``tf.boolean_mask``). (2) It returns minus the mean; we return the
    mean with ``higher_is_better = False`` (the same ranking).
    """

    name = "bndl_ent"
    version = "1"
    higher_is_better = False
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.LABELS})
    Config = BndlEntConfig
    summary = "mean over blocks of the bundle entropy (label entropy of indistinguishable samples)"

    def layer_entropies(self, ctx: ScoreContext) -> list[float]:
        import torch

        x, y = batch(ctx, labels=True)
        c = self.config
        built = ctx.build(bn=True)
        model = built.module
        outputs: list[torch.Tensor] = []
        handles = [
            block.register_forward_hook(lambda module, args, out: outputs.append(out.detach()))
            for block in built.require_cells(self.name)
        ]
        model.train(c.train_mode_bn)
        try:
            with torch.no_grad():
                model(x)
        finally:
            for h in handles:
                h.remove()
        if not outputs:
            raise ProxyFailure("no declared cell ran in the forward pass")
        w_max = max_abs_parameter(model)
        entropies = []
        for a in outputs:
            if c.gamma is None:
                ids = bundles_float_equality(a.cpu(), w_max, c.lr)
            else:
                ids = bundles_tolerance(a.cpu(), c.gamma)
            entropies.append(bundle_entropy(ids, y))
        return entropies

    def score(self, ctx: ScoreContext) -> float:
        entropies = self.layer_entropies(ctx)
        return math.fsum(entropies) / len(entropies)


@hookimpl
def nas_harness_proxies():
    return [BndlEnt]
