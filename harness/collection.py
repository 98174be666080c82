"""Result files of every kind, read from files and directories and sorted by what they hold.

A file's kind is its JSON ``protocol``: ``correlation`` (``nash run``), ``standard`` (a
versioned suite run), ``sweep`` and ``search``; or a submission (``nash submit``), read through
``nas_harness.submission.load_submission``, which rejects a file whose checksum or numbers do not
hold, and contributes the suite result or correlation run inside it. Directories contribute the
files whose names the harness writes (``correlation-*``, ``suite-*``, ``submission-*``,
``sweep-*``, ``search-*``), recursively for the report (``nash search`` writes to a sub-folder),
at the top level for the leaderboard.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nas_harness.leaderboard.schema import RunResult, load_results, read_json
from nas_harness.leaderboard.search_schema import SearchResult, load_search_results
from nas_harness.leaderboard.standard_schema import ScoreColumns, StandardResult, load_standard
from nas_harness.leaderboard.sweep_schema import SweepResult

from .api import HarnessError

PATTERNS = {
    "correlation": "correlation-*.json",
    "standard": "suite-*.json",
    "sweep": "sweep-*.json",
    "search": "search-*.json",
    "submission": "submission-*.json",
}
SUBMISSION_KIND = "nas-harness-submission"


@dataclass
class Collection:
    runs: list[tuple[str, RunResult]] = field(default_factory=list)
    suites: list[tuple[str, StandardResult]] = field(default_factory=list)
    sweeps: list[tuple[str, SweepResult]] = field(default_factory=list)
    searches: list[tuple[str, SearchResult]] = field(default_factory=list)
    scores: dict[str, list[ScoreColumns]] = field(default_factory=dict)  # source → scores carried in the file
    unsealed: list[str] = field(
        default_factory=list
    )  # files without a checksum (older, or the field removed)
    verified: set[str] = field(
        default_factory=set
    )  # submissions with a passing `nash submit --verify` record

    def loose_runs(self) -> list[tuple[str, RunResult]]:
        """Correlation runs that are not one of the suite results' own runs (no double rows)."""
        inside = {run.config_hash for _, s in self.suites for run in s.runs}
        return [(src, run) for src, run in self.runs if run.config_hash not in inside]

    def loose_sweeps(self) -> list[tuple[str, SweepResult]]:
        inside = {
            json.dumps(
                s.sweep.model_dump(mode="json", exclude={"created", "duration_s", "checksum"}), sort_keys=True
            )
            for _, s in self.suites
            if s.sweep is not None
        }
        return [
            (src, sw)
            for src, sw in self.sweeps
            if json.dumps(
                sw.model_dump(mode="json", exclude={"created", "duration_s", "checksum"}), sort_keys=True
            )
            not in inside
        ]

    def loose_searches(self) -> list[tuple[str, SearchResult]]:
        inside = {s.search.config_hash for _, s in self.suites if s.search is not None}
        return [(src, se) for src, se in self.searches if se.config_hash not in inside]

    def mark_unverified(self) -> None:
        """Mark the source of every row not from a verified submission (the tables show it)."""
        from nas_harness.leaderboard.render import UNVERIFIED as mark

        def label(src: str) -> str:
            return src if src in self.verified else src + mark

        self.runs = [(label(s), r) for s, r in self.runs]
        self.suites = [(label(s), r) for s, r in self.suites]
        self.scores = {label(s): c for s, c in self.scores.items()}

    def unsealed_note(self) -> str | None:
        """A warning naming the files whose numbers no checksum protects."""
        if not self.unsealed:
            return None
        return (
            f"{len(self.unsealed)} results file(s) carry no checksum (written before results were checksummed, "
            f"or the field was removed), so an edit would go unnoticed: {', '.join(self.unsealed)}"
        )

    def empty(self) -> bool:
        return not (self.runs or self.suites or self.sweeps or self.searches)


def _kind(path: Path) -> str:
    data = read_json(path)
    if isinstance(data, dict) and data.get("kind") == SUBMISSION_KIND:
        return "submission"
    protocol = data.get("protocol") if isinstance(data, dict) else None
    if protocol not in PATTERNS or protocol == "submission":
        raise HarnessError(f"results file {path}: protocol {protocol!r} is none of {', '.join(PATTERNS)}")
    return protocol


def _files(paths: Sequence[Path], kinds: Iterable[str], recursive: bool) -> list[Path]:
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
        raise HarnessError(
            f"no results files in {', '.join(map(str, paths))} "
            f"(looked for {', '.join(PATTERNS[k] for k in kinds)})"
        )
    return out


def collect(
    paths: Sequence[Path], *, kinds: Sequence[str] = tuple(PATTERNS), recursive: bool = False
) -> Collection:
    """Read every results file under ``paths``; a file of a kind not in ``kinds`` is an error
    naming what it is and what is accepted."""
    col = Collection()
    for f in _files(paths, kinds, recursive):
        kind = _kind(f)
        if not isinstance(read_json(f).get("checksum"), str):
            col.unsealed.append(str(f))
        if kind == "submission" and kind in kinds:
            _add_submission(col, f, kinds)
            continue
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


def _add_submission(col: Collection, path: Path, kinds: Sequence[str]) -> None:
    """The verified content of a submission: its suite result, or its correlation run and scores."""
    from .submission import load_submission
    from .verify import is_verified

    sub = load_submission(path)  # checksum and stated ρ verified, else HarnessError naming the file
    if is_verified(path, sub.checksum):
        col.verified.add(str(path))
    if sub.protocol == "standard" and "standard" in kinds:
        col.suites.append((str(path), sub.standard_result()))
    elif sub.protocol == "correlation" and "correlation" in kinds:
        col.runs.append((str(path), sub.run_results()[0]))
        col.scores[str(path)] = sub.score_columns()
    else:
        raise HarnessError(
            f"{path}: a submission holding a {sub.protocol} result; this command reads "
            f"{', '.join(k for k in kinds if k != 'submission')} results"
        )


def _load_sweep(path: Path) -> SweepResult:
    from pydantic import ValidationError

    from .checksum import check_seal

    data = read_json(path)
    check_seal(data, path)
    try:
        return SweepResult.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise HarnessError(
            f"results file {path}: not a sweep result ({'.'.join(map(str, first['loc']))}: {first['msg']})"
        ) from None
