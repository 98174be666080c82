"""Choosing an executor by name: the one place that knows every kind (so the kinds, which
build on ``base``, are not imported by it)."""

from __future__ import annotations

from .base import Executor, ExecutorKind


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
        from .inline import InlineExecutor

        return InlineExecutor(threads=threads)
    workers = workers or default_workers()
    if threads is None and kind == "local":  # the cores shared among the workers
        threads = max(1, default_workers() // workers)
    limits = Limits(time_limit_s=time_limit_s, memory_limit_mb=memory_limit_mb, threads=threads or 1)
    if kind == "local":
        from .local import LocalExecutor

        return LocalExecutor(workers=workers, limits=limits)
    if kind == "dask":
        from .dask_cluster import DaskExecutor

        return DaskExecutor(scheduler=scheduler, workers=workers, limits=limits)
    raise ValueError(f"unknown executor {kind!r}")
