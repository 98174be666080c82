"""The versioned results format: what a run writes and what the leaderboard reads.

Every proxy result carries a one-line signature (sacrebleu style). Two numbers are
comparable exactly when their signatures, minus the proxy part, are equal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nas_harness.api import Signature

RESULTS_SCHEMA_VERSION = "1"


def signature_agrees(signature: str, fields: Signature | None) -> None:
    """The typed signature, when present, must render to the stored line (no silent edits)."""
    if fields is not None and fields.render() != signature:
        raise ValueError(f"signature_fields render to {fields.render()!r}, not the signature {signature!r}")


SIGNATURE_FIELDS_DOC = (
    "the signature's fields, typed (nas_harness.api.Signature; rendered they give `signature`); "
    "None in files written before they were recorded"
)


class CI(BaseModel):
    low: float
    high: float


class Correlation(BaseModel):
    """Signed value; ``abs`` is the view paper 001 reports."""

    value: float | None
    ci: CI | None = None

    @property
    def abs(self) -> float | None:
        return None if self.value is None else abs(self.value)


class TopKRecord(BaseModel):
    """P3: how well the proxy finds the best architectures (see harness/protocols/topk.py)."""

    fraction: float
    k: int
    retrieval: float
    precision_at_k: float
    spearman_in_top: float | None
    kendall_in_top: float | None
    best_rank_in_top: int


class SelectionRecord(BaseModel):
    """P4/P5: the proxy's argmax over the evaluated architectures and the set tied with it."""

    arch: str
    target: float
    rank: int = Field(description="among the evaluated architectures by target, 1 = best")
    policy: str
    tied: int
    tied_target_min: float
    tied_target_mean: float
    tied_target_max: float


class CostRecord(BaseModel):
    """P18: what scoring one architecture cost, and the whole space at that rate."""

    timed: int = Field(description="architectures with a recorded time")
    wall_mean_s: float | None
    wall_median_s: float | None
    cpu_mean_s: float | None = Field(description="process CPU time (all threads) per architecture")
    space_size: int | None = None
    space_wall_h: float | None = Field(
        None,
        description="wall_mean_s × space_size, in hours. Times are those recorded when each "
        "score was computed (scores reused from the store keep their original times); a probe shared "
        "by several proxies (e.g. one backward pass) is charged to the first proxy that computes it; "
        "the hardware is in the run's environment",
    )


class ScoreGroupsRecord(BaseModel):
    """P5: architectures sharing one score value (SED's equal-score-group analysis)."""

    n_groups: int = Field(description="distinct score values among archs with a finite score and target")
    n_tied_groups: int = Field(description="values shared by two or more architectures")
    n_tied_archs: int
    largest_group: int
    spearman_min: float | None = Field(
        description="Spearman ρ of each distinct value with the minimum target of its archs"
    )
    spearman_mean: float | None
    spearman_max: float | None
    within_var: float | None = Field(description="pooled variance of the target within tied groups")
    random_within_var: float | None = Field(
        description="mean of the same over random groups of the same sizes"
    )
    p_value: float | None = Field(
        description="share of random groupings at least as homogeneous as the proxy's"
    )
    n_random: int


class PairedComparisonRecord(BaseModel):
    """Does proxy ``a`` correlate better with the target than proxy ``b`` on the same archs?"""

    a: str
    b: str
    relation: str = Field(description="'above': b is the row ranked just above a; 'top': b is the top row")
    n: int
    diff: float | None = Field(description="ρ(a) − ρ(b) on the archs both scored")
    ci: CI | None
    p_bootstrap: float | None
    williams_t: float | None
    williams_p: float | None
    steiger_z: float | None
    steiger_p: float | None
    significant: bool = Field(description="the paired-bootstrap interval of diff excludes 0")
    method: str = "paired bootstrap of the Spearman difference (architectures resampled)"


class SeedPair(BaseModel):
    i: int
    j: int
    n: int
    spearman: float | None
    kendall: float | None


class CeilingRecord(BaseModel):
    """The noise ceiling: how well one training seed's accuracy ranks archs like another's."""

    oracle: str
    target: str
    n_seeds: int
    pairs: list[SeedPair]
    spearman_mean: float | None
    kendall_mean: float | None
    note: str = ""


class ScoreCorrelationRecord(BaseModel):
    """P14: Spearman ρ between every two score columns of a run (oriented, larger = better)."""

    names: list[str]
    matrix: list[list[float | None]]
    n: list[list[int]] = Field(description="architectures where both columns are finite")
    note: str = ""


