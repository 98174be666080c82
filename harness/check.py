"""``nash check``'s inputs: correlation runs read from files, or computed by running a suite.

The verdicts themselves are data in, data out (``nas_harness.leaderboard.check``); this module
does the reading (results files, suite results, verified submissions) and the running.
Runs made for a check score into a fresh temporary store unless told otherwise, so a code
change that kept its proxy's version number is still measured, not read back from a cache.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from nas_harness.leaderboard.schema import RunResult

from .api import HarnessError


def load_runs(
    paths: Iterable[Path], notify: Callable[[str], None] | None = None
) -> list[tuple[str, RunResult]]:
    """Correlation runs from results files, suite results (each dataset's run) and verified
    submissions, or folders of them (``collection.collect``). An edited file is a HarnessError;
    ``notify`` hears about files that carry no checksum."""
    from .collection import collect

    col = collect([Path(p) for p in paths], kinds=("correlation", "standard", "submission"))
    if notify is not None and col.unsealed_note():
        notify(f"warning: {col.unsealed_note()}")
    return [*col.runs, *((src, run) for src, suite in col.suites for run in suite.runs)]


def run_for_check(
    *,
    suite: str | None = None,
    config: Path | None = None,
    proxies: list[str] | None = None,
    store_path: Path | None = None,
    out_dir: Path | None = None,
    data: Path | None = None,
    execution: dict[str, Any] | None = None,
    show_progress: bool = False,
    notify: Callable[[str], None] | None = None,
) -> tuple[list[tuple[str, RunResult]], list[Path]]:
    """Run suite ``suite`` (or the run config file ``config``) and return its correlation runs
    labelled by the files written to ``out_dir`` (when given)."""
    if (suite is None) == (config is None):
        raise HarnessError("nash check: give --suite NAME or --config FILE to run, not both")
    with tempfile.TemporaryDirectory(prefix="nash-check-") as tmp:
        store = store_path or Path(tmp) / "scores.sqlite"
        if suite is not None:
            from .suite_run import run_named_suite

            done = run_named_suite(
                suite,
                proxies or None,
                store_path=store,
                data=data,
                execution=execution,
                show_progress=show_progress,
                notify=notify,
            )
            outcomes, written = done.outcomes, done.write(out_dir) if out_dir is not None else []
        else:
            from .config import merge, read_config_file
            from .runner import compute_run, write_run
            from .suite_run import run_overrides

            file_data, _ = read_config_file(config)
            outcome = compute_run(
                merge(file_data, run_overrides(proxies, execution, data)),
                source=config,
                store_path=store,
                show_progress=show_progress,
                notify=notify,
            )
            outcomes, written = [outcome], [write_run(outcome, out_dir)[0]] if out_dir is not None else []
    labels = [str(p) for p in written if p.name.startswith("correlation-")] or ["this run"] * len(outcomes)
    return [(label, o.run) for label, o in zip(labels, outcomes)], written
