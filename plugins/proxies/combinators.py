"""Combinators: proxies built from other proxies' scores over the evaluated population.

- ``vote`` — pairwise majority voting (WRCor paper, §2.6 of ../shared/spec/wrcor.md). For
  architectures x, y, x beats y when more than half of the M members score x higher. The
  majority relation can be intransitive (a beats b beats c beats a), so a ranking needs a
  rule. Ours, by default, is **Copeland's**: score(x) = #wins − #losses over all others, which
  does not depend on the order the architectures come in. ``ordering: sort`` instead
  reproduces the WRCor code: Python's ``sorted`` with the pairwise comparator, in the order of
  the run's sample (for ``first_n`` samples, benchmark-index order as in the code), and uses
  the position as the score.
- ``rank_sum`` — paper 004's Algorithm 1: each member ranks the population (1 = best), the
  score is the sum of ranks; lower is better, so we return its negation. Ties within a member
  get average ranks by default (the paper does not say; ``ties: ordinal`` breaks them by
  position instead).

Presets with the papers' members: ``zerocost`` = vote(synflow, jacob_cov, snip), ``sjw`` =
vote(synflow, jacob_cov, wrcor), ``spw`` = vote(synflow, l2_norm, wrcor), and ``rk`` =
rank_sum(ni, naswot, logsynflow).

An architecture on which any member failed gets no combined score (it is reported as failed),
rather than being ranked on the remaining members.
"""

from __future__ import annotations

import functools
from typing import Literal

import numpy as np
from pydantic import Field

from nas_harness.api import Combinator, MemberRef, PluginConfig, hookimpl


def _members(*names: str) -> list[MemberRef]:
    return [MemberRef(name=n) for n in names]


class VoteConfig(PluginConfig):
    members: list[MemberRef] = Field(min_length=2, description="member proxies (M ≥ 2; the papers use 3)")
    ordering: Literal["copeland", "sort"] = "copeland"


def pairwise_majority(scores: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Copeland score of each column: wins − losses under the members' strict majority."""
    m, n = scores.shape
    half = m / 2
    out = np.zeros(n)
    for start in range(0, n, chunk):
        block = scores[:, start : start + chunk, None]  # (m, c, 1)
        higher = (block > scores[:, None, :]).sum(axis=0)  # members preferring row over column
        lower = (block < scores[:, None, :]).sum(axis=0)
        out[start : start + chunk] = (lower > half).sum(axis=1) * -1.0 + (higher > half).sum(axis=1)
    return out


def comparator_positions(scores: np.ndarray) -> np.ndarray:
    """Positions after sorting with the WRCor code's comparator (ascending: best last)."""
    m, n = scores.shape

    def cmp(i: int, j: int) -> int:
        lower = int((scores[:, i] < scores[:, j]).sum())
        higher = int((scores[:, i] > scores[:, j]).sum())
        if lower > m / 2:
            return -1
        if higher > m / 2:
            return 1
        return 0

    order = sorted(range(n), key=functools.cmp_to_key(cmp))
    positions = np.empty(n)
    positions[order] = np.arange(n, dtype=float)
    return positions


class Vote(Combinator):
    """Pairwise majority vote of member proxies (WRCor, Li et al. 2024; see module docstring)."""

    name = "vote"
    version = "1"
    higher_is_better = True
    Config = VoteConfig
    summary = "pairwise majority vote of member proxies (Copeland ranking)"

    def combine(self, scores: np.ndarray) -> np.ndarray:
        if self.config.ordering == "sort":
            return comparator_positions(scores)
        return pairwise_majority(scores)


class ZeroCostConfig(VoteConfig):
    members: list[MemberRef] = Field(
        default_factory=lambda: _members("synflow", "jacob_cov", "snip"), min_length=2
    )


class SJWConfig(VoteConfig):
    members: list[MemberRef] = Field(
        default_factory=lambda: _members("synflow", "jacob_cov", "wrcor"), min_length=2
    )


class SPWConfig(VoteConfig):
    members: list[MemberRef] = Field(
        default_factory=lambda: _members("synflow", "l2_norm", "wrcor"), min_length=2
    )


class ZeroCostVote(Vote):
    """Abdelfattah et al.'s voting of synflow, jacob_cov and snip, as WRCor's ZeroCost row."""

    name = "zerocost"
    Config = ZeroCostConfig
    summary = "vote(synflow, jacob_cov, snip)"


class SJW(Vote):
    """WRCor's SJW: vote of SynFlow, JacCor and WRCor."""

    name = "sjw"
    Config = SJWConfig
    summary = "vote(synflow, jacob_cov, wrcor)"


class SPW(Vote):
    """WRCor's SPW: vote of SynFlow, PNorm (l2_norm) and WRCor."""

    name = "spw"
    Config = SPWConfig
    summary = "vote(synflow, l2_norm, wrcor)"


class RankSumConfig(PluginConfig):
    members: list[MemberRef] = Field(min_length=2)
    ties: Literal["average", "ordinal"] = "average"


class RankSum(Combinator):
    """Sum of per-member ranks (paper 004, Algorithm 1); returned negated so larger is better."""

    name = "rank_sum"
    version = "1"
    higher_is_better = True
    Config = RankSumConfig
    summary = "negated sum of member ranks (paper 004)"

    def combine(self, scores: np.ndarray) -> np.ndarray:
        from scipy.stats import rankdata

        method = "average" if self.config.ties == "average" else "ordinal"
        ranks = np.vstack([rankdata(-row, method=method) for row in scores])  # 1 = best
        return -ranks.sum(axis=0)


class RkConfig(RankSumConfig):
    members: list[MemberRef] = Field(
        default_factory=lambda: _members("ni", "naswot", "logsynflow"), min_length=2
    )


class Rk(RankSum):
    """Paper 004's ranking of NI, NASWOT and LogSynFlow."""

    name = "rk"
    Config = RkConfig
    summary = "rank_sum(ni, naswot, logsynflow)"


@hookimpl
def nas_harness_proxies():
    return [Vote, ZeroCostVote, SJW, SPW, RankSum, Rk]
