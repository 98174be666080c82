"""grasp: Gradient Signal Preservation saliency summed over the network.

Wang, Zhang, Grosse, "Picking Winning Tickets Before Training by Preserving Gradient Flow"
(ICLR 2020), as a zero-cost proxy in Abdelfattah et al., "Zero-Cost Proxies for Lightweight
NAS" (ICLR 2021; code SamsungLabs/zero-cost-nas ``measures/grasp.py``), whose scores
NAS-Bench-Suite-Zero publishes.

With theta the weights of every ``nn.Conv2d`` / ``nn.Linear`` module, L the cross-entropy of
one batch (true labels, mean over the batch, logits divided by a temperature T = 1),
g = dL/dtheta and H = d^2L/dtheta^2 (over those weights only),

    grasp = sum over weights of  -theta * (H g)

H g is the gradient of g_detached . dL/dtheta (a Hessian-vector product by double backward).
Higher is better: zero-cost-nas added the minus sign because accuracy correlates negatively
with +theta*Hg.

Choices:

* The reference runs two forward passes on the same batch (one for g, one with
  ``create_graph`` for the product). In train mode both see the same batch statistics, so we
  take g from the single ``create_graph`` pass (the ``GradHessianProduct`` probe); the values
  are the same. That pass also serves the ``ParamGrads`` of snip, grad_norm and plain and the
  other probes of the batch pass (same model, same loss when T = 1).
* Biases and BatchNorm parameters are neither in g nor in the sum (reference).
* A weight without a gradient path to the loss contributes 0 (reference: ``allow_unused``).
* ``num_iters`` of the reference repeats the same batch and is not offered.
"""

from __future__ import annotations

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl
from nas_harness.api.probes import CrossEntropy, GradHessianProduct, probe


class GraSPConfig(PluginConfig):
    temperature: float = 1.0
    """T in cross_entropy(logits / T, targets) (reference: 1)."""
    bn: bool = True
    """Build the model with BatchNorm (reference: bn=True)."""


class GraSP(Proxy):
    """-sum theta * Hg over conv/linear weights (Wang et al. 2020; zero-cost-nas)."""

    name = "grasp"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.LABELS, Needs.GRAD})
    Config = GraSPConfig
    summary = "GraSP saliency -theta*Hg summed over conv/linear weights (zero-cost-nas)"

    def probes(self):
        cfg: GraSPConfig = self.config  # type: ignore[assignment]
        return (GradHessianProduct(CrossEntropy(cfg.temperature), bn=cfg.bn),)

    def score(self, ctx: ScoreContext) -> float:
        if ctx.inputs is None or ctx.targets is None:
            raise ProxyFailure("grasp needs an input batch with labels")
        (spec,) = self.probes()
        terms = probe(ctx, spec)
        if all(g is None for _, _, g, _ in terms):
            raise ProxyFailure("no conv/linear weight has a gradient")
        total = 0.0
        for _, w, _, hg in terms:
            if hg is not None:  # every H g is None when g is constant in the weights: score 0
                total += -(w.double() * hg.double()).sum().item()
        return total


@hookimpl
def nas_harness_proxies():
    return [GraSP]
