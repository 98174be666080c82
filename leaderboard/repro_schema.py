"""Results of a reproduction suite: a paper's table, cell by cell, next to ours."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .schema import Environment

REPRO_SCHEMA_VERSION = "1"


class ReproCell(BaseModel):
    column: str
    paper: float | None
    ours: float | None
    diff: float | None = Field(description="ours − paper")
    notes: list[str] = Field(
        default_factory=list, description="where our inputs or conventions differ from the paper's"
    )
    detail: str | None = None
    why: str | None = Field(
        None, description="the measured cause of a gap over the tolerance (0.05), from the reproduction"
    )
    unexplained: bool = Field(
        False,
        description="more than 0.05 from the paper (or undefined where the paper has a value) with no measured cause yet",
    )


class ReproRow(BaseModel):
    row: str = Field(description="the paper's row name")
    proxy: str | None = Field(description="our plugin (or reference) for it")
    status: Literal["ok", "not installed", "no plugin", "not run", "extra"]
    cells: list[ReproCell]
    note: str | None = None


class ReproRun(BaseModel):
    column: str
    label: str
    results_file: str | None
    config_hash: str
    comparable: str
    computed: int
    reused: int
    duration_s: float


class ReproResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str = REPRO_SCHEMA_VERSION
    protocol: str = "reproduce"
    suite: str
    version: str
    paper: str
    table: str
    title: str
    metric: str
    columns: list[str]
    rows: list[ReproRow]
    runs: list[ReproRun]
    notes: list[str] = Field(default_factory=list)
    options: dict[str, Any]
    created: str
    environment: Environment | None
    duration_s: float
