"""Channel-Bench-Macro: encoding, moves, both backbones' builders and cost against the files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from cost_helpers import hooked_macs, n_params

from nas_harness.api import ArchError
from nas_harness.plugins.spaces.channel_bench_macro import arch as A
from nas_harness.plugins.spaces.channel_bench_macro.skeleton import BACKBONES, cost, widths


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("text", "names"), [("123412", "7 digits"), ("1234120", "width 6 is '0'"), ("12x4123", "width 2")]
)
def test_a_bad_string_is_refused_naming_the_offending_width(text, names):
    with pytest.raises(ArchError) as err:
        A.parse_code(text)
    assert names in str(err.value)


def test_index_is_lexicographic_and_round_trips():
    assert A.to_string(A.code_at(0)) == "1111111" and A.to_string(A.code_at(1)) == "1111112"
    assert A.to_string(A.code_at(A.SIZE - 1)) == "4444444"
    for i in (0, 5, 4097, A.SIZE - 1):
        assert A.index_of(A.code_at(i)) == i


def test_widths_are_the_ratio_of_each_maximum():
    assert widths("resnet", A.parse_code("1234111")) == (64, 128, 192, 512, 128, 128, 128)
    assert widths("mobilenet", A.parse_code("4444444")) == (128, 768, 768, 768, 256, 1536, 1024)


def test_moves_stay_in_the_space():
    rng = np.random.default_rng(0)
    codes = A.sample_codes(50, rng)
    assert len(set(codes)) == 50
    for a, b in zip(codes, codes[1:]):
        m = A.mutate_code(a, rng)
        assert sum(x != y for x, y in zip(a, m)) == 1
        child = A.crossover_codes(a, b, rng)
        assert all(c in (x, y) for c, x, y in zip(child, a, b))
    assert len(set(A.neighbour_codes(codes[0]))) == 21


@pytest.mark.parametrize("backbone", BACKBONES)
def test_built_network_matches_the_analytic_cost_and_runs(backbone):
    from nas_harness.plugins.spaces.channel_bench_macro.model import ChannelNetwork

    for text in ("1111111", "4321234", "2413142"):
        code = A.parse_code(text)
        model = ChannelNetwork(backbone, code, 10)
        params, flops = cost(backbone, code)
        assert n_params(model) == params
        assert hooked_macs(model, linear_bias=False) == flops
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.shared
@pytest.mark.parametrize("backbone", BACKBONES)
def test_params_and_flops_equal_the_files_for_all_16384_archs(shared_data, backbone):
    path = shared_data / "nb_macro" / f"channel_bench_macro_{backbone}_cifar10.csv"
    if not path.exists():
        pytest.skip(f"needs {path}")
    df = pd.read_csv(path, dtype={"arch": str})
    codes = [A.parse_code(a) for a in df["arch"]]
    assert [A.index_of(c) for c in codes] == list(range(A.SIZE))  # the file is in index order
    ratios = df[[f"width_ratio_l{k}" for k in range(1, 8)]].to_numpy()
    assert np.allclose(ratios, (np.array(codes) + 1) / 4)
    ours = np.array([cost(backbone, c) for c in codes])
    assert (ours[:, 0] == df["params"].to_numpy()).all()
    assert (ours[:, 1] == df["flops"].to_numpy()).all()
