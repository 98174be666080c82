"""Results of a sweep (P6–P10): one correlation run per value of one config field.

A sweep row holds one proxy's metric at every value, their mean and their population std
(ddof = 0, as WRCor's Tables 4–6 report). Each value's run is an ordinary results file
(``points[i].results_file``) with its own signatures; the sweep only tabulates them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .schema import CI, Environment

SWEEP_SCHEMA_VERSION = "1"


class SweepPoint(BaseModel):
    label: str = Field(description="the swept field's value, as text")
    settings: dict[str, Any] = Field(
        description="dotted path → value set for this point (the field and linked fields)"
    )
    config_hash: str
    results_file: str | None = None
    comparable: str = Field(description="the signature minus its proxy part, shared by this point's rows")
    duration_s: float


class SweepCell(BaseModel):
    value: float | None
    ci: CI | None = None
    n_used: int = 0
    n_failed: int = 0


class SweepRow(BaseModel):
    proxy: str
    reference: str | None = None
    cells: list[SweepCell | None] = Field(description="one per point, None where the proxy did not run")
    mean: float | None
    std: float | None = Field(description="population standard deviation (ddof = 0) over the defined cells")
    n_values: int


class SweepResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str = SWEEP_SCHEMA_VERSION
    protocol: str = "sweep"
    created: str
    field: str
    linked: list[str] = Field(default_factory=list)
    metric: str
    abs: bool
    points: list[SweepPoint]
    rows: list[SweepRow]
    base_config: dict[str, Any]
    environment: Environment
    duration_s: float
    checksum: str | None = None  # sha256 of the rest (nas_harness.checksum); None in files before 0.2
