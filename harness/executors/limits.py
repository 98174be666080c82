"""What bounds one worker: torch threads, wall time per work unit, memory."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    time_limit_s: float | None = None  # per work unit; a single-job retry gets the same again
    memory_limit_mb: int | None = None  # resident memory a worker may grow to (RLIMIT_AS, Linux)
    threads: int | None = None  # torch, BLAS and OpenMP threads in each worker (threads.pin_threads)
    sandbox: bool = (
        False  # workers restrict their own reads with Landlock before loading the run (sandbox.py)
    )
    sandbox_note: str = "off"  # what the results say about it (``sandbox_wanted``)


SANDBOX_ENV = "NASH_SANDBOX"  # unset/"auto": where available; "1": required (refused where not); "0": off


def sandbox_mode() -> str:
    """ "auto" (the default: workers are sandboxed where the platform can), "required" or "off"."""
    value = os.environ.get(SANDBOX_ENV, "").strip().lower()
    if value in ("", "auto"):
        return "auto"
    return "off" if value in ("0", "off", "no", "false") else "required"


def sandbox_requested() -> bool:
    """The sandbox is required ($NASH_SANDBOX=1): runs refuse to start without it."""
    return sandbox_mode() == "required"


def sandbox_wanted() -> tuple[bool, str]:
    """(use it, why): whether local/dask workers apply the sandbox under the current mode."""
    mode = sandbox_mode()
    if mode == "off":
        return False, f"off (${SANDBOX_ENV}=0)"
    from ..sandbox import available

    ok, why = available()
    return ok, (f"on: {why}" if ok else f"off: unavailable here ({why})")


@contextlib.contextmanager
def sandbox_required(what: str, executor: str | None = None) -> Iterator[str]:
    """For the duration, every executor must sandbox its workers ($NASH_SANDBOX=1): standard-suite
    runs, ``nash submit`` and verification's re-scoring. Refused (HarnessError, exit 2) with why and
    how where the platform cannot, where $NASH_SANDBOX=0 turns it off, or with the inline executor.
    Yields the note the results record."""
    from ..api import HarnessError

    if executor == "inline":
        raise HarnessError(
            f"{what} requires the scoring sandbox, and --executor inline scores in the driver "
            "(unsandboxed): use --executor local (the default) or dask"
        )
    if sandbox_mode() == "off":
        raise HarnessError(
            f"{what} requires the scoring sandbox, which ${SANDBOX_ENV}=0 turns off: unset "
            f"{SANDBOX_ENV} (or set it to 1)"
        )
    from ..sandbox import available

    ok, why = available()
    if not ok:
        raise HarnessError(
            f"{what} requires the scoring sandbox, which this platform cannot provide: {why}. "
            "Run it on Linux >= 5.13 with Landlock enabled (e.g. a current Ubuntu, Debian or "
            "Fedora kernel); an ordinary `nash run` works here without it"
        )
    before = os.environ.get(SANDBOX_ENV)
    os.environ[SANDBOX_ENV] = "1"
    try:
        yield f"on: {why}"
    finally:
        if before is None:
            os.environ.pop(SANDBOX_ENV, None)
        else:
            os.environ[SANDBOX_ENV] = before


def default_workers() -> int:
    """One worker per core the process may use (measured best on 2 cores: see the README)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)
