"""The executor contract: work units in, (key, record) pairs out, as they finish.

An executor only computes. The driver (the engine) commits every pair to the store as it
streams back, so workers never touch the store and a killed run loses at most the units in
flight. Keys are computed from the scoring setup alone, never from the executor, so a run
started with one executor resumes with any other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Iterator, Literal, Sequence

from .limits import sandbox_requested

if TYPE_CHECKING:
    from ..engine import ScoringSetup, WorkUnit
    from ..store import ScoreKey, ScoreRecord

ExecutorKind = Literal["inline", "local", "dask"]


class Executor(ABC):
    """Scores work units (one architecture, every job it lacks) somewhere, streaming results."""

    name: str

    @abstractmethod
    def map_archs(
        self, setup: "ScoringSetup", units: Sequence["WorkUnit"]
    ) -> Iterator[tuple["ScoreKey", "ScoreRecord"]]:
        """Every job's (key, record) of every unit, in completion order."""

    def describe(self) -> str:
        return self.name

    def close(self) -> None:
        """Stop workers (idempotent)."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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

            raise HarnessError("$NASH_SANDBOX=1: the inline executor scores in the driver, which cannot be "
                               "sandboxed; use --executor local or dask, or unset NASH_SANDBOX")
        from .inline import InlineExecutor

        return InlineExecutor(threads=threads)
    workers = workers or default_workers()
    if threads is None and kind == "local":  # the cores shared among the workers
        threads = max(1, default_workers() // workers)
    sandbox = sandbox_requested()
    if sandbox:
        from ..api import HarnessError
        from ..sandbox import available

        ok, why = available()
        if not ok:
            raise HarnessError(f"$NASH_SANDBOX asks for the scoring sandbox, which this platform cannot provide: {why}")
    limits = Limits(time_limit_s=time_limit_s, memory_limit_mb=memory_limit_mb, threads=threads or 1, sandbox=sandbox)
    if kind == "local":
        from .local import LocalExecutor

        return LocalExecutor(workers=workers, limits=limits)
    if kind == "dask":
        from .dask_cluster import DaskExecutor

        return DaskExecutor(scheduler=scheduler, workers=workers, limits=limits)
    raise ValueError(f"unknown executor {kind!r}")
