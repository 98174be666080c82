"""SED: suppression of local entropy decrease, a data-free and running-free topology proxy.

N. Wu, H. Huang, Y. Xu, Z. Hao, "Zero-shot NAS via the suppression of local entropy decrease",
arXiv:2411.06236 (2024), Definition 4 (spec: ../shared/spec/sed.md). Higher is better.

For a network of blocks B_1..B_n, with everything counted *per block* (A := B_i)::

    skip_SED(B) = sig(#skip) · #skip                                                       (1)
    conv_SED(B) = sig(#C_out) · Σ_i I{K_i ≥ O_1} #K_i                                       (2)
    pool_SED(B) = (Σ_i I{K_i ≥ O_1} #K_i)² + (Σ_op #op)² − (Σ_O #O + Σ_K I{K < O_1} #K)²   (3)
    SED(A) = 1/n Σ_i sig(#C_out(B_i)) · F_in(B_i)/F_out(B_i) · pool_SED(B_i)
                    · sig(skip_SED(B_i) · conv_SED(B_i))                                (4–5)

sig is the logistic function, K ranges over the block's convolution kernels, O over its pooling
kernels, O_1 is the largest pool, F is the number of entries per channel (H·W). Everything is
read from the space's ``Topology`` descriptor (``BlockTopology.ops`` with ``OpInfo.kind`` in
``conv``/``pool``/``skip``/``none``/``other``, ``c_out``, ``hw_in``, ``hw_out``,
``searchable``), so any space that describes its blocks gets SED without special cases.

Choices where the paper is silent or ambiguous (sed.md §3); the ones with more than one
defensible answer are ``Config`` options:

* **𝒦 and 𝒪 are the block's candidates.** OPT(A) holds "the optional operations", and sed.md
  §2.3 reads NB201 with 𝒪 = (3×3 pool) in *every* cell, so a 1×1 conv never counts as
  K ≥ O_1, even in a cell that uses no pool. We take 𝒦 and 𝒪 to be the conv and pool ops a
  block *lists* in ``ops``, count 0 included; a space that lists its unused options (count 0)
  gets this reading. A block that lists no pool at all has no O_1, and then every conv counts
  as K ≥ O_1 (sed.md A3's "take the indicator as 1"). If a space lists only the ops in use,
  O_1 exists only in blocks that use a pool. For NB201 that adds the cells with five convs of
  either size and one skip to the argmax set.
* **A1 which blocks** (``blocks``, default ``"searchable"``): B_1..B_n are the blocks with
  ``searchable=True``. Definition 4 is built from OPT(A), the optional operations; a fixed
  block (stem, NB201's residual reductions) has none, so it only dilutes the mean.
  ``"all"`` averages over every block (a fixed block with no described ops adds a 0 term, or
  the constant's term, see ``absent``). On NB201 both rank identically.
* **A2 Σ_op #op** (``count_none``, default ``False`` since version 2): ``none`` edges are not
  operations, so an NB201 cell has Σ = 6 − #none. Chosen by measurement: the paper's one
  published NB201 statistic this choice moves, ρ between each SED value and the minimum test
  accuracy of the NATS-TSS cells sharing it (text E3: 0.89 / 0.85 / 0.88), is 0.880 / 0.856 /
  0.909 with ``False`` and 0.703 / 0.696 / 0.738 with ``True`` (all 15,625 cells; ``nash
  reproduce sed-groups-tss``). Table 2's argmax is the same six cells either way. ``True``
  (version 1's default: the paper's Example 1 lists ``none`` among NB201's "5 related
  operations") counts them, Σ = 6 always. ``skip`` and ``other`` ops always count.
* **A3 the indicators**: K ≥ O_1 is read as k_w ≥ ⌈o_w/s_w⌉ and k_h ≥ ⌈o_h/s_h⌉, with s the
  pool's stride (kernels and strides are (h, w)). K < O_1 (``below``) is by default its
  negation, so every conv lands in exactly one of the two sums. ``"componentwise"`` reads it as
  k_w < ⌈o_w/s_w⌉ and k_h < ⌈o_h/s_h⌉, so a conv can be in neither. The two agree on square
  kernels. Conv strides do not enter.
* **O_1**: the listed pool with the most taps o_h·o_w (the paper's "number of features
  involved in a pooling operation"). Among equal-sized pools, the larger strided window
  ⌈o_h/s_h⌉·⌈o_w/s_w⌉ wins, then the larger (o_h, o_w). The order of the conv kernels among
  themselves does not enter (2)–(3).
* **"An identical constant"** (``absent``, default ``"formula"``; ``constant``, default 1.0):
  in search spaces *without* skip connections and pooling ops, the paper sets skip_SED and
  pool_SED to one constant. ``"formula"`` evaluates the formulas as written: no skip gives
  skip_SED = 0, and no pool gives pool_SED = (Σ#K)² + (Σ#op)². NB201 needs this, because its
  descriptor lists used ops only, so a cell without skips looks like a space without skips.
  ``"unlisted"`` uses the constant for a kind the block does not list at all (count-0 entries
  mark a kind as available), which is the paper's rule for descriptors that list candidates.
  ``"unused"`` uses it whenever the block has none of that kind in use.
* **A6 ties** are real (SED depends on op counts only, so NB201's argmax is a 6-way tie) and are
  left to the protocol's tie policy.

**Numerics (A7).** In float64, sig(x) is exactly 1.0 once x ≳ 37. So, for example, NATS-SSS
networks that differ only by 40 vs 64 channels get bitwise-equal SED. Log-sigmoid does not
fix this: log SED has the same relative resolution as SED. The information lives ~1e-18 below
a value of order 50, and no single float64 holds it.

We therefore split each block term exactly into a saturated part and a deficit::

    term = hi − Δ,   hi = F_in/F_out · pool_SED · sig(a),   a = skip_SED · Σ I{K ≥ O_1} #K
    Δ = F_in/F_out · pool_SED · ( sig(a)·sig(−a·u)·(−expm1(−a·ε)) + ε·sig(a·u) )

with u = sig(C_out) and ε = 1 − u = sig(−C_out), evaluated as ``expit(-C)``. Every factor is
computed without cancellation, so Δ keeps full relative precision even at ε ≈ 1e-28.

The block terms hi and Δ of an architecture are summed in ascending order, so the result does
not depend on block order, and the sums are carried as double-doubles (compensated sums, ~32
significant digits). The mean Σhi/n − ΣΔ/n is then formed as value + err: ``value`` is the
float64 SED that ``score_topologies`` returns, and ``err`` is the part of it below value's last
bit. ``rank_keys`` returns both. Sorting lexicographically by (value, err) orders
architectures by SED wherever float64 ties them. That covers channel counts that differ only
in the saturated range, even next to a block whose own deficit is 1e16 times larger. Each
block term is itself correct to about one ulp. So (value, err) orders by the sum of the terms
as computed, and architectures whose blocks are equal as a multiset tie exactly.

The engine stores one float per architecture, so a harness run sees ``value``, with its float64
ties; the paper's NATS-SSS argmax (all 64 channels) needs the second key. A run with
``tie_break: rank_keys`` asks ``rank_keys`` (the contract's ``Proxy.rank_keys``) to choose among
the float-tied architectures at the argmax; correlations still use ``value``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, compress
from operator import attrgetter, itemgetter
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from nas_harness.api import (
    BlockTopology,
    Needs,
    OpInfo,
    PluginConfig,
    Proxy,
    ProxyFailure,
    ScoreContext,
    Topology,
    hookimpl,
)

PAPER_SECONDS_PER_ARCH = 3.4e-5  # the paper's SED time on NATS-TSS, one CPU core


class SEDConfig(PluginConfig):
    blocks: Literal["searchable", "all"] = Field(
        "searchable", description="A1: average over the searchable blocks only, or over every block"
    )
    count_none: bool = Field(
        False, description="A2: `none` ops count in Σ_op #op (version 1's default; see the module docstring)"
    )
    below: Literal["negation", "componentwise"] = Field(
        "negation", description="A3: I{K < O_1} as the negation of K ≥ O_1, or component-wise"
    )
    absent: Literal["formula", "unlisted", "unused"] = Field(
        "formula",
        description=(
            "skip_SED (pool_SED) of a block without skip (pool) ops: the formula, or `constant` when the "
            "block does not list the kind at all (unlisted) or has none in use (unused)"
        ),
    )
    constant: float = Field(1.0, gt=0, description="the paper's 'identical constant' (absent != 'formula')")


@dataclass(frozen=True)
class SEDParts:
    """Per-architecture pieces of SED (arrays over the topologies given).

    ``value`` is the SED score (float64) and ``err`` the part below its last bit (value + err is
    SED to ~32 digits); ``hi`` is the mean of the blocks' saturated terms (sig(C_out) taken as 1),
    ``deficit`` ≥ 0 what the unsaturated sigmoids take off (both float64, for inspection), and
    ``n_blocks`` is the n of the mean.
    """

    value: np.ndarray
    err: np.ndarray
    hi: np.ndarray
    deficit: np.ndarray
    n_blocks: np.ndarray


# op kinds, as codes
_CONV, _POOL, _SKIP, _NONE, _OTHER = range(5)
_KIND_CODE = {"conv": _CONV, "pool": _POOL, "skip": _SKIP, "none": _NONE}


def _strided(pool: OpInfo) -> tuple[int, int]:
    """(⌈o_h/s_h⌉, ⌈o_w/s_w⌉): the pooled window a conv must cover to count as K ≥ O."""
    return -(-pool.kernel[0] // pool.stride[0]), -(-pool.kernel[1] // pool.stride[1])


def _pool_size(pool: OpInfo) -> tuple:
    """Order of 𝒪: taps, then the strided window, then the kernel (O_1 is the maximum)."""
    th, tw = _strided(pool)
    return (pool.kernel[0] * pool.kernel[1], th * tw, tuple(pool.kernel))


def _well_formed(op: OpInfo) -> bool:
    try:
        return len(op.kernel) == 2 and len(op.stride) == 2 and min(*op.kernel, *op.stride) > 0
    except TypeError:
        return False


def _op_list_stats(op_lists: list[tuple[tuple[OpInfo, int], ...]], cfg: SEDConfig) -> np.ndarray:
    """Per op list: [#skip, Σ#K≥O1, Σ#K<O1, Σ#O, Σ#op, skip listed, pool listed, valid].

    A block's candidate kernels 𝒦 and 𝒪 are the conv and pool ops it *lists*, count 0
    included, so a space that lists its unused options makes O_1 the largest pool the block
    could hold (sed.md §2.3 reads NB201 that way: the 3×3 pool in every cell). Vectorised over
    all (op, count) pairs; the few distinct OpInfo objects are classified in Python.
    """
    m = len(op_lists)
    seg_len = np.fromiter(map(len, op_lists), dtype=np.int64, count=m)
    pairs = list(chain.from_iterable(op_lists))
    out = np.zeros((m, 8))
    out[:, 7] = 1.0
    if not pairs:
        return out
    seg = np.repeat(np.arange(m), seg_len)
    ops = list(map(itemgetter(0), pairs))
    count = np.fromiter(map(itemgetter(1), pairs), dtype=float, count=len(pairs))
    ids = np.fromiter(map(id, ops), dtype=np.int64, count=len(ops))
    _, first, which = np.unique(ids, return_index=True, return_inverse=True)
    distinct = [ops[i] for i in first]

    kind = np.array([_KIND_CODE.get(op.kind, _OTHER) for op in distinct])
    good = np.array([_well_formed(op) for op in distinct])
    kh = np.array([op.kernel[0] if g else 0 for op, g in zip(distinct, good)])
    kw = np.array([op.kernel[1] if g else 0 for op, g in zip(distinct, good)])
    # pools ranked 1..P by size (0: not a pool), with their strided windows
    pools = sorted(
        (i for i, op in enumerate(distinct) if kind[i] == _POOL and good[i]),
        key=lambda i: _pool_size(distinct[i]),
    )
    rank = np.zeros(len(distinct), dtype=np.int64)
    window = np.zeros((len(pools) + 1, 2), dtype=np.int64)  # row 0: no pool, every conv passes
    for r, i in enumerate(pools, start=1):
        rank[i] = r
        window[r] = _strided(distinct[i])

    kind_p, rank_p = kind[which], rank[which]
    o1 = np.zeros(m, dtype=np.int64)
    np.maximum.at(o1, seg, rank_p)
    th, tw = window[o1, 0][seg], window[o1, 1][seg]
    conv = kind_p == _CONV
    ge = conv & (kh[which] >= th) & (kw[which] >= tw)
    if cfg.below == "negation":
        lt = conv & ~ge
    else:
        lt = conv & (kh[which] < th) & (kw[which] < tw)
    counted = kind_p != _NONE if not cfg.count_none else np.ones_like(conv)

    def per_list(weights: np.ndarray) -> np.ndarray:
        return np.bincount(seg, weights=weights, minlength=m)

    out[:, 0] = per_list(count * (kind_p == _SKIP))
    out[:, 1] = per_list(count * ge)
    out[:, 2] = per_list(count * lt)
    out[:, 3] = per_list(count * (kind_p == _POOL))
    out[:, 4] = per_list(count * counted)
    out[:, 5] = per_list((kind_p == _SKIP).astype(float)) > 0
    out[:, 6] = o1 > 0
    out[:, 7] = per_list(((count < 0) | ~good[which]).astype(float)) == 0
    return out


_blocks, _ops, _c_out = attrgetter("blocks"), attrgetter("ops"), attrgetter("c_out")
_hw_in, _hw_out, _searchable = attrgetter("hw_in"), attrgetter("hw_out"), attrgetter("searchable")


class SED(Proxy):
    """SED (Wu et al. 2024, arXiv:2411.06236, Definition 4): a topology-only proxy; see the
    module docstring for the formulas and every choice (A1 blocks, A2 `none`, A3 indicators,
    O_1, the 'identical constant', and the exact tie-breaking key for saturated sigmoids)."""

    name: ClassVar[str] = "sed"
    version: ClassVar[str] = "2"  # 2: count_none defaults to False (A2, measured; module docstring)
    higher_is_better: ClassVar[bool] = True
    needs: ClassVar[frozenset[Needs]] = frozenset({Needs.TOPOLOGY})
    Config: ClassVar[type[PluginConfig]] = SEDConfig
    summary: ClassVar[str] = (
        "suppression of local entropy decrease from op counts, kernels, channels (data-free)"
    )

    # ------------------------------------------------------------------ public
    def score(self, ctx: ScoreContext) -> float:
        if ctx.topology is None:
            raise ProxyFailure("sed needs the topology descriptor of the architecture")
        value = float(self.score_topologies([ctx.topology])[0])
        if not math.isfinite(value):
            raise ProxyFailure(self._why_not_finite(ctx.topology))
        return value

    def score_topologies(self, topologies: Sequence[Topology]) -> np.ndarray:
        """SED of every topology at once (float64; NaN where it is undefined, e.g. no block)."""
        return self.evaluate(topologies).value

    def rank_keys(self, topologies: Sequence[Topology]) -> np.ndarray:
        """(n, 2) keys ``[value, err]``: ``np.lexsort((k[:, 1], k[:, 0]))`` sorts by SED,
        ascending, also where the float64 ``value`` ties (see the module docstring)."""
        parts = self.evaluate(topologies)
        return np.column_stack([parts.value, parts.err])

    def evaluate(self, topologies: Sequence[Topology]) -> SEDParts:
        """All the pieces, vectorised over every block of every topology.

        Python touches each block only through C-level ``map``/``attrgetter`` passes; op
        lists are summarised once per distinct list object (a space usually shares one tuple
        between the repeated cells of an architecture).
        """
        from scipy.special import expit

        cfg: SEDConfig = self.config  # type: ignore[assignment]
        n_arch = len(topologies)
        block_lists = list(map(_blocks, topologies))
        per_arch = np.fromiter(map(len, block_lists), dtype=np.int64, count=n_arch)
        blocks: list[BlockTopology] = list(chain.from_iterable(block_lists))
        arch_of = np.repeat(np.arange(n_arch), per_arch)
        if cfg.blocks == "searchable":
            keep = np.fromiter(map(_searchable, blocks), dtype=bool, count=len(blocks))
            if not keep.all():
                blocks = list(compress(blocks, keep))
                arch_of = arch_of[keep]
        n = len(blocks)
        n_blocks = np.bincount(arch_of, minlength=n_arch)

        op_lists = list(map(_ops, blocks))
        ids = np.fromiter(map(id, op_lists), dtype=np.int64, count=n)
        _, first, which = np.unique(ids, return_index=True, return_inverse=True)
        stats = _op_list_stats([op_lists[i] for i in first], cfg)[which]
        skip, k_ge, k_lt, n_pool, total, skip_listed, pool_listed, valid = stats.T
        c_out = np.fromiter(map(_c_out, blocks), dtype=float, count=n)
        hw_in = np.fromiter(chain.from_iterable(map(_hw_in, blocks)), dtype=float, count=2 * n).reshape(n, 2)
        hw_out = np.fromiter(chain.from_iterable(map(_hw_out, blocks)), dtype=float, count=2 * n).reshape(
            n, 2
        )

        skip_sed = expit(skip) * skip
        pool_sed = k_ge**2 + total**2 - (n_pool + k_lt) ** 2
        if cfg.absent != "formula":
            has_skip, has_pool = (skip_listed, pool_listed) if cfg.absent == "unlisted" else (skip, n_pool)
            skip_sed = np.where(has_skip > 0, skip_sed, cfg.constant)
            pool_sed = np.where(has_pool > 0, pool_sed, cfg.constant)
        a = skip_sed * k_ge  # skip_SED · conv_SED = a · sig(C_out)
        u, eps = expit(c_out), expit(-c_out)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            w = (hw_in[:, 0] * hw_in[:, 1]) / (hw_out[:, 0] * hw_out[:, 1]) * pool_sed
            hi_b = w * expit(a)
            au = a * u
            deficit_b = w * (expit(a) * expit(-au) * -np.expm1(-a * eps) + eps * expit(au))
        bad_b = ~((valid > 0) & np.isfinite(hi_b) & np.isfinite(deficit_b))

        # Σ hi − Σ Δ, then / n, in double-double: (value, err) with value + err ≈ SED to ~32 digits
        h1, h2 = _dd_sum(_sorted_rows(hi_b, arch_of, n_arch, n_blocks))
        d1, d2 = _dd_sum(_sorted_rows(deficit_b, arch_of, n_arch, n_blocks))
        with np.errstate(divide="ignore", invalid="ignore"):
            v, e = _two_sum(h1, -d1)
            v, e = _fast_two_sum(v, e + (h2 - d2))
            n = n_blocks.astype(float)
            q = v / n
            p, pe = _two_prod(q, n)
            value, err = _fast_two_sum(q, (((v - p) - pe) + e) / n)
            hi, deficit = h1 / n, d1 / n
        bad = (n_blocks == 0) | (np.bincount(arch_of, weights=bad_b, minlength=n_arch) > 0)
        value[bad] = err[bad] = np.nan
        return SEDParts(value, err, hi, deficit, n_blocks)

    def _why_not_finite(self, topology: Topology) -> str:
        cfg: SEDConfig = self.config  # type: ignore[assignment]
        counted = [b for b in topology.blocks if cfg.blocks == "all" or b.searchable]
        if not counted:
            return f"no {'' if cfg.blocks == 'all' else 'searchable '}block in the topology (blocks={cfg.blocks!r})"
        return "SED is undefined: a block has a negative op count, an empty output map or non-finite terms"


def _sorted_rows(values: np.ndarray, group: np.ndarray, n_groups: int, sizes: np.ndarray) -> np.ndarray:
    """(groups × largest size): each group's values sorted ascending, padded with leading zeros.

    ``group`` is non-decreasing (blocks come in architecture order) and ``sizes`` counts it.
    Sorting makes each sum independent of the block order; the zeros add nothing.
    """
    k = int(sizes.max()) if n_groups else 0
    if k > 0 and (sizes == k).all():  # the usual case: every architecture has k blocks
        rows = values.reshape(n_groups, k)
    else:
        rows = np.zeros((n_groups, k))
        starts = np.cumsum(sizes) - sizes
        rows[group, np.arange(values.size) - starts[group]] = values
    return np.sort(rows, axis=1)


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """s + e == a + b exactly, s = fl(a + b) (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fast_two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """s + e == a + b exactly when |a| ≥ |b| (Dekker)."""
    s = a + b
    return s, b - (s - a)


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = 134217729.0 * a  # 2**27 + 1
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p + e == a · b exactly, p = fl(a · b) (Dekker, without fma)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _dd_sum(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row sums as double-doubles (compensated summation, ~32 significant digits)."""
    s = np.zeros(rows.shape[0])
    c = np.zeros(rows.shape[0])
    for j in range(rows.shape[1]):
        s, e = _two_sum(s, rows[:, j])
        c += e
    return _fast_two_sum(s, c)


@hookimpl
def nas_harness_proxies():
    return [SED]
