"""``nash report``: a self-contained page with every section that has data, and notes where not."""

from __future__ import annotations

import re

import pytest
from test_cli_e2e import nash

from nas_harness.leaderboard.plots import (
    Heatmap,
    Lines,
    Scatter,
    figure,
    inline_svg,
    save_figure,
    x_scale_for,
)
from nas_harness.leaderboard.standard_schema import load_standard


def _report(tmp_path, *inputs) -> str:
    out = tmp_path / "report.html"
    proc = nash("report", *map(str, inputs), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out.read_text()


def _self_contained(html: str) -> None:
    assert (
        "http://" not in html
        and "https://" not in html
        and "//" not in re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    )
    assert not re.search(r"<(link|img|iframe)\b", html) and " src=" not in html and "@import" not in html
    assert html.count("<script>") == 1  # the inline sorter


@pytest.mark.slow
def test_a_suite_result_fills_every_section(small_suite_file, tmp_path):
    html = _report(tmp_path, small_suite_file.parent)
    _self_contained(html)
    result = load_standard(small_suite_file)
    assert 'class="missing"' not in html
    # the leaderboard: one row per proxy, the headline cells are the result's, ranked
    table = re.search(r'<table class="sortable">.*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr><td.*?</tr>", table, re.S)
    assert len(rows) == len(result.rows)
    heads = [float(x) for x in re.findall(r'<td data-sort="([-0-9.e]+)" class="head">', table)]
    assert heads == sorted((r.headline for r in result.rows), reverse=True)
    # a scatter per proxy and dataset, a heatmap per dataset, the dataset sweep, the search
    labels = re.findall(r'<svg [^>]*aria-label="([^"]*)"', html)
    scatters = [x for x in labels if " · " in x]
    assert len(scatters) == len(result.rows) * len(result.scores)
    assert sum(x in ("C10", "C100", "IN16") for x in labels) == len(result.runs)
    assert "Spearman ρ per value of dataset" in labels
    assert any("accuracy of the best-so-far architecture" in x for x in labels)
    # every scatter has one point per architecture with a finite score and target
    first = re.search(r'<svg [^>]*aria-label="[^"]* · C10 [^"]*".*?</svg>', html, re.S).group(0)
    points = re.search(r'<g class="points">.*?</g>', first, re.S).group(0)
    assert points.count("<use") == result.runs[0].results[0].n_used


@pytest.mark.slow
def test_missing_data_is_named(tmp_path):
    out = tmp_path / "run"
    proc = nash(
        "run",
        "--space",
        "nb201",
        "--proxies",
        "sed,params",
        "--n",
        "20",
        "--bootstrap",
        "20",
        "--ceiling",
        "off",
        "--threads",
        "1",
        "--store",
        str(tmp_path / "s.sqlite"),
        "--out",
        str(out),
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    for csv in out.glob("*.scores.csv"):
        csv.unlink()
    html = _report(tmp_path, out)
    _self_contained(html)
    assert "correlation leaderboard" in html
    missing = re.findall(r'<div class="missing">(.*?)</div>', html)
    assert len(missing) == 3  # scatter, sweep, search (the heatmap is in the results)
    assert any("nash sweep" in m for m in missing) and any("nash search" in m for m in missing)
    assert "scores file" in html and "is not there" in html


def test_no_results_is_an_error(tmp_path):
    proc = nash("report", str(tmp_path), "--out", str(tmp_path / "r.html"))
    assert proc.returncode == 2 and "no results files" in proc.stderr and not (tmp_path / "r.html").exists()


def test_scores_spanning_decades_get_a_log_axis_or_ranks_and_gaps_are_skipped():
    xs = [1e10, 1e20, None, 1e30]
    assert x_scale_for(xs) == "log" and x_scale_for([1.0, 2.0, 500.0]) == "linear"
    assert (
        x_scale_for([0.0, 1.0, 3e43]) == "rank" and x_scale_for([-1.0, 1e6]) == "rank"
    )  # synflow's 0 … 3e43
    svg = inline_svg(Scatter("s", xs, [1.0, 2.0, 3.0, float("nan")], "x", "y", "log"), "t")
    points = re.search(r'<g class="points">.*?</g>', svg, re.S).group(0)
    assert points.count("<use") == 2 and "log scale" in svg  # the None score and the NaN target are left out
    ax = figure(Scatter("r", [0.0, 5.0, 3e43], [1.0, 3.0, 2.0], "x", "y", "rank")).axes[0]
    assert sorted(ax.collections[0].get_offsets()[:, 0]) == [1.0, 2.0, 3.0] and "rank of" in ax.get_xlabel()
    line = figure(Lines("l", [0.0, 1.0, 2.0, 3.0], {"a": [1.0, None, 2.0, 3.0]}, "x", "y")).axes[0].lines[0]
    assert list(map(str, line.get_ydata())) == ["1.0", "nan", "2.0", "3.0"]  # NaN breaks the line at the gap


def test_categories_are_points_with_error_bars_and_heatmaps_have_a_colour_bar(tmp_path):
    lines = Lines(
        "sweep",
        [0.0, 1.0],
        {"a": [0.5, 0.7]},
        "dataset",
        "ρ",
        x_ticks=["c10", "c100"],
        errors={"a": ([0.4, None], [0.6, 0.8])},
    )
    ax = figure(lines).axes[0]
    assert all(
        ln.get_linestyle() == "None" for ln in ax.lines[:1]
    )  # markers only: categories are not connected
    bars = ax.collections[0].get_segments()
    assert [tuple(seg[:, 1]) for seg in bars] == [
        (0.4, 0.6),
        (0.7, 0.8),
    ]  # a missing CI end draws no bar part
    fig = figure(Heatmap("h", ["a", "b"], [[1.0, -0.5], [-0.5, 1.0]]))
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "Spearman ρ"  # the colour bar and its label
    files = save_figure(lines, tmp_path / "sweep", ("png", "pdf"))
    assert [f.suffix for f in files] == [".png", ".pdf"]
    assert files[0].read_bytes()[:4] == b"\x89PNG" and files[1].read_bytes()[:4] == b"%PDF"
