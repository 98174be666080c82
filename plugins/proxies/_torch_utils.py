"""What several torch proxies share: one place for each concept.

The basic helpers live in the plugin contract ``nas_harness.api.probes`` and are re-exported here:

* ``prunable_layers``: the layers whose weights the saliency proxies sum over
  (``nn.Conv2d`` and ``nn.Linear``, as in zero-cost-nas's ``get_layer_metric_array``).
* ``as_dtype``: the config spelling of a float dtype and moving a model to it.
* ``batch``: the scoring batch on the context's device, or ``ProxyFailure`` when it is absent.
* ``seeded``: a forward/backward with the torch RNG seeded from ``ctx.seed`` (stochastic layers
  such as dropout draw the same masks on every call) without touching the caller's RNG state.
* ``logits``: run the model and check it returned one (N, K) tensor; ``network_output``: any
  batch-first output (dense maps too), for passes that only sum outputs.

and two probe readers:

* ``cross_entropy_weight_grads``: dL/dW of every prunable weight for the cross-entropy of the
  batch (the ``ParamGrads`` probe), for snip, grad_norm and plain.
* ``synflow_weight_grads``: SynFlow's probe (``SynflowGrads``), for synflow and logsynflow.

Nothing here catches an exception: a failure inside a proxy reaches the engine, which records
it against the architecture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nas_harness.api import ScoreContext
from nas_harness.api.probes import (  # noqa: F401 - re-exported for the proxies
    FloatName,
    ParamGrads,
    SynflowGrads,
    as_dtype,
    batch,
    logits,
    network_output,
    probe,
    prunable_layers,
    seeded,
)

if TYPE_CHECKING:
    import torch
    from torch import nn


def cross_entropy_weight_grads(
    ctx: ScoreContext, *, bn: bool
) -> list[tuple[str, torch.Tensor, torch.Tensor | None]]:
    """(name, W, dL/dW) for every Conv2d/Linear weight W of a fresh model, computed once per arch.

    L is the cross-entropy of the whole batch against its labels (mean over samples), the model
    is in train mode (BatchNorm, when built with ``bn=True``, uses the batch statistics), as
    built (float32 for the built-in spaces), one seeded forward and one backward pass
    (``ParamGrads``, shared with every planned probe of that pass). dL/dW is ``None`` for a
    layer the loss does not depend on. Tensors are detached, on ``ctx.device``; callers must not
    modify them (they are shared).
    """
    return probe(ctx, ParamGrads(bn=bn))


def cross_entropy_weight_grads_of(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> list[tuple[str, torch.Tensor, torch.Tensor | None]]:
    """(name, W, dL/dW) for every Conv2d/Linear weight W of ``model`` on the batch (x, y); not cached.

    L is the mean cross-entropy of ``model(x)`` against ``y``: one forward and one backward pass
    in the model's current mode, on whatever sub-batch the caller passes (zico scores several).
    dL/dW is ``None`` for a layer the loss does not depend on; tensors are detached.
    """
    import torch
    import torch.nn.functional as F

    layers = prunable_layers(model)
    weights = [m.weight for _, m in layers]
    loss = F.cross_entropy(logits(model, x), y)
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    return [
        (name, w.detach(), None if g is None else g.detach())
        for (name, _), w, g in zip(layers, weights, grads)
    ]


def synflow_weight_grads(
    ctx: ScoreContext, *, bn: bool, dtype: FloatName
) -> list[tuple[str, torch.Tensor, torch.Tensor | None]]:
    """SynFlow's probe, once per architecture: (name, |W|, dR/dW) for every Conv2d/Linear weight.

    A fresh model (``bn`` as given, train mode, ``dtype``) has every parameter replaced by its
    absolute value; R is the sum of its outputs on one all-ones input of shape
    ``(1, *ctx.dataset.input_shape)``; dR/dW is ``None`` for a layer R does not depend on.
    With non-negative weights and input, every activation and every dR/dW is >= 0 for a ReLU
    network. Tensors are detached and shared (``SynflowGrads``): callers must not modify
    them. For the synflow family (synflow, logsynflow).
    """
    return probe(ctx, SynflowGrads(bn=bn, dtype=dtype))
