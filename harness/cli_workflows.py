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

err_console = Console(stderr=True)


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
    va.add_argument(
        "--space",
        help="space of the sanity, determinism and time checks (default: the first "
        "claimed installed space, else the space of the installed leaderboard suite)",
    )
    va.add_argument("--dataset", help="dataset of those checks (default: the space's first)")
    va.add_argument(
        "--data",
        type=Path,
        help="input images for those checks (.npz or official folder; default auto/noise)",
    )
    va.add_argument("--batch-size", type=int, default=64, help="input batch size (default 64)")
    va.add_argument("--oracle", help="ground truth of the sanity case (default: the space's default oracle)")
    va.add_argument(
        "--oracle-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option of --oracle, e.g. path=FILE (repeatable)",
    )
    va.add_argument(
        "--proxy-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option of the proxy's config",
    )
    va.add_argument(
        "--sanity-k",
        type=int,
        default=5,
        help="best and worst architectures of the sanity case (default 5 each)",
    )
    va.add_argument(
        "--sanity-pool", type=int, default=100, help="seeded sample they are taken from (default 100)"
    )
    va.add_argument("--threads", type=int, help="torch threads")
    va.add_argument("--json", action="store_true", help="print the report as JSON")

    su = sub.add_parser(
        "submit",
        help="run a suite for one proxy and write a checksummed submission file",
        description="Runs the suite for PROXY (scores into a fresh temporary store unless --store is given) and "
        "writes one JSON file: the results with signatures, per-architecture scores, exact plugin versions, a "
        "content hash of the proxy's distribution, the environment and a sha256 checksum over it all. "
        "--verify FILE checks a submission (checksum, ρ recomputed from its scores, installed distribution).",
    )
    su.add_argument("proxy", nargs="?", help="name of an installed proxy, e.g. synflow (omit with --verify)")
    su.add_argument("--suite", default="standard", help="suite name (default standard); see nash run --help")
    su.add_argument("--out", type=Path, help="submission file (default ./submission-PROXY-SUITE.json)")
    su.add_argument(
        "--proxy-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option of the proxy's config",
    )
    su.add_argument(
        "--data", type=Path, help="input images (standard: the folder holding the official folders)"
    )
    su.add_argument(
        "--threads", type=int, help="torch threads (default: the cores divided among the workers)"
    )
    su.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default cpu)")
    su.add_argument(
        "--store", type=Path, help="reuse this score store (the submission then says fresh_scores: false)"
    )
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
    su.add_argument("--quiet", action="store_true", help="no progress bar")

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
    ch.add_argument("--suite", help="run this suite first (e.g. ci) and check its results")
    ch.add_argument("--config", type=Path, help="run this run config first and check its results")
    ch.add_argument("--proxies", help="comma-separated: run and check only these proxies")
    ch.add_argument(
        "--metric",
        choices=["spearman", "kendall", "top_retrieval"],
        default="spearman",
        help="metric compared with the baseline (default spearman)",
    )
    ch.add_argument(
        "--tolerance-floor",
        type=float,
        default=0.02,
        help="smallest drop that can fail, whatever the CI (default 0.02)",
    )
    ch.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML for CI systems")
    ch.add_argument("--json", action="store_true", help="print the report as JSON")
    ch.add_argument(
        "--out",
        type=Path,
        default=Path("nash-results/check"),
        help="where runs made by --suite/--config write their results (default nash-results/check)",
    )
    ch.add_argument(
        "--store", type=Path, help="score store for --suite/--config (default: a fresh temporary one)"
    )
    ch.add_argument("--data", type=Path, help="input images for --suite/--config")
    ch.add_argument("--threads", type=int, help="torch threads for --suite/--config runs")
    ch.add_argument("--quiet", action="store_true", help="no progress bar")


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
    from .validate import ValidateOptions, validate_proxy

    if args.threads:
        from .threads import pin_threads

        pin_threads(args.threads)
    try:
        options = ValidateOptions(
            space=args.space,
            dataset=args.dataset,
            data=args.data,
            batch_size=args.batch_size,
            budget_s=args.budget_s,
            sanity_pool=args.sanity_pool,
            sanity_k=args.sanity_k,
            oracle=args.oracle,
            oracle_config=_kv(args.oracle_opt, "--oracle-opt"),
            proxy_config=_kv(args.proxy_opt, "--proxy-opt"),
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
    from .cli_args import kv as _kv
    from .submission import build_submission, write_submission

    console = Console()
    if args.verify:
        return _verify(args, console)
    if not args.proxy:
        raise HarnessError("nash submit: give PROXY (or --verify FILE)")
    from .executors.limits import sandbox_required

    with sandbox_required("nash submit"):
        sub = build_submission(
            args.proxy,
            args.suite,
            proxy_config=_kv(args.proxy_opt, "--proxy-opt"),
            store_path=args.store,
            data=args.data,
            threads=args.threads,
            device=args.device,
            show_progress=not args.quiet,
            notify=lambda msg: err_console.print(msg, highlight=False),
        )
    path = write_submission(sub, args.out or Path(f"submission-{args.proxy}-{args.suite}.json"))
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
    failed_everywhere = all(r.n_failed == r.n for run in runs for r in run.results)
    return 1 if failed_everywhere else 0


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
            out_dir=args.out,
            data=args.data,
            threads=args.threads,
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
