"""Finding and killing every process a scoring worker started, however it was started (Linux).

A worker runs in its own session and process group, is a child subreaper (orphans of its
descendants are reparented to it, not to init) and carries a tag in its environment that every
descendant inherits. Killing a worker kills its process group, every descendant found under it in
``/proc`` and every process still carrying its tag, so forks, ``setsid`` daemons and double forks
die with it. A process that clears its own environment *and* leaves both the group and the
worker's tree (possible only after the worker itself died) is not found; the README says so.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

TAG_VAR = "NASH_WORKER_TAG"
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Orphaned descendants of this process are reparented to it (Linux prctl); False elsewhere."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                out += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    except OSError:
        pass
    return out


def descendants(pid: int) -> list[int]:
    found, todo = [], children(pid)
    while todo:
        p = todo.pop()
        if p not in found:
            found.append(p)
            todo += children(p)
    return found


def tagged(tag: str) -> list[int]:
    """Processes whose environment holds ``NASH_WORKER_TAG=tag`` (same user: /proc/PID/environ)."""
    needle = f"{TAG_VAR}={tag}".encode()
    out = []
    try:
        entries = list(Path("/proc").iterdir())
    except OSError:  # inside the sandbox /proc is not listable: the driver's kill covers it
        return out
    for entry in entries:
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                out.append(int(entry.name))
        except OSError:
            continue
    return out


def kill_tree(pid: int | None, tag: str | None = None, group: int | None = None) -> None:
    """SIGKILL the process group ``group``, the descendants of ``pid`` and every process tagged
    ``tag`` (``pid`` itself is the caller's to kill and wait for)."""
    targets = set(descendants(pid)) if pid else set()
    if tag:
        targets.update(tagged(tag))
    targets.discard(os.getpid())
    if group:
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for p in targets:
        if p != pid:
            try:
                os.kill(p, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def end_process(proc: subprocess.Popen, tag: str) -> None:
    """Kill a child started in its own session (``start_new_session``) with everything it started
    (its group, its descendants, whatever carries ``tag``) and wait for it: the one way a worker or
    a strategy process is ended."""
    kill_tree(proc.pid, tag, group=proc.pid)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    kill_tree(None, tag, group=proc.pid)  # anything that forked while we looked


def reap_children() -> None:
    """Collect exited children (a subreaper inherits orphans that become zombies)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
