"""grad_norm: the gradient-norm baseline of Abdelfattah et al., "Zero-Cost Proxies for
Lightweight NAS" (ICLR 2021; code SamsungLabs/zero-cost-nas ``measures/grad_norm.py``, which
NAS-Bench-Suite-Zero used for its published scores).
"""

from __future__ import annotations

from nas_harness.api import Needs, PluginConfig, Proxy, ScoreContext, hookimpl

from ._torch_utils import ParamGrads, cross_entropy_weight_grads


class GradNormConfig(PluginConfig):
    bn: bool = True
    """Build the model with BatchNorm, used in train mode (zero-cost-nas: bn=True)."""


class GradNorm(Proxy):
    """Sum over Conv2d/Linear layers of the Euclidean norm of dL/dW.

    Definition (Abdelfattah et al. 2021, Sec. 3: "sum the Euclidean norm of the gradients"):
    for each Conv2d/Linear layer, ||dL/dW||_2 over all entries of its weight tensor (the
    Frobenius norm), summed over layers. zero-cost-nas returns one norm per layer and its
    caller adds them, so it is a sum of per-layer norms, not the norm of the whole gradient.

    Choices:

    * L is the cross-entropy of the whole batch against its labels (mean over the batch), one
      forward and one backward pass, float32 (norms accumulated in float64).
    * Train mode, BatchNorm with batch statistics (``bn=True``).
    * Weights only (not biases, not BatchNorm); a layer the loss does not depend on adds 0.
    * The gradient probe (``ParamGrads``) is shared with snip, plain and every other proxy of
      the same batch pass (one forward and one backward per architecture).
    """

    name = "grad_norm"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.LABELS, Needs.GRAD})
    Config = GradNormConfig
    summary = "sum over conv/linear layers of the L2 norm of dL/dW"

    def probes(self):
        return (ParamGrads(bn=self.config.bn),)  # type: ignore[attr-defined]

    def score(self, ctx: ScoreContext) -> float:
        grads = cross_entropy_weight_grads(ctx, bn=self.config.bn)  # type: ignore[attr-defined]
        return float(sum(g.double().norm().item() for _, _, g in grads if g is not None))


@hookimpl
def nas_harness_proxies():
    return [GradNorm]
