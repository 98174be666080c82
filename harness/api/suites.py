"""Suites a plugin contributes through the ``nas_harness_suites`` hook.

The core ships no benchmark policy: which run presets exist (``nash run --suite quick``), what a
leaderboard suite pins (``standard@1``), which papers' tables can be reproduced and the values
they report all come from plugins (the NB201 space plugin contributes today's). The hook returns
a list of these records:

* ``RunPreset``: a named run config (flags and config files override it);
* ``VersionedSuite``: everything a leaderboard number depends on, identified by a content hash;
* ``CrossSpaceSuite``: the same over several benchmarks (``BenchmarkPin``: space, tasks, oracle,
  sample, input), spaces named as the registry knows them;
* ``PaperTable``: published numbers, transcribed, with their source;
* ``Reproduction``: a paper table and how to plan the correlation runs that fill it.

Presets and versioned suites share one namespace (``--suite NAME``); reproductions have their own
(``nash reproduce NAME``); paper tables are keyed by ``key``. Versioned suites are also reachable as
``name@version``; a bare name means the lowest version, so a new version never changes what an old
command runs. A name contributed twice is kept from the first plugin and the second is reported,
naming both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import HarnessError
from .paths import SHARED_ENV, shared_dir, shared_path

# --------------------------------------------------------------------------- run presets


@dataclass(frozen=True)
class RunPreset:
    """A named run config as ``nash run`` reads it; it names its own space and task."""

    name: str
    config: dict[str, Any]
    summary: str = ""

    def definition(self) -> dict[str, Any]:
        """The config as JSON data (a fresh copy: callers may merge into it)."""
        return json.loads(json.dumps(self.config, default=str))

    @property
    def id(self) -> str:
        """``name+sha256(definition)[:12]``: which preset definition produced a result."""
        blob = json.dumps(self.definition(), sort_keys=True, separators=(",", ":"))
        return f"{self.name}+{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


# --------------------------------------------------------------------------- versioned suites


class SearchPin(BaseModel):
    """The small search of a versioned suite: one strategy per proxy, ground truth looked up after."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: dict[str, Any] = Field(description="{name, config} of the search strategy")
    datasets: tuple[str, ...]
    budget: int = Field(ge=1, description="distinct architectures scored per search")
    repeats: int = Field(ge=1)
    seed: int = 0


class VersionedSuite(BaseModel):
    """Everything a leaderboard run pins. Any change to a field changes ``content_hash`` and so
    the suite ``id``; ``version`` is the human-readable counterpart, bumped with every change
    (the contributing plugin's tests hold the committed id)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str
    space: dict[str, Any]
    datasets: tuple[str, ...] = Field(min_length=1)
    oracle: dict[str, Any] | None = Field(description="ground truth; None = the space's default oracle")
    sample: dict[str, Any] = Field(
        description="the run config's sample (the same architectures on every dataset)"
    )
    sample_digest: str | None = Field(
        description="sha256 (first 16 hex) of the sampled arch strings, checked before a run: pins the list "
        "itself, not only the seed that drew it"
    )
    input: dict[str, Any] = Field(
        description="input batch settings; the images are the official training splits "
        "found in --data / $NASH_DATA_DIR (noise otherwise, marked in every signature)"
    )
    init: str
    seed: int = Field(description="model-initialization seed")
    bootstrap: int
    confidence: float
    top_fraction: float
    tie_policy: str
    search: SearchPin
    headline: str = Field(description="the metric the leaderboard sorts by")
    default_proxies: tuple[str, ...] = Field(
        (),
        description="what `nash run --suite NAME` evaluates without --proxies; not part of the suite's identity",
    )

    def pinned(self) -> dict[str, Any]:
        """The definition that identifies the suite (all but the default proxy list)."""
        return self.model_dump(mode="json", exclude={"default_proxies"})

    @property
    def content_hash(self) -> str:
        blob = json.dumps(self.pinned(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    @property
    def id(self) -> str:
        """``standard@1+3f2a…``: name, version and content hash."""
        return f"{self.name}@{self.version}+{self.content_hash}"

    def run_config(self, dataset: str, proxies: list[Any]) -> dict[str, Any]:
        """The correlation run of one dataset, as ``nash run`` would read it."""
        cfg: dict[str, Any] = {
            "space": dict(self.space),
            "dataset": dataset,
            "proxies": list(proxies),
            "sample": dict(self.sample),
            "input": dict(self.input),
            "init": self.init,
            "seed": self.seed,
            "bootstrap": self.bootstrap,
            "confidence": self.confidence,
            "top_fraction": self.top_fraction,
            "tie_policy": self.tie_policy,
        }
        if self.oracle is not None:
            cfg["oracle"] = dict(self.oracle)
        return cfg

    def search_config(self, proxies: list[Any]) -> dict[str, Any]:
        """The ``nash search`` config of the suite's small search."""
        cfg: dict[str, Any] = {
            "strategies": [dict(self.search.strategy)],
            "proxies": list(proxies),
            "space": dict(self.space),
            "datasets": list(self.search.datasets),
            "budget": self.search.budget,
            "repeats": self.search.repeats,
            "seed": self.search.seed,
            "input": dict(self.input),
            "init": self.init,
            "init_seed": self.seed,
        }
        if self.oracle is not None:
            cfg["oracle"] = dict(self.oracle)
        return cfg


