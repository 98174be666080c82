"""benchmarks/space_task_tables.py: the results tables of docs/results.md are read off result files,
and the space plugins' reproductions are registered and listed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from nas_harness.api.suites import PaperTable, Reproduction, ReproOptions, RunPlan
from nas_harness.host import PluginHost
from nas_harness.leaderboard.schema import RunResult, load_results
from nas_harness.suites import catalog

REPO = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location(
    "space_task_tables", REPO / "benchmarks" / "space_task_tables.py"
)
tables = importlib.util.module_from_spec(SPEC)
sys.modules[SPEC.name] = tables  # dataclasses look their module up
SPEC.loader.exec_module(tables)

NEW_REPRODUCTIONS = {
    "eproxy-t2-nb101": "nb101",
    "wrcor-t7-nb101": "nb101",
    "ftscorenet-t1-nb101": "nb101",
    "ftscorenet-t1-macro": "nasbench_macro",
    "ftscorenet-t1-darts": "darts",
    "sed-text-nb301": "darts",
    "eproxy-t4-tnb101-micro": "tnb101",
    "eproxy-t5-nbmr": "nbmr",
    "sed-t2-sss": "nats_sss",
}


def _write_run(folder: Path, space: str, task: str, shift: float) -> RunResult:
    """A copy of the committed CI baseline run relabelled as ``space``/``task``, ρ shifted by ``shift``."""
    data = load_results(REPO / "benchmarks" / "baselines" / "ci.json").model_dump(mode="json")
    data["config"]["space"] = {"name": space, "config": {}}
    data["config"]["dataset"] = task
    data["checksum"] = None
    for res in data["results"]:
        res["spearman"]["value"] += shift
    run = RunResult.model_validate(data)
    folder.mkdir(parents=True)
    (folder / "correlation-test.json").write_text(run.model_dump_json())
    return run


def test_the_rho_table_shows_every_runs_spearman_and_ci_from_its_file(tmp_path):
    a = _write_run(tmp_path / "a", "nasbench_macro", "cifar10", 0.0)
    b = _write_run(tmp_path / "b", "nb101", "cifar10", -0.05)
    runs = tables.load_runs([tmp_path])
    assert [r.space for r in runs] == ["nb101", "nasbench_macro"]  # the documented space order
    text = tables.render(runs, ["synflow", "naswot", "nonexistent"])
    for run in (a, b):
        for res in run.results:
            if res.proxy in ("synflow", "naswot"):
                ci = res.spearman.ci
                assert f"{res.spearman.value:.2f} [{ci.low:.2f}, {ci.high:.2f}]" in text
                assert f"{res.kendall.value:.2f} · {res.topk.retrieval:.2f}" in text
    assert "— (not run)" in text  # a proxy no run has


def test_paper_cells_are_ours_minus_the_papers_value_on_the_planned_run(tmp_path):
    run = _write_run(tmp_path / "a", "nasbench_macro", "cifar10", 0.0)
    table = PaperTable("t", "p", "T1", "title", "spearman", ("macro",), {"NASWOT": (0.5,), "Zen": (0.7,)})
    top10 = PaperTable(
        "t-top10", "p", "T1", "title", "top-10", ("macro",), {"NASWOT": (0.25,), "Zen": (0.3,)}
    )

    def plan(options, proxies):
        return [
            RunPlan("macro", "macro", {"space": "nasbench_macro", "dataset": "cifar10", "proxies": proxies})
        ]

    repro = Reproduction("t", "1", table, "s", {"NASWOT": "naswot", "Zen": "zen"}, plan, use_abs=False)
    text = tables.paper_table(repro, tables.load_runs([tmp_path]), ReproOptions(), top10)
    naswot = next(r for r in run.results if r.proxy == "naswot")
    row = next(line for line in text.splitlines() if line.startswith("| NASWOT"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert float(cells[4]) == pytest.approx(naswot.spearman.value, abs=0.005)
    assert float(cells[6]) == pytest.approx(naswot.spearman.value - 0.5, abs=0.01)
    assert float(cells[-2]) == 0.25 and float(cells[-1]) == pytest.approx(naswot.topk.retrieval, abs=0.005)
    assert not any(line.startswith("| Zen") for line in text.splitlines())  # not scored: left out
    other = Reproduction(
        "u",
        "1",
        table,
        "s",
        {"NASWOT": "naswot"},
        lambda o, p: [RunPlan("macro", "m", {"space": "nb101", "dataset": "cifar10"})],
    )
    assert tables.paper_table(other, tables.load_runs([tmp_path]), ReproOptions()) is None  # no run matches


def test_each_space_plugin_contributes_its_reproductions_and_plans_runs_on_its_own_space(tmp_path):
    cat = catalog(PluginHost.discover())
    files = {key: tmp_path / f"{key}.npz" for key in ("c10", "c100", "in16")}
    for path in files.values():
        path.write_bytes(b"")
    options = ReproOptions(files=files)
    for name, plugin in NEW_REPRODUCTIONS.items():
        repro = cat.reproduction(name)
        assert cat.origin[("reproduction", name)].startswith(f"nas_harness.spaces:{plugin} ")
        assert cat.tables[repro.table.key] is repro.table
        plans = repro.plan(options, ["params"])
        assert {p.column for p in plans} == {c.split()[0] for c in repro.table.columns}
        for p in plans:
            assert p.config["space"].startswith(plugin) and p.config["proxies"] == ["params"]
            if repro.kind == "correlation":  # the measured runs' sample
                assert p.config["sample"] == {"mode": "random", "n": 200, "seed": 0}
            else:  # an argmax over the whole space
                assert p.config["sample"] == {"mode": "all"}
    assert "eproxy-t4-tnb101-micro-top10" in cat.tables and "eproxy-t5-nbmr-top10" in cat.tables
