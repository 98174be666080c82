"""One isolated worker process, seen from the process that drives it.

``run_isolated`` scores a task in the worker and turns whatever happens into records: a
timeout kills the worker, a dead worker (segfault, ``os._exit``, the OOM killer) is
replaced, and when the task held several jobs the survivors are retried one by one in a
fresh worker so that only the culprit is marked failed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

from ..safe_pickle import loads
from ..threads import thread_env
from .limits import Limits
from .payload import Shipment, Task, WorkerSetupError, failed
from .reaper import TAG_VAR, end_process

POLL_S = 0.25  # how often a waiting driver checks that its worker is still alive

STARTUP_TIMEOUT_S = 600.0  # importing torch and the plugins on a loaded machine
# A worker runs third-party proxies: its replies are unpickled without calling any other global
# (safe_pickle), so a proxy cannot make the driver, which holds the oracles, run code.
REPLY_CLASSES = frozenset({("nas_harness.store", "ScoreRecord")})


@dataclass
class Outcome:
    records: list | None  # [(job index, ScoreRecord)] when the worker answered
    reason: str | None = None  # why not
    wall_s: float | None = None
    running: int | None = None  # the job the worker was scoring when it timed out or died
    timed_out: bool = False


class WorkerProcess:
    """A ``worker_main`` subprocess, started on first use and restarted after it dies."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.proc: subprocess.Popen | None = None
        self.token: str | None = None
        self.info: dict = {}
        self.started = 0  # processes started so far (1 + replacements)
        self.granted: frozenset = frozenset()  # the config files a sandboxed worker may read

    # ------------------------------------------------------------------ lifecycle
    def _start(self) -> None:
        child_in, to_child = os.pipe()
        from_child, child_out = os.pipe()
        env = dict(os.environ)
        if self.limits.threads:  # sized at load time; the worker pins torch and the loaded pools too
            env.update(thread_env(self.limits.threads))
        self._log = tempfile.TemporaryFile(prefix="nash-worker-")
        self._progress = tempfile.TemporaryFile(prefix="nash-progress-")  # "uid job" of the job being scored
        self.tag = f"{os.getpid()}-{id(self)}-{self.started}"
        env[TAG_VAR] = self.tag
        progress_fd = self._progress.fileno()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-P",  # the current folder (results files, a store) is not put on the import path
                "-m",
                "nas_harness.executors.worker_main",
                str(child_in),
                str(child_out),
                str(progress_fd),
            ],
            pass_fds=(child_in, child_out, progress_fd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            env=env,
            start_new_session=True,  # its own process group, killed whole
        )
        os.close(child_in)
        os.close(child_out)
        self._outbox = Connection(to_child, readable=False)
        self._inbox = Connection(from_child, writable=False)
        self.token = None
        self.started += 1

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """Kill the worker, its process group and everything it started (``reaper``)."""
        # take the process first: a second kill (a timeout's, Ctrl-C's) finds nothing to do
        proc, self.proc = self.proc, None
        if proc is None:
            return
        self.token = None
        end_process(proc, self.tag)
        for conn in (self._outbox, self._inbox):
            conn.close()
        self._log.close()
        self._progress.close()

    close = kill

    # ------------------------------------------------------------------ protocol
    def prepare(self, shipment: Shipment) -> None:
        """Make sure a live worker holds this run's setup."""
        if self.alive() and self.limits.sandbox and not set(shipment.reads) <= self.granted:
            self.kill()  # a sandboxed worker cannot be granted more reads: a fresh one can
        if not self.alive():
            if self.proc is not None:
                self.kill()
            self._start()
            self.granted = frozenset(shipment.reads)
        if self.token == shipment.token:
            return
        try:
            self._outbox.send(
                (
                    "load",
                    shipment.token,
                    shipment.data,
                    shipment.sys_path,
                    self.limits.threads,
                    self.limits.memory_limit_mb,
                    self.limits.sandbox,
                    shipment.reads,
                )
            )
            if not self._inbox.poll(STARTUP_TIMEOUT_S):
                self.kill()
                raise WorkerSetupError(f"a worker did not load the run within {STARTUP_TIMEOUT_S:.0f} s")
            msg = loads(self._inbox.recv_bytes(), also=REPLY_CLASSES)
        except (EOFError, OSError):
            reason = self._death_reason()
            raise WorkerSetupError(f"a worker died while loading the run: {reason}") from None
        if msg[0] == "error":
            self.kill()
            raise WorkerSetupError(f"a worker could not load the run: {msg[1]}")
        self.token, self.info = shipment.token, msg[2]

    def run(self, shipment: Shipment, task: Task, time_limit_s: float | None) -> Outcome:
        self.prepare(shipment)
        t0 = time.perf_counter()
        try:
            self._outbox.send(("score", task.uid, task.arch, task.jobs))
            deadline = None if time_limit_s is None else t0 + time_limit_s
            while not self._inbox.poll(
                POLL_S if deadline is None else max(0.0, min(POLL_S, deadline - time.perf_counter()))
            ):
                proc = self.proc  # None: killed from another thread (the run was interrupted)
                if proc is None or proc.poll() is not None:  # died; a fork may still hold the pipe
                    running = self._running(task)
                    return Outcome(None, self._death_reason(), time.perf_counter() - t0, running)
                if deadline is not None and time.perf_counter() >= deadline:
                    running = self._running(task)
                    self.kill()
                    return Outcome(
                        None,
                        f"timeout after {time_limit_s:g} s",
                        time.perf_counter() - t0,
                        running,
                        timed_out=True,
                    )
            msg = loads(self._inbox.recv_bytes(), also=REPLY_CLASSES)
        except (EOFError, OSError):
            running = self._running(task)
            return Outcome(None, self._death_reason(), time.perf_counter() - t0, running)
        return Outcome(msg[2], None, time.perf_counter() - t0)

    def _running(self, task: Task) -> int | None:
        """The job of ``task`` the worker last reported starting (None: unknown)."""
        try:
            self._progress.seek(0)
            uid, job = self._progress.read(64).decode().split()[:2]
        except (OSError, ValueError):
            return None
        return int(job) if int(uid) == task.uid and int(job) in task.jobs else None

    def _death_reason(self) -> str:
        """'worker died (exit code 1)' / '(killed by SIGSEGV)', with the last line it printed."""
        proc = self.proc
        if proc is None:  # close() from another thread (the run was interrupted)
            return "worker stopped by the driver"
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pipe closed but still running: end it
            proc.kill()
            code = proc.wait()
        if code < 0:
            try:
                what = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                what = f"killed by signal {-code}"
            if -code == signal.SIGKILL and self.limits.memory_limit_mb:
                what += ", e.g. by the kernel's OOM killer"
        else:
            what = f"exit code {code}"
        tail = self._stderr_tail()
        self.kill()
        return f"worker died ({what})" + (f"; stderr: {tail}" if tail else "")

    def _stderr_tail(self) -> str:
        try:
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - 4096))
            lines = [
                ln.strip() for ln in self._log.read().decode(errors="replace").splitlines() if ln.strip()
            ]
        except (OSError, ValueError):
            return ""
        fatal = [ln for ln in lines if ln.startswith("Fatal Python error")]
        return (fatal[-1] if fatal else lines[-1] if lines else "")[:200]


def run_isolated(worker: WorkerProcess, shipment: Shipment, task: Task, limits: Limits) -> list:
    """[(job index, record)] for every job of ``task``, whatever the worker does.

    When the worker reported which job it was scoring as it timed out or died, that job is the
    culprit: it is failed at once (its time limit is spent once) and the others are retried
    together in a fresh worker. Otherwise each job is retried alone, once, except after a
    timeout of a single job. Either way no job runs more than len(jobs) times.
    """
    outcome = worker.run(shipment, task, limits.time_limit_s)
    if outcome.records is not None:
        return outcome.records
    reason = outcome.reason or "worker failed"
    if len(task.jobs) == 1:
        return [(task.jobs[0], failed(task.arch, reason, outcome.wall_s))]
    if outcome.running is not None:
        rest = tuple(j for j in task.jobs if j != outcome.running)
        return [
            (outcome.running, failed(task.arch, reason, outcome.wall_s)),
            *run_isolated(worker, shipment, Task(task.uid, task.arch, rest), limits),
        ]
    out = []  # which job did it? each alone in a fresh worker
    for job in task.jobs:
        out.extend(run_isolated(worker, shipment, task.single(job), limits))
    return out
