"""TransNAS-Bench-101 micro and macro: strings, index order, moves, the encoder, every task head
and the cost counted on the meta device."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import torch

from nas_harness.api import ArchError
from nas_harness.plugins.spaces.tnb101 import arch as A
from nas_harness.plugins.spaces.tnb101 import cost as K
from nas_harness.plugins.spaces.tnb101 import model as M
from nas_harness.plugins.spaces.tnb101.tasks import TASKS

TASK_NAMES = {
    "class_scene",
    "class_object",
    "room_layout",
    "jigsaw",
    "segmentsemantic",
    "normal",
    "autoencoder",
}


# --------------------------------------------------------------------------- micro strings


def test_micro_strings_round_trip_for_all_4096_cells():
    codes = [A.micro_at(i) for i in range(A.MICRO_SIZE)]
    assert set(codes) == set(itertools.product(range(4), repeat=6))
    for i, c in enumerate(codes):
        s = A.micro_to_string(c)
        assert A.parse_micro(s) == c and A.micro_index(c) == i
        assert A.parse_micro(str(c)) == c and A.parse_micro("".join(map(str, c))) == c


@pytest.mark.parametrize("bad", ["64-41414-4_00_000", "64-41413-0_00_000", "32-41414-0_00_000", "0_00_00", 7])
def test_bad_micro_strings_raise_arch_errors(bad):
    with pytest.raises(ArchError):
        A.parse_micro(bad)


def test_micro_neighbours_change_one_edge():
    c = A.micro_at(1234)
    nbrs = A.micro_neighbours(c)
    assert len(set(nbrs)) == 18
    assert all(sum(x != y for x, y in zip(c, n)) == 1 for n in nbrs)


def test_micro_iso_key_merges_cells_that_differ_only_behind_a_zero():
    # node 1 is fed by 'none' and read only through edge 1->2 and 1->3: changing those ops to
    # another op on a zero input changes nothing
    a = (0, 3, 2, 3, 3, 1)
    b = (0, 3, 3, 3, 2, 1)
    assert A.micro_iso_key(a) == A.micro_iso_key(b)
    assert A.micro_iso_key((0, 3, 2, 3, 3, 1)) != A.micro_iso_key((0, 2, 2, 3, 3, 1))
    assert A.micro_iso_key((1, 1, 1, 0, 0, 0)) == "#"


# --------------------------------------------------------------------------- macro strings


def test_macro_space_has_3256_skeletons_meeting_the_constraints():
    codes = A.enumerate_macro()
    assert len(codes) == len(set(codes)) == A.MACRO_SIZE
    for c in codes:
        n_down = sum(d in "34" for d in c)
        n_wide = sum(d in "24" for d in c)
        assert 4 <= len(c) <= 6 and 1 <= n_down <= 4 and 1 <= n_wide <= 3
    assert list(codes) == sorted(codes)
    for i in (0, 1000, 3255):
        assert A.macro_index(A.macro_at(i)) == i
        assert A.parse_macro(A.macro_to_string(A.macro_at(i))) == A.macro_at(i)


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("64-1111-basic", "down-sampling"),
        ("64-33333-basic", "channel-doubling"),
        ("64-3333333-basic", "must be"),
        ("64-41414-0_00_000", "must be"),
    ],
)
def test_bad_macro_strings_say_which_constraint_fails(bad, fragment):
    with pytest.raises(ArchError, match=fragment):
        A.parse_macro(bad)


def test_macro_neighbours_are_valid_and_one_edit_away():
    code = "41414"
    nbrs = A.macro_neighbours(code)
    assert nbrs and code not in nbrs and all(A.macro_valid(n) for n in nbrs)
    assert any(len(n) == 4 for n in nbrs) and any(len(n) == 6 for n in nbrs)


def test_macro_choices_round_trip_and_repair_makes_any_vector_valid():
    rng = np.random.default_rng(0)
    for i in range(0, A.MACRO_SIZE, 97):
        c = A.macro_at(i)
        assert A.macro_from_choices(A.macro_to_choices(c)) == c
    for _ in range(200):
        picks = rng.integers(0, 5, size=6)
        fixed = A.macro_repair(picks, rng)
        assert A.macro_valid(A.macro_from_choices(fixed))
    with pytest.raises(ArchError):
        A.macro_from_choices([1, 1, 1, 1, 0, 0])


# --------------------------------------------------------------------------- published table order


@pytest.mark.shared
def test_index_order_is_the_published_tables_row_order(shared_data):
    micro = pd.read_csv(shared_data / "tnb101" / "tnb101_micro_val.csv")
    macro = pd.read_csv(shared_data / "tnb101" / "tnb101_macro_val.csv")
    assert set(micro.dataset) == set(macro.dataset) == TASK_NAMES
    for _, rows in micro.groupby("dataset"):
        codes = [A.parse_micro(s) for s in rows.arch_str]
        assert [A.micro_index(c) for c in codes] == list(range(A.MICRO_SIZE))
        assert [A.micro_to_string(c) for c in codes] == list(rows.arch_str)
        assert [A.parse_micro(t) for t in rows.naslib_arch] == codes
    for _, rows in macro.groupby("dataset"):
        codes = [A.parse_macro(s) for s in rows.arch_str]
        assert codes == list(A.enumerate_macro())
        assert [A.parse_macro(t) for t in rows.naslib_arch] == codes


# --------------------------------------------------------------------------- networks


CASES = [("41414", (3, 2, 1, 0, 1, 3)), ("4112", None), ("13421", None)]


@pytest.mark.parametrize("skeleton, micro", CASES)
def test_every_task_head_builds_and_gives_its_output_shape_on_a_cifar_sized_batch(skeleton, micro):
    torch.set_num_threads(1)
    x = torch.randn(2, 3, 32, 32)
    for name, spec in TASKS.items():
        net = M.build_network(skeleton, micro, name, spec.n_out, 32)
        y = net(x)
        if spec.output in ("classes", "regression"):
            assert y.shape == (2, spec.n_out)
        else:
            assert y.shape == (2, spec.n_out, 32, 32)
        if name in ("normal", "autoencoder"):
            assert y.abs().max() <= 1.0  # tanh output
        params, macs = K.network_cost(skeleton, micro, name, spec.n_out, 32)
        assert params == sum(p.numel() for p in net.parameters()) and macs > 0


def test_encoder_stride_and_width_follow_the_skeleton_digits():
    enc = M.Encoder("4112", None)
    out = enc(torch.randn(1, 3, 64, 64))
    # stem /4, one down-sampling layer (digit 4) → /8; widths: 64 → 128 (4) → 128 → 128 → 256 (2)
    assert out.shape == (1, 256, 8, 8) and M.feature_side(64, "4112") == 8
    assert [stride for _, _, stride in M.layer_plan("4112")] == [2, 1, 1, 1, 1, 1, 1, 1]
    assert len(enc.blocks) == 8


def test_micro_cell_of_only_zeros_outputs_zeros_and_skip_chain_is_identity():
    zero = M.MicroCell((1, 1, 1, 0, 0, 0), 8, 8, 1, True)
    x = torch.randn(2, 8, 5, 5)
    assert torch.count_nonzero(zero(x)) == 0
    skip = M.MicroCell((1, 0, 1, 0, 0, 1), 8, 8, 1, True)
    assert torch.equal(skip(x), x)


def test_jigsaw_runs_the_encoder_once_per_tile():
    calls = []
    net = M.build_network("41414", (3, 3, 3, 3, 3, 3), "jigsaw", 1000, 32)
    net.features.register_forward_hook(lambda m, a, o: calls.append(a[0].shape))
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 1000)
    assert calls == [torch.Size([2, 3, 10, 10])] * 9
