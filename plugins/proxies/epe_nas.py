"""epe_nas: per-class correlation of input Jacobians.

Lopes, Alirezazadeh, Alexandre, "EPE-NAS: Efficient Performance Estimation Without Training
for Neural Architecture Search" (ICANN 2021; code VascoLopes/EPE-NAS), as implemented in NASLib
(``predictors/pruners/measures/epe_nas.py``) and published by NAS-Bench-Suite-Zero.

1. J = d(sum_c y_c)/dx: the gradient of the sum of the logits with respect to each input
   image (one backward pass with a vector of ones), flattened per sample.
2. For each class c present in the batch, with J_c the rows of the samples labelled c and
   C_c = corrcoef(J_c) (Pearson, between samples):  s_c = sum_ij log(|C_c[i,j]| + k), k = 1e-5.
3. With n the number of classes (the width of the logits):
   n <= 100:  score = sum_c |s_c|;
   n > 100:   s_c is divided by the number of samples of class c, and
              score = sum_c sum_c' |s_c - s_c'| / (number of classes present).

Choices (all as the reference code unless said):

* Model in train mode (BatchNorm with batch statistics), built with BatchNorm. J is the
  ``InputGrads`` probe, the same as jacob_cov's (one forward shared with the other proxies of
  the batch pass, one backward of the summed logits to the input).
* A class with one sample in the batch: its "matrix" is [[1]], so s_c = log(1 + k) when
  n <= 100; when n > 100 the reference's division fails on it and skips the class, and so do we.
* A sample whose Jacobian is constant (e.g. NB201 cells whose output is always zero) makes the
  correlation NaN; the reference returns NaN (NAS-Bench-Suite-Zero stores -1e8); we raise
  ``ProxyFailure`` naming the class.
* The class count comes from the logits' width, as in the reference; ``aggregation`` can force
  either formula.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl
from nas_harness.api.probes import InputGrads, probe

if TYPE_CHECKING:
    import torch


class EPENASConfig(PluginConfig):
    eps: float = 1e-5
    """k in log(|corr| + k)."""
    aggregation: Literal["auto", "sum_abs", "pairwise"] = "auto"
    """auto: sum_abs for <= 100 classes, pairwise (normalised per class) above, as the reference."""


def _corrcoef(rows: torch.Tensor) -> torch.Tensor:
    import torch

    a = rows.to(torch.float64)
    a = a - a.mean(dim=1, keepdim=True)
    gram = a @ a.T
    std = torch.sqrt(torch.diagonal(gram))
    return (gram / std[:, None] / std[None, :]).clamp_(-1.0, 1.0)


def epe_score(
    jacobians: torch.Tensor,
    labels: torch.Tensor,
    n_classes: int,
    eps: float = 1e-5,
    aggregation: str = "auto",
) -> float:
    """The EPE-NAS score of flattened per-sample Jacobians and their labels."""
    import torch

    pairwise = n_classes > 100 if aggregation == "auto" else aggregation == "pairwise"
    labels = labels.reshape(-1).to(jacobians.device)
    per_class: dict[int, float] = {}
    for c in torch.unique(labels).tolist():
        rows = jacobians[labels == c]
        if rows.shape[0] == 1:
            if pairwise:
                continue  # the reference cannot normalise a 0-d "matrix" and skips the class
            per_class[c] = math.log(1.0 + eps)
            continue
        corr = _corrcoef(rows)
        if torch.isnan(corr).any():
            raise ProxyFailure(
                f"the input Jacobian of a sample of class {c} is constant, so its correlation is undefined"
            )
        s = torch.log(corr.abs() + eps).sum().item()
        per_class[c] = s / rows.shape[0] if pairwise else s
    if not per_class:
        raise ProxyFailure("no class of the batch has a correlation matrix")
    values = list(per_class.values())
    if not pairwise:
        return float(sum(abs(v) for v in values))
    return float(sum(abs(a - b) for a in values for b in values) / len(values))


class EPENAS(Proxy):
    """Per-class input-Jacobian correlation score (Lopes et al. 2021; NASLib implementation)."""

    name = "epe_nas"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.LABELS, Needs.GRAD})
    Config = EPENASConfig
    summary = "per-class correlation of input Jacobians (EPE-NAS, NASLib)"

    def probes(self):
        return (InputGrads(bn=True),)

    def score(self, ctx: ScoreContext) -> float:
        if ctx.inputs is None or ctx.targets is None:
            raise ProxyFailure("epe_nas needs an input batch with labels")
        jac = probe(ctx, InputGrads(bn=True))
        return epe_score(jac.grads, ctx.targets, jac.num_outputs, self.config.eps, self.config.aggregation)


@hookimpl
def nas_harness_proxies():
    return [EPENAS]
