"""Run a built-in suite by name for given proxies: what ``nash submit`` and ``nash check`` share.

A suite is either a run preset (one correlation run, e.g. ``quick`` or ``ci``) or a versioned
suite (e.g. ``standard``: a correlation run per dataset and a small search,
``standard.run_suite``), both contributed by installed plugins (``suites.catalog``). Either way the caller gets the
correlation runs, the result document the harness writes for that suite, and a reference
that says exactly which suite definition ran.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .api import HarnessError
from .api.suites import CrossSpaceSuite
from .host import PluginHost
from .runner import RunOutcome


class SuiteRef(BaseModel):
    """Which suite definition produced a result."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["preset", "versioned"]
    id: str = Field(description="versioned: name@version+content_hash; preset: name+sha256 of its definition")
    definition: dict[str, Any]


@dataclass
class NamedSuiteRun:
    ref: SuiteRef
    outcomes: list[RunOutcome]  # the correlation runs, one per dataset
    result: Any  # RunResult (preset) or StandardResult (versioned)
    strategies: list[str] = field(default_factory=list)  # strategy plugins the suite's search used
    _suite_outcome: Any = None

    def write(self, out_dir: Path) -> list[Path]:
        """The files ``nash run --suite NAME`` would write for the same run."""
        from .files import ensure_dir
        from .runner import write_run

        ensure_dir(out_dir)
        if self._suite_outcome is not None:
            from .cross_suite import CrossOutcome, write_cross_suite
            from .standard import write_suite

            paths = [write_run(o, out_dir)[0] for o in self.outcomes]
            if isinstance(self._suite_outcome, CrossOutcome):
                return [*paths, write_cross_suite(self._suite_outcome, out_dir)]
            return paths + list(write_suite(self._suite_outcome, out_dir).values())
        return [write_run(o, out_dir)[0] for o in self.outcomes]


def run_overrides(
    proxies: Sequence[str] | None, execution: dict[str, Any] | None, data: Path | None
) -> dict[str, Any]:
    """The run-config keys a suite's caller may change: which proxies, where the work runs
    (device, threads, executor, workers, ...; None values left out), input data."""
    out: dict[str, Any] = {k: v for k, v in (execution or {}).items() if v is not None}
    if proxies:
        out["proxies"] = list(proxies)
    if data is not None:
        out["input"] = {"path": str(data)}
    return out


def suite_names(host: PluginHost | None = None) -> list[str]:
    from .suites import catalog

    return catalog(host or PluginHost.discover()).run_suite_names()


def run_named_suite(
    name: str,
    proxies: list[Any] | None,
    *,
    store_path: Path,
    data: Path | None = None,
    execution: dict[str, Any] | None = None,
    show_progress: bool = False,
    host: PluginHost | None = None,
    notify: Callable[[str], None] | None = None,
) -> NamedSuiteRun:
    """Run suite ``name`` for ``proxies`` (names or {name, config}; None: the suite's own list);
    ``execution`` holds the run-config keys saying where the work runs (device, threads, executor, ...)."""
    from .suites import catalog

    host = host or PluginHost.discover()
    suites = catalog(host)
    if name in suites.versioned and isinstance(suites.versioned[name], CrossSpaceSuite):
        from .cross_suite import run_cross_suite

        suite = suites.versioned[name]
        chosen = list(proxies) if proxies else list(suite.default_proxies)
        if data is not None:
            raise HarnessError(
                f"--data: suite {suite.id} pins its images in the shared data folder; set $NASH_SHARED_DIR instead"
            )
        outcome = run_cross_suite(
            suite,
            chosen,
            execution=dict(execution or {}),
            store_path=store_path,
            show_progress=show_progress,
            host=host,
            notify=notify,
        )
        ref = SuiteRef(
            name=f"{suite.name}@{suite.version}", kind="versioned", id=suite.id, definition=suite.pinned()
        )
        return NamedSuiteRun(ref, list(outcome.runs), outcome.result, [], outcome)
    if name in suites.versioned:
        from .standard import run_suite

        suite = suites.versioned[name]
        chosen = list(proxies) if proxies else list(suite.default_proxies)
        outcome = run_suite(
            suite,
            chosen,
            data=data,
            execution=dict(execution or {}),
            store_path=store_path,
            show_progress=show_progress,
            host=host,
            notify=notify,
        )
        ref = SuiteRef(name=suite.name, kind="versioned", id=suite.id, definition=suite.pinned())
        return NamedSuiteRun(
            ref, list(outcome.runs), outcome.result, [suite.search.strategy["name"]], outcome
        )
    if name in suites.presets:
        from .config import merge
        from .runner import compute_run

        preset = suites.presets[name]
        overrides = run_overrides(proxies, execution, data)
        outcome = compute_run(
            merge(preset.definition(), overrides),
            store_path=store_path,
            show_progress=show_progress,
            host=host,
            notify=notify,
        )
        ref = SuiteRef(name=name, kind="preset", id=preset.id, definition=preset.definition())
        return NamedSuiteRun(ref, [outcome], outcome.run)
    raise suites.unknown_suite(name)