class FailureGroup(BaseModel):
    """Architectures on which a proxy failed for the same reason (as the score store records it)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(description="the exception's type and message, or 'non-finite score: …'")
    archs: list[str] = Field(description="the architectures that failed this way, in the run's order")


class ProxyResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proxy: str
    version: str
    distribution: str
    higher_is_better: bool
    config: dict[str, Any]
    signature: str
    signature_fields: Signature | None = Field(None, description=SIGNATURE_FIELDS_DOC)
    n: int = Field(description="architectures requested")
    n_used: int = Field(description="architectures with a finite score and a finite target")
    n_failed: int
    failure_reasons: dict[str, int] = Field(default_factory=dict)
    failures: list[FailureGroup] = Field(
        default_factory=list,
        description="why each failed architecture failed, grouped by reason, most frequent first",
    )
    failure_treatment: str = "omitted from the correlation (nan_policy='omit')"
    spearman: Correlation
    kendall: Correlation
    topk: TopKRecord | None = None
    selection: SelectionRecord | None = None
    time_per_arch_s: float | None
    computed: int = Field(0, description="scores computed in this run (the rest came from the store)")
    input_kind: str
    input_fallback: bool = False
    cost: CostRecord | None = None
    score_groups: ScoreGroupsRecord | None = None
    reference: str | None = Field(
        None,
        description="set on reference rows (ground truth used as a score, e.g. 12-epoch "
        "accuracy): what the row is; such rows are shown but never ranked among proxies",
    )
    not_applicable: str | None = Field(
        None,
        description="set when the proxy cannot score this task's models (e.g. it needs class labels and the "
        "task is a regression): why; the row has no correlation and is not a failure",
    )

    @model_validator(mode="after")
    def _typed_signature_agrees(self) -> ProxyResult:
        signature_agrees(self.signature, self.signature_fields)
        return self


class Environment(BaseModel):
    harness: str
    python: str
    torch: str
    numpy: str
    platform: str
    cpu: str
    torch_threads: int
    device: str
    git: str | None = None
    plugins: dict[str, str] = Field(default_factory=dict, description="distribution -> version")
    sandbox: str | None = Field(
        None,
        description="the scoring workers' read sandbox: 'landlock …' when "
        "NASH_SANDBOX=1 enforced it, 'off' otherwise (None: files before it)",
    )


class OracleRecord(BaseModel):
    oracle: str
    dataset: str
    metric: str
    split: str
    epochs: int | None
    seed_aggregation: str
    higher_is_better: bool
    source: str
    unit: str = ""


class RunResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str = RESULTS_SCHEMA_VERSION
    protocol: str
    created: str
    config: dict[str, Any]
    config_hash: str
    oracle: OracleRecord
    input: dict[str, Any]
    environment: Environment
    results: list[ProxyResult]
    references: list[ProxyResult] = Field(default_factory=list)
    significance: list[PairedComparisonRecord] = Field(default_factory=list)
    ceiling: CeilingRecord | None = None
    score_correlations: ScoreCorrelationRecord | None = None
    scores_file: str | None = None
    duration_s: float
    checksum: str | None = None  # sha256 of the rest (nas_harness.checksum); None in files before 0.2


def comparable_part(signature: str) -> str:
    """The signature without its ``proxy:`` field."""
    return "|".join(p for p in signature.split("|") if not p.startswith("proxy:"))


def read_json(path: Path, label: str = "results file") -> Any:
    """A JSON file's content; a missing or malformed file is a HarnessError naming it (and the line)."""
    from nas_harness.api import HarnessError

    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise HarnessError(f"{label} {path}: not found") from None
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{label} {path}: not JSON (line {exc.lineno}: {exc.msg})") from None


def load_results(path: Path) -> RunResult:
    """Read a results JSON, with an error that names the file and the problem."""
    from nas_harness.api import HarnessError
    from nas_harness.checksum import check_seal

    data = read_json(path)
    check_seal(data, path)
    if isinstance(data, dict) and data.get("schema_version") not in (None, RESULTS_SCHEMA_VERSION):
        raise HarnessError(
            f"results file {path}: schema_version {data.get('schema_version')!r}, "
            f"this harness reads {RESULTS_SCHEMA_VERSION!r}"
        )
    try:
        return RunResult.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise HarnessError(f"results file {path}: {where}: {first['msg']}") from None


def json_schema() -> dict[str, Any]:
    return RunResult.model_json_schema()
