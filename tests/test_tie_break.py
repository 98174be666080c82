"""tie_break: rank_keys — a topology proxy's finer keys choose among float-tied architectures at
the argmax (SED on NATS-SSS, where float64 saturates for widths >= 40)."""

from __future__ import annotations

import numpy as np
import pytest

from nas_harness.protocols.topk import argmax_selection


def test_rank_keys_choose_within_the_float_tie_and_the_tied_set_is_still_reported():
    scores = np.array([3.0, 5.0, 5.0, 1.0, 5.0])
    truth = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    keys = {1: (5.0, 1e-20), 2: (5.0, 3e-20), 4: (5.0, 3e-20)}
    sel = argmax_selection(scores, truth, refine=lambda pos: np.array([keys[int(i)] for i in pos]))
    assert sel.chosen == 2 and sel.tied == (1, 2, 4)  # first index among the two best keys
    assert sel.policy == "first_index+rank_keys(2 of 3)"
    plain = argmax_selection(scores, truth)
    assert plain.chosen == 1 and plain.policy == "first_index"


def test_keys_that_are_not_finite_leave_the_float_tie_to_the_policy():
    scores = np.array([5.0, 5.0])
    sel = argmax_selection(
        scores, np.array([1.0, 2.0]), refine=lambda pos: np.array([[5.0, np.nan]] * len(pos))
    )
    assert sel.chosen == 0


@pytest.mark.shared
def test_sed_on_nats_sss_picks_all_64_channels_with_rank_keys_and_the_first_tied_width_without(
    shared_dir, monkeypatch, tmp_path
):
    from nas_harness.runner import compute_run

    monkeypatch.setenv("NASH_SHARED_DIR", str(shared_dir))
    archs = ["40:40:40:40:40", "8:8:8:8:8", "64:64:64:64:64", "48:56:64:40:64"]
    base = {
        "space": "nats_sss",
        "dataset": "cifar10",
        "proxies": ["sed"],
        "bootstrap": 0,
        "ceiling": "off",
        "sample": {"mode": "list", "archs": archs},
        "executor": "inline",
    }
    exact = compute_run({**base, "tie_break": "rank_keys"}, store_path=tmp_path / "s.sqlite").run.results[0]
    first = compute_run(base, store_path=tmp_path / "s.sqlite").run.results[0]
    assert exact.selection.arch == "64:64:64:64:64" and exact.selection.tied == 3
    assert first.selection.arch == "40:40:40:40:40" and first.selection.policy == "first_index"
