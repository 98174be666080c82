"""A failed architecture's reason reaches the user: the results JSON (grouped by reason, every
architecture listed), the scores CSV (a ``failure`` column) and the terminal (top reasons with counts)."""

from __future__ import annotations

import io

import numpy as np
from rich.console import Console

from nas_harness.api import Signature
from nas_harness.engine import ScoreTable
from nas_harness.leaderboard.render import print_failures, top_reasons
from nas_harness.protocols.correlation import summarize_values
from nas_harness.runner import RunOutcome
from nas_harness.store import ScoreRecord

SINGULAR = "LinAlgError: ReLU-code kernel is singular"


def _table(name: str, why: dict[int, str], n: int = 12) -> ScoreTable:
    records = [
        ScoreRecord(f"a{i}", None, "failed", why[i], 0.01, 0.01)
        if i in why
        else ScoreRecord(f"a{i}", float(i), "ok", None, 0.01, 0.01)
        for i in range(n)
    ]
    return ScoreTable(name, [r.arch for r in records], records)


def _summary(table: ScoreTable):
    truth = np.arange(len(table.archs), dtype=float)
    return summarize_values(
        name=table.proxy,
        version="1",
        distribution="test",
        higher_is_better=True,
        config={},
        table=table,
        truth=truth,
        needs_data=False,
        sig=Signature(*"proxy space target oracle sample input init harness".split()),
        input_kind="none",
        input_fallback=False,
        n_resamples=0,
        confidence=0.95,
        seed=0,
    )


WHY = {1: SINGULAR, 4: SINGULAR, 7: SINGULAR, 9: "non-finite score: nan", 10: "RuntimeError: out of memory"}


def test_the_results_record_every_failed_arch_under_its_reason_most_frequent_first():
    res = _summary(_table("naswot", WHY))
    assert res.n_failed == len(WHY)
    assert [g.reason for g in res.failures][0] == SINGULAR
    assert {a for g in res.failures for a in g.archs} == {f"a{i}" for i in WHY}
    for g in res.failures:
        assert all(WHY[int(a[1:])] == g.reason for a in g.archs)
    counts = [len(g.archs) for g in res.failures]
    assert counts == sorted(counts, reverse=True)
    assert sum(res.failure_reasons.values()) == len(WHY)  # the coarse counts by kind stay


def test_the_scores_csv_says_which_proxy_failed_on_each_arch_and_why():
    tables = {"naswot": _table("naswot", WHY), "snip": _table("snip", {4: "RuntimeError: boom"})}
    archs = tables["naswot"].archs
    frame = RunOutcome(run=None, archs=archs, truth=np.zeros(len(archs)), tables=tables).scores_frame()
    by_arch = dict(zip(frame["arch"], frame["failure"]))
    assert by_arch["a4"] == f"naswot: {SINGULAR}; snip: RuntimeError: boom"
    assert by_arch["a9"] == "naswot: non-finite score: nan"
    assert all(by_arch[a] == "" for a in archs if int(a[1:]) not in WHY)
    assert np.isnan(frame["naswot"][1]) and frame["naswot"][2] == 2.0


def test_the_terminal_shows_the_top_reasons_with_their_counts():
    res = _summary(_table("naswot", WHY))
    buf = io.StringIO()
    print_failures(Console(file=buf, width=100, color_system=None), res, k=2)
    out = buf.getvalue()
    assert "5 of 12 architectures failed" in out
    assert f"×3 {SINGULAR}" in out and "×1 " in out
    assert "1 more reasons" in out
    assert top_reasons(res, 3) == (
        [(3, SINGULAR), (1, "non-finite score: nan"), (1, "RuntimeError: out of memory")],
        0,
    )
