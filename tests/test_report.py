"""``nash report``: a self-contained page with every section that has data, and notes where not."""

from __future__ import annotations

import re

import pytest

from nas_harness.leaderboard.standard_schema import load_standard
from nas_harness.leaderboard.svg import Lines, Scatter, lines_svg, log_scale_fits, nice_ticks, scatter_svg

from test_cli_e2e import nash


def _report(tmp_path, *inputs) -> str:
    out = tmp_path / "report.html"
    proc = nash("report", *map(str, inputs), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out.read_text()


def _self_contained(html: str) -> None:
    assert "http://" not in html and "https://" not in html and "//" not in re.sub(r"<script>.*?</script>", "", html, flags=re.S)
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
    assert first.count('class="d"') == result.runs[0].results[0].n_used


@pytest.mark.slow
def test_missing_data_is_named(tmp_path):
    out = tmp_path / "run"
    proc = nash("run", "--space", "nb201", "--proxies", "sed,params", "--n", "20", "--bootstrap", "20", "--ceiling", "off", "--threads", "1",
                "--store", str(tmp_path / "s.sqlite"), "--out", str(out), "--quiet")
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


@pytest.mark.parametrize("lo, hi", [(0.0, 1.0), (-0.37, 0.92), (84.2, 91.6), (1.0, 15625.0), (3.0, 3.0)])
def test_nice_ticks_cover_the_range_with_round_steps(lo, hi):
    ticks = nice_ticks(lo, hi)
    assert ticks and all(lo - 1e-9 <= t <= hi + 1e-9 for t in ticks)
    if hi > lo:
        steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
        assert len(steps) == 1 and 2 <= len(ticks) <= 11
        mantissa = f"{steps.pop():e}".split("e")[0]
        assert float(mantissa) in (1.0, 2.0, 2.5, 5.0)


def test_plots_place_points_and_skip_gaps():
    xs = [1e10, 1e20, None, 1e30]
    assert log_scale_fits(xs) and not log_scale_fits([1.0, 2.0, 500.0]) and not log_scale_fits([-1.0, 1e6])
    svg = scatter_svg(Scatter("s", xs, [1.0, 2.0, 3.0, float("nan")], "x", "y", log_x=True))
    assert svg.count('class="d"') == 2 and "log scale" in svg  # the None score and the NaN target are left out
    svg = lines_svg(Lines("l", [0.0, 1.0, 2.0, 3.0], {"a": [1.0, None, 2.0, 3.0]}, "x", "y"))
    assert svg.count("<polyline") == 2  # broken at the gap
