"""synflow: Tanaka et al., "Pruning neural networks without any data by iteratively conserving
synaptic flow" (NeurIPS 2020), as a zero-cost NAS proxy in Abdelfattah et al., "Zero-Cost
Proxies for Lightweight NAS" (ICLR 2021; code SamsungLabs/zero-cost-nas, whose measure
NAS-Bench-Suite-Zero used for its published scores).
"""

from __future__ import annotations

from nas_harness.api import Needs, PluginConfig, Proxy, ScoreContext, hookimpl

from ._torch_utils import FloatName, SynflowGrads, synflow_weight_grads


class SynflowConfig(PluginConfig):
    dtype: FloatName = "float64"
    """Precision of the model and the all-ones input. float64 (default, as zero-cost-nas) keeps
    the product of |weights| over ~20 layers finite; float32 overflows to inf on large NB201
    cells (recorded as a failure)."""
    bn: bool = False
    """Build the model with BatchNorm. False (default) is synflow; True is zero-cost-nas's
    ``synflow_bn`` variant (BatchNorm in train mode on the single all-ones image)."""


class Synflow(Proxy):
    """Synaptic flow: sum over Conv2d/Linear weights of |theta * dR/dtheta|, R = sum(f_|theta|(1)).

    Definition (Tanaka et al. 2020, eq. 2 with the network "linearized"): replace every
    parameter by its absolute value, feed an all-ones input, let R be the sum of the outputs,
    and score each weight by theta * dR/dtheta; zero-cost-nas sums the absolute values of these
    per-weight scores over all Conv2d/Linear weights. Data-free: no batch and no labels.

    Choices, where the paper leaves room:

    * BatchNorm is removed (``build_model(bn=False)``, zero-cost-nas builds its copy with BN
      forwards replaced by the identity); ``bn=True`` gives the ``synflow_bn`` variant, model in
      train mode.
    * The model and the input are float64 by default (zero-cost-nas casts to double); ``dtype``
      selects float32.
    * Every parameter (weights and biases, BatchNorm affine parameters when present) is replaced
      by its absolute value, as zero-cost-nas does through ``state_dict``; buffers are not
      touched (with BN removed there are none, and train-mode BN does not read them). The
      reference restores the signs afterwards; our model is fresh for each call, so it is simply
      discarded.
    * The input is one all-ones image, shape ``(1, *ctx.dataset.input_shape)`` (zero-cost-nas:
      ``[1] + input_dim``).
    * Only Conv2d/Linear *weights* are scored (not biases); a layer R does not depend on scores
      0. The score is the sum over all of them (zero-cost-nas returns per-layer sums that its
      caller adds up: the same number).
    * The raw sum is returned. NAS-Bench-Suite-Zero publishes log(score); the ranking is the same.
    * The gradients are the ``SynflowGrads`` probe, shared with logsynflow: a model of its own
      (|weights|, its own BN setting and dtype), never the one other proxies read.
    """

    name = "synflow"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.GRAD})
    Config = SynflowConfig
    summary = (
        "synaptic flow sum |theta * dR/dtheta| of the |weights| network on an all-ones input (data-free)"
    )

    def probes(self):
        cfg: SynflowConfig = self.config  # type: ignore[assignment]
        return (SynflowGrads(bn=cfg.bn, dtype=cfg.dtype),)

    def score(self, ctx: ScoreContext) -> float:
        import torch

        from nas_harness.api.probes import DTYPES

        cfg: SynflowConfig = self.config  # type: ignore[assignment]
        score = torch.zeros((), dtype=DTYPES[cfg.dtype], device=ctx.device)
        for _, w, g in synflow_weight_grads(ctx, bn=cfg.bn, dtype=cfg.dtype):
            if g is not None:
                score = score + (w * g).abs().sum()
        return float(score)


@hookimpl
def nas_harness_proxies():
    return [Synflow]