HEADLINE_MEAN_RHO = "mean_spearman"  # mean over the suite's datasets of the signed Spearman ρ
HEADLINE_MEAN_BENCHMARK_RHO = "mean_benchmark_spearman"  # mean over benchmarks of the mean ρ over its tasks


class BenchmarkPin(BaseModel):
    """One benchmark of a ``CrossSpaceSuite``: a space named as the plugin registry knows it (no
    import of the plugin), the tasks scored on it, its ground truth, sample and input batch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="the benchmark's label in the leaderboard (one column group)")
    space: dict[str, Any] = Field(description="{name, config} of an installed space plugin")
    tasks: tuple[str, ...] = Field(min_length=1, description="the space's tasks, each a column")
    oracle: dict[str, Any] | None = Field(description="ground truth; None = the space's default oracle")
    ground_truth: str = Field(description="what the oracle's number is, in words (shown in the report)")
    sample: dict[str, Any] = Field(
        description="the run config's sample, as `nash run --n N` draws it (the same on every task)"
    )
    sample_digest: str | None = Field(description="sha256 (first 16 hex) of the sampled arch strings")
    input: dict[str, Any] = Field(
        description="input batch; a relative `path` is looked up in the shared data folder"
    )
    task_inputs: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="task → input settings replacing `input`'s for that task"
    )

    def columns(self) -> list[str]:
        return [f"{self.name}/{task}" for task in self.tasks]


class CrossSpaceSuite(BaseModel):
    """A leaderboard suite over several benchmarks (``standard@2``): one correlation run per
    benchmark task, every benchmark weighted once in the headline. Versioned and content-hashed
    like ``VersionedSuite``; it pins no search."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str
    benchmarks: tuple[BenchmarkPin, ...] = Field(min_length=1)
    init: str
    seed: int = Field(description="model-initialization seed")
    bootstrap: int
    confidence: float
    top_fraction: float
    tie_policy: str
    headline: str = HEADLINE_MEAN_BENCHMARK_RHO
    constant_scores: Literal["zero", "undefined"] = Field(
        "zero",
        description="a task where the proxy's scores are all equal (it ranks nothing): 'zero' counts its "
        "undefined ρ as 0 in the benchmark and the headline, 'undefined' leaves the headline undefined",
    )
    default_proxies: tuple[str, ...] = Field(
        (), description="what `nash run --suite NAME` evaluates without --proxies; not part of the identity"
    )
    execution: dict[str, Any] = Field(
        default_factory=dict,
        description="defaults for where the work runs (e.g. memory_limit_mb); not part of the identity",
    )

    def pinned(self) -> dict[str, Any]:
        """The definition that identifies the suite."""
        return self.model_dump(mode="json", exclude={"default_proxies", "execution"})

    @property
    def content_hash(self) -> str:
        blob = json.dumps(self.pinned(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}+{self.content_hash}"

    def benchmark(self, name: str) -> BenchmarkPin:
        for bench in self.benchmarks:
            if bench.name == name:
                return bench
        raise HarnessError(f"suite {self.id}: no benchmark {name!r}")

    def columns(self) -> dict[str, str]:
        """Column (``benchmark/task``) → its benchmark's name, in the suite's order."""
        return {col: bench.name for bench in self.benchmarks for col in bench.columns()}

    def run_config(self, column: str, proxies: list[Any]) -> dict[str, Any]:
        """The correlation run of one column, as ``nash run`` would read it; relative input paths
        resolved in the shared data folder."""
        bench_name, _, task = column.partition("/")
        bench = self.benchmark(bench_name)
        if task not in bench.tasks:
            raise HarnessError(f"suite {self.id}: benchmark {bench_name!r} has no task {task!r}")
        inp = dict(bench.task_inputs.get(task, bench.input))
        if inp.get("path") is not None:
            inp["path"] = str(shared_path(inp["path"]))
        cfg: dict[str, Any] = {
            "space": dict(bench.space),
            "dataset": task,
            "proxies": list(proxies),
            "sample": dict(bench.sample),
            "input": inp,
            "init": self.init,
            "seed": self.seed,
            "bootstrap": self.bootstrap,
            "confidence": self.confidence,
            "top_fraction": self.top_fraction,
            "tie_policy": self.tie_policy,
        }
        if bench.oracle is not None:
            cfg["oracle"] = dict(bench.oracle)
        return cfg


def sample_digest(archs: list[str]) -> str:
    """The digest ``VersionedSuite.sample_digest`` pins: sha256 of the arch strings, one a line."""
    return hashlib.sha256("\n".join(archs).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- paper values


@dataclass(frozen=True)
class PaperTable:
    """Published numbers, transcribed (never computed); ``None`` is a cell the paper leaves empty.
    Row names are the paper's own; a ``Reproduction`` maps them to plugin names."""

    key: str
    paper: str  # the source: authors, title, where it was transcribed from
    table: str
    title: str
    metric: str
    columns: tuple[str, ...]
    rows: dict[str, tuple[float | None, ...]]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def value(self, row: str, column: str) -> float | None:
        return self.rows[row][self.columns.index(column)]


# --------------------------------------------------------------------------- reproductions

VALACC = "@valacc"  # a reproduction row mapped to the run's reference (ground truth used as a score)


class ReproOptions(BaseModel):
    """What a reproduction run may change: subset, proxies, data files, statistics, hardware.

    ``files`` names data files by the keys a reproduction reads (``nash reproduce --file
    KEY=PATH``); a key not given is looked up under ``shared`` (``require``)."""

    model_config = ConfigDict(extra="forbid")

    n: int | None = Field(None, ge=1, description="keep the first N architectures of each run's sample")
    proxies: list[str] | None = Field(None, description="run only these plugins (rows)")
    shared: Path = Field(default_factory=shared_dir)
    files: dict[str, Path] = Field(default_factory=dict, description="data files by the reproduction's keys")
    bootstrap: int = Field(1000, ge=0)
    ceiling: bool = Field(True, description="a noise-ceiling row from the oracle's per-seed data")
    threads: int | None = None
    device: str = "cpu"
    executor: Literal["inline", "local", "dask"] | None = None  # None: the run config's default
    workers: int | None = Field(None, ge=1)
    scheduler: str | None = None  # with executor dask: a running cluster's scheduler address
    time_limit_s: float | None = Field(None, ge=0)
    memory_limit_mb: int | None = Field(None, ge=0)

    def given(self, key: str) -> Path | None:
        """The file given for ``key``, if any."""
        path = self.files.get(key)
        return Path(path).expanduser() if path is not None else None

    def require(self, key: str, default: str) -> Path:
        """The file for ``key``: as given, else ``default`` under ``shared``; a HarnessError
        naming the option when it is absent."""
        path = self.given(key) or self.shared / default
        if not path.is_file():
            raise HarnessError(
                f"{path}: not found (give --file {key}=FILE, or --shared DIR / ${SHARED_ENV} for the folder "
                f"holding data/; default {shared_dir()})"
            )
        return path

    def execution(self) -> dict[str, Any]:
        """The run-config keys that say where the work runs (never part of a result)."""
        out: dict[str, Any] = {"device": self.device}
        if self.threads:
            out["threads"] = self.threads
        for key in ("executor", "workers", "scheduler", "time_limit_s", "memory_limit_mb"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class RunPlan:
    """One correlation run feeding one column of a table (several runs of a column: their mean)."""

    column: str
    label: str
    config: dict[str, Any]
    notes_all: tuple[str, ...] = ()  # notes on every cell of this column
    notes_data: tuple[str, ...] = ()  # notes on cells of proxies that look at input data


@dataclass(frozen=True)
class Reproduction:
    """A paper table and the runs that fill it: ``plan(options, proxies)`` returns ordinary run
    configs (one or more per column); the core runs them, reads each cell off them and puts
    ours beside the paper's value."""

    name: str
    version: str  # bumped whenever what it runs changes
    table: PaperTable
    summary: str
    rows: dict[str, str | None]  # paper row → plugin name, VALACC, or None (no plugin planned)
    plan: Callable[[ReproOptions, list[str]], list[RunPlan]]
    kind: Literal["correlation", "argmax", "groups"] = "correlation"
    metric: Literal["spearman", "kendall"] = "spearman"
    use_abs: bool = True
    derived: tuple[str, ...] = ()  # columns computed from the others: "avg", "std"
    notes: tuple[str, ...] = field(default_factory=tuple)
    reference_note: Callable[[ReproOptions], str] | None = None  # note on the VALACC row's cells
    # Why a cell is more than GAP_TOLERANCE from the paper, as measured: "ROW/COLUMN" or "ROW"
    # (every column of the row) → the explanation. A gap without one is shown as unexplained.
    gaps: Mapping[str, str] = field(default_factory=dict)

    def gap_note(self, row: str, column: str) -> str | None:
        return self.gaps.get(f"{row}/{column}", self.gaps.get(row))


GAP_TOLERANCE = 0.05  # |ours − paper| above which a reproduced ρ/τ cell needs a measured explanation


SUITE_RECORDS = (RunPreset, VersionedSuite, CrossSpaceSuite, PaperTable, Reproduction)

__all__ = [
    "BenchmarkPin",
    "CrossSpaceSuite",
    "GAP_TOLERANCE",
    "HEADLINE_MEAN_BENCHMARK_RHO",
    "HEADLINE_MEAN_RHO",
    "PaperTable",
    "ReproOptions",
    "Reproduction",
    "RunPlan",
    "RunPreset",
    "SUITE_RECORDS",
    "SearchPin",
    "VALACC",
    "VersionedSuite",
    "sample_digest",
]
