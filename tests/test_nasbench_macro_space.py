"""The nasbench_macro space plugin: index, moves and decisions through the Space API, parts, topology."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from cost_helpers import cell_shapes, n_params
from space_helpers import search_with_a_tiny_budget

from nas_harness.api import ArchError
from nas_harness.api.testing import check_space
from nas_harness.plugins.spaces.nasbench_macro.space import MacroSpace

SPACE = "nasbench_macro"


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def space():
    return MacroSpace()


def test_index_decisions_and_iso_key(space):
    assert space.size() == 6561 and space.arch(0) == "00000000" and space.index("22222222") == 6560
    assert [d.options for d in space.decisions()] == [("identity", "MB3_K3", "MB6_K5")] * 8
    assert space.from_choices(space.to_choices("01201120")) == "01201120"
    assert space.iso_key("01001000") == space.iso_key("01010000") != space.iso_key("01100000")
    with pytest.raises(ArchError):
        space.from_choices([0] * 7)


def test_samples_are_distinct_networks_and_moves_stay_in_the_space(space):
    rng = np.random.default_rng(0)
    archs = space.sample(200, rng)
    assert len({space.iso_key(a) for a in archs}) == 200
    for a, b in zip(archs, archs[1:20]):
        assert space.iso_key(space.mutate(a, rng)) != space.iso_key(a)
        assert space.parse(space.crossover(a, b, rng))
        assert all(space.iso_key(n) != space.iso_key(a) for n in space.neighbours(a))


def test_built_model_declares_its_parts_and_the_topology_matches_them(space):
    arch = "01201120"
    built = space.build_model(arch, "cifar10")
    assert len(built.cells) == 8 and built.features is not None and built.head is not None
    assert n_params(built.module) == space.cost(arch, "cifar10").params
    topo = space.topology(arch, "cifar10")
    layers = [b for b in topo.blocks if b.searchable]
    shapes = cell_shapes(built.cells, built.module)
    assert [(b.c_in, *b.hw_in) for b in layers] == [s[0] for s in shapes]
    assert [(b.c_out, *b.hw_out) for b in layers] == [s[1] for s in shapes]
    chosen = [next(op.name for op, n in b.ops if n) for b in layers]
    assert chosen == [("identity", "MB3_K3", "MB6_K5")[int(d)] for d in arch]


def test_the_space_passes_the_contract_checks(space):
    check_space(space, n=4)


@pytest.mark.shared
def test_oracle_is_the_mean_of_three_runs_and_covers_each_network_once(shared_dir, monkeypatch):
    monkeypatch.setenv("NASH_SHARED_DIR", str(shared_dir))
    space = MacroSpace()
    oracle = space.oracles()["table"](space=space)
    labelled = oracle.coverage("cifar10")
    assert len(labelled) == 3969 and len({space.iso_key(a) for a in labelled}) == 3969
    archs = ["00000000", "01201120", "01210120"]
    runs = oracle.query_seeds(archs, "cifar10")
    assert runs.shape == (3, 3)
    assert np.allclose(oracle.query(archs, "cifar10"), runs.mean(axis=0))
    assert oracle.describe("cifar10").seed_aggregation == "mean(3 runs)"


@pytest.mark.shared
def test_random_and_regularized_evolution_search_the_space_with_a_tiny_budget(
    shared_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("NASH_SHARED_DIR", str(shared_dir))
    search_with_a_tiny_budget(SPACE, tmp_path)
