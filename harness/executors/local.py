"""A pool of isolated worker processes on this machine (the default executor).

One driver thread per worker hands out tasks and waits on its worker's pipe (with the time
limit); results go through a queue to the caller's thread, which commits them. Workers
outlive one ``map_archs`` call (a sweep reuses them) and are stopped by ``close``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence

from ..api import HarnessError
from .base import Executor
from .limits import Limits, default_workers
from .payload import Payload, WorkerSetupError
from .process import WorkerProcess, run_isolated


class LocalExecutor(Executor):
    name = "local"

    def __init__(self, workers: int | None = None, limits: Limits = Limits()):
        self.workers = workers or default_workers()
        self.limits = limits
        self.processes = [WorkerProcess(limits) for _ in range(self.workers)]

    def describe(self) -> str:
        return f"local ({self.workers} worker{'s' if self.workers > 1 else ''} x {self.limits.threads or 1} thread)"

    def map_archs(self, setup, units: Sequence) -> Iterator:
        if not units:
            return
        payload = Payload.build(setup, units, self.name)
        tasks = iter(payload.tasks)
        lock = threading.Lock()
        stop = threading.Event()
        results: queue.Queue = queue.Queue()

        def drive(worker: WorkerProcess) -> None:
            try:
                while not stop.is_set():
                    with lock:
                        task = next(tasks, None)
                    if task is None:
                        break
                    results.put(("records", run_isolated(worker, payload.shipment, task, self.limits)))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                results.put(("error", exc))
            finally:
                results.put(("end", None))

        drivers = [
            threading.Thread(target=drive, args=(w,), daemon=True, name=f"nash-local-{i}")
            for i, w in enumerate(self.processes[: len(payload.tasks)])
        ]
        for t in drivers:
            t.start()
        running = len(drivers)
        try:
            while running:
                kind, value = results.get()
                if kind == "end":
                    running -= 1
                elif kind == "error":
                    if isinstance(value, WorkerSetupError):
                        raise HarnessError(f"executor local: {value}") from None
                    raise value
                else:
                    for index, record in value:
                        yield payload.keys[index], record
        finally:
            stop.set()
            if running:  # the caller stopped early (an error, Ctrl-C): end the work in flight
                self.close()
                for t in drivers:
                    t.join(timeout=30)

    def close(self) -> None:
        for w in self.processes:
            w.close()
