"""A space that looks nothing like NB201, installed through an entry point, runs through the CLI.

``tests/dag_space_pkg/nash_dag_space`` is a test-only space plugin (a 5-node cell DAG with a
graph encoding, a classification and a regression task, a table oracle labelling part of the
space); it imports only ``nas_harness.api``. The fixture copies it into a folder with a
``*.dist-info/entry_points.txt`` (group ``nas_harness.spaces``) and puts that folder on
PYTHONPATH for the CLI subprocesses, so discovery goes through the real entry point. The table
is generated here: a deterministic function of the architecture's capacity (log params) with
noise seeded by its isomorphism key, for 150 sampled architectures (every 10th without rmse).
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

PKG = Path(__file__).parent / "dag_space_pkg"
sys.path.insert(0, str(PKG))

from nash_dag_space import arch as A  # noqa: E402
from nash_dag_space.space import DagSpace  # noqa: E402

from nas_harness.api import ArchError  # noqa: E402
from nas_harness.api.testing import check_space, check_strategy  # noqa: E402

STRATEGIES = ("random", "regularized_evolution", "simulated_annealing", "reinforce", "genetic", "nsga2")
SMALL = (
    "regularized_evolution.population_size=4",
    "regularized_evolution.tournament_size=2",
    "genetic.population_size=4",
    "nsga2.population_size=4",
    "simulated_annealing.iterations=2",
)


def truth_of(space: DagSpace, arch: str) -> tuple[float, float]:
    """(accuracy %, rmse): capacity-driven, with noise seeded by the isomorphism key."""
    cap = math.log(space.cost(arch, "classify").params)
    z = float(np.random.default_rng(int(space.iso_key(arch), 16)).standard_normal())
    return 30 + 8 * cap + z, 3 - 0.25 * cap + 0.05 * z


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("dag")
    site = root / "site"
    shutil.copytree(
        PKG / "nash_dag_space", site / "nash_dag_space", ignore=shutil.ignore_patterns("__pycache__")
    )
    info = site / "nash_dag_space-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: nash-dag-space\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[nas_harness.spaces]\ndag = nash_dag_space\n")
    space = DagSpace()
    archs = space.sample(150, np.random.default_rng(7))
    table = root / "dag_table.csv"
    with table.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["arch", "accuracy", "rmse"])
        for i, a in enumerate(archs):
            acc, rmse = truth_of(space, a)
            w.writerow([a, f"{acc:.6f}", "" if i % 10 == 9 else f"{rmse:.6f}"])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        "NASH_STORE": str(root / "scores.sqlite"),
        "OMP_NUM_THREADS": "1",
        "COLUMNS": "200",
    }
    return {"root": root, "table": table, "archs": archs, "env": env}


def nash(installed, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nas_harness.cli", *args],
        capture_output=True,
        text=True,
        env=installed["env"],
        cwd=installed["root"],
        timeout=300,
    )


def oracle_args(installed) -> list[str]:
    return ["--space", "dag", "--oracle", "table", "--oracle-opt", f"path={installed['table']}"]


def latest(folder: Path, pattern: str) -> dict:
    return json.loads(max(folder.glob(pattern), key=lambda p: p.stat().st_mtime).read_text())


# --------------------------------------------------------------------------- the space itself


def test_the_dag_space_passes_the_contracts_conformance_checks():
    check_space(DagSpace, n=6)
    for strategy in ("random", "genetic", "reinforce"):
        from nas_harness.host import PluginHost

        check_strategy(PluginHost.discover().get("strategy", strategy).cls, DagSpace, budget=10)


def test_architectures_are_pruned_to_the_input_output_path_and_isomorphic_cells_share_a_key():
    assert A.parse("1001010000|conv3x3,maxpool,conv1x1") == "0001000000|-,-,-"  # node 1 -> 3 -> nowhere
    one = A.parse("1000001000|conv3x3,maxpool,maxpool")  # input -> 1 -> output
    two = A.parse("0100000010|maxpool,conv3x3,maxpool")  # input -> 2 -> output
    assert one != two and A.iso_key(one) == A.iso_key(two)
    assert A.iso_key(one) != A.iso_key(A.parse("1000001000|conv1x1,-,-"))
    with pytest.raises(ArchError, match="no path"):
        A.parse("1110000000|conv3x3,conv3x3,conv3x3")


def test_repair_turns_every_decision_vector_into_an_architecture_and_keeps_valid_ones():
    space, rng = DagSpace(), np.random.default_rng(0)
    sizes = [len(d.options) for d in space.decisions()]
    invalid = 0
    for _ in range(300):
        picks = [int(rng.integers(s)) for s in sizes]
        try:
            space.from_choices(picks)
        except ArchError:
            invalid += 1
            fixed = space.repair(picks, rng)
            assert space.parse(space.from_choices(fixed))
            assert all(f >= p for f, p in zip(fixed[:10], picks[:10])) and fixed[10:] == tuple(picks[10:])
        else:
            assert space.repair(picks, rng) == tuple(picks)
    assert invalid > 0  # the check above ran on invalid vectors too


def test_the_model_exposes_its_parts_and_matches_the_analytic_cost():
    space = DagSpace()
    for arch in space.sample(5, np.random.default_rng(3)):
        for task in ("classify", "regress"):
            built = space.build_model(arch, task)
            assert len(built.cells) == 2 and built.features is built.cells[-1]
            assert sum(p.numel() for p in built.module.parameters()) == space.cost(arch, task).params
        topo = space.topology(arch, "classify")
        bits, ops = A.split(arch)
        assert len(topo.graph.edges) == 2 * sum(bits)
        assert sum(n for block in topo.blocks if block.searchable for _, n in block.ops) == 2 * sum(
            o != "-" for o in ops
        )


# --------------------------------------------------------------------------- through the CLI


def test_the_space_is_discovered_through_its_entry_point(installed):
    proc = nash(installed, "plugins", "--json", "--kind", "space")
    assert proc.returncode == 0, proc.stderr
    plugins = {p["name"]: p for p in json.loads(proc.stdout)["plugins"]}
    assert plugins["dag"]["distribution"] == "nash-dag-space"


@pytest.mark.slow
def test_runs_on_both_tasks_draw_from_the_coverage_and_rank_the_lower_is_better_metric_by_capacity(installed):
    out = installed["root"] / "runs"
    covered_rmse = {a for i, a in enumerate(installed["archs"]) if i % 10 != 9}
    for task, proxies in (
        ("classify", "params,grad_norm"),
        ("regress", "params,synflow,naswot,grad_norm"),
    ):
        proc = nash(
            installed,
            "run",
            *oracle_args(installed),
            "--dataset",
            task,
            "--proxies",
            proxies,
            "--n",
            "25",
            "--input-kind",
            "noise",
            "--batch-size",
            "8",
            "--bootstrap",
            "200",
            "--threads",
            "1",
            "--out",
            str(out),
            "--quiet",
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        result = latest(out, "correlation-*.json")
        rows = {r["proxy"]: r for r in result["results"]}
        assert result["oracle"]["dataset"] == task
        scores = list(csv.DictReader((out / result["scores_file"]).open()))
        archs = [r["arch"] for r in scores]
        assert len(archs) == 25 and set(archs) <= (
            covered_rmse if task == "regress" else set(installed["archs"])
        )
        if task == "classify":
            assert rows["grad_norm"]["not_applicable"] is None and rows["grad_norm"]["n_used"] == 25
            continue
        assert result["oracle"]["higher_is_better"] is False
        assert rows["grad_norm"]["not_applicable"].startswith("grad_norm handles classes")
        assert rows["grad_norm"]["n_failed"] == 0 and "not applicable" in proc.stdout
        for proxy in ("params", "synflow", "naswot"):
            assert rows[proxy]["not_applicable"] is None and rows[proxy]["n_used"] == 25
        # recomputed: params against the negated rmse (lower is better) is what the run reports, and positive
        rmse = np.array([float(r["target"]) for r in scores])
        rho = spearmanr([float(r["params"]) for r in scores], -rmse).statistic
        assert rows["params"]["spearman"]["value"] == pytest.approx(rho) and rho > 0.5
        assert rows["params"]["selection"]["target"] == pytest.approx(
            rmse[np.argmax([float(r["params"]) for r in scores])]
        )
    board = nash(installed, "leaderboard", *map(str, out.glob("correlation-*.json")))
    assert board.returncode == 0, board.stderr
    assert "params" in board.stdout and "regress" in board.stdout


def test_labels_outside_the_oracles_coverage_are_an_input_error_naming_the_arch(installed):
    space = DagSpace()
    outside = next(
        a for a in space.sample(400, np.random.default_rng(11)) if a not in set(installed["archs"])
    )
    config = installed["root"] / "outside.json"
    config.write_text(
        json.dumps(
            {
                "space": "dag",
                "dataset": "classify",
                "proxies": ["params"],
                "oracle": {"name": "table", "config": {"path": str(installed["table"])}},
                "sample": {"mode": "list", "archs": [installed["archs"][0], outside]},
            }
        )
    )
    proc = nash(installed, "run", str(config), "--out", str(installed["root"] / "outside"), "--quiet")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert outside in proc.stderr.replace("\n", "") and "not labelled" in proc.stderr


@pytest.mark.slow
def test_every_strategy_searches_the_space_and_the_report_reads_the_results(installed):
    out = installed["root"] / "search"
    opts = [x for o in SMALL for x in ("--strategy-opt", o)]
    proc = nash(
        installed,
        "search",
        *oracle_args(installed),
        "--dataset",
        "regress",
        "--proxies",
        "params",
        "--strategy",
        ",".join(STRATEGIES),
        *opts,
        "--budget",
        "10",
        "--repeats",
        "1",
        "--threads",
        "1",
        "--out",
        str(out),
        "--quiet",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = latest(out, "search-*.json")
    assert [c["strategy"] for c in result["cells"]] == list(STRATEGIES)
    space = DagSpace()
    for cell in result["cells"]:
        for rep in cell["repeats"]:
            assert 1 <= rep["n_scored"] <= 10 and space.parse(rep["chosen"]) == rep["chosen"]
    report = nash(
        installed,
        "report",
        str(installed["root"] / "runs"),
        str(out),
        "--out",
        str(installed["root"] / "report.html"),
    )
    assert report.returncode == 0, report.stderr
    html = (installed["root"] / "report.html").read_text()
    assert "dag" in html and "regress" in html
