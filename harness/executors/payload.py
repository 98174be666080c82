"""What a run sends to its workers: the scoring setup and jobs, pickled once, plus the tasks.

Workers receive the pickled setup once per run (``Shipment``, identified by a token) and then
only small tasks: an architecture and the indices of its jobs. The driver keeps the keys,
so a worker's answer is (job index, record) and the store never leaves the driver.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..api import HarnessError
from ..store import ScoreRecord

if TYPE_CHECKING:
    from ..scoring import ProxyJob, ScoringSetup, WorkUnit
    from ..store import ScoreKey


@dataclass(frozen=True)
class Shipment:
    """The pickled (setup, jobs) and the driver's import path (so plugins defined outside an
    installed distribution, e.g. a test's, unpickle in a worker on the same machine)."""

    token: str
    data: bytes
    sys_path: tuple[str, ...]

    reads: tuple[str, ...] = ()  # files the jobs' configs name (a state file): readable in the sandbox


@dataclass(frozen=True)
class Task:
    """One work unit as sent to a worker: an architecture and the indices of its jobs."""

    uid: int
    arch: str
    jobs: tuple[int, ...]

    def single(self, job: int) -> Task:
        return Task(self.uid, self.arch, (job,))


@dataclass
class Payload:
    shipment: Shipment
    keys: list[ScoreKey]  # by job index
    tasks: list[Task]

    @classmethod
    def build(cls, setup: ScoringSetup, units: Sequence[WorkUnit], executor: str) -> Payload:
        jobs: list[ProxyJob] = []
        index: dict[int, int] = {}
        tasks = []
        for uid, unit in enumerate(units):
            idx = []
            for job in unit.jobs:
                if id(job) not in index:
                    index[id(job)] = len(jobs)
                    jobs.append(job)
                idx.append(index[id(job)])
            tasks.append(Task(uid, unit.arch, tuple(idx)))
        try:
            data = pickle.dumps((setup, jobs), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - e.g. a plugin holding a lambda or an open file
            raise HarnessError(
                f"executor {executor}: cannot send the run to worker processes ({type(exc).__name__}: {exc}); "
                "a plugin or its config is not picklable: fix it, or run with --executor inline"
            ) from exc
        token = hashlib.sha256(data).hexdigest()[:16]
        from ..sandbox import config_files

        reads = config_files(job.proxy.config.model_dump(mode="json") for job in jobs)
        shipment = Shipment(token, data, tuple(sys.path), tuple(map(str, reads)))
        return cls(shipment, [setup.key(j) for j in jobs], tasks)


class WorkerSetupError(Exception):
    """A worker could not load the run (a plugin missing on that machine, say): a setup
    problem of the whole run, not a failure of one proxy."""


def failed(arch: str, reason: str, wall_s: float | None = None) -> ScoreRecord:
    return ScoreRecord(arch, None, "failed", reason[:500], wall_s, None)
