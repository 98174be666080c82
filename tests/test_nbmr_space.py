"""NAS-Bench-MR: codes, the classification network, its cost against the benchmark's columns,
and moves that stay inside the listed networks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from spaces_b_helpers import hook_cost

from nas_harness.api import ArchError
from nas_harness.plugins.spaces.nbmr import arch as A
from nas_harness.plugins.spaces.nbmr import listing as L
from nas_harness.plugins.spaces.nbmr.cost import benchmark_cost, branch_sides, cost_at
from nas_harness.plugins.spaces.nbmr.model import MRNetwork
from nas_harness.plugins.spaces.nbmr.topology import topology_of

README_CODE = "96_128-1_1_1_48-1_2_1_1_128_8-1_3_1_1_1_128_128_120-4_4_4_4_4_4_128_128_128_128-64"
SMALL = "16_16-1_1_1_16-1_2_1_1_16_16-1_3_1_1_1_16_16_16-1_4_1_1_1_1_16_16_16_16-16"


@pytest.fixture(scope="module")
def table(shared_data):
    import pandas as pd

    return pd.read_csv(shared_data / "nbmr" / "nbmr.csv")


def test_the_readme_code_gives_the_readmes_network_setting():
    s = A.parse(README_CODE)
    assert A.network_setting(s) == (
        [[1, [1], [48]], [2, [1, 1], [128, 8]], [3, [1, 1, 1], [128, 128, 120]]]
        + [[4, [4, 4, 4, 4], [128] * 4]] * 4
    )
    assert s.input_channel == (96, 128) and s.last_channel == 64
    assert A.code_of(s) == README_CODE and len(A.embedding(s)) == 27


@pytest.mark.parametrize(
    "bad",
    [
        "16_16-1_1_1_16",
        "16-1_1_1_16-1_2_1_1_16_16-1_3_1_1_1_16_16_16-1_4_1_1_1_1_16_16_16_16-16",
        "16_16-1_2_1_16-1_2_1_1_16_16-1_3_1_1_1_16_16_16-1_4_1_1_1_1_16_16_16_16-16",
        "16_16-0_1_1_16-1_2_1_1_16_16-1_3_1_1_1_16_16_16-1_4_1_1_1_1_16_16_16_16-16",
        "16_16-1_1_1_16-1_2_1_1_16_16-1_3_1_1_1_16_16_16-1_4_1_1_1_1_16_16_16_16-16_8",
        None,
    ],
)
def test_codes_that_are_not_six_well_formed_groups_are_refused(bad):
    with pytest.raises(ArchError):
        A.parse(bad)


def test_every_listed_code_is_canonical_and_matches_the_files_embedding_and_setting(table):
    for code, emb, setting in zip(table["code"], table["embedding"], table["network_setting"]):
        s = A.parse(code)
        assert A.canonical(code) == code
        assert "_".join(map(str, A.embedding(s))) == emb
        assert A.network_setting(s) == json.loads(setting)


def test_params_and_flops_equal_the_files_columns_for_all_networks_at_128px_and_50_classes(table):
    costs = [benchmark_cost(A.parse(c)) for c in table["code"]]
    assert len(costs) == 2507
    assert [c.params for c in costs] == np.round(table["params_M"] * 1e6).astype(int).tolist()
    assert [c.flops for c in costs] == np.round(table["flops_G"] * 1e9).astype(int).tolist()


@pytest.mark.parametrize("code", [SMALL, README_CODE])
def test_the_analytic_cost_equals_the_built_models_count_at_32_and_128_px(code):
    s = A.parse(code)
    torch.manual_seed(0)
    model = MRNetwork(s, 50)
    for side, bn in ((32, False), (128, True)):
        params, macs = hook_cost(model, (3, side, side), count_bn=bn)
        c = cost_at(s, 50, side, count_bn=bn)
        assert (c.params, c.flops) == (params, macs)


def test_the_network_maps_cifar_and_16px_batches_to_logits():
    s = A.parse(README_CODE)
    assert branch_sides(s, 32) == (8, 4, 2, 1)
    model = MRNetwork(s, 10)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 10)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in MRNetwork(s, 10, bn=False).modules())


def test_the_topology_has_one_searchable_block_per_module():
    s = A.parse(README_CODE)
    topo = topology_of(s, 32)
    searchable = [b for b in topo.blocks if b.searchable]
    assert len(searchable) == len(s.modules) == 7
    assert [b.c_out for b in searchable] == [sum(m.channels) for m in s.modules]
    counts = topo.op_counts()
    assert counts["skip"] == sum(sum(m.blocks) for m in s.modules)


def test_the_listing_is_the_files_rows_and_moves_stay_inside_it(shared_data):
    listing = L.load(str(shared_data / "nbmr" / "nbmr.csv"))
    assert len(listing) == 2507
    assert listing.lookup(listing.codes[17]) == 17
    near = listing.nearest(17, 5)
    assert 17 not in near and len(set(near)) == 5
    d = listing.distances(listing.scaled[17])
    assert max(d[near]) <= np.sort(d)[6] + 1e-12  # the 5 nearest besides itself
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert 0 <= listing.crossover(3, 900, rng) < 2507
    assert listing.crossover(5, 5, rng) == 5
    with pytest.raises(ArchError):
        listing.lookup(SMALL[:-2] + "24")  # a valid network that the benchmark does not list
