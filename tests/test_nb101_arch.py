"""NAS-Bench-101 cells: string form, pruning, NB101's hash, moves, builder and cost."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from cost_helpers import hooked_macs, n_params
from scipy.stats import spearmanr

from nas_harness.api import ArchError
from nas_harness.plugins.spaces.nb101 import arch as A
from nas_harness.plugins.spaces.nb101.skeleton import cost_of, vertex_channels

# A 7-vertex cell with 9 edges, written out: 0->1,0->2,0->3, 1->4, 2->4, 3->5, 4->6, 5->6, 0->6.
FULL = "c3,c1,mp,c3,c1:111001.00100.0100.010.01.1"


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def relabelled(cell: A.Cell, rng: np.random.Generator) -> A.Cell:
    """The same cell with its interior vertices in another topological order."""
    n = cell.n
    while True:
        perm = [0, *(1 + rng.permutation(n - 2)), n - 1]
        pos = {v: k for k, v in enumerate(perm)}
        if all(pos[i] < pos[j] for i, j in cell.edges()):
            break
    m = [[0] * n for _ in range(n)]
    for i, j in cell.edges():
        m[pos[i]][pos[j]] = 1
    return A.Cell(tuple(map(tuple, m)), tuple(cell.ops[v - 1] for v in perm[1:-1]))


def test_a_string_parses_to_its_cell_and_formats_back():
    cell = A.cell_of(FULL)
    assert cell.n == 7 and cell.num_edges() == 9
    assert cell.ops == (A.CONV3, A.CONV1, A.MAXPOOL, A.CONV3, A.CONV1)
    assert A.format_cell(cell) == FULL
    assert A.canonical(" conv3x3-bn-relu,c1,maxpool3x3,c3,c1:111001.00100.0100.010.01.1 ") == FULL


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("c3,xx:110.01.1", "'xx'"),
        ("c3:11.01", "row 1 '01'"),
        ("c3,c1:110.01", "3 rows"),
        ("c3,c1:110.012.1", "row 1 '012'"),
        ("c3c1:110.01.1", "'c3c1'"),
        ("c3,c1;110.01.1", "':'"),
        ("c3,c1,c3,c1,c3,c1:1111111.000001.00001.0001.001.01.1", "at most 7"),
        ("c3:10.0", "no path"),
        ("c3,c3,c3,c3,c3:111111.11111.1111.111.11.1", "edges after pruning"),
    ],
)
def test_a_bad_string_is_refused_naming_the_offending_part(text, names):
    with pytest.raises(ArchError) as err:
        A.canonical(text)
    assert names in str(err.value)


def test_vertices_off_every_input_output_path_are_pruned():
    # vertex 1 feeds nothing; vertex 2 is fed by nothing: only 0->3->4 remains (plus 0->4).
    cell = A.cell_of("c3,c1,mp:1011.000.11.1")
    assert A.format_cell(cell) == "mp:11.1"
    # the pruned count is what limits edges: 10 edges written (vertex 5 feeds nothing), 8 kept
    text = "c3,c3,c3,c3,c3:111100.00011.0011.001.01.0"
    assert A.parse_raw(text).num_edges() == 10
    assert A.cell_of(text).num_edges() == 8 and A.cell_of(text).n == 6


def test_the_input_output_cell_is_in_the_space():
    assert A.format_cell(A.cell_of(":1")) == ":1"


def test_nb101_hash_is_invariant_under_relabelling_and_sees_ops_and_edges():
    rng = np.random.default_rng(0)
    for cell in A.sample_cells(20, rng):
        for _ in range(3):
            assert A.graph_hash(relabelled(cell, rng)) == A.graph_hash(cell)
    base = A.cell_of(FULL)
    other_op = A.Cell(base.matrix, (A.CONV1,) + base.ops[1:])
    assert A.graph_hash(other_op) != A.graph_hash(base)
    assert A.graph_hash(A.cell_of("c3,c1:111.01.1")) != A.graph_hash(A.cell_of("c3,c1:110.11.1"))
    # the two interior vertices of a symmetric cell swap places: one class
    assert A.graph_hash(A.cell_of("c3,c1:110.01.1")) == A.graph_hash(A.cell_of("c1,c3:110.01.1"))


def test_output_channels_are_split_over_its_feeders_and_never_grow_inside_the_cell():
    rng = np.random.default_rng(1)
    for cell in A.sample_cells(50, rng):
        for c_in, c_out in ((128, 128), (128, 256), (256, 512)):
            ch = vertex_channels(c_in, c_out, cell)
            n = cell.n
            feeders = [v for v in range(1, n - 1) if cell.matrix[v][n - 1]]
            if feeders:
                assert sum(ch[v] for v in feeders) == c_out
                assert max(ch[v] for v in feeders) - min(ch[v] for v in feeders) <= 1
            for i, j in cell.edges():
                if 0 < i and j < n - 1:
                    assert ch[i] - ch[j] in (0, 1)


def test_sampled_mutated_neighbour_and_crossed_cells_are_valid_pruned_and_new():
    rng = np.random.default_rng(2)
    cells = A.sample_cells(30, rng)
    assert len({A.graph_hash(c) for c in cells}) == 30
    sizes = set()
    for a, b in zip(cells, cells[1:]):
        for cell in (a, A.mutate(a, rng), A.crossover(a, b, rng)):
            assert A.canonical(A.format_cell(cell)) == A.format_cell(cell)  # valid and already pruned
        assert A.graph_hash(A.mutate(a, rng)) != A.graph_hash(a)
        sizes.add(a.n)
    cell = A.cell_of("c3,c1:110.01.1")
    nbrs = A.neighbour_cells(cell)
    hashes = [A.graph_hash(c) for c in nbrs]
    assert len(set(hashes)) == len(hashes) and A.graph_hash(cell) not in hashes
    assert any(c.n == cell.n + 1 for c in nbrs)  # a neighbour may grow a vertex
    assert all(A.canonical(A.format_cell(c)) == A.format_cell(c) for c in nbrs)
    assert len(sizes) > 1


def test_built_network_matches_the_analytic_cost_and_runs():
    for text in (FULL, ":1", "mp:11.1", "c3,mp,c1:1100.011.01.1"):
        cell = A.cell_of(text)
        torch.manual_seed(0)
        from nas_harness.plugins.spaces.nb101.model import NB101Network

        model = NB101Network(cell, 10)
        cost = cost_of(cell)
        assert n_params(model) == cost.params
        assert hooked_macs(model, linear_bias=True) == cost.flops
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.shared
def test_params_equal_the_nbsz_files_params_column(shared_data):
    path = shared_data / "nb101" / "nbsz_nb101_500.csv"
    if not path.exists():
        pytest.skip(f"needs {path}")
    df = pd.read_csv(path)
    ours = np.array(
        [
            cost_of(A.check(A.from_matrix(json.loads(m), json.loads(o)))).params
            for m, o in zip(df.matrix, df.ops)
        ]
    )
    theirs = df["params"].to_numpy() * 1e6  # the file's column is in millions
    rel = np.abs(ours - theirs) / theirs
    assert spearmanr(ours, theirs).statistic >= 0.999
    assert rel.max() < 1e-6  # equal up to the file's 6 decimals


@pytest.mark.shared
def test_every_cell_of_the_eproxy_sample_is_in_the_space(shared_data):
    path = shared_data / "nb101" / "nb101_2520_cifar10.csv"
    if not path.exists():
        pytest.skip(f"needs {path}")
    df = pd.read_csv(path)
    cells = [
        A.check(A.from_matrix(json.loads(m), json.loads(o), f"{path.name}:{k + 2}"))
        for k, (m, o) in enumerate(zip(df.matrix, df.ops))
    ]
    assert [c.n for c in cells] == df.num_vertices.tolist()
    assert [c.num_edges() for c in cells] == df.num_edges.tolist()
    assert len({A.graph_hash(c) for c in cells}) == len(cells)
