"""Result files of every kind, read from files and directories and sorted by what they hold.

A file's kind is its JSON ``protocol``: ``correlation`` (``nash run``), ``standard`` (a
versioned suite run), ``sweep`` and ``search``. Directories contribute the files whose names
the harness writes (``correlation-*``, ``suite-*``, ``sweep-*``, ``search-*``), recursively for
the report (``nash search`` writes to a sub-folder), at the top level for the leaderboard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .schema import RunResult, load_results
from .search_schema import SearchResult, load_search_results
from .standard_schema import StandardResult, load_standard
from .sweep_schema import SweepResult

PATTERNS = {"correlation": "correlation-*.json", "standard": "suite-*.json", "sweep": "sweep-*.json",
            "search": "search-*.json"}


@dataclass
class Collection:
    runs: list[tuple[str, RunResult]] = field(default_factory=list)
    suites: list[tuple[str, StandardResult]] = field(default_factory=list)
    sweeps: list[tuple[str, SweepResult]] = field(default_factory=list)
    searches: list[tuple[str, SearchResult]] = field(default_factory=list)

    def loose_runs(self) -> list[tuple[str, RunResult]]:
        """Correlation runs that are not one of the suite results' own runs (no double rows)."""
        inside = {run.config_hash for _, s in self.suites for run in s.runs}
        return [(src, run) for src, run in self.runs if run.config_hash not in inside]

    def loose_sweeps(self) -> list[tuple[str, SweepResult]]:
        inside = {json.dumps(s.sweep.model_dump(mode="json", exclude={"created", "duration_s"}), sort_keys=True)
                  for _, s in self.suites}
        return [(src, sw) for src, sw in self.sweeps
                if json.dumps(sw.model_dump(mode="json", exclude={"created", "duration_s"}), sort_keys=True) not in inside]

    def loose_searches(self) -> list[tuple[str, SearchResult]]:
        inside = {s.search.config_hash for _, s in self.suites if s.search is not None}
        return [(src, se) for src, se in self.searches if se.config_hash not in inside]

    def empty(self) -> bool:
        return not (self.runs or self.suites or self.sweeps or self.searches)


def _kind(path: Path) -> str:
    from nas_harness.api import HarnessError

    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise HarnessError(f"results file {path}: not found") from None
    except json.JSONDecodeError as exc:
        raise HarnessError(f"results file {path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    protocol = data.get("protocol") if isinstance(data, dict) else None
    if protocol not in PATTERNS:
        raise HarnessError(f"results file {path}: protocol {protocol!r} is none of {', '.join(PATTERNS)}")
    return protocol


def _files(paths: Sequence[Path], kinds: Iterable[str], recursive: bool) -> list[Path]:
    from nas_harness.api import HarnessError

    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found: set[Path] = set()
            for kind in kinds:
                found.update(p.rglob(PATTERNS[kind]) if recursive else p.glob(PATTERNS[kind]))
            out.extend(sorted(f for f in found if f.is_file()))
        elif p.exists():
            out.append(p)
        else:
            raise HarnessError(f"results file {p}: not found")
    if not out:
        raise HarnessError(f"no results files in {', '.join(map(str, paths))} "
                           f"(looked for {', '.join(PATTERNS[k] for k in kinds)})")
    return out


def collect(paths: Sequence[Path], *, kinds: Sequence[str] = tuple(PATTERNS), recursive: bool = False) -> Collection:
    """Read every results file under ``paths``; a file of a kind not in ``kinds`` is an error
    naming what it is and what is accepted."""
    from nas_harness.api import HarnessError

    col = Collection()
    for f in _files(paths, kinds, recursive):
        kind = _kind(f)
        if kind not in kinds:
            raise HarnessError(f"{f}: a {kind} result; this command reads {', '.join(kinds)} results")
        if kind == "correlation":
            col.runs.append((str(f), load_results(f)))
        elif kind == "standard":
            col.suites.append((str(f), load_standard(f)))
        elif kind == "sweep":
            col.sweeps.append((str(f), _load_sweep(f)))
        else:
            col.searches.append((str(f), load_search_results(f)))
    return col


def _load_sweep(path: Path) -> SweepResult:
    from pydantic import ValidationError

    from nas_harness.api import HarnessError

    try:
        return SweepResult.model_validate_json(path.read_text())
    except ValidationError as exc:
        first = exc.errors()[0]
        raise HarnessError(f"results file {path}: not a sweep result ({'.'.join(map(str, first['loc']))}: "
                           f"{first['msg']})") from None
