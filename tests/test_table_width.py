"""Leaderboards and `nash plugins` fit a researcher's terminal: at 80, 120 and 200 columns every
proxy name and every ρ with its CI is printed in full, and no line is wider than the terminal."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from nas_harness import cli
from nas_harness.leaderboard.fit import Col, fitted_table
from nas_harness.leaderboard.render import render
from nas_harness.leaderboard.schema import load_results
from nas_harness.leaderboard.standard_render import render_suites
from nas_harness.leaderboard.standard_schema import StandardResult

WIDTHS = (80, 120, 200)


def _console(width: int) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=width, force_terminal=False, color_system=None), buf


def _assert_fits(text: str, width: int) -> None:
    assert all(len(line) <= width for line in text.splitlines()), max(text.splitlines(), key=len)


def test_essential_columns_stay_whole_and_optional_ones_go_first_highest_priority_first():
    long = "a_rather_long_proxy_name@1"
    cols = [
        Col("proxy", [long]),
        Col("ρ", ["0.812"], justify="right"),
        Col("extra", ["x" * 40], priority=2),
        Col("less", ["y" * 30], priority=1),
    ]
    for width in (50, 80, 120):
        console, buf = _console(width)
        table, dropped = fitted_table(console, cols)
        console.print(table)
        out = buf.getvalue()
        _assert_fits(out, width)
        assert long in out and "0.812" in out
        kept = [c.header for c in cols if c.header not in dropped]
        if "less" not in kept:  # the lower priority number is given up only after the higher
            assert "extra" not in kept
    console, _ = _console(50)
    assert fitted_table(console, cols, wide=True)[1] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_run_and_suite_leaderboards_show_every_proxy_and_rho_in_full(small_suite_file, width):
    suite = StandardResult.model_validate(json.loads(small_suite_file.read_text()))
    runs = [(str(f), load_results(f)) for f in sorted(small_suite_file.parent.glob("correlation-*.json"))]
    console, buf = _console(width)
    render(runs, console)
    render_suites([(small_suite_file.name, suite)], console)
    out = buf.getvalue()
    _assert_fits(out, width)
    for _, run in runs:
        for r in run.results:
            assert f"{r.proxy}@{r.version}" in out
            assert f"{r.spearman.value:.3f}" in out
            assert f"[{r.spearman.ci.low:.3f}, {r.spearman.ci.high:.3f}]" in out
    for row in suite.rows:
        assert f"{row.proxy}@{row.version}" in out and f"{row.headline:.3f}" in out


@pytest.mark.parametrize("width", WIDTHS)
def test_plugins_lists_every_plugin_name_in_full(width, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", str(width))
    assert cli.main(["plugins"]) == 0
    out = capsys.readouterr().out
    _assert_fits(out, width)
    assert cli.main(["plugins", "--json"]) == 0
    names = [p["name"] for p in json.loads(capsys.readouterr().out)["plugins"]]
    assert names and all(f" {name} " in out for name in names)


def test_the_leaderboard_csv_loads_into_pandas_with_the_results_numbers(small_suite_file, capsys):
    import pandas as pd

    from nas_harness.leaderboard.tabular import results_frame

    assert cli.main(["leaderboard", str(small_suite_file.parent), "--csv"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    suite = StandardResult.model_validate(json.loads(small_suite_file.read_text()))
    rows = frame[frame["kind"] == "suite"].set_index("proxy")
    assert sorted(rows.index) == sorted(r.proxy for r in suite.rows)
    for r in suite.rows:
        assert rows.loc[r.proxy, "headline"] == pytest.approx(r.headline)
        assert rows.loc[r.proxy, "spearman_cifar10"] == pytest.approx(r.spearman["cifar10"])
    assert list(rows.sort_values("headline", ascending=False)["rank"]) == [1, 2, 3]
    same = results_frame(str(small_suite_file.parent))
    assert list(same["proxy"]) == list(frame["proxy"])
