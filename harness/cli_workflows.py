"""The proxy-author and CI commands of ``nash``: new-proxy, validate, submit, check.

``harness/cli.py`` registers them (``add_workflow_commands``) and dispatches through
``WORKFLOW_COMMANDS``; like every command, bad input raises ``HarnessError`` (exit 2).
Exit 1 means the command worked and the answer is "no": a validation check failed, a
submission's proxy failed on every architecture, a check found a regression.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path

from rich.console import Console

from .api import HarnessError
from .cli_options import EXECUTION, add, execution_of

err_console = Console(stderr=True)
DEFAULT_SUBMIT_SUITE = "standard"  # what a submission is for: the leaderboard's suite


def add_workflow_commands(sub: argparse._SubParsersAction) -> None:
    np_ = sub.add_parser(
        "new-proxy",
        help="scaffold a pip-installable proxy plugin package",
        description="Write a package for a new proxy: pyproject with the nas_harness.proxies entry point, a "
        "working example proxy with its config model, tests that run it through the harness, a README. "
        "Then: pip install -e 'DIR[test]' && pytest DIR.",
    )
    np_.add_argument("name", help="proxy name (lower-case letters, digits, underscores)")
    np_.add_argument("--dir", type=Path, help="folder to create (default ./nash-proxy-NAME)")

    va = sub.add_parser(
        "validate",
        help="conformance checks of an installed proxy (pass/warn/fail report)",
        description="Metadata; the same score twice; higher_is_better against a sanity case (the k best vs "
        "the k worst of a seeded sample by ground truth); no ground truth reachable or called while "
        "scoring; median time per architecture within --budget-s; finite scores on every dataset of every "
        "space the proxy claims. Exit 1 when a check fails.",
    )
    va.add_argument("proxy", help="name of an installed proxy, e.g. synflow")
    va.add_argument(
        "--budget-s",
        type=float,
        default=10.0,
        help="allowed median wall seconds per architecture (default 10)",
    )
    add(va, "space", "dataset", "data", "batch_size", "oracle", "oracle_opt", "proxy_opt")
    va.add_argument(
        "--sanity-k",
        type=int,
        default=5,
        help="best and worst architectures of the sanity case (default 5 each)",
    )
    va.add_argument(
        "--sanity-pool", type=int, default=100, help="seeded sample they are taken from (default 100)"
    )
    add(va, "device", "threads", "json")  # scored in this process: the time check measures the proxy alone

    su = sub.add_parser(
        "submit",
        help="run a suite for one proxy and write a checksummed submission file",
        description="Runs the suite for PROXY (scores into a fresh temporary store unless --store is given) and "
        "writes one JSON file: the results with signatures, per-architecture scores, exact plugin versions, a "
        "content hash of the proxy's distribution, the environment and a sha256 checksum over it all. "
        "--verify FILE checks a submission (checksum, ρ recomputed from its scores, installed distribution).",
    )
    su.add_argument("proxy", nargs="?", help="name of an installed proxy, e.g. synflow (omit with --verify)")
    add(su, "suite", "out_file", "proxy_opt", "data", *EXECUTION, "store")
    su.add_argument(
        "--verify",
        type=Path,
        metavar="FILE",
        help="verify a submission file instead: targets from the suite's oracle, ρ/τ/CIs recomputed, "
        "installed plugin versions and hash, a seeded sample re-scored (writes FILE.verified.json)",
    )
    su.add_argument(
        "--spot-check",
        type=int,
        default=20,
        metavar="N",
        help="--verify: architectures to re-score (default 20; 0 skips re-scoring)",
    )
    su.add_argument(
        "--spot-seed", type=int, help="--verify: seed of the re-scored sample (default: a fresh random one)"
    )
    add(su, "quiet")

    ch = sub.add_parser(
        "check",
        help="CI gate: fail when a proxy's metric fell below its baseline beyond the bootstrap tolerance",
        description="Compare RESULTS (results, suite-result or submission files, or folders) — or the runs of "
        "--suite NAME / --config FILE, computed first into a fresh temporary store — with --baseline. A row "
        "fails when its metric is below baseline − max(--tolerance-floor, baseline − lower end of the "
        "baseline's bootstrap CI), when its proxy is missing or failed everywhere, or when it ran under a "
        "different protocol. Exit 1 on a failing row.",
    )
    ch.add_argument("results", nargs="*", type=Path, help="results to check (omit with --suite/--config)")
    ch.add_argument(
        "--baseline",
        action="append",
        type=Path,
        required=True,
        metavar="FILE",
        help="baseline results, suite-result or submission file (repeatable)",
    )
    add(ch, "suite")
    ch.add_argument("--config", type=Path, help="run this run config first and check its results")
    add(ch, "proxies", "gate_metric")
    ch.add_argument(
        "--tolerance-floor",
        type=float,
        default=0.02,
        help="smallest drop that can fail, whatever the CI (default 0.02)",
    )
    ch.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML for CI systems")
    add(ch, "json", "out_dir", "store", "data", *EXECUTION, "quiet")


def cmd_new_proxy(args: argparse.Namespace) -> int:
    from .host import PluginHost
    from .scaffold import scaffold

    host = PluginHost.discover()
    taken = {p.name: p.distribution for p in host.all() if p.kind == "proxy"}
    root, files = scaffold(args.name, args.dir, taken=taken)
    console = Console()
    console.print(f"created {root}", style="bold green", markup=False, highlight=False)
    for f in files:
        console.print(f"  {f.relative_to(root)}", markup=False, highlight=False)
    console.print(
        f"next: pip install -e '{root}[test]' && nash validate {args.name} && pytest {root}",
        markup=False,
        highlight=False,
    )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from nas_harness.leaderboard.validate_render import render_validation

    from .cli_args import kv as _kv
    from .cli_args import one_proxy_opts
    from .validate import ValidateOptions, validate_proxy

    if args.threads:
        from .threads import pin_threads

        pin_threads(args.threads)
    try:
        options = ValidateOptions(
            space=args.space,
            dataset=args.dataset,
            data=args.data,
            **({} if args.batch_size is None else {"batch_size": args.batch_size}),
            **({} if args.device is None else {"device": args.device}),
            budget_s=args.budget_s,
            sanity_pool=args.sanity_pool,
            sanity_k=args.sanity_k,
            oracle=args.oracle,
            oracle_config=_kv(args.oracle_opt, "--oracle-opt"),
            proxy_config=one_proxy_opts(args.proxy_opt, args.proxy),
        )
    except ValueError as exc:
        raise HarnessError(f"nash validate: {exc}") from None
    with err_console.status(
        f"validating {args.proxy}: metadata, determinism, sanity, time, every claimed space…"
    ):
        report = validate_proxy(args.proxy, options).as_dict()
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        render_validation(report, Console())
    return 0 if report["passed"] else 1


def cmd_submit(args: argparse.Namespace) -> int:
    from .cli_args import one_proxy_opts
    from .submission import build_submission, write_submission

    console = Console()
    if args.verify:
        return _verify(args, console)
    if not args.proxy:
        raise HarnessError("nash submit: give PROXY (or --verify FILE)")
    from .executors.limits import sandbox_required

    suite = args.suite or DEFAULT_SUBMIT_SUITE
    execution = execution_of(args)
    with sandbox_required("nash submit", execution.get("executor")):
        sub = build_submission(
            args.proxy,
            suite,
            proxy_config=one_proxy_opts(args.proxy_opt, args.proxy),
            store_path=args.store,
            data=args.data,
            execution=execution,
            show_progress=not args.quiet,
            notify=lambda msg: err_console.print(msg, highlight=False),
        )
    path = write_submission(sub, args.out or Path(f"submission-{args.proxy}-{suite}.json"))
    runs = sub.run_results()
    for run in runs:
        for row in run.results:
            rho = "—" if row.spearman.value is None else f"{row.spearman.value:.3f}"
            console.print(
                f"{row.proxy} on {run.config['dataset']}: Spearman ρ {rho} (n={row.n}, failed "
                f"{row.n_failed})  {row.signature}",
                markup=False,
                highlight=False,
            )
    console.print(f"submission: {path}  ({sub.checksum})", markup=False, highlight=False)
    if sub.protocol == "standard":
        _print_reference_rank(sub.standard_result(), args.proxy, path, console)
    failed_everywhere = all(r.n_failed == r.n for run in runs for r in run.results)
    return 1 if failed_everywhere else 0


def _print_reference_rank(result, proxy: str, path: Path, console: Console) -> None:
    """Where the submission would rank on the published reference leaderboard of its suite."""
    from .reference import rank_among_reference

    place = rank_among_reference(result, proxy)
    if place is None:
        text = f"no reference leaderboard is published for {result.suite.id}"
    elif place.rank is None:
        text = f"not comparable with the reference leaderboard {place.suite_id}: {place.why_not}"
    else:
        headline = "—" if place.headline is None else f"{place.headline:.3f}"
        text = (
            f"rank {place.rank} of {place.of} on the reference leaderboard {place.suite_id} (mean ρ {headline}); "
            f"the table: nash leaderboard {path} --with-reference"
        )
    console.print(text, markup=False, highlight=False)


def _verify(args: argparse.Namespace, console: Console) -> int:
    from .verify import verify_submission, write_record

    if args.spot_check < 0:
        raise HarnessError(f"--spot-check {args.spot_check}: give 0 or more architectures")
    from .executors.limits import sandbox_required

    # the re-scoring runs the submitted proxy: in the sandbox, like the submission itself
    with (
        sandbox_required("nash submit --verify (re-scoring)") if args.spot_check else contextlib.nullcontext()
    ):
        with err_console.status(
            f"verifying {args.verify}: checksum, ρ recomputed, installed versions, re-scoring…"
        ):
            result = verify_submission(
                args.verify,
                spot_check=args.spot_check,
                spot_seed=args.spot_seed,
                data=args.data,
                threads=args.threads,
                executor=args.executor or "local",
                notify=None if args.quiet else lambda m: err_console.print(m, highlight=False),
            )
    for f in result.findings:
        console.print(
            f"{'ok  ' if f.ok else 'FAIL'} {f.check}: {f.detail}",
            style=None if f.ok else "bold red",
            markup=False,
            highlight=False,
        )
    if not result.passed:
        console.print(
            f"rejected: {args.verify} ({len(result.failures())} check(s) failed)",
            style="bold red",
            markup=False,
            highlight=False,
        )
        return 1
    record = write_record(result)
    console.print(
        f"verified: {args.verify} (record: {record})", style="bold green", markup=False, highlight=False
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from nas_harness.leaderboard.check import compare
    from nas_harness.leaderboard.check_render import render_check, write_junit

    from .check import load_runs, run_for_check

    proxies = [p.strip() for p in args.proxies.split(",") if p.strip()] if args.proxies else None
    runs_something = args.suite is not None or args.config is not None
    if runs_something and args.results:
        raise HarnessError("nash check: give RESULTS files or --suite/--config, not both")
    if not runs_something and not args.results:
        raise HarnessError(
            "nash check: give RESULTS files to check, or --suite NAME / --config FILE to run first"
        )
    warn = lambda msg: err_console.print(msg, style="yellow", markup=False, highlight=False)  # noqa: E731
    baseline = load_runs(args.baseline, notify=warn)
    if runs_something:
        current, _ = run_for_check(
            suite=args.suite,
            config=args.config,
            proxies=proxies,
            store_path=args.store,
            out_dir=args.out or Path("nash-results/check"),
            data=args.data,
            execution=execution_of(args),
            show_progress=not args.quiet,
            notify=lambda msg: err_console.print(msg, highlight=False),
        )
    else:
        current = load_runs(args.results, notify=warn)
    report = compare(
        baseline,
        current,
        metric=args.metric,
        floor=args.tolerance_floor,
        only=set(proxies) if proxies else None,
    )
    if args.junit:
        write_junit(report, args.junit)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        render_check(report, Console())
    return 0 if report.passed else 1


WORKFLOW_COMMANDS = {
    "new-proxy": cmd_new_proxy,
    "validate": cmd_validate,
    "submit": cmd_submit,
    "check": cmd_check,
}
