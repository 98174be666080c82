"""The published reference leaderboard: the committed file is the installed suite's, with a row for
every default proxy; `nash leaderboard --with-reference` ranks a user's suite rows among it; `nash
submit` says where a row would rank (recomputed here from the headlines)."""

from __future__ import annotations

import json
import shutil

import pytest
from rich.console import Console

from nas_harness import reference
from nas_harness.cli import main
from nas_harness.cli_workflows import _print_reference_rank
from nas_harness.leaderboard.standard_schema import load_standard
from nas_harness.plugins.spaces.nb201.suites import STANDARD
from nas_harness.plugins.suites.cross_space import STANDARD2


@pytest.mark.parametrize("suite", [STANDARD, STANDARD2], ids=lambda s: f"{s.name}@{s.version}")
def test_the_committed_reference_is_the_installed_standard_suite_with_every_default_proxy(suite):
    path = reference.reference_file(suite.name, suite.version)
    assert path is not None, f"leaderboard/reference/{suite.name}-v{suite.version}.json is missing"
    result = load_standard(path)  # the checksum holds: the file is what the run wrote
    assert result.suite.id == suite.id
    assert {r.proxy for r in result.rows} == set(suite.default_proxies)
    # every default proxy has a headline: a task where it ranks nothing (synflow, exactly 0 on TransNAS's
    # tanh tasks) counts as ρ 0 and is listed, never silently dropped
    assert all(r.headline is not None for r in result.rows)
    for r in result.rows:
        assert all(r.spearman[c] is None for c in r.ranks_nothing or {})


@pytest.fixture
def published(small_suite_file, tmp_path, monkeypatch):
    """The small suite's result published as the reference of its suite (standard@test-small)."""
    folder = tmp_path / "reference"
    folder.mkdir()
    result = load_standard(small_suite_file)
    shutil.copy(small_suite_file, folder / f"{result.suite.name}-v{result.suite.version}.json")
    monkeypatch.setattr(reference, "reference_dir", lambda: folder)
    return result


def test_a_suite_finds_its_published_reference_and_one_without_gets_a_note(published):
    found, notes = reference.references_for([published])
    assert [label for label, _ in found] == [f"reference {published.suite.id}"] and notes == []
    other = published.model_copy(
        update={"suite": published.suite.model_copy(update={"version": "never-published"})}
    )
    found, notes = reference.references_for([other])
    assert found == [] and "standard@never-published" in notes[0]


def test_a_row_ranks_after_the_reference_rows_with_a_higher_or_equal_headline(published):
    for row in published.rows:
        place = reference.rank_among_reference(published, row.proxy)
        above = sum(r.headline >= row.headline for r in published.rows)  # its own twin ranks first
        assert (place.rank, place.of) == (above + 1, len(published.rows) + 1)
        assert place.headline == row.headline and place.suite_id == published.suite.id


def test_submit_prints_the_rank_and_how_to_see_the_table(published, tmp_path):
    console = Console(record=True, width=200)
    best = max(published.rows, key=lambda r: r.headline)
    _print_reference_rank(published, best.proxy, tmp_path / "sub.json", console)
    text = console.export_text()
    assert text.startswith(f"rank 2 of {len(published.rows) + 1} on the reference leaderboard")
    assert "--with-reference" in text


def test_the_leaderboard_shows_the_users_rows_among_the_reference_rows(published, small_suite_file, capsys):
    assert main(["leaderboard", str(small_suite_file.parent), "--with-reference", "--json"]) == 0
    [rows] = json.loads(capsys.readouterr().out)["suites"].values()  # one comparable group
    sources = {r["source"] for r in rows}
    assert f"reference {published.suite.id}" in sources and len(sources) == 2
    assert len(rows) == 2 * len(published.rows)
    heads = [r["headline"] for r in rows]
    assert heads == sorted(heads, reverse=True)


def test_the_leaderboard_alone_with_reference_shows_every_published_one(published, capsys):
    assert main(["leaderboard", "--with-reference", "--json"]) == 0
    [rows] = json.loads(capsys.readouterr().out)["suites"].values()
    assert {r["source"] for r in rows} == {f"reference {published.suite.id}"}
    assert main(["leaderboard"]) == 2  # neither files nor the reference: a clear error


def test_a_users_cross_space_row_is_told_apart_from_the_reference_rows_at_100_columns():
    from nas_harness.leaderboard.cross_render import rank_table
    from nas_harness.leaderboard.standard_render import REFERENCE_LABEL, SuiteRow

    published = load_standard(reference.reference_file(STANDARD2.name, STANDARD2.version))
    row = next(r for r in published.rows if r.proxy == "naswot")
    rows = [
        SuiteRow(row, "mine.json", published),
        SuiteRow(row, f"{REFERENCE_LABEL}{published.suite.id}", published),
    ]
    console = Console(width=100, record=True)
    console.print(rank_table(rows, rows, console, wide=False))
    lines = [line for line in console.export_text().splitlines() if "naswot@1" in line]
    assert len(lines) == 2 and sum("naswot@1 (ref)" in line for line in lines) == 1
