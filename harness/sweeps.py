"""Sweeps (P6–P10): one correlation run per value of any config field, tabulated.

One mechanism serves every sweep of the papers: batch size (``input.batch_size``), weight
init (``init``), dataset (``dataset``), real images vs noise (``input.kind``), a proxy's own
option (``proxies[0].config.weighting`` or ``proxies[wrcor].config.weighting``), the space, …
A field is a dotted path into the run config; ``[i]`` indexes a list and ``[name]`` picks the
list entry with that ``name`` (a bare proxy name in the list becomes ``{name: ...}``).
``linked`` fields change in lockstep with the swept one (e.g. ``input.path`` with
``dataset``), one value per point.

Each point is an ordinary run through ``runner.compute_run`` (same store, same summaries), so
a sweep over values already scored recomputes nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nas_harness.leaderboard.schema import CI, comparable_part
from nas_harness.leaderboard.sweep_schema import SweepCell, SweepPoint, SweepResult, SweepRow

from .api import HarnessError
from .config import format_validation_error, validate_run_config
from .host import PluginHost
from .runner import Notify, RunOutcome, compute_run
from .stats import population_std

_TOKEN = re.compile(r"^([A-Za-z_][\w-]*)((?:\[[^\]]+\])*)$")


class SweepConfig(BaseModel):
    """Which field to sweep over which values (and what to tabulate)."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="dotted path into the run config, e.g. input.batch_size")
    values: list[Any] = Field(min_length=1)
    linked: dict[str, list[Any]] = Field(
        default_factory=dict, description="other fields set in lockstep, one value per point"
    )
    metric: Literal["spearman", "kendall"] = "spearman"
    abs: bool = Field(False, description="tabulate |ρ| (WRCor's view) instead of signed values")

    @model_validator(mode="after")
    def _lockstep(self) -> SweepConfig:
        for path, values in self.linked.items():
            if len(values) != len(self.values):
                raise ValueError(
                    f"linked field {path!r} has {len(values)} values, the swept field {len(self.values)}"
                )
        for path in [self.field, *self.linked]:
            parse_path(path)
        return self

    def labels(self) -> list[str]:
        return [_label(v) for v in self.values]


