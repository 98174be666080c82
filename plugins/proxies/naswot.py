"""naswot: the ReLU-code kernel score of Mellor, Turner, Storkey & Crowley, "Neural
Architecture Search without Training" (ICML 2021; arXiv:2006.04647 v2 onwards; code
BayesWatch/nas-without-training). NAS-Bench-Suite-Zero publishes it as ``nwot``, computed with
NASLib's ``measures/nwot.py``. (The paper's arXiv v1 score is ``jacob_cov``.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl
from nas_harness.api.probes import FloatName, Objective, Tap, TapHooks, probe

from ._torch_utils import batch

if TYPE_CHECKING:
    import torch
    from torch import nn

EXACT_FLOAT32 = 2**24  # integers up to this are exact in float32


class NaswotConfig(PluginConfig):
    bn: bool = True
    """Build the model with BatchNorm, used in train mode (NASLib nwot: bn=True)."""


def add_codes(kernel: np.ndarray, output: torch.Tensor) -> np.ndarray:
    """``kernel`` plus the agreement counts c c^T + (1 - c)(1 - c)^T of one ReLU call's codes.

    The code of sample i is c_i = [z_i > 0] for the call's input z (N x D after flattening);
    it is read from the output, which is > 0 exactly where the input is (an in-place ReLU has
    overwritten its input by then).
    """
    import torch

    code = (output.detach() > 0).reshape(output.shape[0], -1)
    d = code.shape[1]
    dtype = torch.float32 if d <= EXACT_FLOAT32 else torch.float64
    signs = code.to(dtype) * 2 - 1  # +1 / -1: s_i . s_j = agreements - disagreements
    agree = (signs @ signs.T + d) / 2
    return kernel + agree.to("cpu", torch.float64).numpy()


@dataclass(frozen=True)
class ReluCodeKernel(Tap):
    """K_H = sum over nn.ReLU calls of (D - Hamming distance) between the samples' binary codes,
    an N x N float64 array, read by forward hooks on the batch pass (no gradient needed)."""

    bn: bool = True
    dtype: FloatName | None = None
    grad_objective: Objective | None = None

    def attach(self, model: nn.Module, hooks: TapHooks) -> Callable[[], np.ndarray]:
        from torch import nn

        state: dict[str, np.ndarray] = {}  # "kernel": the sum so far (absent: no ReLU called)

        def hook(module: nn.Module, args, output: torch.Tensor) -> None:
            state["kernel"] = add_codes(state.get("kernel", 0.0), output)

        for m in model.modules():
            if isinstance(m, nn.ReLU):
                hooks.forward(m, hook)
        return lambda: state.get("kernel")


class Naswot(Proxy):
    """NASWOT: log |det K_H| of the ReLU-code Hamming kernel on one batch (Mellor et al., ICML 2021).

    Definition (Mellor et al. 2021, Sec. 3): each input x_i of a mini-batch gets a binary code
    c_i, the on/off pattern of the network's rectified linear units. With N_A units and Hamming
    distance d_H, K_H[i, j] = N_A - d_H(c_i, c_j), and the score is log |K_H|. It is large when
    the inputs' activation patterns are far apart.

    Choices, where the paper leaves room:

    * The units are the outputs of every call of an ``nn.ReLU`` module (forward hooks); a module
      called several times adds every call, and each call adds its own term, which is the same as
      one long code. This is NASLib's nwot, which NAS-Bench-Suite-Zero used; BayesWatch's code
      also counts only ReLUs that a backward pass reached, which on NB201 is every ReLU (every
      node feeds the output), so the two agree there. Other activations (ReLU6, LeakyReLU,
      functional ``F.relu``) are not counted.
    * A unit is on when its input is > 0 (exactly 0 is off), as in both codes.
    * Train mode, BatchNorm with batch statistics (``bn=True``), forward pass only, no labels.
    * The score is log |det K_H| via ``slogdet`` in float64. K_H is positive semi-definite, so its
      determinant is >= 0; it is 0 when two inputs have the same code (or codes are linearly
      dependent), and then the score is -inf: ``ProxyFailure`` (NASLib returns -inf, which
      NAS-Bench-Suite-Zero's table keeps for one NB201 CIFAR-10 cell).
    * The per-call counts c c^T are exact integers (float32 up to 2^24 units per call, float64
      beyond).
    * The kernel is the ``ReluCodeKernel`` tap: forward hooks on the seeded batch pass that the
      other proxies of the architecture share (its forward values do not depend on whether
      gradients are recorded).
    """

    name = "naswot"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA})
    Config = NaswotConfig
    summary = (
        "NASWOT log|det| of the Hamming kernel of ReLU activation codes over a batch (Mellor et al. 2021)"
    )

    def probes(self):
        return (ReluCodeKernel(bn=self.config.bn),)  # type: ignore[attr-defined]

    def score(self, ctx: ScoreContext) -> float:
        batch(ctx, labels=False)  # the batch must be there
        kernel = probe(ctx, ReluCodeKernel(bn=self.config.bn))  # type: ignore[attr-defined]
        if kernel is None or not kernel.any():
            raise ProxyFailure("the model has no nn.ReLU module, so NASWOT has no codes")
        sign, logdet = np.linalg.slogdet(kernel)
        if sign == 0 or not np.isfinite(logdet):
            raise ProxyFailure("the ReLU-code kernel is singular (two inputs share an activation pattern)")
        return float(logdet)


@hookimpl
def nas_harness_proxies():
    return [Naswot]
