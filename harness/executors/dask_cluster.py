"""The same tasks on a Dask distributed cluster (``--executor dask [--scheduler tcp://…]``).

Each Dask worker thread drives its own isolated ``WorkerProcess`` (started on that machine
the first time a task lands there), so time limits, memory caps and dead-worker handling
are exactly those of ``local``. The pickled setup is scattered to every worker once; tasks
are submitted in a bounded window and their results committed by the driver as they
complete. Without a scheduler address a LocalCluster of ``workers`` processes is started.

Plugins must be importable on every worker machine (install the same distributions there).
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Iterator, Sequence

from ..api import HarnessError
from .base import Executor
from .limits import Limits, default_workers
from .payload import Payload, Shipment, Task, WorkerSetupError, failed
from .process import WorkerProcess, run_isolated

# --------------------------------------------------------------------------- worker side

_PROCESSES: dict[int, WorkerProcess] = {}  # one isolated process per Dask worker thread


def score_task(shipment: Shipment, task: Task, limits: Limits) -> list:
    """Runs inside a Dask worker: [(job index, record)] for one task."""
    ident = threading.get_ident()
    worker = _PROCESSES.get(ident)
    if worker is None or worker.limits != limits:
        if worker is not None:
            worker.close()
        worker = _PROCESSES[ident] = WorkerProcess(limits)
    return run_isolated(worker, shipment, task, limits)


@atexit.register
def _stop_processes() -> None:
    for worker in list(_PROCESSES.values()):
        worker.close()


# --------------------------------------------------------------------------- driver side


class DaskExecutor(Executor):
    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None, limits: Limits = Limits()):
        self.scheduler = scheduler
        self.workers = workers or default_workers()
        self.limits = limits
        self._client = None
        self._cluster = None

    def describe(self) -> str:
        return (
            f"dask ({self.scheduler})" if self.scheduler else f"dask (LocalCluster, {self.workers} workers)"
        )

    def client(self):
        if self._client is None:
            try:
                from distributed import Client, LocalCluster
            except ImportError:
                raise HarnessError(
                    "executor dask needs the distributed package: pip install 'nas-harness[dask]'"
                ) from None
            if self.scheduler:
                try:
                    self._client = Client(self.scheduler, timeout=30)
                except (OSError, TimeoutError) as exc:
                    raise HarnessError(
                        f"executor dask: cannot reach the scheduler {self.scheduler}: {exc}"
                    ) from None
            else:
                # The heavy work happens in each Dask worker's own isolated process; Dask's
                # memory manager would count neither, so it is off (our cap is RLIMIT_AS).
                self._cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    memory_limit=0,
                    silence_logs=logging.ERROR,
                )
                self._client = Client(self._cluster)
        return self._client

    def map_archs(self, setup, units: Sequence) -> Iterator:
        if not units:
            return
        from distributed import as_completed

        client = self.client()
        payload = Payload.build(setup, units, self.name)
        shipment = client.scatter(payload.shipment, broadcast=True, hash=False)
        window = max(4, 2 * sum(client.nthreads().values()))
        tasks = iter(payload.tasks)
        in_flight: dict[str, Task] = {}
        pending = as_completed()

        def submit() -> None:
            task = next(tasks, None)
            if task is not None:
                future = client.submit(score_task, shipment, task, self.limits, pure=False)
                in_flight[future.key] = task
                pending.add(future)

        try:
            for _ in range(window):
                submit()
            for future in pending:
                task = in_flight.pop(future.key)
                try:
                    records = future.result()
                except WorkerSetupError as exc:
                    raise HarnessError(f"executor dask: {exc}") from None
                except Exception as exc:  # noqa: BLE001 - a lost Dask worker: the task's jobs failed
                    reason = f"dask task failed: {type(exc).__name__}: {exc}"
                    records = [(j, failed(task.arch, reason)) for j in task.jobs]
                future.release()
                submit()
                for index, record in records:
                    yield payload.keys[index], record
        finally:
            for future in list(pending.futures):
                future.cancel()
            shipment.release()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
