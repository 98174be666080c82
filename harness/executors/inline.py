"""Score in the driver process, one unit after another: no isolation, easiest to debug."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .base import Executor


class InlineExecutor(Executor):
    """Units scored in this process. A proxy that hangs, crashes the interpreter or exhausts
    memory takes the run with it (what ``local`` is for); exceptions and NaNs are failures."""

    name = "inline"

    def __init__(self, threads: int | None = None):
        self.threads = threads

    def map_archs(self, setup, units: Sequence) -> Iterator:
        from ..scoring import score_arch

        if self.threads:
            from ..threads import pin_threads

            pin_threads(self.threads)
        for unit in units:
            yield from score_arch(setup, unit.arch, unit.jobs)
