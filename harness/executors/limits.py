"""What bounds one worker: torch threads, wall time per work unit, memory."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    time_limit_s: float | None = None  # per work unit; a single-job retry gets the same again
    memory_limit_mb: int | None = None  # resident memory a worker may grow to (RLIMIT_AS, Linux)
    threads: int | None = None  # torch, BLAS and OpenMP threads in each worker (threads.pin_threads)
    sandbox: bool = False  # workers restrict their own reads with Landlock before loading the run (sandbox.py)


SANDBOX_ENV = "NASH_SANDBOX"  # "1": local and dask workers apply the sandbox (refused where unavailable)


def sandbox_requested() -> bool:
    return os.environ.get(SANDBOX_ENV, "") not in ("", "0")


def default_workers() -> int:
    """One worker per core the process may use (measured best on 2 cores: see the README)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)
