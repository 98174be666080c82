"""Run configuration: one pydantic model, read from YAML, TOML or JSON, or built from flags.

Unknown keys are rejected everywhere (the run config and every plugin's own config); an
error names the file, the line where it can, the field path, the value given and what is
allowed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import tomllib
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .api import HarnessError
from .inits import INITS
from .inputs import InputConfig


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PluginRef(Strict):
    """A plugin by name with its own options (validated by the plugin's Config)."""

    name: str
    config: dict[str, Any] = Field(default_factory=dict)


class SampleConfig(Strict):
    """Which architectures: ``random`` (seeded, without replacement), ``first_n`` (the WRCor
    code's choice), ``list`` (explicit arch strings or indices) or ``all``."""

    mode: Literal["random", "first_n", "list", "all"] = "random"
    n: int = Field(1000, ge=1)
    seed: int = 0
    archs: list[str | int] | None = None
    take: int | None = Field(
        None,
        ge=1,
        description="keep only the first `take` architectures of the sample (a quick "
        "look at a subset of a larger sample, which reuses that sample's stored scores)",
    )

    def describe(self) -> str:
        if self.mode == "random":
            text = f"random(n={self.n},s={self.seed})"
        elif self.mode == "first_n":
            text = f"first_n(n={self.n})"
        elif self.mode == "list":
            text = f"list(n={len(self.archs or [])})"
        else:
            text = "all"
        return f"{text}[:{self.take}]" if self.take is not None else text


class RunConfig(Strict):
    """Everything that defines a run of the correlation protocol."""

    protocol: Literal["correlation"] = "correlation"
    space: PluginRef | None = Field(
        None, description="the search space; default: the only installed space (several installed: required)"
    )
    dataset: str | None = Field(None, description="the space's task; default: the space's default_task()")
    oracle: PluginRef | None = None  # None: the space's default oracle
    proxies: list[PluginRef] = Field(default_factory=list, min_length=1)
    sample: SampleConfig = SampleConfig()
    input: InputConfig = InputConfig()
    init: str = "kaiming_uniform"
    seed: int = 42  # model-initialization seed, the same for every architecture
    device: str = "cpu"
    threads: int | None = Field(
        None,
        ge=1,
        description="torch threads (of each worker with the local and dask "
        "executors; default: the cores divided among the workers)",
    )
    executor: Literal["inline", "local", "dask"] = Field(
        "local",
        description="where scores are computed: 'local' isolated worker processes, 'dask' a Dask "
        "cluster, 'inline' this process (no time or memory limits; for debugging)",
    )
    workers: int | None = Field(
        None,
        ge=1,
        description="worker processes (local) or LocalCluster workers "
        "(dask without a scheduler); default one per core",
    )
    scheduler: str | None = Field(
        None,
        description="executor dask: scheduler address, e.g. tcp://host:8786 "
        "(none: a LocalCluster on this machine)",
    )
    time_limit_s: float = Field(
        600.0,
        ge=0,
        description="wall time one architecture may take in a worker "
        "before it is killed and recorded as failed (0: no limit; local and dask)",
    )
    memory_limit_mb: int = Field(
        4096,
        ge=0,
        description="memory a worker may grow to; an allocation past it "
        "fails that proxy (0: no cap; local and dask, Linux)",
    )
    bootstrap: int = Field(1000, ge=0)
    confidence: float = Field(0.95, gt=0, lt=1)
    top_fraction: float = Field(0.1, gt=0, le=1, description="k of the top-k% metrics (P3)")
    tie_policy: Literal["first_index", "random", "report_set"] = "first_index"
    tie_break: Literal["none", "rank_keys"] = Field(
        "none",
        description="'rank_keys': a topology proxy's finer keys (Proxy.rank_keys, e.g. SED's exact "
        "order) choose among float-tied architectures at the argmax before tie_policy; 'none': the float score only",
    )
    ceiling: Literal["auto", "off"] | PluginRef = Field(
        "auto",
        description="noise-ceiling row: 'auto' = the run's oracle when it has per-seed data, "
        "an oracle (name or {name, config}) of the space, or 'off'",
    )
    references: list[PluginRef] = Field(
        default_factory=list,
        description="oracles of the space shown as reference rows (ground truth "
        "used as a score, e.g. nats_bench with hp '12': a training-based proxy); never ranked",
    )

    @field_validator("proxies", mode="before")
    @classmethod
    def _names_to_refs(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("space", "oracle", mode="before")
    @classmethod
    def _name_to_ref(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("ceiling", mode="before")
    @classmethod
    def _ceiling_ref(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) and value not in ("auto", "off") else value

    @field_validator("references", mode="before")
    @classmethod
    def _reference_refs(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("scheduler")
    @classmethod
    def _scheduler_needs_dask(cls, value: str | None, info) -> str | None:
        if value is not None and info.data.get("executor") != "dask":
            raise ValueError("a scheduler address is only used with executor 'dask'")
        return value

    @field_validator("memory_limit_mb")
    @classmethod
    def _usable_memory_limit(cls, value: int) -> int:
        if 0 < value < 512:
            raise ValueError("a worker needs at least 512 MB (torch alone takes ~250 MB); 0 disables the cap")
        return value

    @field_validator("init")
    @classmethod
    def _known_init(cls, value: str) -> str:
        if value not in INITS:
            raise ValueError(f"must be one of {', '.join(INITS)}")
        return value


# How a run is executed never changes its scores, so these stay out of its config hash.
EXECUTION_FIELDS = ("executor", "workers", "scheduler", "time_limit_s", "memory_limit_mb")


def executor_for(config: RunConfig):
    """The executor ``config`` asks for (workers start on the first architecture to score)."""
    from .executors import make_executor

    return make_executor(
        config.executor,
        workers=config.workers,
        threads=config.threads,
        scheduler=config.scheduler,
        time_limit_s=config.time_limit_s or None,
        memory_limit_mb=config.memory_limit_mb or None,
    )


# --------------------------------------------------------------------------- reading


def read_config_file(path: Path) -> tuple[dict[str, Any], str]:
    """Parse a YAML/TOML/JSON file into a dict; returns (data, format)."""
    if not path.is_file():
        raise HarnessError(f"config file {path}: not found")
    text = path.read_text()
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data, fmt = tomllib.loads(text), "toml"
        elif suffix == ".json":
            data, fmt = json.loads(text), "json"
        elif suffix in (".yaml", ".yml"):
            data, fmt = yaml.safe_load(text), "yaml"
        else:
            raise HarnessError(f"config file {path}: unknown format {suffix!r}; use .yaml, .toml or .json")
    except yaml.YAMLError as exc:
        raise HarnessError(f"config file {yaml_error_text(exc, path)}") from None
    except json.JSONDecodeError as exc:
        raise HarnessError(
            f"config file {path}:{exc.lineno}: cannot parse as json: {exc.msg} (column {exc.colno})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise HarnessError(f"config file {path}: cannot parse as toml: {exc}") from None
    if not isinstance(data, dict):
        raise HarnessError(f"config file {path}: top level must be a mapping, got {type(data).__name__}")
    return data, fmt


def yaml_error_text(exc: yaml.YAMLError, path: Path) -> str:
    """'FILE:LINE:COL: cannot parse as YAML: what' (PyYAML's own text names '<unicode string>')."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
    what = "; ".join(str(p) for p in (getattr(exc, "context", None), getattr(exc, "problem", None)) if p)
    return f"{where}: cannot parse as YAML: {what or type(exc).__name__}"


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` (from CLI flags) into ``base`` (from the file)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def validate_run_config(data: dict[str, Any], source: Path | None = None) -> RunConfig:
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise HarnessError(format_validation_error(exc, source=source, model=RunConfig)) from None


def validate_plugin_config(
    config_cls: type[BaseModel], data: dict[str, Any], where: str, source: Path | None = None
) -> BaseModel:
    """Validate a plugin's own options; ``where`` is the path of its config in the run config."""
    try:
        return config_cls.model_validate(data)
    except ValidationError as exc:
        raise HarnessError(
            format_validation_error(exc, prefix=where, source=source, model=config_cls)
        ) from None


def format_validation_error(
    exc: ValidationError,
    prefix: str = "",
    source: Path | None = None,
    model: type[BaseModel] | None = None,
) -> str:
    """One line per problem: where, what was given, what is allowed."""
    lines = []
    for err in exc.errors():
        parts = prefix.split(".") if prefix else []  # e.g. "proxies[0].config"
        for loc in err["loc"]:
            if isinstance(loc, int):
                parts[-1:] = [f"{parts[-1]}[{loc}]"] if parts else [f"[{loc}]"]
            else:
                parts.append(str(loc))
        path = ".".join(parts) or "(top level)"
        given = err.get("input")
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, err["loc"])
            what = f"unknown key{allowed}"
        else:
            what = err["msg"]
        where = ""
        if source is not None:
            line = _line_of(source, parts)
            where = f"{source}{f':{line}' if line else ''}: "
        given_txt = "" if err["type"] == "missing" else f" (given: {given!r})"
        lines.append(f"{where}{path}: {what}{given_txt}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def _allowed_keys(model: type[BaseModel] | None, loc: tuple) -> str:
    """'; allowed: a, b, c' for the model that rejected an unknown key, when it can be found."""
    cls = model
    for part in loc[:-1]:
        if cls is None:
            return ""
        if isinstance(part, int):
            continue
        field = cls.model_fields.get(part)
        cls = _model_in(field.annotation) if field is not None else None
    if cls is None:
        return ""
    return f"; allowed: {', '.join(cls.model_fields)}"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _line_of(source: Path, parts: list[str]) -> int | None:
    """Line (1-based) of a key path in a YAML or JSON file, when it can be found."""
    if source.suffix.lower() not in (".yaml", ".yml", ".json"):
        return None
    try:
        node = yaml.compose(source.read_text())
    except (OSError, yaml.YAMLError):
        return None
    line = None
    for part in parts:
        name, *indices = part.replace("]", "").split("[")
        node = _child(node, name) if name else node
        if node is None:
            break
        line = node.start_mark.line + 1
        for index in indices:
            if not index.isdigit():
                return line
            if not (isinstance(node, yaml.SequenceNode) and int(index) < len(node.value)):
                return line
            node = node.value[int(index)]
            line = node.start_mark.line + 1
    return line


def _child(node: Any, name: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == name:
                return value
    return None
