"""Results of ``nash few-shot``: what k labelled architectures buy, per learner, k and seed.

Every number is measured on the evaluation architectures only; the calibration architectures of
each (k, seed) are listed, disjoint from them, and counted as queries (``labels``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .schema import OracleRecord
from .search_schema import Stat


class CalibrationRecord(BaseModel):
    """One calibration set: where its labels came from, its k and seed, its hash (the store key
    and the signature carry it), and the fitted state's hash for a trainable proxy."""

    source: str
    space: str
    task: str
    k: int
    seed: int
    hash: str
    state_hash: str = ""
    archs: list[str]


class FewShotCell(BaseModel):
    """One learner fitted on one calibration set, scored on the evaluation architectures."""

    k: int
    seed: int
    status: Literal["ok", "failed", "leak"]
    reason: str | None = None
    calibration: CalibrationRecord
    labels: int  # ground-truth queries this cell spent (= k): counted in any budget
    n_eval: int
    n_used: int = 0  # evaluation architectures with a finite score and target
    spearman: float | None = None
    kendall: float | None = None
    top_retrieval: float | None = None  # share of the true top fraction found in the predicted top
    fit_s: float | None = None
    computed: int = 0  # evaluation scores computed by this cell (the rest came from the store)
    signature: dict[str, Any]  # the typed nas_harness.api.Signature, field by field
    signature_text: str
    details: dict[str, Any] = {}  # learner-specific (a baseline's features; a fitted config)


class FewShotSummary(BaseModel):
    """Mean ± population std (ddof = 0) over the seeds of one k."""

    k: int
    labels: int
    spearman: Stat
    kendall: Stat
    top_retrieval: Stat
    failed: int = 0


class FewShotLearner(BaseModel):
    name: str
    kind: Literal["trainable", "baseline"]
    version: str
    config: dict[str, Any]
    cells: list[FewShotCell]
    summary: list[FewShotSummary]


class SingleProxyRow(BaseModel):
    """A zero-cost proxy used as a baseline feature, on the evaluation architectures alone
    (no labels): the bar a learned combination has to clear."""

    proxy: str
    spearman: float | None
    kendall: float | None
    top_retrieval: float | None
    n_used: int
    n_failed: int


class FewShotResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    protocol: Literal["few-shot"] = "few-shot"
    created: str
    config: dict[str, Any]
    config_hash: str
    oracle: OracleRecord
    calibration_oracle: OracleRecord
    calibration_source: str
    evaluation_sample: str
    evaluation_archs: list[str]
    top_fraction: float
    ks: list[int]
    seeds: list[int]
    features: list[str]  # the baseline's zero-cost proxies (and "encoding" when used)
    learners: list[FewShotLearner]
    singles: list[SingleProxyRow]
    environment: dict[str, Any]
    notes: list[str] = []
    duration_s: float
