"""NATS-Bench size space: the official index order, the network, its cost and SED on it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from spaces_b_helpers import hook_cost

from nas_harness.api import ArchError
from nas_harness.plugins.proxies.sed import SED
from nas_harness.plugins.spaces.nats_sss import arch as A
from nas_harness.plugins.spaces.nats_sss.model import SSSNetwork
from nas_harness.plugins.spaces.nats_sss.tasks import TASKS
from nas_harness.plugins.spaces.nats_sss.topology import cost_of, topology_of

FIXTURE_INDICES = (0, 11, 284)


def test_index_zero_is_all_eights_and_the_order_is_base_eight_last_layer_fastest():
    assert A.to_string(A.from_index(0)) == "8:8:8:8:8"
    assert A.to_string(A.from_index(1)) == "8:8:8:8:16"
    assert A.to_string(A.from_index(8)) == "8:8:8:16:8"
    assert A.to_string(A.from_index(A.SIZE - 1)) == "64:64:64:64:64"
    for i in range(0, A.SIZE, 97):
        assert A.to_index(A.parse_code(A.to_string(A.from_index(i)))) == i


def test_the_index_order_equals_the_shared_tables_index_and_arch_columns(shared_data):
    import pandas as pd

    frame = pd.read_csv(shared_data / "nats_sss" / "nats_sss_acc.csv", usecols=["index", "arch"])
    assert len(frame) == A.SIZE
    assert [A.to_string(A.from_index(i)) for i in frame["index"]] == frame["arch"].tolist()


@pytest.mark.parametrize(
    "bad", ["8:8:8:8", "8:8:8:8:9", "8:8:8:8:72", "a:8:8:8:8", "8:8:8:8:+8", 5, "8:8:8:8:8:8"]
)
def test_strings_that_are_not_five_widths_from_8_to_64_are_refused(bad):
    with pytest.raises(ArchError):
        A.parse_code(bad)


def test_whitespace_around_a_string_is_ignored_and_out_of_range_indices_are_refused():
    assert A.canonical(" 16:8:8:8:64 ") == "16:8:8:8:64"
    for bad in (-1, A.SIZE, True, 1.5):
        with pytest.raises(ArchError):
            A.from_index(bad)


def test_neighbours_are_the_35_configs_that_change_one_layer():
    code = A.parse_code("16:24:8:64:40")
    nbrs = A.neighbour_codes(code)
    assert len(nbrs) == len(set(nbrs)) == 35
    assert all(sum(a != b for a, b in zip(code, n)) == 1 for n in nbrs)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_the_analytic_cost_equals_the_built_models_parameters_and_macs(task):
    torch.manual_seed(0)
    info = TASKS[task]
    for arch in ("8:8:8:8:8", "8:8:40:32:40", "64:16:48:8:24"):
        code = A.parse_code(arch)
        model = SSSNetwork(A.widths(code), info.num_classes)
        params, macs = hook_cost(model, info.input_shape)
        assert cost_of(code, task) == (cost := cost_of(code, task))
        assert (cost.params, cost.flops) == (params, macs)


def test_the_network_returns_one_logit_per_class_for_every_task():
    for info in TASKS.values():
        model = SSSNetwork((8, 16, 24, 16, 8), info.num_classes)
        assert model(torch.randn(2, *info.input_shape)).shape == (2, info.num_classes)
        assert not any(
            isinstance(m, torch.nn.BatchNorm2d) for m in SSSNetwork((8,) * 5, 10, bn=False).modules()
        )


def test_params_and_flops_equal_the_official_archives_for_the_fixture_archs(shared_data):
    nats_bench = pytest.importorskip("nats_bench")
    path = shared_data / "nats_bench_fixture" / "NATS-sss-v1_0-50262-simple"
    if not path.is_dir():
        pytest.skip(f"no NATS-SSS fixture at {path}")
    api = nats_bench.create(str(path), "sss", fast_mode=True, verbose=False)
    for index in FIXTURE_INDICES:
        code = A.from_index(index)
        assert api.meta_archs[index] == A.to_string(code)
        for task in TASKS:
            info = api.get_cost_info(index, task, hp="90")
            cost = cost_of(code, task)
            assert cost.params == round(info["params"] * 1e6)
            assert cost.flops == round(info["flops"] * 1e6)


def _sed_order(codes, task="cifar10"):
    keys = SED().rank_keys([topology_of(c, task) for c in codes])
    return np.lexsort((keys[:, 1], keys[:, 0]))


def test_sed_ranks_the_all_64_network_first_among_the_widest_configs():
    codes = list(itertools.product(range(5, 8), repeat=A.N_LAYERS))
    assert A.to_string(codes[_sed_order(codes)[-1]]) == "64:64:64:64:64"


@pytest.mark.slow
def test_sed_on_sss_has_the_all_64_network_as_its_unique_argmax():
    codes = [A.from_index(i) for i in range(A.SIZE)]
    keys = SED().rank_keys([topology_of(c, "cifar10") for c in codes])
    order = np.lexsort((keys[:, 1], keys[:, 0]))
    assert A.to_string(codes[order[-1]]) == "64:64:64:64:64"
    top, second = keys[order[-1]], keys[order[-2]]
    assert (top[0], top[1]) > (second[0], second[1])


def test_sed_increases_strictly_with_every_layers_width():
    rng = np.random.default_rng(0)
    sed = SED()
    for _ in range(20):
        code = tuple(int(d) for d in rng.integers(0, 7, size=A.N_LAYERS))
        for layer in range(A.N_LAYERS):
            wider = code[:layer] + (code[layer] + 1,) + code[layer + 1 :]
            k = sed.rank_keys([topology_of(code, "cifar10"), topology_of(wider, "cifar10")])
            assert (k[1, 0], k[1, 1]) > (k[0, 0], k[0, 1]), (code, layer)


def test_the_topology_has_five_searchable_layers_with_their_widths():
    code = A.parse_code("8:16:24:32:40")
    topo = topology_of(code, "cifar10")
    searchable = [b for b in topo.blocks if b.searchable]
    assert [b.c_out for b in searchable] == [8, 16, 24, 32, 40]
    assert [b.hw_out[0] for b in searchable] == [32, 16, 16, 8, 8]
    assert topo.op_counts()["nor_conv_3x3"] == 15 and topo.op_counts()["skip_connect"] == 3


def test_every_layer_count_pair_is_distinct_in_the_decision_vector():
    picks = list(itertools.product(range(8), repeat=2))
    assert len({A.from_choices((a, b, 0, 0, 0)) for a, b in picks}) == 64
    with pytest.raises(ArchError):
        A.from_choices((8, 0, 0, 0, 0))
