"""Choosing an executor by name: the one place that knows every kind (so the kinds, which
build on ``base``, are not imported by it)."""

from __future__ import annotations

from .base import Executor, ExecutorKind
from .limits import sandbox_requested, sandbox_wanted


def make_executor(
    kind: ExecutorKind = "local",
    *,
    workers: int | None = None,
    threads: int | None = None,
    scheduler: str | None = None,
    time_limit_s: float | None = None,
    memory_limit_mb: int | None = None,
) -> Executor:
    """The executor a run config asks for; workers start lazily, on the first unit."""
    from .limits import Limits, default_workers

    if kind == "inline":
        if sandbox_requested():
            from ..api import HarnessError

            raise HarnessError(
                "$NASH_SANDBOX=1: the inline executor scores in the driver, which cannot be "
                "sandboxed; use --executor local or dask, or unset NASH_SANDBOX"
            )
        from .inline import InlineExecutor

        return InlineExecutor(threads=threads)
    workers = workers or default_workers()
    if threads is None and kind == "local":  # the cores shared among the workers
        threads = max(1, default_workers() // workers)
    sandbox, why = sandbox_wanted()
    if sandbox_requested() and not sandbox:
        from ..api import HarnessError

        raise HarnessError(
            f"$NASH_SANDBOX=1 asks for the scoring sandbox, which this platform cannot provide: {why}"
        )
    limits = Limits(
        time_limit_s=time_limit_s,
        memory_limit_mb=memory_limit_mb,
        threads=threads or 1,
        sandbox=sandbox,
        sandbox_note=why,
    )
    if kind == "local":
        from .local import LocalExecutor

        return LocalExecutor(workers=workers, limits=limits)
    if kind == "dask":
        from .dask_cluster import DaskExecutor

        return DaskExecutor(scheduler=scheduler, workers=workers, limits=limits)
    raise ValueError(f"unknown executor {kind!r}")
