"""The nats_sss and nbmr space plugins on the contract: conformance, entry points, oracles and
a tiny search on each."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest

# The Space classes are written on contract v2 (nas_harness.api as a package with tables and
# testing); on an older contract these tests skip.
pytest.importorskip("nas_harness.api.tables", reason="needs contract v2 (nas_harness.api.tables)")
from nas_harness.api.testing import check_space, check_strategy  # noqa: E402
from nas_harness.plugins.spaces.nats_sss.space import NATSSSSpace  # noqa: E402
from nas_harness.plugins.spaces.nbmr.space import NBMRSpace  # noqa: E402
from nas_harness.plugins.strategies.random_search import RandomSearch  # noqa: E402
from nas_harness.plugins.strategies.regularized_evolution import RegularizedEvolution  # noqa: E402

FIXTURE = "nats_bench_fixture/NATS-sss-v1_0-50262-simple"
FIXTURE_ARCHS = ("8:8:8:8:8", "8:8:8:16:32", "8:8:40:32:40")  # indices 0, 11, 284


@pytest.fixture(scope="module")
def nbmr(shared_data):
    return NBMRSpace(NBMRSpace.Config(path=str(shared_data / "nbmr" / "nbmr.csv")))


def test_both_spaces_are_registered_by_entry_point():
    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="nas_harness.spaces")}
    assert names["nats_sss"] == "nas_harness.plugins.spaces.nats_sss"
    assert names["nbmr"] == "nas_harness.plugins.spaces.nbmr"


def test_nats_sss_passes_the_space_conformance_check():
    check_space(NATSSSSpace)


def test_nbmr_passes_the_space_conformance_check(nbmr):
    check_space(nbmr)


def test_nats_sss_decisions_are_five_ordered_widths_and_round_trip():
    sp = NATSSSSpace()
    decisions = sp.decisions()
    assert [d.name for d in decisions] == ["C1", "C2", "C3", "C4", "C5"]
    assert all(d.ordered and d.options == tuple(str(w) for w in range(8, 65, 8)) for d in decisions)
    for i in (0, 1, 4097, 32767):
        assert sp.index(sp.from_choices(sp.to_choices(sp.arch(i)))) == i


def test_the_sss_table_index_column_is_the_spaces_index_and_signatures_say_validation(shared_data):
    import pandas as pd

    sp = NATSSSSpace()
    oracle = sp.oracles()["table"](space=sp)
    frame = pd.read_csv(shared_data / "nats_sss" / "nats_sss_acc.csv", usecols=["index", "arch"])
    assert [sp.index(a) for a in frame["arch"]] == frame["index"].tolist()
    for task in sp.tasks():
        info = oracle.describe(task)
        assert (info.split, info.epochs, info.higher_is_better) == ("valid", 90, True)
        assert "valid@90ep" in info.target() and len(oracle.coverage(task)) == 32768


def test_the_sss_table_equals_the_official_archive_on_the_fixture(shared_data):
    nats_bench = pytest.importorskip("nats_bench")
    sp = NATSSSSpace()
    table = sp.oracles()["table"](space=sp)
    api = nats_bench.create(str(shared_data / FIXTURE), "sss", fast_mode=True, verbose=False)
    for task, entry in (
        ("cifar10", "cifar10-valid"),
        ("cifar100", "cifar100"),
        ("ImageNet16-120", "ImageNet16-120"),
    ):
        expected = [
            api.get_more_info(sp.index(a), entry, hp="90", is_random=False)["valid-accuracy"]
            for a in FIXTURE_ARCHS
        ]
        assert np.allclose(table.query(list(FIXTURE_ARCHS), task), expected)


def test_the_nats_bench_oracle_reads_the_fixture_at_hp_90_and_labels_only_what_it_holds(shared_data):
    nats_bench = pytest.importorskip("nats_bench")
    sp = NATSSSSpace()
    cls = sp.oracles()["nats_bench"]
    oracle = cls(cls.Config(path=str(shared_data / FIXTURE)), space=sp)
    api = nats_bench.create(str(shared_data / FIXTURE), "sss", fast_mode=True, verbose=False)
    archs = [*FIXTURE_ARCHS, "64:64:64:64:64"]
    got = oracle.query(archs, "cifar100")
    expected = [
        api.get_more_info(sp.index(a), "cifar100", hp="90", is_random=False)["test-accuracy"]
        for a in FIXTURE_ARCHS
    ]
    assert np.allclose(got[:3], expected) and np.isnan(got[3])
    assert sorted(oracle.coverage("cifar10")) == sorted(FIXTURE_ARCHS)
    assert oracle.describe("cifar10").epochs == 90 and oracle.describe("cifar10").split == "test"
    seeds = oracle.query_seeds(list(FIXTURE_ARCHS), "cifar10")
    assert seeds.shape[1] == 3 and np.isfinite(seeds).all()
    valid = cls(cls.Config(path=str(shared_data / FIXTURE), split="valid"), space=sp)
    table = sp.oracles()["table"](space=sp)
    assert np.allclose(
        valid.query(list(FIXTURE_ARCHS), "cifar10"), table.query(list(FIXTURE_ARCHS), "cifar10")
    )


def test_nbmr_has_nine_tasks_scored_on_cifar10_with_their_metrics(nbmr):
    tasks = nbmr.tasks()
    assert list(tasks) == [
        "cls-50-1000",
        "cls-10-1000",
        "cls-50-100",
        "cls-10c",
        "seg",
        "seg-4x",
        "video",
        "video-p",
        "3ddet_moderate",
    ]
    for task in tasks.values():
        assert task.data == "cifar10" and task.num_classes == 10 and task.input_shape == (3, 32, 32)
        assert task.metrics and all(m.higher_is_better for m in task.metrics)
        assert "CIFAR-10" in task.description


def test_nbmr_table_labels_every_listed_network_except_failed_3d_detection_runs(nbmr, shared_data):
    import pandas as pd

    oracle = nbmr.oracles()["table"](space=nbmr)
    frame = pd.read_csv(shared_data / "nbmr" / "nbmr.csv")
    for task in nbmr.tasks():
        column = oracle.describe(task).source.split("column ")[-1].strip("'")
        values = oracle.query(frame["code"].tolist(), task)
        expected = frame[column].to_numpy(float)
        if task == "3ddet_moderate":
            assert np.isnan(values[expected == 0.0]).all() and (expected == 0.0).sum() == 2
            assert len(oracle.coverage(task)) == 2505
            expected = np.where(expected == 0.0, np.nan, expected)
        assert np.array_equal(values, expected, equal_nan=True)
    assert [nbmr.index(c) for c in frame["code"][:50]] == list(range(50))


def test_nbmr_moves_return_listed_networks(nbmr):
    rng = np.random.default_rng(1)
    a, b = nbmr.sample(2, rng)
    listed = set(nbmr.listing().codes)
    assert nbmr.mutate(a, rng) in listed and nbmr.mutate(a, rng) != a
    assert nbmr.crossover(a, b, rng) in listed
    assert len(nbmr.neighbours(a)) == nbmr.config.neighbours_k and a not in nbmr.neighbours(a)


@pytest.mark.parametrize(
    "strategy",
    [RandomSearch(), RegularizedEvolution(RegularizedEvolution.Config(population_size=4, tournament_size=2))],
    ids=["random", "regularized_evolution"],
)
def test_random_and_regularized_evolution_search_each_space_within_a_tiny_budget(strategy, nbmr):
    check_strategy(strategy, NATSSSSpace(), budget=10)
    check_strategy(strategy, nbmr, budget=10)


def test_the_sss_graph_has_six_edges_per_cell_and_four_per_residual_block_with_the_layer_widths():
    sp = NATSSSSpace()
    topo = sp.topology("8:16:24:32:64", "cifar10")
    graph = topo.graph
    per_block = {b: [e for e in graph.edges if e.block == b] for b in range(len(topo.blocks))}
    assert [len(per_block[b]) for b in range(6)] == [1, 6, 4, 6, 4, 6]
    assert all(0 <= e.src < e.dst < len(graph.nodes) for e in graph.edges)
    for b, block in enumerate(topo.blocks[1:], start=1):
        assert {e.op.channels for e in per_block[b] if e.op.kind != "pool"} == {block.c_out}
    # layer 3 (8 -> 24... here 16 -> 24) runs its input skip as a 1x1 conv, layer 5 (32 -> 64) too
    assert any(e.op.name == "skip_connect(conv1x1)" for e in per_block[3])


def test_the_nine_nbmr_tasks_share_one_set_of_scores_in_the_store(tmp_path, shared_data):
    from nas_harness.runner import compute_run

    base = {
        "space": {"name": "nbmr", "config": {"path": str(shared_data / "nbmr" / "nbmr.csv")}},
        "proxies": ["params", "synflow"],
        "sample": {"n": 4},
        "bootstrap": 0,
        "ceiling": "off",
        "executor": "inline",
        "input": {"kind": "noise"},
    }
    store = tmp_path / "s.sqlite"
    first = compute_run({**base, "dataset": "cls-50-1000"}, store_path=store)
    video = compute_run({**base, "dataset": "video"}, store_path=store)
    assert first.computed == 8 and (video.computed, video.reused) == (0, 8)
    for proxy in ("params", "synflow"):
        assert np.array_equal(first.tables[proxy].values, video.tables[proxy].values)
    assert not np.array_equal(first.truth, video.truth)  # the tasks' ground truths differ
