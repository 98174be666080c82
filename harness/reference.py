"""The published reference leaderboards: one committed suite result per versioned suite.

``nas_harness/leaderboard/reference/NAME-vVERSION.json`` (``leaderboard/reference/`` in the
repo) is the suite-result file ``nash run --suite NAME`` wrote for the built-in proxies, copied
unchanged (its checksum holds), so a user's suite rows can be ranked among them: ``nash
leaderboard --with-reference`` adds it beside the user's files, ``nash submit`` says where a
submission would rank. A new suite version gets its own file; nothing here knows a suite by name.
How to regenerate one is in the README ("The standard leaderboard").
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from nas_harness.leaderboard.standard_render import REFERENCE_LABEL as LABEL  # "reference standard@1+…"
from nas_harness.leaderboard.standard_schema import StandardResult, load_standard


def reference_dir() -> Path:
    return Path(str(resources.files("nas_harness.leaderboard") / "reference"))


def reference_file(name: str, version: str) -> Path | None:
    """The committed reference result of suite ``name`` version ``version``, if one is published."""
    path = reference_dir() / f"{name}-v{version}.json"
    return path if path.is_file() else None


def published() -> list[Path]:
    folder = reference_dir()
    return sorted(folder.glob("*-v*.json")) if folder.is_dir() else []


def load_reference(path: Path) -> tuple[str, StandardResult]:
    """(source label, result) of a reference file; its checksum is verified on loading."""
    result = load_standard(path)
    return f"{LABEL}{result.suite.id}", result


def references_for(results: list[StandardResult]) -> tuple[list[tuple[str, StandardResult]], list[str]]:
    """The reference results for the suites of ``results`` (every published one when ``results``
    is empty), and a note for each suite that has none."""
    if not results:
        return [load_reference(p) for p in published()], []
    out: list[tuple[str, StandardResult]] = []
    notes: list[str] = []
    for name, version in dict.fromkeys((r.suite.name, r.suite.version) for r in results):
        path = reference_file(name, version)
        if path is None:
            have = ", ".join(p.stem for p in published()) or "none"
            notes.append(f"no reference leaderboard is published for {name}@{version} (published: {have})")
            continue
        out.append(load_reference(path))
    return out, notes


@dataclass(frozen=True)
class ReferenceRank:
    """Where a row would rank among a reference leaderboard, or why it cannot be ranked there."""

    suite_id: str
    rank: int | None  # 1-based among the reference rows plus this one; None: not comparable
    of: int
    headline: float | None
    why_not: str = ""


def rank_among_reference(result: StandardResult, proxy: str) -> ReferenceRank | None:
    """``proxy``'s row of ``result`` ranked among the published reference rows of the same suite
    (only those it is comparable with); None when no reference is published for the suite."""
    from nas_harness.leaderboard.standard_render import (
        differences,
        group_suite_rows,
        ranked_suite,
        suite_rows,
    )

    path = reference_file(result.suite.name, result.suite.version)
    if path is None:
        return None
    label, reference = load_reference(path)
    mine = "this submission"
    groups = group_suite_rows(suite_rows([(label, reference), (mine, result)]))
    homes = [(key, rows) for key, rows in groups.items() if any(_is(r, mine, proxy) for r in rows)]
    if not homes:
        return None
    for _key, rows in homes:  # a proxy reading no input may sit in several groups: take one with references
        refs = [r for r in rows if r.source == label]
        if refs:
            own = next(r for r in rows if _is(r, mine, proxy))
            order = ranked_suite([*refs, own])
            return ReferenceRank(reference.suite.id, order.index(own) + 1, len(order), own.row.headline)
    key = homes[0][0]
    why = "; ".join(differences([key, *(k for k in groups if k != key)])) or "no comparable reference row"
    own = next(r for r in homes[0][1] if _is(r, mine, proxy))
    return ReferenceRank(reference.suite.id, None, len(reference.rows), own.row.headline, why)


def _is(row, source: str, proxy: str) -> bool:
    return row.source == source and row.row.proxy == proxy
