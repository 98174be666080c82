"""A worker process: loads one run's setup, scores the tasks it is sent, answers each.

Started by ``WorkerProcess`` as ``python -m nas_harness.executors.worker_main IN_FD OUT_FD``;
it speaks over two pipes (not stdout, which a proxy may print to). It caps its own address
space (RLIMIT_AS) so an allocation past the memory limit fails inside the proxy instead of
taking the machine down, ignores Ctrl-C (the driver decides), and exits when the driver
goes away.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

_ALLOC_FAILURES = ("MemoryError", "can't allocate memory", "std::bad_alloc", "Cannot allocate memory")


def proc_status_mb() -> tuple[float, float]:
    """(virtual size, resident size) of this process in MB, from /proc (Linux)."""
    fields = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            fields[key] = value
    return int(fields["VmSize"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def cap_memory(limit_mb: int | None) -> dict:
    """Let the address space grow by at most what the cap leaves above the current RSS.

    Virtual growth bounds resident growth, so RSS stays under ``limit_mb``; the virtual
    memory torch maps without touching at start-up does not count against the cap.
    """
    import resource

    if not limit_mb:
        resource.setrlimit(
            resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.getrlimit(resource.RLIMIT_AS)[1])
        )
        return {}
    try:
        vms, rss = proc_status_mb()
    except (OSError, KeyError):
        return {"memory_cap": "not enforced (no /proc)"}
    allowed = int((vms + max(0.0, limit_mb - rss)) * 2**20)
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        allowed = min(allowed, hard)
    resource.setrlimit(resource.RLIMIT_AS, (allowed, hard))
    return {"rss_mb": round(rss), "vms_mb": round(vms), "address_space_mb": allowed // 2**20}


def _watch_parent(parent: int) -> None:
    """Exit when the driver dies (its pipe may stay open in a computation that never reads)."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, daemon=True, name="nash-parent-watch").start()


def _memory_reason(record, limit_mb: int | None):
    if not limit_mb or record.status == "ok" or not record.reason:
        return record
    if any(s in record.reason for s in _ALLOC_FAILURES):
        from dataclasses import replace

        return replace(record, reason=f"memory limit exceeded ({limit_mb} MB): {record.reason}"[:500])
    return record


_PROGRESS_FD: int | None = None
_CURRENT_UID = 0


def _report_progress(jobs: list) -> None:
    """Wrap each job's ``score`` so that the driver learns which job was running if this process
    hangs or dies (``uid job`` at the start of the progress file)."""
    if _PROGRESS_FD is None:
        return
    for i, job in enumerate(jobs):
        proxy = job.proxy
        inner = proxy.score

        def score(ctx, _i=i, _inner=inner):
            os.pwrite(_PROGRESS_FD, f"{_CURRENT_UID} {_i}".ljust(63).encode() + b"\n", 0)
            return _inner(ctx)

        try:
            proxy.score = score
        except (
            AttributeError,
            TypeError,
            ValueError,
        ):  # a slotted or frozen proxy: no progress, plain retries
            continue


def _enter_sandbox(reads=()) -> str:
    """Restrict this worker's reads (before the run is unpickled: nothing is loaded yet);
    ``reads``: files the jobs' configs name (never one under a denied folder)."""
    import torch  # noqa: F401 - loads its libraries while /sys and /proc are fully readable

    from .. import sandbox

    abi = sandbox.restrict(sandbox.scoring_roots([Path(p) for p in reads]), sandbox.denied_paths())
    return f"landlock ABI {abi}"


def serve(inbox: Connection, outbox: Connection) -> int:
    global _CURRENT_UID
    from .reaper import TAG_VAR, kill_tree, reap_children

    setup = jobs = None
    limit_mb = None
    while True:
        try:
            msg = inbox.recv()
        except EOFError:
            return 0
        if msg[0] == "load":
            _, token, data, sys_path, threads, limit_mb, sandboxed, reads = (*msg, False, ())[:8]
            try:
                for entry in sys_path:
                    if entry not in sys.path and os.path.isdir(entry or "."):
                        sys.path.append(entry)
                sandbox_note = _enter_sandbox(reads) if sandboxed else "off"
                setup, jobs = pickle.loads(data)
                _report_progress(jobs)
                if threads:
                    from ..threads import pin_threads

                    pin_threads(threads)
                info = {**cap_memory(limit_mb), "sandbox": sandbox_note}
            except Exception as exc:  # noqa: BLE001 - reported to the driver as a setup error
                outbox.send(("error", f"{type(exc).__name__}: {exc}"))
                continue
            outbox.send(("ready", token, info))
        elif msg[0] == "score":
            from ..scoring import score_arch

            _, uid, arch, idx = msg
            _CURRENT_UID = uid
            results = score_arch(setup, arch, [jobs[i] for i in idx])
            kill_tree(os.getpid(), os.environ.get(TAG_VAR))  # nothing a proxy started outlives its task
            reap_children()
            outbox.send(
                ("done", uid, [(i, _memory_reason(rec, limit_mb)) for i, (_key, rec) in zip(idx, results)])
            )


def main(argv: list[str]) -> int:
    global _PROGRESS_FD
    from .reaper import become_subreaper

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    become_subreaper()  # orphans of anything a proxy starts are reparented here, then killed
    if len(argv) > 3:
        _PROGRESS_FD = int(argv[3])
    _watch_parent(os.getppid())
    import faulthandler

    faulthandler.enable()  # a segfault leaves a Python traceback in the worker's stderr
    inbox = Connection(int(argv[1]), writable=False)
    outbox = Connection(int(argv[2]), readable=False)
    return serve(inbox, outbox)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
