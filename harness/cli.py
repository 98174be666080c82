"""``nash``: the command line. Side effects (files, store, terminal) live here, at the edge.

Exit codes: 0 success, 1 a run finished but some proxy failed entirely, 2 bad input
(config, files, names), 130 interrupted (every score computed so far is in the store).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import __version__
from .api import HarnessError
from .cli_args import kv as _kv
from .cli_args import scalar as _scalar
from .cli_examples import attach as attach_examples
from .cli_options import EXECUTION, INPUT, RESULTS_HELP, add, execution_of
from .cli_workflows import WORKFLOW_COMMANDS, add_workflow_commands
from .files import write_text

EXIT_USAGE = 2
RESULTS_DIR = Path("nash-results")  # --out's default for the commands that write results files
err_console = Console(stderr=True)


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nash",
        description="nas-harness: evaluate training-free NAS proxies under standard, signed protocols.",
    )
    parser.add_argument("--version", action="version", version=f"nas-harness {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("plugins", help="list installed proxy, space, strategy and data source plugins")
    add(p, "json")
    p.add_argument("--kind", choices=["proxy", "space", "strategy", "data_source"], help="only this kind")
    add(p, "wide")

    r = sub.add_parser(
        "run",
        help="run the correlation protocol (config file and/or flags)",
        description=(
            "Score N architectures with each proxy and correlate with ground truth. Settings come "
            "from CONFIG (YAML/TOML/JSON), a built-in --suite, and flags, later ones overriding "
            "earlier ones. Scores are cached in the score store, so reruns and resumed runs "
            "compute only what is missing."
        ),
    )
    _add_run_options(r)

    sw = sub.add_parser(
        "sweep",
        help="one correlation run per value of any config field (batch size, init, dataset, ...), tabulated with mean and std",
        description=(
            "Sweep FIELD (a dotted path into the run config: input.batch_size, init, dataset, "
            "input.kind, proxies[wrcor].config.weighting, …) over VALUES; every value is an "
            "ordinary run (results file, store reuse), and the table shows each proxy's metric per "
            "value, the mean and the population std (ddof = 0)."
        ),
    )
    _add_run_options(sw)
    sw.add_argument("--field", required=True, help="dotted path of the swept field, e.g. input.batch_size")
    sw.add_argument("--values", required=True, help="comma-separated values (YAML scalars), e.g. 32,64,128")
    sw.add_argument(
        "--link",
        action="append",
        default=[],
        metavar="FIELD=V1,V2,...",
        help="another field set in lockstep, one value per swept value (repeatable)",
    )
    add(sw, "metric")

    fs = sub.add_parser(
        "few-shot",
        help="fit trainable proxies on k labelled archs and report ρ/τ/top-10%% vs k, next to a learned baseline",
        description=(
            "For each k (--k) and seed (--seeds): draw k labelled calibration architectures (from the oracle's "
            "coverage, never an evaluation architecture), fit each trainable proxy (--proxies) on them, score the "
            "evaluation sample (--n, --sample-seed, ...) through the store, and report ρ, τ and top-10%% on the "
            "evaluation architectures only, mean ± std over seeds; ridge and gradient-boosting baselines are fitted "
            "on the same labels with zero-cost proxies' scores (--features) and the space's encoding as features. "
            "A config file may hold a few_shot: section (ks, seeds, calibration, baselines, features, encoding, guard)."
        ),
    )
    _add_run_options(fs)
    fs.add_argument("--k", dest="fs_ks", help="comma-separated calibration sizes (default 10,20,50,100)")
    fs.add_argument("--seeds", dest="fs_seeds", help="comma-separated calibration seeds (default 0,1,2)")
    fs.add_argument(
        "--features",
        dest="fs_features",
        help="zero-cost proxies of the learned baselines (default params,flops,synflow,naswot,jacob_cov,snip,grad_norm)",
    )
    fs.add_argument("--baselines", dest="fs_baselines", help="ridge,gbm (default both; 'none' for none)")
    fs.add_argument(
        "--no-encoding",
        dest="fs_no_encoding",
        action="store_true",
        help="baselines without the space's one-hot decision vector",
    )
    fs.add_argument(
        "--calib-space", dest="fs_space", help="label calibration sets on another space (transfer)"
    )
    fs.add_argument("--calib-dataset", dest="fs_dataset", help="... or another task of the space (transfer)")
    fs.add_argument("--calib-oracle", dest="fs_oracle", help="... or with another oracle")

    se = sub.add_parser(
        "search",
        help="budgeted architecture search guided by a proxy, or by ground truth (the upper bound)",
        description=(
            "Run each strategy with each proxy on each dataset for --repeats seeds, each search scoring "
            "at most --budget distinct architectures through the score store; then look up the chosen "
            "architecture's ground truth, its rank in the space and the space optimum. Strategies never "
            "see ground truth, unless --objective oracle makes it the score (reported as such)."
        ),
    )
    se.add_argument("config", nargs="?", type=Path, help="search config file (.yaml, .toml, .json)")
    se.add_argument(
        "--strategy", help="comma-separated strategies, e.g. random,regularized_evolution,reinforce"
    )
    se.add_argument(
        "--strategy-opt",
        action="append",
        default=[],
        metavar="STRATEGY.KEY=VALUE",
        help="a strategy option, e.g. regularized_evolution.population_size=32 (repeatable)",
    )
    add(se, "proxies", "proxy_opt")
    se.add_argument(
        "--objective",
        choices=["proxy", "oracle"],
        help="'oracle' searches with ground truth as the score (the upper bound a proxy could reach)",
    )
    se.add_argument(
        "--objective-oracle", help="with --objective oracle: which oracle (default: the space's default)"
    )
    se.add_argument(
        "--objective-oracle-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option of the --objective-oracle, e.g. path=FILE (repeatable)",
    )
    add(se, "space", "dataset", "oracle", "oracle_opt")
    se.add_argument(
        "--also-oracle",
        action="append",
        default=[],
        metavar="NAME[:KEY=VALUE,...]",
        help="another oracle to report for the chosen architecture (repeatable)",
    )
    se.add_argument("--budget", type=int, help="distinct architectures scored per search (default 1000)")
    se.add_argument(
        "--calib-k",
        dest="calib_k",
        type=int,
        help="fit trainable proxies on K labelled archs first; the K labels count in --budget",
    )
    se.add_argument(
        "--calib-seed", dest="calib_seed", type=int, help="seed of the calibration draw (default 0)"
    )
    se.add_argument("--repeats", type=int, help="searches per cell, seeds SEED, SEED+1, … (default 3)")
    add(se, "search_seed", *INPUT, "init")
    add(se, "init_seed", aliases=False)  # --seed is the search's seed here (deprecated)
    add(se, "device", "threads", "store", "out_dir", "quiet")
    se.set_defaults(bootstrap=None, n=None, sample=None, sample_seed=None, archs=None)

    lb = sub.add_parser(
        "leaderboard",
        help="rank results files (suite results by the suite's headline metric, runs by ρ)",
        description=(
            "Rank the rows of suite results (suite-*.json, from `nash run --suite standard`, and verified "
            "submissions, submission-*.json, from `nash submit`) by the suite's headline metric and correlation "
            "runs (correlation-*.json) by ρ. A tampered submission is an error. Rows are ranked only against rows "
            "with the same signature; groups that differ are shown apart, with the fields they differ in. "
            "Marks: rows not significantly different from the row above (≈↑) or from the top row (≈1)."
        ),
    )
    lb.add_argument("results", nargs="*", type=Path, help=RESULTS_HELP)
    add(lb, "metric", "abs", "json", "wide")
    lb.add_argument(
        "--with-reference",
        action="store_true",
        help="rank suite results among the published reference leaderboard of their suite (the built-in "
        "proxies, committed in the package; without suite results: show every published one)",
    )
    lb.add_argument(
        "--csv",
        action="store_true",
        help="print the ranked rows as CSV (one row per proxy and group), e.g. nash leaderboard DIR --csv > lb.csv",
    )

    scc = sub.add_parser("scores-corr", help="Spearman ρ between the proxies of a run, as a heat table")
    scc.add_argument("results", type=Path, help="a results JSON file (its scores CSV must sit beside it)")
    scc.add_argument(
        "--no-cost", action="store_true", help="do not add params/flops columns from the space's cost"
    )
    add(scc, "json")

    co = sub.add_parser(
        "cost", help="time per architecture, and extrapolated to the whole space, of results files"
    )
    co.add_argument("results", nargs="+", type=Path, help=RESULTS_HELP)
    add(co, "json")

    gr = sub.add_parser("groups", help="architectures with equal scores (ties) per proxy in results files")
    gr.add_argument("results", nargs="+", type=Path, help=RESULTS_HELP)
    add(gr, "json")

    rp = sub.add_parser(
        "reproduce",
        help="run a paper's table (named, versioned suite) and print paper | ours | Δ per cell",
        description=(
            "Reproduction suites (contributed by installed plugins, e.g. the NB201 space's) run ordinary "
            "correlation runs (store reuse, results files) and read each cell of the paper's table off them. "
            "--list shows the suites with what they would compute and an estimate of the time on this machine. "
            "--n N keeps the first N architectures of each run's sample for a quick look. Data files default to "
            "$NASH_SHARED_DIR or ../shared of the current folder."
        ),
    )
    rp.add_argument("suite", nargs="?", help="suite name (see --list)")
    rp.add_argument("--list", action="store_true", help="list the suites with a cost estimate")
    add(rp, "n", "proxies")
    rp.add_argument(
        "--shared", type=Path, help="folder holding data/ (default $NASH_SHARED_DIR or ../shared)"
    )
    rp.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="KEY=PATH",
        help="a data file the reproduction reads, by its key (repeatable; e.g. the NB201 ones: truth, "
        "c10, c100, in16, nats); default: the reproduction's file under --shared",
    )
    add(rp, "bootstrap", "ceiling", "no_ceiling", *EXECUTION, "store", "out_dir", "json", "quiet")

    rep = sub.add_parser(
        "report",
        help="write a self-contained HTML page: leaderboards and plots of results files",
        description=(
            "One static HTML file (no network: styles, script and SVG plots inline) from the results under "
            "DIR or FILES (searched recursively): the sortable leaderboard tables, proxy score vs accuracy per "
            "proxy, the score–score Spearman heatmap, sweep line plots and search trajectories. A section "
            "whose data is missing says what would fill it."
        ),
    )
    rep.add_argument("results", nargs="+", type=Path, help=RESULTS_HELP)
    add(rep, "out_file")
    rep.add_argument("--title", default="nas-harness report", help="page title")
    rep.add_argument(
        "--figures",
        type=Path,
        metavar="DIR",
        help="also write every plot as a figure file into DIR, e.g. --figures figs",
    )
    rep.add_argument(
        "--figure-format",
        default="png,pdf",
        metavar="FMT[,FMT]",
        help="formats of --figures, comma-separated (default png,pdf; any matplotlib format, e.g. svg)",
    )

    sc = sub.add_parser("schema", help="print the JSON schema of the results format")
    add(sc, "out_file")
    add_workflow_commands(sub)  # new-proxy, validate, submit, check
    attach_examples(sub)
    return parser


def _add_run_options(r: argparse.ArgumentParser) -> None:
    """The options of a correlation run (``nash run``, ``nash sweep``, ``nash few-shot``)."""
    r.add_argument("config", nargs="?", type=Path, help="run config file (.yaml, .toml, .json)")
    add(r, "suite", "proxies", "proxy_opt", "space", "dataset", "oracle", "oracle_opt", "n")
    add(r, "sample", "sample_seed", "archs", *INPUT, "init", "init_seed", *EXECUTION)
    add(r, "bootstrap", "ceiling", "no_ceiling", "reference")
    add(r, "store", "out_dir", "abs", "quiet")


# --------------------------------------------------------------------------- commands


def cmd_plugins(args: argparse.Namespace) -> int:
    from .host import PluginHost
    from .suites import catalog

    host = PluginHost.discover()
    infos = [p for p in host.all() if args.kind in (None, p.kind)]
    suites = catalog(host)
    contributed = [
        {
            "kind": kind,
            "name": name,
            "id": getattr(record, "id", name),
            "summary": getattr(record, "summary", getattr(record, "title", "")),
            "plugin": suites.origin[(origin, name)],
        }
        for kind, origin, records in (
            ("preset", "suite", suites.presets),
            ("versioned suite", "suite", suites.versioned),
            ("reproduction", "reproduction", suites.reproductions),
        )
        for name, record in records.items()
    ]
    if args.json:
        print(
            json.dumps(
                {"plugins": [p.as_dict() for p in infos], "suites": contributed, "warnings": host.warnings},
                indent=2,
            )
        )
        return 0
    _print_warnings(host.warnings)
    from nas_harness.leaderboard.fit import Col, dropped_note, fitted_table

    console = Console()
    kinds = list(dict.fromkeys(["proxy", "space", "strategy", *(p.kind for p in infos)]))
    for kind in kinds:  # one table per kind: each has its own columns
        of_kind = [p for p in infos if p.kind == kind]
        if not of_kind:
            continue
        cols = [Col("name", [p.name for p in of_kind]), Col("version", [p.version for p in of_kind], 3)]
        if kind == "proxy":
            cols.append(
                Col(
                    "better",
                    [
                        "" if p.higher_is_better is None else ("higher" if p.higher_is_better else "lower")
                        for p in of_kind
                    ],
                    2,
                )
            )
            cols.append(Col("needs", [", ".join(p.needs) for p in of_kind], 4, wrap=True, min_width=12))
        cols += [
            Col("summary", [getattr(p.cls, "summary", "") for p in of_kind], 1, wrap=True, min_width=30),
            Col("distribution", [f"{p.distribution} {p.dist_version}".strip() for p in of_kind], 5),
        ]
        table, dropped = fitted_table(
            console, cols, wide=args.wide, title=f"{kind} plugins ({len(of_kind)})", caption_justify="left"
        )
        table.caption = dropped_note(dropped) or None
        console.print(table)
    if args.kind is None and contributed:
        cols = [
            Col("name", [c["name"] for c in contributed]),
            Col("kind", [c["kind"] for c in contributed], 1),
            Col("id", [c["id"] if c["id"] != c["name"] else "" for c in contributed], 3, wrap=True),
            Col("plugin", [c["plugin"] for c in contributed], 2, wrap=True),
        ]
        table, dropped = fitted_table(
            console,
            cols,
            wide=args.wide,
            caption_justify="left",
            title="suites contributed by plugins (nash run --suite NAME, nash reproduce NAME)",
        )
        table.caption = dropped_note(dropped) or None
        console.print(table)
    return 0


def _print_warnings(warnings: list[str]) -> None:
    for w in warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)


def flags_to_config(args: argparse.Namespace) -> dict[str, Any]:
    """The part of a run config given by command-line flags."""
    cfg: dict[str, Any] = {}
    if args.proxies:
        cfg["proxies"] = [{"name": n.strip()} for n in args.proxies.split(",") if n.strip()]
    if args.proxy_opt:
        opts: dict[str, dict[str, Any]] = {}
        for item in args.proxy_opt:
            name, dot, rest = item.partition(".")
            if not dot:
                raise HarnessError(f"--proxy-opt {item!r}: expected PROXY.KEY=VALUE")
            opts.setdefault(name, {}).update(_kv([rest], "--proxy-opt"))
        cfg["_proxy_opts"] = opts
    for flag, key in (
        ("space", "space"),
        ("dataset", "dataset"),
        ("init", "init"),
        ("seed", "seed"),
        ("device", "device"),
        ("threads", "threads"),
        ("bootstrap", "bootstrap"),
        ("executor", "executor"),
        ("workers", "workers"),
        ("scheduler", "scheduler"),
        ("time_limit_s", "time_limit_s"),
        ("memory_limit_mb", "memory_limit_mb"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            cfg[key] = value
    if getattr(args, "ceiling", None):
        cfg["ceiling"] = args.ceiling
    if getattr(args, "reference", None):
        cfg["references"] = [_oracle_ref(item, "--reference") for item in args.reference]
    if args.oracle or args.oracle_opt:
        cfg["oracle"] = {}
        if args.oracle:
            cfg["oracle"]["name"] = args.oracle
        if args.oracle_opt:
            cfg["oracle"]["config"] = _kv(args.oracle_opt, "--oracle-opt")
    sample = {
        k: v for k, v in (("n", args.n), ("mode", args.sample), ("seed", args.sample_seed)) if v is not None
    }
    if args.archs:
        sample["archs"] = _archs_arg(args.archs)
        sample.setdefault("mode", "list")
    if sample:
        cfg["sample"] = sample
    inp = {
        k: v
        for k, v in (
            ("path", str(args.data) if args.data else None),
            ("kind", args.input_kind),
            ("batch_size", args.batch_size),
            ("seed", args.data_seed),
            ("resize", args.input_resize),
            ("labels", args.input_labels),
        )
        if v is not None
    }
    if inp:
        cfg["input"] = inp
    return cfg


def _other_oracle(given: Any, flag: dict[str, Any] | None) -> bool:
    """True when ``--oracle`` names an oracle other than the one the config file configures."""
    if not flag or "name" not in flag or given is None:
        return False
    return (given if isinstance(given, str) else given.get("name")) != flag["name"]


def _oracle_ref(item: str, flag: str) -> dict[str, Any]:
    """NAME[:KEY=VALUE,...] → {name, config}."""
    name, _, opts = item.partition(":")
    return {"name": name.strip(), "config": _kv([o for o in opts.split(",") if o], flag)}


def _archs_arg(text: str) -> list[str | int]:
    path = Path(text)
    if path.is_file():
        return [
            line.strip()
            for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
    out: list[str | int] = []
    for item in text.split(","):
        item = item.strip()
        out.append(int(item) if item.lstrip("-").isdigit() else item)
    return out


def assemble_config(args: argparse.Namespace) -> tuple[dict[str, Any], Path | None]:
    from .config import merge, read_config_file

    data: dict[str, Any] = {}
    if args.suite:
        data = merge(data, run_preset(args.suite).definition())
    if args.config:
        file_data, _ = read_config_file(args.config)
        data = merge(data, file_data)
    flags = flags_to_config(args)
    proxy_opts = flags.pop("_proxy_opts", {})
    if _other_oracle(data.get("oracle"), flags.get("oracle")):
        data.pop("oracle")  # the file's options belong to the oracle it named, not to --oracle's
    data = merge(data, flags)
    if proxy_opts:
        refs = [{"name": p} if isinstance(p, str) else dict(p) for p in data.get("proxies", [])]
        names = [r.get("name") for r in refs]
        for name, opts in proxy_opts.items():
            if name not in names:
                raise HarnessError(
                    f"--proxy-opt {name}.…: proxy {name!r} is not in the run's proxies {names}"
                )
            ref = refs[names.index(name)]
            ref["config"] = merge(ref.get("config", {}), opts)
        data["proxies"] = refs
    if not data.get("proxies"):
        raise HarnessError("no proxies: give --proxies, a config file with 'proxies', or --suite")
    return data, args.config


# run flags a versioned suite pins (argparse dest → what it would change)
_PINNED_FLAGS = {
    "config": "a config file",
    "space": "--space",
    "dataset": "--dataset",
    "oracle": "--oracle",
    "oracle_opt": "--oracle-opt",
    "n": "--n",
    "sample": "--sample",
    "sample_seed": "--sample-seed",
    "archs": "--archs",
    "input_kind": "--input-kind",
    "input_resize": "--input-resize",
    "input_labels": "--input-labels",
    "batch_size": "--batch-size",
    "data_seed": "--data-seed",
    "init": "--init",
    "seed": "--init-seed",
    "bootstrap": "--bootstrap",
    "ceiling": "--ceiling",
    "reference": "--reference",
}


def run_preset(name: str):
    """The ``RunPreset`` an installed plugin contributes under ``name`` (HarnessError otherwise)."""
    from .host import PluginHost
    from .suites import catalog

    cat = catalog(PluginHost.discover())
    if name in cat.versioned:
        raise HarnessError(
            f"--suite {name}: a versioned suite runs with `nash run --suite {name}` "
            "(it already sweeps its datasets); sweep a preset or a config file"
        )
    if name not in cat.presets:
        raise cat.unknown_suite(name)
    return cat.presets[name]


def versioned_suite(name: str | None):
    """The ``VersionedSuite`` named ``name``, or None when no installed plugin contributes one."""
    if not name:
        return None
    from .host import PluginHost
    from .suites import catalog

    return catalog(PluginHost.discover()).versioned.get(name)


def cmd_run_suite(args: argparse.Namespace, suite) -> int:
    """``nash run --suite standard``: every protocol of a versioned suite, then its leaderboard."""
    from nas_harness.leaderboard.standard_render import group_suite_rows, render_suites, suite_rows

    from .analysis import suite_marks
    from .runner import exit_code, write_run
    from .standard import run_suite, write_suite

    given = [
        flag for dest, flag in _PINNED_FLAGS.items() if getattr(args, dest, None) not in (None, [], False)
    ]
    if given:
        raise HarnessError(
            f"{', '.join(given)}: the {suite.name} suite ({suite.id}) pins space, datasets, oracle, sample, input, "
            "init, seeds and statistics, so its numbers are comparable; only --proxies, --proxy-opt, --data, "
            "--store, --out, --quiet and where the work runs (--threads, --device, --executor, --workers, ...) apply. "
            "For a custom run use --suite quick or a config file."
        )
    proxies: list[Any] = list(suite.default_proxies)
    if args.proxies:
        proxies = [p.strip() for p in args.proxies.split(",") if p.strip()]
    if args.proxy_opt:
        proxies = _apply_opts(
            proxies, _dotted_opts(args.proxy_opt, "--proxy-opt", "PROXY"), "--proxy-opt", "proxy"
        )
    out: Path = args.out or RESULTS_DIR
    from .api.suites import CrossSpaceSuite

    if isinstance(suite, CrossSpaceSuite):
        return _run_cross(args, suite, proxies)

    def on_run(dataset: str, outcome) -> str:
        results_path, _ = write_run(outcome, out)
        return results_path.name

    execution = execution_of(args)
    from .executors.limits import sandbox_required

    with sandbox_required(f"the {suite.name} suite", execution.get("executor")):
        outcome = run_suite(
            suite,
            proxies,
            data=args.data,
            execution=execution,
            store_path=args.store,
            show_progress=not args.quiet,
            notify=lambda msg: err_console.print(msg, highlight=False),
            on_run=on_run,
        )
    paths = write_suite(outcome, out)
    console = Console()
    shown = [(paths["suite"].name, outcome.result)]
    render_suites(shown, console, row_marks=suite_marks(group_suite_rows(suite_rows(shown))))
    computed = sum(o.computed for o in outcome.runs)
    reused = sum(o.reused for o in outcome.runs)
    console.print(
        f"suite result: {paths['suite']}  (runs, sweep and search files beside it; "
        f"{computed} scores computed, {reused} from the store; {outcome.result.duration_s:.0f} s)"
    )
    return max(exit_code(o.run) for o in outcome.runs)


def _run_cross(args: argparse.Namespace, suite, proxies: list[Any]) -> int:
    """``nash run --suite standard@2``: a correlation run per benchmark task, then the leaderboard."""
    from nas_harness.leaderboard.standard_render import group_suite_rows, render_suites, suite_rows

    from .analysis import suite_marks
    from .cross_suite import run_cross_suite, write_cross_suite
    from .executors.limits import sandbox_required
    from .runner import exit_code, write_run

    if args.data is not None:
        raise HarnessError(
            f"--data: the {suite.name}@{suite.version} suite pins its images in the shared data folder "
            "(data/images/ under $NASH_SHARED_DIR, else ../shared); point NASH_SHARED_DIR there instead"
        )
    out: Path = args.out or RESULTS_DIR

    def on_run(column: str, outcome) -> None:
        write_run(outcome, out)

    execution = {
        k: getattr(args, k, None)
        for k in ("device", "threads", "executor", "workers", "scheduler", "time_limit_s", "memory_limit_mb")
    }
    with sandbox_required(f"the {suite.name}@{suite.version} suite", execution.get("executor")):
        outcome = run_cross_suite(
            suite,
            proxies,
            execution=execution,
            store_path=args.store,
            show_progress=not args.quiet,
            notify=lambda msg: err_console.print(msg, highlight=False),
            on_run=on_run,
        )
    path = write_cross_suite(outcome, out)
    console = Console()
    shown = [(path.name, outcome.result)]
    render_suites(shown, console, row_marks=suite_marks(group_suite_rows(suite_rows(shown))))
    computed = sum(o.computed for o in outcome.runs)
    reused = sum(o.reused for o in outcome.runs)
    console.print(
        f"suite result: {path}  (one correlation results file per benchmark task beside it; "
        f"{computed} scores computed, {reused} from the store; {outcome.result.duration_s:.0f} s)"
    )
    return max(exit_code(o.run) for o in outcome.runs)


def cmd_run(args: argparse.Namespace) -> int:
    from .runner import execute_run

    suite = versioned_suite(args.suite)
    if suite is not None:
        return cmd_run_suite(args, suite)
    data, source = assemble_config(args)
    return execute_run(
        data,
        source=source,
        store_path=args.store,
        out_dir=args.out or RESULTS_DIR,
        show_progress=not args.quiet,
        use_abs=args.abs,
    )


def cmd_few_shot(args: argparse.Namespace) -> int:
    from .fewshot_runner import execute_few_shot, few_shot_data

    if versioned_suite(args.suite) is not None:
        raise HarnessError(
            f"--suite {args.suite}: a versioned suite is not a few-shot run; use a preset or a config file"
        )
    data, source = assemble_config(args)
    over: dict[str, Any] = {}
    if args.fs_ks:
        over["ks"] = [_int_arg(v, "--k") for v in args.fs_ks.split(",") if v.strip()]
    if args.fs_seeds:
        over["seeds"] = [_int_arg(v, "--seeds") for v in args.fs_seeds.split(",") if v.strip()]
    if args.fs_features:
        over["features"] = [v.strip() for v in args.fs_features.split(",") if v.strip()]
    if args.fs_baselines:
        over["baselines"] = (
            []
            if args.fs_baselines.strip() == "none"
            else [v.strip() for v in args.fs_baselines.split(",") if v.strip()]
        )
    if args.fs_no_encoding:
        over["encoding"] = False
    calibration = {
        k: v
        for k, v in (("space", args.fs_space), ("dataset", args.fs_dataset), ("oracle", args.fs_oracle))
        if v
    }
    if calibration:
        over["calibration"] = calibration
    return execute_few_shot(
        few_shot_data(data, over), source=source, store_path=args.store, out_dir=args.out or RESULTS_DIR
    )


def _int_arg(text: str, flag: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise HarnessError(f"{flag}: {text.strip()!r} is not an integer") from None


def search_flags_to_config(args: argparse.Namespace) -> dict[str, Any]:
    """The part of a search config given by flags; input, oracle and proxy flags as for `nash run`."""
    cfg = flags_to_config(args)  # --init-seed lands in "seed" there: the model seed of a run
    if "seed" in cfg:
        cfg["init_seed"] = cfg.pop("seed")
    if "dataset" in cfg:
        cfg["datasets"] = cfg.pop("dataset")
    if args.strategy:
        cfg["strategies"] = [{"name": n.strip()} for n in args.strategy.split(",") if n.strip()]
    if args.strategy_opt:
        cfg["_strategy_opts"] = _dotted_opts(args.strategy_opt, "--strategy-opt", "STRATEGY")
    calibration = {k: v for k, v in (("k", args.calib_k), ("seed", args.calib_seed)) if v is not None}
    if calibration:
        cfg["calibration"] = calibration
    for flag, key in (
        ("objective", "objective"),
        ("budget", "budget"),
        ("repeats", "repeats"),
        ("search_seed", "seed"),
    ):
        if getattr(args, flag) is not None:
            cfg[key] = getattr(args, flag)
    if args.objective_oracle or args.objective_oracle_opt:
        cfg["objective_oracle"] = {}
        if args.objective_oracle:
            cfg["objective_oracle"]["name"] = args.objective_oracle
        if args.objective_oracle_opt:
            cfg["objective_oracle"]["config"] = _kv(args.objective_oracle_opt, "--objective-oracle-opt")
    if args.also_oracle:
        refs = []
        for item in args.also_oracle:
            name, _, opts = item.partition(":")
            refs.append(
                {"name": name.strip(), "config": _kv([o for o in opts.split(",") if o], "--also-oracle")}
            )
        cfg["also_oracles"] = refs
    return cfg


def _dotted_opts(items: list[str], flag: str, what: str) -> dict[str, dict[str, Any]]:
    opts: dict[str, dict[str, Any]] = {}
    for item in items:
        name, dot, rest = item.partition(".")
        if not dot:
            raise HarnessError(f"{flag} {item!r}: expected {what}.KEY=VALUE")
        opts.setdefault(name, {}).update(_kv([rest], flag))
    return opts


def _apply_opts(
    refs: list[Any], opts: dict[str, dict[str, Any]], flag: str, kind: str
) -> list[dict[str, Any]]:
    from .config import merge

    refs = [{"name": r} if isinstance(r, str) else dict(r) for r in refs]
    names = [r.get("name") for r in refs]
    for name, values in opts.items():
        if name not in names:
            raise HarnessError(f"{flag} {name}.…: {kind} {name!r} is not among {names}")
        ref = refs[names.index(name)]
        ref["config"] = merge(ref.get("config", {}), values)
    return refs


def cmd_search(args: argparse.Namespace) -> int:
    from .config import merge, read_config_file
    from .search_runner import execute_search

    data: dict[str, Any] = {}
    if args.config:
        data, _ = read_config_file(args.config)
    flags = search_flags_to_config(args)
    proxy_opts, strategy_opts = flags.pop("_proxy_opts", {}), flags.pop("_strategy_opts", {})
    data = merge(data, flags)
    if isinstance(data.get("proxies"), str):
        data["proxies"] = [p.strip() for p in data["proxies"].split(",") if p.strip()]
    if isinstance(data.get("strategies"), str):
        data["strategies"] = [p.strip() for p in data["strategies"].split(",") if p.strip()]
    if proxy_opts:
        data["proxies"] = _apply_opts(data.get("proxies", []), proxy_opts, "--proxy-opt", "proxy")
    if strategy_opts:
        data["strategies"] = _apply_opts(
            data.get("strategies", []), strategy_opts, "--strategy-opt", "strategy"
        )
    if not data.get("strategies"):
        raise HarnessError(
            "no strategies: give --strategy (e.g. random,regularized_evolution,reinforce) or a config file"
        )
    return execute_search(
        data,
        source=args.config,
        store_path=args.store,
        out_dir=args.out or RESULTS_DIR / "search",
        show_progress=not args.quiet,
    )


def _csv_values(text: str) -> list[Any]:
    return [_scalar(v.strip()) for v in text.split(",") if v.strip()]


def cmd_sweep(args: argparse.Namespace) -> int:
    from nas_harness.leaderboard.sweep_render import render_sweep

    from .runner import exit_code, write_run
    from .sweeps import run_sweep, sweep_stem, validate_sweep_config

    base, source = assemble_config(args)
    linked = {}
    for item in args.link:
        path, sep, values = item.partition("=")
        if not sep:
            raise HarnessError(f"--link {item!r}: expected FIELD=V1,V2,...")
        linked[path.strip()] = _csv_values(values)
    sweep = validate_sweep_config(
        {
            "field": args.field,
            "values": _csv_values(args.values),
            "linked": linked,
            "metric": args.metric,
            "abs": args.abs,
        }
    )
    out: Path = args.out or RESULTS_DIR
    console = Console()

    def on_point(label: str, outcome) -> str:
        results_path, _ = write_run(outcome, out)
        return results_path.name

    result, outcomes = run_sweep(
        base,
        sweep,
        source=source,
        store_path=args.store,
        show_progress=not args.quiet,
        notify=lambda msg: err_console.print(msg, highlight=False),
        on_point=on_point,
    )
    from .checksum import sealed_json

    path = write_text(out / f"{sweep_stem(base, sweep)}.json", sealed_json(result), "sweep file")
    render_sweep(result, console)
    console.print(f"sweep: {path}  ({len(result.points)} runs in {out})")
    return max(exit_code(o.run) for o in outcomes)


def _one_results_file(path: Path):
    from nas_harness.leaderboard.schema import load_results

    files = _result_files([path])
    if len(files) != 1:
        raise HarnessError(f"{path}: give one results JSON file ({len(files)} found)")
    return files[0], load_results(files[0])


def cmd_scores_corr(args: argparse.Namespace) -> int:
    from nas_harness.leaderboard.analysis_render import score_corr_table

    from .analysis import score_correlations_of

    path, run = _one_results_file(args.results)
    record = score_correlations_of(path, run, with_cost=not args.no_cost)
    if args.json:
        print(record.model_dump_json(indent=2))
        return 0
    Console().print(score_corr_table(record, title=f"score–score Spearman ρ: {path.name}"))
    return 0


def cmd_cost(args: argparse.Namespace) -> int:
    from nas_harness.leaderboard.analysis_render import cost_table
    from nas_harness.leaderboard.schema import load_results

    runs = [(str(f), load_results(f)) for f in _result_files(args.results)]
    if args.json:
        print(
            json.dumps(
                {
                    src: {r.proxy: r.cost.model_dump(mode="json") if r.cost else None for r in run.results}
                    for src, run in runs
                },
                indent=2,
            )
        )
        return 0
    console = Console()
    for src, run in runs:
        console.print(cost_table(run, title=f"cost: {Path(src).name}"))
    return 0


def cmd_groups(args: argparse.Namespace) -> int:
    from nas_harness.leaderboard.analysis_render import groups_table
    from nas_harness.leaderboard.schema import load_results

    runs = [(str(f), load_results(f)) for f in _result_files(args.results)]
    if args.json:
        print(
            json.dumps(
                {
                    src: {
                        r.proxy: r.score_groups.model_dump(mode="json") if r.score_groups else None
                        for r in run.results
                    }
                    for src, run in runs
                },
                indent=2,
            )
        )
        return 0
    console = Console()
    for src, run in runs:
        console.print(groups_table(run, title=f"equal-score groups: {Path(src).name}"))
    return 0


def _repro_options(args: argparse.Namespace):
    from .reproduce import ReproOptions

    opts: dict[str, Any] = {}
    for key in ("n", "shared", "bootstrap"):
        value = getattr(args, key)
        if value is not None:
            opts[key] = value
    opts.update(execution_of(args))
    if args.ceiling not in (None, "auto", "off"):
        raise HarnessError(
            f"--ceiling {args.ceiling}: a reproduction's ceiling row comes from its own oracle; give auto or off"
        )
    if args.ceiling == "off":
        opts["ceiling"] = False
    files = {}
    for item in args.file:
        key, sep, path = item.partition("=")
        if not sep or not key.strip() or not path.strip():
            raise HarnessError(f"--file {item!r}: expected KEY=PATH, e.g. --file c10=images.npz")
        files[key.strip()] = Path(path.strip())
    if files:
        opts["files"] = files
    if args.proxies:
        opts["proxies"] = [p.strip() for p in args.proxies.split(",") if p.strip()]
    try:
        return ReproOptions(**opts)
    except ValueError as exc:
        raise HarnessError(f"reproduce options: {exc}") from None


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def cmd_reproduce(args: argparse.Namespace) -> int:
    from nas_harness.leaderboard.repro_render import render_repro

    from .host import PluginHost
    from .repro_estimate import estimate
    from .reproduce import result_stem, run_suite
    from .runner import write_run
    from .suites import catalog

    options = _repro_options(args)
    host = PluginHost.discover()
    suites = catalog(host)
    for warning in host.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    console = Console()
    if args.list or not args.suite:
        table = Table(
            title="reproduction suites",
            caption=(
                "estimate: start-up + each run's preparation (timed while listing) + worker start + "
                "per-arch dispatch + the scores the store lacks × this store's recorded CPU time per arch "
                "(rough defaults where never timed) ÷ workers + the bootstrap"
                f"{'' if options.n is None else f'; first {options.n} archs per run'}"
            ),
            caption_justify="left",
        )
        for col in ("suite", "paper table", "what", "runs", "to compute", "estimate"):
            table.add_column(col, justify="right" if col in ("runs", "to compute", "estimate") else "left")
        for name, suite in suites.reproductions.items():
            with err_console.status(f"estimating {name}: scores already in the store, time per arch…"):
                est = estimate(suite, options, store_path=args.store, host=host)
            if est.problem:
                table.add_row(
                    f"{name} v{suite.version}",
                    suite.table.table,
                    suite.summary,
                    "—",
                    "—",
                    Text(est.problem[:60], style="red"),
                )
                continue
            table.add_row(
                f"{name} v{suite.version}",
                suite.table.table,
                suite.summary,
                str(est.runs),
                f"{est.scores_pending:,} / {est.scores_total:,}",
                _duration(est.seconds),
            )
        console.print(table)
        return 0
    suite = suites.reproduction(args.suite)
    out: Path = args.out or RESULTS_DIR

    def on_run(plan, outcome) -> str:
        results_path, _ = write_run(outcome, out)
        return results_path.name

    result = run_suite(
        suite,
        options,
        store_path=args.store,
        host=host,
        show_progress=not args.quiet,
        notify=lambda msg: err_console.print(msg, highlight=False),
        on_run=on_run,
    )
    path = write_text(
        out / f"{result_stem(suite, options)}.json", result.model_dump_json(indent=2) + "\n", "results file"
    )
    if args.json:
        print(result.model_dump_json(indent=2))
        return 0
    render_repro(result, console)
    console.print(f"reproduction: {path}")
    return 0


def _result_files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():  # run results only: sweeps, reproductions and searches write other JSON
            files.extend(sorted(f for f in p.glob("correlation-*.json")))
        else:
            files.append(p)
    if not files:
        raise HarnessError(f"no results JSON files in {', '.join(map(str, paths))}")
    return files


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from nas_harness.leaderboard.render import group_rows, ranked, render
    from nas_harness.leaderboard.standard_render import (
        differences,
        group_suite_rows,
        ranked_suite,
        render_suites,
        suite_rows,
    )

    from .analysis import leaderboard_marks, suite_marks
    from .collection import Collection, collect

    if not args.results and not args.with_reference:
        raise HarnessError("nash leaderboard: give results files or folders (or --with-reference alone)")
    with err_console.status("reading results files and checksums…"):
        col = (
            collect(args.results, kinds=("correlation", "standard", "submission"))
            if args.results
            else Collection()
        )
    if col.unsealed_note():
        err_console.print(f"warning: {col.unsealed_note()}", style="yellow", markup=False, highlight=False)
    col.mark_unverified()  # every row but those of submissions that passed `nash submit --verify`
    if args.with_reference:
        from .reference import references_for

        refs, notes = references_for([r for _, r in col.suites])
        for note in notes:
            err_console.print(f"note: {note}", style="yellow", markup=False, highlight=False)
        col.suites += refs
    runs = col.loose_runs()
    if args.csv:
        from nas_harness.leaderboard.tabular import leaderboard_frame

        print(leaderboard_frame(runs, col.suites, args.metric, args.abs).to_csv(index=False), end="")
        return 0
    if args.json:
        out: dict[str, Any] = {
            sig: [
                {"rank": i + 1, "source": row.source, **row.result.model_dump(mode="json")}
                for i, row in enumerate(ranked(rows, args.metric, args.abs))
            ]
            for sig, rows in group_rows(runs).items()
        }
        if col.suites:  # suite results: their own section, beside the runs'
            groups = group_suite_rows(suite_rows(col.suites))
            marks = suite_marks(groups)
            out = {
                "suites": {
                    key: [
                        {
                            "rank": i + 1,
                            "sig": marks.get(key, {}).get(r.ident, ""),
                            "source": r.source,
                            "suite": r.result.suite.id,
                            **r.row.model_dump(mode="json"),
                        }
                        for i, r in enumerate(ranked_suite(rows))
                    ]
                    for key, rows in groups.items()
                },
                "not_comparable": differences(list(groups)) if len(groups) > 1 else [],
                "runs": out,
            }
        print(json.dumps(out, indent=2))
        return 0
    console = Console()
    if col.suites:
        groups = group_suite_rows(suite_rows(col.suites))
        with err_console.status("paired bootstrap tests between suite rows…"):
            suite_sig = suite_marks(groups)
        render_suites(col.suites, console, row_marks=suite_sig, wide=args.wide)
    if runs:
        with err_console.status("paired bootstrap tests between rows…"):
            run_sig = leaderboard_marks(runs, metric=args.metric, use_abs=args.abs, carried=col.scores)
        render(runs, console, metric=args.metric, use_abs=args.abs, row_marks=run_sig, wide=args.wide)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from nas_harness.leaderboard.report import build_report

    from .collection import collect
    from .report_data import report_inputs

    col = collect(args.results, recursive=True)
    inputs = report_inputs(col)
    html = build_report(inputs, title=args.title)
    out = args.out or Path("report.html")
    write_text(out, html, "report")
    if args.figures:
        written = _write_figures(
            inputs, args.figures, [f.strip() for f in args.figure_format.split(",") if f.strip()]
        )
        Console().print(f"figures: {len(written)} files in {args.figures}", highlight=False)
    Console().print(
        f"report: {out} ({len(html) / 1024:.0f} KiB; {len(col.suites)} suite results, "
        f"{len(col.runs)} runs, {len(col.sweeps)} sweeps, {len(col.searches)} searches)"
    )
    return 0


def _write_figures(inputs, folder: Path, formats: list[str]) -> list[Path]:
    from nas_harness.leaderboard.plots import figure_stem, save_figure

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HarnessError(f"--figures {folder}: cannot create the folder ({exc.strerror})") from None
    written: list[Path] = []
    for section in ("scatters", "heatmaps", "sweeps", "searches"):
        for k, g in enumerate(getattr(inputs, section)):
            for i, plot in enumerate(g.plots):
                try:
                    written += save_figure(plot, folder / figure_stem(section, k, i, plot), formats)
                except ValueError as exc:  # matplotlib: unknown format
                    raise HarnessError(f"--figure-format {','.join(formats)}: {exc}") from None
    return written


def cmd_schema(args: argparse.Namespace) -> int:
    from nas_harness.leaderboard.schema import json_schema

    text = json.dumps(json_schema(), indent=2)
    if args.out:
        write_text(args.out, text + "\n", "schema file")
    else:
        print(text)
    return 0


COMMANDS = {
    "plugins": cmd_plugins,
    "run": cmd_run,
    "few-shot": cmd_few_shot,
    "search": cmd_search,
    "leaderboard": cmd_leaderboard,
    "schema": cmd_schema,
}
COMMANDS.update(
    {
        "sweep": cmd_sweep,
        "scores-corr": cmd_scores_corr,
        "cost": cmd_cost,
        "groups": cmd_groups,
        "reproduce": cmd_reproduce,
        "report": cmd_report,
    }
)


COMMANDS.update(WORKFLOW_COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except HarnessError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        return EXIT_USAGE
    except KeyboardInterrupt:
        err_console.print("interrupted: every score computed so far is in the store; rerun to resume")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
