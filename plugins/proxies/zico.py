"""zico: the inverse coefficient of variation of gradients of Li, Yang, Bhardwaj & Marculescu,
"ZiCo: Zero-shot NAS via Inverse Coefficient of Variation on Gradients" (ICLR 2023; code
SLDGroup/ZiCo, ``ZeroShotProxy/compute_zico.py``). WRCor's Table 2 quotes its published
NB201/CIFAR-10 rho, 0.800 (WRCor's code does not compute it).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import Field

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl

from ._torch_utils import batch, cross_entropy_weight_grads_of, seeded

if TYPE_CHECKING:
    import torch


class ZiCoConfig(PluginConfig):
    n_splits: int = Field(2, ge=2)
    """Number of sub-batches the scoring batch is cut into; each gives one gradient sample.
    ZiCo needs >= 2 batches; 2 (default) is what the MeCo repository's port of ZiCo does with
    its one batch (``split_data=2``)."""
    accumulate: bool = False
    """False (default, the paper): the k-th gradient sample is the gradient of the k-th
    sub-batch. True: the official code's behaviour, which never zeroes ``.grad`` between
    batches, so the k-th sample is the sum of the first k sub-batch gradients."""
    bn: bool = True
    """Build the model with BatchNorm, used in train mode (official: ``network.train()``)."""


def split_bounds(n: int, k: int) -> list[tuple[int, int]]:
    """Contiguous sub-batches [i n / k, (i + 1) n / k) for i < k (integer division)."""
    return [(i * n // k, (i + 1) * n // k) for i in range(k)]


def zico_from_grads(samples: list[list[tuple[str, torch.Tensor | None]]]) -> float:
    """sum over layers of log( sum over weights with std > 0 of mean|g| / std(g) ).

    ``samples[k]`` lists (layer name, gradient or None) for gradient sample k, the layers in the
    same order in every sample. Mean and (population) standard deviation are over the samples,
    per weight, in float64. A layer whose gradient is None in any sample, or whose sum is 0
    (every std is 0), adds nothing (official: ``if tmpsum == 0: pass``).
    """
    import torch

    total, used = 0.0, 0
    for j in range(len(samples[0])):
        grads = [s[j][1] for s in samples]
        if any(g is None for g in grads):
            continue
        g = torch.stack([t.reshape(-1).to(torch.float64) for t in grads])
        std = g.std(dim=0, unbiased=False)
        mean_abs = g.abs().mean(dim=0)
        nz = std > 0
        s = float((mean_abs[nz] / std[nz]).sum())
        if s > 0:
            total += math.log(s)
            used += 1
    if used == 0:
        raise ProxyFailure("no layer has a weight whose gradient varies across sub-batches")
    return total


class ZiCo(Proxy):
    """ZiCo: sum over layers of log( sum_theta E|g_theta| / std(g_theta) ) over sub-batch gradients.

    Definition (Li et al. 2023): for every layer l and weight theta of it, take the
    gradient of the training loss on each of several mini-batches; ZiCo = sum_l log( sum_theta
    mean_b |g_theta,b| / sqrt(Var_b g_theta,b) ). A high mean absolute gradient (fast
    convergence) with low variance across batches (good generalization) scores high: higher is
    better.

    Choices, where the paper leaves room:

    * **Batches.** Our context provides one batch; we cut it into ``n_splits`` contiguous
      sub-batches (default 2, the minimum for a variance) and take one gradient per sub-batch,
      as the MeCo repository's ZiCo port does (``split_data=2`` over the batch of 64). The
      WRCor code does not compute ZiCo (its Table 2 value comes from the ZiCo paper).
    * **Gradients.** Per sub-batch, by default (the paper's definition); ``accumulate=True``
      reproduces the official code, whose ``.grad`` accumulates over batches.
    * **Loss.** Mean cross-entropy against the true labels (official ``nn.CrossEntropyLoss()``),
      train mode with BatchNorm (batch statistics of each sub-batch), float32 gradients.
    * **Weights.** Conv2d and Linear weights (not biases, not BN), grouped by module as the
      official ``named_modules`` loop; a layer the loss does not reach is skipped.
    * **Statistics.** Population std (``np.std``, ddof 0); weights with std 0 are left out of
      their layer's sum; the log is natural. A layer whose sum is 0 is skipped, and a network
      with no usable layer raises ``ProxyFailure``.
    """

    name = "zico"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.LABELS, Needs.GRAD})
    Config = ZiCoConfig
    summary = "ZiCo: sum over layers of log sum |mean grad| / std grad across sub-batches (>= 2 batches)"

    def score(self, ctx: ScoreContext) -> float:
        cfg: ZiCoConfig = self.config  # type: ignore[assignment]
        x, y = batch(ctx, labels=True)
        if x.shape[0] < cfg.n_splits:
            raise ProxyFailure(
                f"zico splits the batch into {cfg.n_splits} sub-batches but it has {x.shape[0]} inputs"
            )
        model = ctx.build_model(bn=cfg.bn).to(ctx.device)
        model.train()
        samples: list[list[tuple[str, torch.Tensor | None]]] = []
        running: list[torch.Tensor | None] | None = None
        with seeded(ctx):
            for start, end in split_bounds(x.shape[0], cfg.n_splits):
                grads = [
                    (name, g)
                    for name, _, g in cross_entropy_weight_grads_of(model, x[start:end], y[start:end])
                ]
                if cfg.accumulate:
                    if running is None:
                        running = [g for _, g in grads]
                    else:
                        running = [
                            None if r is None or g is None else r + g for r, (_, g) in zip(running, grads)
                        ]
                    grads = [(name, r) for (name, _), r in zip(grads, running)]
                samples.append(grads)
        return zico_from_grads(samples)


@hookimpl
def nas_harness_proxies():
    return [ZiCo]
