"""``nash validate``'s report: one row per conformance check, pass/warn/fail/skip, and the verdict."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

_STYLE = {"pass": "bold green", "warn": "bold yellow", "fail": "bold red", "skip": "dim"}
_MARK = {"pass": "✓ pass", "warn": "! warn", "fail": "✗ fail", "skip": "- skip"}


def render_validation(report: dict[str, Any], console: Console) -> None:
    """``report`` is ``ValidationReport.as_dict()``."""
    dist = f"{report['distribution']} {report['distribution_version']}".strip()
    table = Table(title=f"nash validate: {report['proxy']}@{report['version']} ({dist})", show_lines=True)
    table.add_column("check", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for check in report["checks"]:
        table.add_row(
            check["name"], Text(_MARK[check["status"]], style=_STYLE[check["status"]]), Text(check["detail"])
        )
    console.print(table)
    counts = {s: sum(c["status"] == s for c in report["checks"]) for s in _MARK}
    tail = f"{counts['pass']} passed, {counts['warn']} warnings, {counts['skip']} skipped"
    if report["passed"]:
        console.print(Text(f"PASSED: {tail} ({report['duration_s']:.1f} s)", style="bold green"))
    else:
        failed = ", ".join(c["name"] for c in report["checks"] if c["status"] == "fail")
        console.print(
            Text(
                f"FAILED: {counts['fail']} failed ({failed}); {tail} ({report['duration_s']:.1f} s)",
                style="bold red",
            )
        )
