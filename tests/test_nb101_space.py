"""The nb101 space plugin: moves and decisions through the Space API, built parts, topology."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from cost_helpers import cell_shapes, n_params
from space_helpers import search_with_a_tiny_budget

from nas_harness.api import ArchError
from nas_harness.api.testing import check_space
from nas_harness.plugins.spaces.nb101 import arch as A
from nas_harness.plugins.spaces.nb101.space import NB101Space

SPACE = "nb101"


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def space():
    return NB101Space()


def test_decision_vectors_round_trip_and_repair_to_valid_cells(space):
    rng = np.random.default_rng(0)
    decisions = space.decisions()
    assert len(decisions) == 26 and all(not d.ordered for d in decisions)
    for arch in space.sample(10, rng):
        assert space.from_choices(space.to_choices(arch)) == arch
    for _ in range(50):
        picks = [int(b) for b in rng.integers(0, 2, 21)] + [int(o) for o in rng.integers(0, 3, 5)]
        fixed = space.repair(picks, rng)
        space.from_choices(fixed)  # valid
    with pytest.raises(ArchError):
        space.from_choices([0] * 26)  # no input->output path
    child = space.crossover(*space.sample(2, rng), rng)
    assert space.parse(child) == child


def test_isomorphic_strings_share_the_iso_key_and_the_oracle_key(space):
    assert space.iso_key("c3,c1:110.01.1") == space.iso_key("c1,c3:110.01.1")
    assert space.iso_key("c3,c1:110.01.1") != space.iso_key("c3,c3:110.01.1")


def test_built_model_declares_its_parts_and_the_topology_matches_them(space):
    arch = "c3,mp,c1:1100.011.01.1"
    built = space.build_model(arch, "cifar10")
    assert len(built.cells) == 9 and built.features is not None and built.head is not None
    assert n_params(built.module) == space.cost(arch, "cifar10").params
    topo = space.topology(arch, "cifar10")
    cells = [b for b in topo.blocks if b.searchable]
    shapes = cell_shapes(built.cells, built.module)
    assert [(b.c_in, *b.hw_in) for b in cells] == [s[0] for s in shapes]
    assert [(b.c_out, *b.hw_out) for b in cells] == [s[1] for s in shapes]
    assert topo.op_counts()["conv3x3-bn-relu"] == 9 and topo.op_counts()["maxpool3x3"] == 9


def test_graph_has_one_op_edge_per_vertex_and_one_edge_per_cell_edge(space):
    for arch in ("c3,mp,c1:1100.011.01.1", ":1", "c3,c1,mp,c3,c1:111001.00100.0100.010.01.1"):
        cell = A.cell_of(arch)
        graph = space.topology(arch, "cifar10").graph
        per_cell = cell.num_edges() + (cell.n - 2)
        assert len(graph.edges) == 9 * per_cell + 4  # + stem, head, two down-sampling pools
        assert all(0 <= e.src < e.dst < len(graph.nodes) for e in graph.edges)
        kernels = {e.op.kernel for e in graph.edges if e.op.name == "projection"}
        assert kernels == {(1, 1)}


def test_the_space_passes_the_contract_checks(space):
    check_space(space, n=4)


@pytest.mark.shared
def test_both_oracles_label_cifar10_and_find_isomorphic_strings(shared_dir, monkeypatch):
    import json

    import pandas as pd

    monkeypatch.setenv("NASH_SHARED_DIR", str(shared_dir))
    space_oracles = NB101Space().oracles()
    assert list(space_oracles) == ["eproxy2520", "nbsz500"]  # the Eproxy sample is the default
    eproxy = space_oracles["eproxy2520"](space=NB101Space())
    labelled = eproxy.coverage("cifar10")
    assert len(labelled) == 2520
    df = pd.read_csv(shared_dir / "data" / "nb101" / "nb101_2520_cifar10.csv")
    assert np.allclose(eproxy.query(labelled[:3], "cifar10"), df["accuracy"].to_numpy()[:3] * 100)
    # a relabelled copy of a labelled cell (interior vertices in another topological order) is found
    cell = A.cell_of(labelled[0])
    rng = np.random.default_rng(0)
    for _ in range(20):
        perm = [0, *(1 + rng.permutation(cell.n - 2)), cell.n - 1]
        pos = {v: k for k, v in enumerate(perm)}
        if all(pos[i] < pos[j] for i, j in cell.edges()):
            m = [[0] * cell.n for _ in range(cell.n)]
            for i, j in cell.edges():
                m[pos[i]][pos[j]] = 1
            other = A.format_cell(A.Cell(tuple(map(tuple, m)), tuple(cell.ops[v - 1] for v in perm[1:-1])))
            assert eproxy.query([other], "cifar10")[0] == eproxy.query([labelled[0]], "cifar10")[0]
    nbsz = space_oracles["nbsz500"](space=NB101Space())
    assert len(nbsz.coverage("cifar10")) == 292  # distinct networks among the 500 rows
    raw = pd.read_csv(shared_dir / "data" / "nb101" / "nbsz_nb101_500.csv")
    keys = [
        A.graph_hash(A.check(A.from_matrix(json.loads(m), json.loads(o))))
        for m, o in zip(raw["matrix"], raw["ops"])
    ]
    same = raw["val_accuracy"][[k == A.graph_hash(A.cell_of(":1")) for k in keys]]
    assert nbsz.query([":1"], "cifar10")[0] == pytest.approx(same.mean())


@pytest.mark.shared
def test_random_and_regularized_evolution_search_the_space_with_a_tiny_budget(
    shared_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("NASH_SHARED_DIR", str(shared_dir))
    search_with_a_tiny_budget(SPACE, tmp_path)
