"""NAS-Bench-Macro: encoding, canonical form, moves, builder and cost against the benchmark file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from cost_helpers import hooked_macs, n_params

from nas_harness.api import ArchError
from nas_harness.plugins.spaces.nasbench_macro import arch as A
from nas_harness.plugins.spaces.nasbench_macro.skeleton import cost


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("text", "names"), [("0120112", "8 digits"), ("01201123", "layer 7 is '3'"), ("0a201120", "layer 1")]
)
def test_a_bad_string_is_refused_naming_the_offending_layer(text, names):
    with pytest.raises(ArchError) as err:
        A.parse_code(text)
    assert names in str(err.value)


def test_index_is_the_base3_enumeration_and_round_trips():
    assert A.code_at(0) == (0,) * 8 and A.code_at(A.SIZE - 1) == (2,) * 8
    assert A.code_at(1) == (0,) * 7 + (1,)
    for i in (0, 1, 17, 3280, 6560):
        assert A.index_of(A.code_at(i)) == i
    with pytest.raises(ArchError):
        A.code_at(A.SIZE)


def test_canonical_form_moves_later_identities_to_the_stage_end_and_keeps_first_layers():
    assert A.canonical_code(A.parse_code("01001102")) == A.parse_code("01010120")
    assert A.canonical_code(A.parse_code("00000000")) == A.parse_code("00000000")
    assert len(A.distinct_codes()) == 3969  # 9 · 21 · 21


def test_equivalent_archs_build_networks_of_equal_cost_and_moves_change_the_network():
    rng = np.random.default_rng(0)
    for _ in range(20):
        code = A.code_at(int(rng.integers(A.SIZE)))
        assert cost(code) == cost(A.canonical_code(code))
        assert A.canonical_code(A.mutate_code(code, rng)) != A.canonical_code(code)
        child = A.crossover_codes(code, A.code_at(int(rng.integers(A.SIZE))), rng)
        assert len(child) == 8 and set(child) <= {0, 1, 2}
    codes = A.sample_codes(100, rng)
    assert len(set(codes)) == 100 and all(A.canonical_code(c) == c for c in codes)
    nbrs = A.neighbour_codes(A.parse_code("00000000"))
    # per stage: its first layer's 2 other ops, and 2 distinct networks from its later layers
    assert len({A.canonical_code(c) for c in nbrs}) == len(nbrs) == 3 * (2 + 2)


def test_built_network_matches_the_analytic_cost_and_runs():
    from nas_harness.plugins.spaces.nasbench_macro.model import MacroNetwork

    for text in ("00000000", "12012012", "22222222", "20102011"):
        code = A.parse_code(text)
        model = MacroNetwork(code, 10)
        params, flops = cost(code)
        assert n_params(model) == params
        assert hooked_macs(model, linear_bias=False) == flops
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.shared
def test_params_flops_and_canonical_form_equal_the_files_for_all_6561_archs(shared_data):
    path = shared_data / "nb_macro" / "nas_bench_macro_cifar10.csv"
    if not path.exists():
        pytest.skip(f"needs {path}")
    df = pd.read_csv(path, dtype={"arch": str, "canonical_arch": str})
    assert len(df) == A.SIZE
    codes = [A.parse_code(a) for a in df["arch"]]
    assert [A.index_of(c) for c in codes] == list(range(A.SIZE))  # the file is in index order
    assert [A.to_string(A.canonical_code(c)) for c in codes] == df["canonical_arch"].tolist()
    ours = np.array([cost(c) for c in codes])
    assert (ours[:, 0] == df["params"].to_numpy()).all()
    assert (ours[:, 1] == df["flops"].to_numpy()).all()
