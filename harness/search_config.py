"""The configuration of ``nash search`` (P15 budgeted search, P16 query counts): one model.

A search runs every strategy × objective × dataset, ``repeats`` times with seeds ``seed``,
``seed + 1``, …; the same seeds for every cell, so cells differ only by what they compare. The
objective is each proxy in ``proxies`` or, with ``objective: oracle``, ground truth itself
(``objective_oracle``, default the space's default oracle): WRCor's "X-ValAcc" upper bound and
P16's queries-to-optimum, marked as using ground truth wherever they are reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from .api import HarnessError
from .config import PluginRef, Strict, format_validation_error
from .inits import INITS
from .inputs import InputConfig


class SearchCalibration(Strict):
    """How a trainable proxy is fitted before it guides a search: k labelled architectures of
    the target oracle's coverage, drawn with ``seed``. Those k labels are ground-truth queries:
    the strategy's budget is ``budget - k`` and queries to the optimum count them."""

    k: int = Field(20, ge=2)
    seed: int = 0


class SearchConfig(Strict):
    """Everything that defines a ``nash search``."""

    protocol: Literal["search"] = "search"
    strategies: list[PluginRef] = Field(min_length=1)
    proxies: list[PluginRef] = Field(default_factory=list)
    objective: Literal["proxy", "oracle"] = "proxy"
    objective_oracle: PluginRef | None = Field(
        None,
        description="with objective 'oracle': the ground truth searched with (default: the space's default oracle)",
    )
    space: PluginRef | None = Field(
        None, description="the search space; default: the only installed space (several installed: required)"
    )
    datasets: list[str] | None = Field(
        None, min_length=1, description="the space's tasks; default: its default_task()"
    )
    oracle: PluginRef | None = Field(
        None, description="target ground truth (rank, optimum, trajectory); default: the space's"
    )
    also_oracles: list[PluginRef] = Field(
        default_factory=list, description="more ground truth reported for the chosen archs"
    )
    budget: int = Field(
        1000,
        ge=1,
        description="distinct architectures scored per search (with a trainable "
        "proxy: calibration labels included)",
    )
    calibration: SearchCalibration | None = Field(None, description="fit trainable proxies on k labels first")
    repeats: int = Field(3, ge=1)
    seed: int = Field(0, description="seed of the first repeat; repeat r uses seed + r")
    input: InputConfig = InputConfig()
    init: str = "kaiming_uniform"
    init_seed: int = Field(42, description="model-initialization seed of the proxies, as in `nash run`")
    device: str = "cpu"
    threads: int | None = Field(None, ge=1)

    @field_validator("strategies", "proxies", "also_oracles", mode="before")
    @classmethod
    def _names_to_refs(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("space", "oracle", "objective_oracle", mode="before")
    @classmethod
    def _name_to_ref(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("datasets", mode="before")
    @classmethod
    def _split_datasets(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("init")
    @classmethod
    def _known_init(cls, value: str) -> str:
        if value not in INITS:
            raise ValueError(f"must be one of {', '.join(INITS)}")
        return value

    @model_validator(mode="after")
    def _objective_consistent(self) -> SearchConfig:
        if self.objective == "proxy" and not self.proxies:
            raise ValueError("objective 'proxy' needs at least one proxy (or use objective 'oracle')")
        if self.objective == "oracle" and self.proxies:
            raise ValueError("objective 'oracle' searches with ground truth; give no proxies with it")
        if self.objective == "proxy" and self.objective_oracle is not None:
            raise ValueError("objective_oracle is only used with objective 'oracle'")
        for field_name in ("strategies", "proxies", "datasets"):
            names = [r.name if isinstance(r, PluginRef) else r for r in getattr(self, field_name) or []]
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise ValueError(f"{field_name}: {', '.join(dup)} listed twice")
        return self

    def seeds(self) -> list[int]:
        return [self.seed + r for r in range(self.repeats)]


def validate_search_config(data: dict[str, Any], source: Path | None = None) -> SearchConfig:
    try:
        return SearchConfig.model_validate(data)
    except ValidationError as exc:
        raise HarnessError(format_validation_error(exc, source=source, model=SearchConfig)) from None
