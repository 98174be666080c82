"""The results format of a versioned suite run (``nash run --suite standard``).

One self-contained file: the suite's pinned definition and id, every dataset's correlation run
(with its top-10 % metrics), the per-architecture scores behind them (for paired significance
tests and plots, so a file read elsewhere needs nothing beside it), the dataset sweep, the small
search, and one summary row per proxy. The leaderboard ranks rows of such files against each
other only when their comparable keys are equal (``comparable_key``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .schema import Environment, RunResult, comparable_part, read_json
from .search_schema import SearchResult, Stat
from .sweep_schema import SweepResult

STANDARD_SCHEMA_VERSION = "1"


class SuiteRecord(BaseModel):
    name: str
    version: str
    content_hash: str
    id: str = Field(description="name@version+content_hash")
    headline: str
    definition: dict[str, Any] = Field(description="the pinned definition the hash is computed over")
    benchmarks: dict[str, list[str]] | None = Field(
        None, description="cross-space suites: benchmark → its columns (benchmark/task), in the suite's order"
    )

    def columns(self) -> list[str]:
        """The suite's correlation columns: datasets, or benchmark/task of a cross-space suite."""
        if self.benchmarks is not None:
            return [c for cols in self.benchmarks.values() for c in cols]
        return list(self.definition.get("datasets", []))


class ScoreColumns(BaseModel):
    """One dataset's per-architecture values, in the suite's sample order (None = failed/missing)."""

    dataset: str = Field(description="the dataset (benchmark/task in a cross-space suite)")
    archs: list[str]
    target: list[float | None]
    target_higher_is_better: bool = Field(True, description="the target's direction (False: e.g. a loss)")
    scores: dict[str, list[float | None]] = Field(description="proxy → raw score as the proxy returned it")


class StandardRow(BaseModel):
    """One proxy in one suite run: the headline and what it is made of."""

    model_config = ConfigDict(extra="forbid")

    proxy: str
    version: str
    distribution: str
    higher_is_better: bool
    reads_input: bool = Field(description="the proxy looked at the input batch on some dataset")
    signatures: dict[str, str] = Field(
        description="dataset → correlation signature; 'search' → search signature"
    )
    headline: float | None = Field(
        description="the suite's headline metric (mean signed Spearman ρ over its datasets)"
    )
    spearman: dict[str, float | None]
    kendall: dict[str, float | None]
    top_retrieval: dict[str, float | None] = Field(description="dataset → top-k % retrieval (P3)")
    n: int
    n_failed: dict[str, int]
    time_per_arch_s: float | None = Field(
        description="mean over datasets of the mean scoring time per architecture"
    )
    input_fallback: bool = False
    search_label: str | None = None
    search_accuracy: Stat | None = None
    search_rank: Stat | None = None
    benchmarks: dict[str, float | None] | None = Field(
        None,
        description="cross-space suites: benchmark → mean signed ρ over its tasks where the proxy applies "
        "(a benchmark where it applies to no task is absent)",
    )
    headline_ci: list[float] | None = Field(
        None, description="cross-space suites: [low, high] bootstrap interval of the headline"
    )
    top_benchmarks: dict[str, float | None] | None = Field(
        None, description="cross-space suites: benchmark → top-k % retrieval, mean over its tasks"
    )
    not_applicable: dict[str, str] = Field(
        default_factory=dict, description="column → why the proxy cannot score it (never counted as 0)"
    )
    ranks_nothing: dict[str, str] | None = Field(
        None,
        description="cross-space suites: column → why its undefined ρ counts as 0 (every score equal)",
    )


class StandardResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str = STANDARD_SCHEMA_VERSION
    protocol: Literal["standard"] = "standard"
    created: str
    suite: SuiteRecord
    proxies: list[str]
    rows: list[StandardRow]
    runs: list[RunResult] = Field(description="one correlation run per dataset, in the suite's order")
    scores: list[ScoreColumns]
    sweep: SweepResult | None = Field(None, description="the dataset sweep (None: a cross-space suite)")
    search: SearchResult | None = None
    environment: Environment
    duration_s: float
    checksum: str | None = None  # sha256 of the rest (nas_harness.checksum); None in files before 0.2


def _wild(part: str, input_too: bool) -> str:
    """``none`` in an input/init field (the proxy did not use it) becomes ``*``; with
    ``input_too`` every input field does (a proxy that read no input on any dataset)."""
    out = []
    for f in part.split("|"):
        name, _, value = f.partition(":")
        if name in ("input", "init") and (value == "none" or (name == "input" and input_too)):
            f = f"{name}:*"
        out.append(f)
    return "|".join(out)


def comparable_key(suite_id: str, row: StandardRow) -> str:
    """Suite id plus every signature of the row minus its proxy part. Where the proxy used no input
    (or no initialized model) the field is ``*``: its numbers do not depend on it, so it is
    comparable whatever the other rows had there (``standard_render.group_suite_rows``)."""
    parts = [f"suite:{suite_id}"]
    for name in sorted(row.signatures):
        part = comparable_part(row.signatures[name])
        parts.append(f"{name}={_wild(part, not row.reads_input)}")
    return " ‖ ".join(parts)


def load_standard(path: Path) -> StandardResult:
    """Read a suite result file, with an error that names the file and the problem."""
    from nas_harness.api import HarnessError
    from nas_harness.checksum import check_seal

    data = read_json(path)
    check_seal(data, path)
    if isinstance(data, dict) and data.get("schema_version") not in (None, STANDARD_SCHEMA_VERSION):
        raise HarnessError(
            f"results file {path}: suite-result schema_version {data.get('schema_version')!r}, "
            f"this harness reads {STANDARD_SCHEMA_VERSION!r}"
        )
    try:
        return StandardResult.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise HarnessError(f"results file {path}: not a suite result ({where}: {first['msg']})") from None
