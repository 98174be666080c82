"""The darts, tnb101_micro and tnb101_macro space plugins: registration, the Space surface,
models/cost/topology per task, oracles, and a small search with random and regularized
evolution."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from nas_harness.api import ArchError, BuiltModel, HarnessError, Space
from nas_harness.api.testing import check_space
from nas_harness.plugins.spaces.darts import DartsSpace
from nas_harness.plugins.spaces.darts import nas_harness_spaces as darts_hook
from nas_harness.plugins.spaces.tnb101 import TNB101MacroSpace, TNB101MicroSpace
from nas_harness.plugins.spaces.tnb101 import nas_harness_spaces as tnb_hook
from nas_harness.plugins.strategies.random_search import RandomSearch
from nas_harness.plugins.strategies.regularized_evolution import RegularizedEvolution
from nas_harness.search_view import ScoreFn, Scorer, SearchSpaceView

TASKS = {"class_scene", "class_object", "room_layout", "jigsaw", "segmentsemantic", "normal", "autoencoder"}


def spaces() -> list[Space]:
    return [DartsSpace(DartsSpace.Config(channels=8, layers=5)), TNB101MicroSpace(), TNB101MacroSpace()]


def check_surface(space: Space) -> None:
    """What every space must do: parse its own strings, sample distinct archs, move inside."""
    rng = np.random.default_rng(0)
    archs = space.sample(20, rng)
    assert len(set(archs)) == 20 and all(space.parse(a) == a for a in archs)
    for a in archs[:5]:
        m = space.mutate(a, rng)
        assert m != a and space.parse(m) == m
        nbrs = space.neighbours(a)
        assert nbrs and a not in nbrs and all(space.parse(n) == n for n in nbrs)
        assert m in nbrs
        kid = space.crossover(a, archs[-1], rng)
        assert space.parse(kid) == kid
        assert isinstance(space.iso_key(a), str)
    if space.size() is not None:
        for i in (0, space.size() // 2, space.size() - 1):
            assert space.index(space.arch(i)) == i
    with pytest.raises(ArchError):
        space.parse("not an architecture")


def test_hooks_register_the_three_spaces():
    assert darts_hook() == [DartsSpace]
    assert tnb_hook() == [TNB101MicroSpace, TNB101MacroSpace]
    assert {DartsSpace.name, TNB101MicroSpace.name, TNB101MacroSpace.name} == {
        "darts",
        "tnb101_micro",
        "tnb101_macro",
    }


@pytest.mark.parametrize("space", spaces(), ids=lambda s: s.name)
def test_space_surface(space):
    check_surface(space)


@pytest.mark.parametrize("space", spaces(), ids=lambda s: s.name)
def test_models_cost_and_topology_agree_for_every_dataset(space):
    torch.set_num_threads(1)
    arch = space.sample(1, np.random.default_rng(1))[0]
    for name, info in space.tasks().items():
        built = space.build_model(arch, name)
        assert (
            isinstance(built, BuiltModel)
            and built.stem is not None
            and built.cells
            and built.head is not None
        )
        y = built.module(torch.randn(2, *info.input_shape))
        assert y.shape[:2] == (2, info.num_classes)
        cost = space.cost(arch, name)
        assert cost.params == sum(p.numel() for p in built.module.parameters()) and cost.flops > 0
        topo = space.topology(arch, name)
        assert any(b.searchable for b in topo.blocks)
        assert sum(n for b in topo.blocks for _, n in b.ops) > 0
        graph = topo.graph
        assert graph is not None and all(0 <= e.src < e.dst < len(graph.nodes) for e in graph.edges)
        assert {e.block for e in graph.edges} <= set(range(len(topo.blocks)))
    with pytest.raises(HarnessError):
        space.build_model(arch, "no-such-task")


@pytest.mark.parametrize("space", spaces(), ids=lambda s: s.name)
def test_the_space_passes_the_contract_checks(space):
    torch.set_num_threads(1)
    check_space(space, n=3, tasks=[space.default_task()])


def test_every_tnb101_task_declares_its_real_output_kind_loss_and_metric_direction():
    tasks = TNB101MicroSpace().tasks()
    kinds = {name: (t.output, t.loss, t.metrics[0].higher_is_better) for name, t in tasks.items()}
    assert kinds == {
        "class_scene": ("classes", "cross_entropy", True),
        "class_object": ("classes", "cross_entropy", True),
        "jigsaw": ("classes", "cross_entropy", True),
        "room_layout": ("regression", "mse", False),
        "segmentsemantic": ("dense", "cross_entropy", True),
        "normal": ("dense", "l1", True),
        "autoencoder": ("reconstruction", "l1", True),
    }
    assert TNB101MacroSpace().tasks() == tasks


def test_dense_tnb101_models_output_maps_and_jigsaw_declares_no_single_feature_map():
    space = TNB101MicroSpace()
    arch = space.arch(4095)
    built = space.build_model(arch, "segmentsemantic")
    assert built.features is built.module.features
    with torch.no_grad():
        assert built.module(torch.randn(2, 3, 32, 32)).shape == (2, 17, 32, 32)
    assert space.build_model(arch, "jigsaw").features is None


def test_label_free_proxies_run_on_dense_tasks_and_label_proxies_are_not_applicable():
    from nas_harness.api.testing import check_proxy
    from nas_harness.plugins.proxies.naswot import Naswot
    from nas_harness.plugins.proxies.snip import Snip
    from nas_harness.plugins.proxies.synflow import Synflow

    torch.set_num_threads(1)
    space = TNB101MicroSpace()
    for task in ("segmentsemantic", "autoencoder", "room_layout"):
        assert Snip().applicable(space.task(task)) is not None
        assert (
            Synflow().applicable(space.task(task)) is None and Naswot().applicable(space.task(task)) is None
        )
    check_proxy(Synflow, space, task="autoencoder", n=1, batch_size=4)
    check_proxy(Naswot, space, task="segmentsemantic", n=1, batch_size=4)


def test_tnb101_spaces_have_the_seven_tasks_with_the_benchmark_output_sizes():
    for space in (TNB101MicroSpace(), TNB101MacroSpace()):
        ds = space.tasks()
        assert set(ds) == TASKS
        assert ds["class_object"].num_classes == 100 and ds["class_scene"].num_classes == 63
        assert ds["jigsaw"].num_classes == 1000 and ds["room_layout"].num_classes == 9
        assert ds["segmentsemantic"].num_classes == 17 and ds["autoencoder"].num_classes == 3


def test_darts_topology_lists_strided_reduction_ops_and_dilation_in_names():
    space = DartsSpace()
    arch = space.parse(
        "dil_conv_5x5~0;sep_conv_3x3~1;"
        + ";".join(["max_pool_3x3~0", "max_pool_3x3~1"] * 3)
        + "|"
        + ";".join(["skip_connect~0", "avg_pool_3x3~1"] * 4)
    )
    topo = space.topology(arch, "cifar10")
    cells = [b for b in topo.blocks if b.searchable]
    assert len(cells) == 8
    red = [b for b in cells if "reduce" in b.name]
    assert len(red) == 2 and all(b.hw_out[0] == b.hw_in[0] // 2 for b in red)
    # every reduction edge reads an input, so all eight are strided
    used = {(op.name, op.stride): n for op, n in red[0].ops if n}
    assert used == {("skip_connect_reduce", (2, 2)): 4, ("avg_pool_3x3", (2, 2)): 4}
    normal_ops = {op.name for op, n in cells[0].ops if n}
    assert normal_ops == {"dil_conv_5x5", "sep_conv_3x3", "max_pool_3x3"}


# --------------------------------------------------------------------------- oracles


@pytest.mark.shared
def test_darts_oracles_label_their_own_files(shared_data, monkeypatch):
    monkeypatch.setenv("NASH_SHARED_DIR", str(shared_data.parent))
    space = DartsSpace()
    oracles = space.oracles()
    assert list(oracles) == ["nb301", "darts_shared_cell"]
    nb301 = oracles["nb301"](space=space)
    frame = pd.read_csv(shared_data / "nb301" / "nbsz_nb301.csv")
    values = nb301.query(list(frame.genotype[:50]), "cifar10")
    means = frame.groupby(frame.genotype.map(space.parse)).val_accuracy.mean()
    assert np.allclose(values, [means[space.parse(g)] for g in frame.genotype[:50]])
    assert len(nb301.coverage("cifar10")) == frame.genotype.map(space.parse).nunique()
    info = nb301.describe("cifar10")
    assert info.higher_is_better and info.split == "valid" and "NAS-Bench-301" in info.source
    assert np.isnan(nb301.query(space.sample(3, np.random.default_rng(0)), "cifar10")).all()
    shared = oracles["darts_shared_cell"](space=space)
    assert "different training setup" in shared.describe("cifar10").source
    sframe = pd.read_csv(shared_data / "darts" / "darts_shared_cell_1000_cifar10_valid.csv")
    assert np.allclose(shared.query(list(sframe.genotype[:20]), "cifar10"), sframe.valid_acc[:20])
    with pytest.raises(HarnessError):
        nb301.describe("cifar100")


@pytest.mark.shared
@pytest.mark.parametrize(
    "space_cls, file",
    [(TNB101MicroSpace, "tnb101_micro_val.csv"), (TNB101MacroSpace, "tnb101_macro_val.csv")],
)
def test_tnb101_oracle_returns_each_tasks_published_metric(shared_data, monkeypatch, space_cls, file):
    monkeypatch.setenv("NASH_SHARED_DIR", str(shared_data.parent))
    space = space_cls()
    (oracle_cls,) = space.oracles().values()
    oracle = oracle_cls(space=space)
    frame = pd.read_csv(shared_data / "tnb101" / file)
    for task in ("room_layout", "autoencoder", "jigsaw"):
        rows = frame[frame.dataset == task].iloc[::400]
        archs = [space.arch(space.index(a)) for a in rows.arch_str]
        sign = -1.0 if task == "room_layout" else 1.0  # the file stores room layout's negative loss
        assert np.allclose(oracle.query(archs, task), sign * rows.val_accuracy)
        assert oracle.describe(task).higher_is_better == (task != "room_layout")
    assert len(oracle.coverage("normal")) == space.size()


# --------------------------------------------------------------------------- search smoke


@pytest.mark.parametrize("space", spaces(), ids=lambda s: s.name)
@pytest.mark.parametrize(
    "strategy",
    [RandomSearch(), RegularizedEvolution(RegularizedEvolution.Config(population_size=6, tournament_size=3))],
    ids=["random", "re"],
)
def test_a_tiny_search_runs_on_the_space_with_a_cost_score(space, strategy):
    dataset = next(iter(space.datasets()))

    def evaluate(archs):
        return np.array([-float(space.cost(a, dataset).params) for a in archs])

    scorer = Scorer(evaluate, 12, parse=space.parse)
    view, score_fn = SearchSpaceView(space, dataset), ScoreFn(scorer)
    try:
        history = strategy.search(view, score_fn, 12, np.random.default_rng(0))
    finally:
        view.close()
        score_fn.close()
    assert 0 < len(set(history.archs)) <= 12
    assert history.chosen in history.archs
    assert history.scores[history.archs.index(history.chosen)] == max(history.scores)


@pytest.mark.shared
def test_a_lower_is_better_target_is_ranked_as_a_loss_and_reported_as_its_own_values(
    shared_data, monkeypatch, tmp_path
):
    from scipy.stats import spearmanr

    from nas_harness.runner import compute_run

    monkeypatch.setenv("NASH_SHARED_DIR", str(shared_data.parent))
    outcome = compute_run(
        {
            "space": "tnb101_micro",
            "dataset": "room_layout",
            "proxies": ["sed"],
            "bootstrap": 0,
            "ceiling": "off",
            "sample": {"n": 12},
            "executor": "inline",
        },
        store_path=tmp_path / "s.sqlite",
    )
    loss = outcome.truth
    assert (loss > 0).all()  # the loss itself, not the table's negative
    sed = outcome.tables["sed"].values
    row = outcome.run.results[0]
    assert row.spearman.value == pytest.approx(spearmanr(sed, -loss).statistic)
    best = int(np.argmax(sed))
    assert row.selection.target == pytest.approx(loss[best])
    assert row.selection.rank == 1 + int((loss < loss[best]).sum())
