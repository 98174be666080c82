"""Vote and rank-sum combinators on hand-made score tables with known answers."""

from __future__ import annotations

import numpy as np
from toy import FlakyProxy, TopoProxy, ToySpace, WidthProxy, toy_batch

from nas_harness.api import MemberRef
from nas_harness.engine import Engine
from nas_harness.plugins.proxies.combinators import (
    SJW,
    RankSum,
    Vote,
    comparator_positions,
    pairwise_majority,
)
from nas_harness.scoring import ProxyJob, ScoringSetup
from nas_harness.store import ScoreStore


def test_unanimous_vote_is_the_common_order():
    scores = np.array([[1.0, 2.0, 3.0, 4.0]] * 3)
    assert list(pairwise_majority(scores)) == [-3, -1, 1, 3]


def test_intransitive_triple_ties_under_copeland_whatever_the_order():
    # members: a>b>c, b>c>a, c>a>b  → a beats b, b beats c, c beats a (2 of 3 each)
    scores = np.array([[3.0, 2.0, 1.0], [1.0, 3.0, 2.0], [2.0, 1.0, 3.0]])
    assert list(pairwise_majority(scores)) == [0, 0, 0]
    perm = [2, 0, 1]
    assert list(pairwise_majority(scores[:, perm])) == [0, 0, 0]


def test_intransitive_triple_under_the_wrcor_sort_depends_on_input_order():
    scores = np.array([[3.0, 2.0, 1.0], [1.0, 3.0, 2.0], [2.0, 1.0, 3.0]])
    first = comparator_positions(scores)
    rotated = comparator_positions(scores[:, [1, 2, 0]])[[2, 0, 1]]
    assert sorted(first) == [0, 1, 2]
    assert not np.array_equal(first, rotated)  # the documented reason we default to Copeland


def test_majority_needs_more_than_half():
    # two members disagree, one abstains by tie: no majority, no win
    scores = np.array([[1.0, 2.0], [2.0, 1.0], [5.0, 5.0]])
    assert list(pairwise_majority(scores)) == [0, 0]


def test_rank_sum_with_average_ties():
    scores = np.array([[3.0, 2.0, 1.0], [1.0, 1.0, 2.0]])
    rank = RankSum(RankSum.Config(members=[MemberRef(name="a"), MemberRef(name="b")]))
    # member 1 ranks 1,2,3; member 2 ranks 2.5,2.5,1 → sums 3.5, 4.5, 4
    assert list(rank.combine(scores)) == [-3.5, -4.5, -4.0]


def test_presets_carry_the_papers_members():
    assert [m.name for m in SJW().member_refs()] == ["synflow", "jacob_cov", "wrcor"]


def test_engine_combines_member_scores_and_reports_member_failures(tmp_path):
    setup = ScoringSetup(space=ToySpace(), dataset="toy", batch=toy_batch(), input_spec="noise(bs=4,s=0)")
    engine = Engine(setup, ScoreStore(tmp_path / "s.sqlite"))
    members = [MemberRef(name="width"), MemberRef(name="topo"), MemberRef(name="flaky")]
    vote = ProxyJob(
        Vote(Vote.Config(members=members)),
        (ProxyJob(WidthProxy()), ProxyJob(TopoProxy()), ProxyJob(FlakyProxy())),
    )
    archs = [f"w{i}" for i in range(1, 12)]
    tables = engine.score([ProxyJob(WidthProxy()), vote], archs)
    combined = tables["vote"]
    assert combined.failures["w5"] == "member failed: flaky"
    ok = np.isfinite(combined.values)
    # width and topo agree on the order of the archs, so they carry the majority
    assert list(np.argsort(combined.values[ok])) == list(range(ok.sum()))
    assert tables["width"].computed == 11  # shared with the member, scored once
    assert setup.key(vote).input_spec == "noise(bs=4,s=0)"  # members' input shows in the key
