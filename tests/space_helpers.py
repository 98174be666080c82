"""What every space's tests check the same way: the search protocol runs on the space."""

from __future__ import annotations

from pathlib import Path


def search_with_a_tiny_budget(space: str, tmp_path: Path) -> None:
    """random and regularized evolution search ``space`` with a budget of 8 through the CLI;
    each repeat scores 1..8 architectures and chooses one."""
    from nas_harness.cli import main
    from nas_harness.leaderboard.search_schema import SearchResult

    out = tmp_path / "out"
    rc = main(
        [
            "search",
            "--space",
            space,
            "--strategy",
            "random,regularized_evolution",
            "--proxies",
            "params",
            "--budget",
            "8",
            "--repeats",
            "1",
            "--search-seed",
            "1",
            "--strategy-opt",
            "regularized_evolution.population_size=4",
            "--strategy-opt",
            "regularized_evolution.tournament_size=2",
            "--store",
            str(tmp_path / "s.sqlite"),
            "--out",
            str(out),
            "--threads",
            "1",
            "--quiet",
        ]
    )
    assert rc == 0
    result = SearchResult.model_validate_json(next(out.glob("search-*.json")).read_text())
    assert [c.strategy for c in result.cells] == ["random", "regularized_evolution"]
    for cell in result.cells:
        for r in cell.repeats:
            assert 1 <= r.n_scored <= 8 and r.chosen
