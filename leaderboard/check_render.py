"""``nash check``'s report: a rich table of what moved and by how much, and JUnit XML for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .check import METRIC_LABEL, CheckReport, CheckRow

_STYLE = {
    "ok": "green",
    "improved": "bold green",
    "new": "cyan",
    "regressed": "bold red",
    "failed": "bold red",
    "missing": "bold red",
    "incomparable": "bold red",
}


def _num(value: float | None, ci: tuple[float, float] | None = None) -> str:
    if value is None:
        return "—"
    text = f"{value:.3f}"
    return f"{text} [{ci[0]:.2f}, {ci[1]:.2f}]" if ci is not None else text


def _pair(a, b) -> str:
    if a is None and b is None:
        return ""
    return str(b if a is None else a) if a == b or b is None or a is None else f"{a} → {b}"


def check_table(report: CheckReport) -> Table:
    label = METRIC_LABEL[report.metric]
    table = Table(
        title=f"nash check: {label} against the baseline",
        caption=(
            "fails when the value falls below baseline − tolerance; tolerance = max(floor "
            f"{report.floor:g}, baseline − lower end of its bootstrap CI)"
        ),
        caption_justify="left",
    )
    for col, justify in (
        ("status", "left"),
        ("proxy", "left"),
        ("target", "left"),
        (f"baseline {label} [CI]", "right"),
        ("now [CI]", "right"),
        ("Δ", "right"),
        ("tolerance", "right"),
        ("failed archs", "right"),
        ("version", "right"),
    ):
        table.add_column(col, justify=justify, no_wrap=True)
    for r in report.rows:
        delta = Text(
            "—" if r.delta is None else f"{r.delta:+.3f}",
            style="red" if r.status == "regressed" else ("green" if (r.delta or 0) > 0 else ""),
        )
        cells = [r.proxy, r.target, _num(r.baseline, r.baseline_ci), _num(r.current, r.current_ci)]
        tail = [
            "—" if r.tolerance is None else f"{r.tolerance:.3f}",
            _pair(r.baseline_failed, r.current_failed),
            _pair(r.baseline_version, r.current_version),
        ]
        table.add_row(
            Text(r.status, style=_STYLE.get(r.status, "")), *map(Text, cells), delta, *map(Text, tail)
        )
    return table


def render_check(report: CheckReport, console: Console) -> None:
    console.print(check_table(report))
    for r in report.failures:
        console.print(Text(f"✗ {r.message}", style="red"), highlight=False)
    if report.passed:
        console.print(
            Text(f"nash check passed: {len(report.rows)} rows within tolerance", style="bold green")
        )
    else:
        names = ", ".join(sorted({r.proxy for r in report.failures}))
        console.print(
            Text(
                f"nash check failed: {len(report.failures)} of {len(report.rows)} rows ({names})",
                style="bold red",
            )
        )


def junit_xml(report: CheckReport) -> str:
    """One test case per row (``proxy [target]``); a failing row carries a ``<failure>``."""
    suites = ET.Element("testsuites", name="nash check")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"nash check ({report.metric})",
        tests=str(len(report.rows)),
        failures=str(len(report.failures)),
        errors="0",
        skipped="0",
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="metric", value=report.metric)
    ET.SubElement(props, "property", name="tolerance_floor", value=f"{report.floor:g}")
    for src in report.baseline_sources:
        ET.SubElement(props, "property", name="baseline", value=src)
    for row in report.rows:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"nash.check.{report.metric}",
            name=f"{row.proxy} [{row.target}]",
            time="0",
        )
        if row.failing:
            failure = ET.SubElement(case, "failure", message=row.message, type=row.status)
            failure.text = _details(row)
        else:
            ET.SubElement(case, "system-out").text = row.message
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def write_junit(report: CheckReport, path: Path) -> Path:
    from nas_harness.files import write_text

    return write_text(path, junit_xml(report), "JUnit file")


def _details(row: CheckRow) -> str:
    parts = [
        f"status: {row.status}",
        f"baseline: {_num(row.baseline, row.baseline_ci)}",
        f"now: {_num(row.current, row.current_ci)}",
    ]
    if row.delta is not None:
        parts.append(f"delta: {row.delta:+.4f}")
    if row.tolerance is not None:
        parts.append(f"tolerance: {row.tolerance:.4f}")
    return "\n".join(parts)
