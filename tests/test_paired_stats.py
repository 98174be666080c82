"""Paired comparison of two proxies' Spearman ρ with one target: hand-computed values and
synthetic data with a known answer."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nas_harness.stats import (
    PairedBootstrap,
    paired_spearman_test,
    population_std,
    rowwise_spearman,
    steiger_z,
    williams_t,
)


def test_williams_and_steiger_on_steigers_example():
    # Steiger (1980), n = 103, r12 = .4, r13 = .5, r23 = .1. By hand:
    # |R| = 1 - .16 - .25 - .01 + 2(.4)(.5)(.1) = .62; r̄ = .45;
    # denominator = 2·102/100·.62 + .2025·.9³ = 1.2648 + .14762 = 1.41242;
    # t = -.1·√(102·1.1 / 1.41242) = -.1·√79.4383 = -0.8913, df = 100.
    t, p = williams_t(0.4, 0.5, 0.1, 103)
    assert t == pytest.approx(-0.8913, abs=1e-4)
    assert p == pytest.approx(2 * stats.t.sf(0.8913, 100), abs=1e-4)
    # ψ = .1(1 - .405) - .5·.2025(1 - .405 - .01) = .0595 - .0592313 = .0002688;
    # c = ψ/.7975² = .0004226; Z = (atanh .4 - atanh .5)·√100/√(2 - 2c) = -0.8887.
    z, pz = steiger_z(0.4, 0.5, 0.1, 103)
    assert z == pytest.approx(-0.8887, abs=1e-4)
    assert pz == pytest.approx(2 * stats.norm.sf(0.8887), abs=1e-4)


def test_tests_are_antisymmetric_and_zero_for_equal_correlations():
    assert williams_t(0.6, 0.6, 0.3, 50)[0] == 0 and williams_t(0.6, 0.6, 0.3, 50)[1] == pytest.approx(1)
    assert williams_t(0.7, 0.5, 0.4, 80)[0] == pytest.approx(-williams_t(0.5, 0.7, 0.4, 80)[0])
    assert steiger_z(0.7, 0.5, 0.4, 80)[0] == pytest.approx(-steiger_z(0.5, 0.7, 0.4, 80)[0])
    assert np.isnan(williams_t(0.5, 0.4, 0.1, 3)[0])


def test_rowwise_spearman_matches_scipy_with_ties():
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=(5, 40)), 1)
    y = np.round(x + rng.normal(size=(5, 40)), 0)
    ours = rowwise_spearman(x, y)
    for i in range(5):
        assert ours[i] == pytest.approx(stats.spearmanr(x[i], y[i]).statistic)


def _synthetic(n, noise_a, noise_b, seed):
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=n)
    return truth + noise_a * rng.normal(size=n), truth + noise_b * rng.normal(size=n), truth


def test_a_clearly_better_proxy_is_significant_by_every_test():
    a, b, t = _synthetic(1000, 0.5, 1.5, seed=1)
    res = paired_spearman_test(a, b, t, n_resamples=300, seed=0)
    assert res.n == 1000 and res.diff > 0.15
    assert res.diff == pytest.approx(res.rho_a - res.rho_b)
    assert res.rho_a == pytest.approx(stats.spearmanr(a, t).statistic)
    assert res.ci.low > 0 and res.significant
    assert res.p_bootstrap < 0.01 and res.williams_p < 1e-6 and res.steiger_p < 1e-6
    # the other way round: the same test with the sign turned
    rev = paired_spearman_test(b, a, t, n_resamples=300, seed=0)
    assert rev.diff == pytest.approx(-res.diff) and rev.ci.high < 0 and rev.significant
    assert rev.williams_t == pytest.approx(-res.williams_t)


def test_identical_proxies_are_not_significantly_different():
    a, _, t = _synthetic(200, 1.0, 1.0, seed=2)
    res = paired_spearman_test(a, a.copy(), t, n_resamples=200)
    assert res.diff == 0 and not res.significant
    assert res.ci.low == res.ci.high == 0 and res.p_bootstrap == 1.0


def test_false_positive_rate_is_near_nominal_under_the_null():
    """Two exchangeable proxies (same noise level): H0 is true, so ~5% of tests reject."""
    williams, boot = [], []
    for rep in range(150):
        a, b, t = _synthetic(80, 1.0, 1.0, seed=100 + rep)
        res = paired_spearman_test(a, b, t, n_resamples=150 if rep < 60 else 0, seed=rep)
        williams.append(res.williams_p < 0.05)
        if rep < 60:
            boot.append(res.significant)
    assert 0.0 < np.mean(williams) < 0.12
    assert np.mean(boot) < 0.15


def test_nans_are_left_out_pairwise():
    a, b, t = _synthetic(300, 0.5, 1.0, seed=3)
    a[:10] = np.nan
    b[5:20] = np.inf
    t[299] = np.nan
    res = paired_spearman_test(a, b, t, n_resamples=50)
    keep = np.isfinite(a) & np.isfinite(b) & np.isfinite(t)
    assert res.n == keep.sum() == 279
    assert res.rho_a == pytest.approx(stats.spearmanr(a[keep], t[keep]).statistic)


def test_shared_bootstrap_reuses_resamples_and_is_deterministic():
    a, b, t = _synthetic(150, 0.5, 1.0, seed=4)
    boot = PairedBootstrap(t, n_resamples=100, seed=9)
    first = boot.test("a", a, "b", b)
    assert len(boot._cache) == 2
    again = boot.test("b", b, "a", a)
    assert len(boot._cache) == 2 and again.diff == pytest.approx(-first.diff)
    assert paired_spearman_test(a, b, t, n_resamples=100, seed=9).ci == first.ci


def test_constant_input_gives_nan_not_an_error():
    res = paired_spearman_test(np.ones(30), np.arange(30.0), np.arange(30.0))
    assert np.isnan(res.diff) and res.ci is None and not res.significant


def test_population_std_is_wrcors_std():
    # WRCor Table 4, WRCor row: {0.811, 0.846, 0.822} → 0.0146 (ddof = 0), printed 0.015
    assert population_std([0.811, 0.846, 0.822]) == pytest.approx(0.014614, abs=1e-6)
    assert np.isnan(population_std([]))