def _label(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def parse_path(path: str) -> list[str | int | tuple[str]]:
    """'proxies[wrcor].config.weighting' → ['proxies', ('wrcor',), 'config', 'weighting']."""
    out: list[str | int | tuple[str]] = []
    for part in path.split("."):
        m = _TOKEN.match(part)
        if not m:
            raise HarnessError(
                f"sweep field {path!r}: cannot read {part!r} (use a.b.c, list[0] or list[name])"
            )
        out.append(m.group(1))
        for sel in re.findall(r"\[([^\]]+)\]", m.group(2)):
            out.append(int(sel) if sel.lstrip("-").isdigit() else (sel,))
    return out


def set_path(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``data`` with ``path`` set to ``value`` (intermediate mappings created)."""
    out = copy.deepcopy(data)
    tokens = parse_path(path)
    node: Any = out
    for i, tok in enumerate(tokens):
        last = i == len(tokens) - 1
        nxt = None if last else tokens[i + 1]
        if isinstance(tok, str):
            if not isinstance(node, dict):
                raise HarnessError(f"sweep field {path!r}: {tok!r} is not inside a mapping")
            if last:
                node[tok] = value
                return out
            if tok not in node or node[tok] is None:
                node[tok] = [] if not isinstance(nxt, str) else {}
            elif isinstance(node[tok], str) and isinstance(nxt, str):
                node[tok] = {"name": node[tok]}  # e.g. oracle: table → {name: table}
            if isinstance(node[tok], str) and tok == "proxies":
                node[tok] = [p.strip() for p in node[tok].split(",") if p.strip()]
            node = node[tok]
            continue
        if not isinstance(node, list):
            raise HarnessError(
                f"sweep field {path!r}: a list selector needs a list, got {type(node).__name__}"
            )
        if isinstance(tok, tuple):
            names = [e if isinstance(e, str) else (e or {}).get("name") for e in node]
            if tok[0] not in names:
                raise HarnessError(f"sweep field {path!r}: no entry named {tok[0]!r} in {names}")
            idx = names.index(tok[0])
        else:
            idx = tok
            if not -len(node) <= idx < len(node):
                raise HarnessError(
                    f"sweep field {path!r}: index {idx} out of range (the list has {len(node)})"
                )
        if last:
            node[idx] = value
            return out
        if isinstance(node[idx], str):
            node[idx] = {"name": node[idx]}
        node = node[idx]
    return out


def point_configs(
    base: dict[str, Any], sweep: SweepConfig
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(label, settings, run config data) per point, each validated before anything runs."""
    points = []
    for i, (label, value) in enumerate(zip(sweep.labels(), sweep.values)):
        settings = {sweep.field: value, **{p: v[i] for p, v in sweep.linked.items()}}
        data = base
        for path, v in settings.items():
            data = set_path(data, path, v)
        try:
            validate_run_config(data)
        except HarnessError as exc:
            raise HarnessError(f"sweep point {sweep.field}={label}: {exc}") from None
        points.append((label, settings, data))
    return points


def validate_sweep_config(data: dict[str, Any]) -> SweepConfig:
    try:
        return SweepConfig.model_validate(data)
    except ValidationError as exc:
        raise HarnessError(format_validation_error(exc, prefix="sweep", model=SweepConfig)) from None


def run_sweep(
    base: dict[str, Any],
    sweep: SweepConfig,
    *,
    source: Path | None = None,
    store_path: Path | None = None,
    show_progress: bool = False,
    host: PluginHost | None = None,
    notify: Notify | None = None,
    on_point: Callable[[str, RunOutcome], str | None] | None = None,
) -> tuple[SweepResult, list[RunOutcome]]:
    """Run every point and tabulate; ``on_point(label, outcome)`` may write the point's files
    and return the results file name to record."""
    started = time.perf_counter()
    host = host or PluginHost.discover()
    points = point_configs(base, sweep)
    outcomes: list[RunOutcome] = []
    records: list[SweepPoint] = []
    for label, settings, data in points:
        if notify:
            notify(f"[bold]sweep[/] {sweep.field} = {label}")
        outcome = compute_run(
            data, source=source, store_path=store_path, show_progress=show_progress, host=host, notify=notify
        )
        results_file = on_point(label, outcome) if on_point else None
        outcomes.append(outcome)
        first = outcome.run.results[0].signature if outcome.run.results else ""
        records.append(
            SweepPoint(
                label=label,
                settings=settings,
                config_hash=outcome.run.config_hash,
                results_file=results_file,
                comparable=comparable_part(first),
                duration_s=outcome.run.duration_s,
            )
        )
    result = SweepResult(
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        field=sweep.field,
        linked=list(sweep.linked),
        metric=sweep.metric,
        abs=sweep.abs,
        points=records,
        rows=tabulate(outcomes, sweep.metric, sweep.abs),
        base_config=base,
        environment=outcomes[-1].run.environment,
        duration_s=round(time.perf_counter() - started, 3),
    )
    return result, outcomes


def tabulate(outcomes: list[RunOutcome], metric: str = "spearman", use_abs: bool = False) -> list[SweepRow]:
    """One row per proxy (then per reference) in first-seen order: the metric at each point,
    mean and population std over the points where it is defined."""
    names: dict[str, str | None] = {}
    for o in outcomes:
        for r in [*o.run.results, *o.run.references]:
            names.setdefault(r.proxy, r.reference)
    rows = []
    for name, reference in names.items():
        cells: list[SweepCell | None] = []
        for o in outcomes:
            res = next((r for r in [*o.run.results, *o.run.references] if r.proxy == name), None)
            if res is None:
                cells.append(None)
                continue
            corr = getattr(res, metric)
            value, ci = corr.value, corr.ci
            if use_abs and value is not None and value < 0:
                value = -value
                ci = CI(low=-ci.high, high=-ci.low) if ci else None
            cells.append(SweepCell(value=value, ci=ci, n_used=res.n_used, n_failed=res.n_failed))
        defined = [c.value for c in cells if c is not None and c.value is not None]
        rows.append(
            SweepRow(
                proxy=name,
                reference=reference,
                cells=cells,
                mean=float(np.mean(defined)) if defined else None,
                std=population_std(defined) if defined else None,
                n_values=len(defined),
            )
        )
    return rows


def sweep_stem(base: dict[str, Any], sweep: SweepConfig) -> str:
    blob = json.dumps({"base": base, "sweep": sweep.model_dump(mode="json")}, sort_keys=True, default=str)
    return f"sweep-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"
