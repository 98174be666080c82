"""The channel_bench_macro space plugin: both backbones through the Space API, parts, topology."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from cost_helpers import cell_shapes, n_params
from space_helpers import search_with_a_tiny_budget

from nas_harness.api import ArchError
from nas_harness.api.testing import check_space
from nas_harness.plugins.spaces.channel_bench_macro.space import ChannelSpace

SPACE = "channel_bench_macro"


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module", params=["resnet", "mobilenet"])
def space(request):
    return ChannelSpace(ChannelSpace.Config(backbone=request.param))


def test_index_and_ordered_width_decisions(space):
    assert space.size() == 16384 and space.arch(0) == "1111111" and space.index("4444444") == 16383
    decisions = space.decisions()
    assert len(decisions) == 7 and all(
        d.ordered and d.options == ("0.25", "0.5", "0.75", "1.0") for d in decisions
    )
    assert space.from_choices(space.to_choices("1234123")) == "1234123"
    with pytest.raises(ArchError):
        space.from_choices([4] * 7)


def test_the_backbone_is_part_of_the_version_that_keys_stored_scores():
    versions = {ChannelSpace(ChannelSpace.Config(backbone=b)).version for b in ("resnet", "mobilenet")}
    assert versions == {"1.0+resnet", "1.0+mobilenet"}


def test_unknown_backbone_is_refused():
    with pytest.raises(ValueError):
        ChannelSpace.Config(backbone="vgg")


def test_moves_stay_in_the_space(space):
    rng = np.random.default_rng(0)
    archs = space.sample(100, rng)
    assert len(set(archs)) == 100
    for a, b in zip(archs, archs[1:20]):
        assert space.mutate(a, rng) != a
        assert space.parse(space.crossover(a, b, rng))
        assert len(space.neighbours(a)) == 21


def test_built_model_declares_its_parts_and_the_topology_matches_them(space):
    arch = "2413142"
    built = space.build_model(arch, "cifar10")
    assert built.features is not None and built.head is not None
    assert n_params(built.module) == space.cost(arch, "cifar10").params
    topo = space.topology(arch, "cifar10")
    blocks = [b for b in topo.blocks if b.searchable]
    assert len(blocks) == len(built.cells) == (5 if space.config.backbone == "resnet" else 4)
    shapes = cell_shapes(built.cells, built.module)
    assert [(b.c_in, *b.hw_in) for b in blocks] == [s[0] for s in shapes]
    assert [(b.c_out, *b.hw_out) for b in blocks] == [s[1] for s in shapes]


def test_the_space_passes_the_contract_checks(space):
    check_space(space, n=4)


@pytest.mark.shared
def test_oracle_reads_the_backbones_file_and_is_the_mean_of_three_runs(shared_dir, monkeypatch, space):
    monkeypatch.setenv("NASH_SHARED_DIR", str(shared_dir))
    oracle = space.oracles()["table"](space=space)
    assert space.config.backbone in str(oracle.path)
    assert len(oracle.coverage("cifar10")) == 16384
    archs = ["1111111", "4444444", "1234123"]
    runs = oracle.query_seeds(archs, "cifar10")
    assert np.allclose(oracle.query(archs, "cifar10"), runs.mean(axis=0))


@pytest.mark.shared
def test_random_and_regularized_evolution_search_the_space_with_a_tiny_budget(
    shared_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("NASH_SHARED_DIR", str(shared_dir))
    search_with_a_tiny_budget(SPACE, tmp_path)
