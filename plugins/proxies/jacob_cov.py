"""jacob_cov: the Jacobian-covariance score of Mellor, Turner, Storkey & Crowley, "Neural
Architecture Search without Training", arXiv:2006.04647 **v1** (2020), as a zero-cost proxy
in Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS" (ICLR 2021; code
SamsungLabs/zero-cost-nas ``measures/jacob_cov.py``; NAS-Bench-Suite-Zero publishes it as
``jacov``). The paper's later version (ICML 2021) replaced it by the ReLU-code kernel: see
``naswot``.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl
from nas_harness.api.probes import InputGrads, probe

from ._torch_utils import batch


class JacobCovConfig(PluginConfig):
    k: float = Field(1e-5, gt=0)
    """Regulariser added to every eigenvalue (Mellor et al. v1 and zero-cost-nas: 1e-5)."""
    bn: bool = True
    """Build the model with BatchNorm, used in train mode (zero-cost-nas: bn=True)."""


def jacob_cov_score(jacobian: np.ndarray, k: float) -> float:
    """-sum_i [log(v_i + k) + 1/(v_i + k)] over the eigenvalues v of corrcoef(rows of J)."""
    j = np.asarray(jacobian, dtype=np.float64)
    if j.shape[0] < 2:
        raise ProxyFailure("jacob_cov needs at least two inputs")
    flat = np.ptp(j, axis=1) == 0
    if flat.any():
        raise ProxyFailure(
            f"the input gradient of {int(flat.sum())} of {j.shape[0]} samples is constant, "
            "so their correlations are undefined"
        )
    corr = np.corrcoef(j)
    v = np.linalg.eigvalsh(corr)
    if not np.all(v + k > 0):
        raise ProxyFailure(
            f"correlation matrix has eigenvalue {v.min():.3g} <= -k; it is not a valid correlation"
        )
    return float(-np.sum(np.log(v + k) + 1.0 / (v + k)))


class JacobCov(Proxy):
    """Jacobian covariance: -sum(log(v + k) + 1/(v + k)) over eigenvalues v of corr(J) (Mellor et al. v1).

    Definition (Mellor et al. 2020, arXiv v1, Sec. 3): J stacks, for each input x_n of a batch,
    the gradient of the network's output with respect to x_n, flattened; Sigma_J is the
    correlation matrix of the rows of J (N x N), v its eigenvalues, and the score is
    -sum_i [log(v_i + k) + 1/(v_i + k)], k = 1e-5. It is largest when the per-input Jacobians are
    uncorrelated (all v_i = 1).

    Choices, where the paper leaves room:

    * "The output" is reduced to a scalar per sample by summing the logits (zero-cost-nas
      backpropagates a tensor of ones), and the whole batch is one backward pass, so with
      train-mode BatchNorm a row also carries the O(1/N) cross-sample terms, as in the reference.
    * The model is in train mode with BatchNorm (``bn=True``), as in zero-cost-nas.
    * The correlation matrix is ``np.corrcoef`` of the rows, in float64; it is symmetric, so we
      use the symmetric eigensolver (``eigvalsh``: real eigenvalues) where the reference uses
      ``np.linalg.eig``.
    * A sample whose input gradient is constant (e.g. zero, when the output does not depend on
      the input) makes the correlation undefined: ``ProxyFailure`` (the reference gets NaN and
      NAS-Bench-Suite-Zero stores -1e8).
    * Labels are not used.
    * The input gradients are the ``InputGrads`` probe: one seeded forward of the batch shared
      with every other proxy of the same pass, and a backward of the summed logits to the input.
    """

    name = "jacob_cov"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.GRAD})
    Config = JacobCovConfig
    summary = "Jacobian covariance of Mellor et al. (NASWOT arXiv v1): input-gradient correlation spectrum"

    def probes(self):
        return (InputGrads(bn=self.config.bn),)  # type: ignore[attr-defined]

    def score(self, ctx: ScoreContext) -> float:
        cfg: JacobCovConfig = self.config  # type: ignore[assignment]
        batch(ctx, labels=False)  # the batch must be there
        jac = probe(ctx, InputGrads(bn=cfg.bn)).grads
        return jacob_cov_score(jac.cpu().numpy(), cfg.k)


@hookimpl
def nas_harness_proxies():
    return [JacobCov]
