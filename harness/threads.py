"""The one place that pins how many threads a scoring process computes with.

torch's own pool is not the only one: numpy/scipy's OpenBLAS, MKL and the OpenMP runtime
each keep a pool sized to every core of the machine. On a shared machine those pools spin
against each other (a reference implementation spent 25x its CPU time in OpenBLAS threads),
so every process that scores, a worker or the driver under ``--executor inline``, pins all of
them here, together: torch with ``torch.set_num_threads``, the native libraries already loaded
with threadpoolctl, and the ones loaded later (and child processes) through the environment
variables they read at load time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",  # the OpenMP runtime (torch's intra-op pool, OpenBLAS built with OpenMP)
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


@dataclass(frozen=True)
class PinnedThreads:
    """What a process was pinned to: torch's threads and each native pool threadpoolctl found."""

    threads: int
    torch_threads: int
    pools: tuple[
        tuple[str, str, int], ...
    ]  # (user_api, library file name, threads), e.g. ("blas", "libopenblas...so", 1)


def thread_env(threads: int) -> dict[str, str]:
    """The environment variables that size a child process's native pools at load time."""
    return {var: str(threads) for var in THREAD_ENV_VARS}


def pin_threads(threads: int) -> PinnedThreads:
    """Pin torch and every BLAS/OpenMP pool of this process to ``threads`` (for good, not a scope)."""
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    os.environ.update(thread_env(threads))  # libraries loaded from now on (OpenBLAS caps these at the cores)
    import numpy  # noqa: F401 - numpy and scipy ship an OpenBLAS each: loaded now, so threadpoolctl sets both
    import scipy.linalg  # noqa: F401
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(limits=threads)
    pools = tuple(
        (p["user_api"], os.path.basename(p["filepath"]), int(p["num_threads"])) for p in threadpool_info()
    )
    return PinnedThreads(threads=threads, torch_threads=torch.get_num_threads(), pools=pools)
