"""The results format of the search protocols (P15 budgeted search, P16 query counts).

One file holds one ``nash search``: a cell per (strategy, objective, dataset), each with its
repeats. Ground truth in it was looked up by the protocol after each search ended; a cell whose
objective is an oracle (the "ValAcc" upper bound, P16) says so in ``uses_ground_truth``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nas_harness.api import Signature

from .schema import SIGNATURE_FIELDS_DOC, Environment, OracleRecord, read_json, signature_agrees

SEARCH_SCHEMA_VERSION = "1"


class Stat(BaseModel):
    """Mean and population standard deviation (ddof = 0) over the repeats that have a value."""

    mean: float | None
    std: float | None
    n: int


class TrajectoryPoint(BaseModel):
    """From ``step`` on (until the next point), the best architecture by the objective."""

    step: int = Field(description="number of distinct architectures scored so far (1-based)")
    arch: str
    accuracy: float | None = Field(description="its ground truth under the cell's target oracle")


class Optimum(BaseModel):
    """The best architecture of the whole space under the target oracle."""

    value: float
    arch: str
    index: int | None
    space_size: int
    n_with_value: int = Field(description="architectures of the space the oracle has a value for")


class SearchRepeat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int
    chosen: str
    chosen_index: int | None
    accuracy: float | None = Field(description="target oracle value of the chosen architecture")
    also: list[float | None] = Field(
        default_factory=list, description="values under the cell's other oracles, in order"
    )
    rank: int | None = Field(
        description="1 + number of architectures of the space strictly better (target oracle)"
    )
    best_explored: float | None = Field(description="best target value among all architectures scored")
    n_scored: int = Field(description="distinct architectures scored (≤ budget)")
    steps_to_optimum: int | None = Field(
        description="steps until the best-so-far reached the space optimum (ground-truth queries when the objective is an oracle)"
    )
    labels: int = Field(
        0, description="ground-truth labels spent before the search (a trainable proxy's calibration set)"
    )
    queries_to_optimum: int | None = Field(
        None,
        description="labels + steps_to_optimum: every query that reached the optimum, calibration included",
    )
    wall_s: float = Field(
        description="wall-clock time of this search, as run (scores from the store are free)"
    )
    scoring_s: float = Field(description="part of wall_s spent computing or fetching scores")
    cost_s: float = Field(
        description="cold-store cost: strategy time plus the stored compute time of every score used"
    )
    trajectory: list[TrajectoryPoint] = Field(description="change points of the best-so-far architecture")
    trajectory_exact: bool = Field(
        True,
        description="False for population-relative objectives, whose best-so-far is computed at checkpoints",
    )
    strategy_info: dict[str, Any] = Field(
        default_factory=dict, description="what the strategy returned beyond the standard history"
    )


class SearchCell(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy: str
    strategy_label: str
    strategy_version: str
    strategy_distribution: str
    strategy_config: dict[str, Any]
    objective: Literal["proxy", "oracle"]
    uses_ground_truth: bool = Field(description="True when the strategy searched with an oracle as its score")
    proxy: str = Field(description="proxy name, or 'oracle:NAME' when the objective is ground truth")
    proxy_version: str | None
    proxy_config: dict[str, Any]
    population_relative: bool = Field(
        description="the objective ranks a set (a combinator), not one architecture"
    )
    dataset: str
    signature: str
    signature_fields: Signature | None = Field(None, description=SIGNATURE_FIELDS_DOC)
    budget: int
    target: OracleRecord
    also: list[OracleRecord] = Field(default_factory=list)
    optimum: Optimum | None
    accuracy: Stat
    also_accuracy: list[Stat] = Field(default_factory=list)
    rank: Stat
    best_explored: Stat
    steps_to_optimum: Stat
    reached_optimum: int = Field(description="repeats whose best-so-far reached the space optimum")
    labels: int = Field(
        0, description="calibration labels of a trainable proxy, counted in budget and queries"
    )
    calibration: str = Field(
        "", description="the fitted proxy's calibration (source, k, seed, set and state hashes)"
    )
    queries_to_optimum: Stat | None = None
    cost_s: Stat
    wall_s: Stat
    input_kind: str
    input_fallback: bool = False
    repeats: list[SearchRepeat]

    @model_validator(mode="after")
    def _typed_signature_agrees(self) -> SearchCell:
        signature_agrees(self.signature, self.signature_fields)
        return self


class SearchResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str = SEARCH_SCHEMA_VERSION
    protocol: Literal["search"] = "search"
    created: str
    config: dict[str, Any]
    config_hash: str
    inputs: dict[str, dict[str, Any]] = Field(description="input batch per dataset")
    environment: Environment
    cells: list[SearchCell]
    trajectory_file: str | None = None
    duration_s: float
    checksum: str | None = None  # sha256 of the rest (nas_harness.checksum); None in files before 0.2


def load_search_results(path: Path) -> SearchResult:
    from nas_harness.api import HarnessError
    from nas_harness.checksum import check_seal

    data = read_json(path)
    check_seal(data, path)
    try:
        return SearchResult.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise HarnessError(f"results file {path}: not a search result ({where}: {first['msg']})") from None
