"""The driver's side of a scoring worker: a kill racing another kill (an interrupted run's close()
against a driver thread's own), and replies read without running any code they name."""

from __future__ import annotations

import os
import pickle

import pytest

from nas_harness.executors import process
from nas_harness.executors.limits import Limits
from nas_harness.executors.process import REPLY_CLASSES, WorkerProcess
from nas_harness.safe_pickle import loads
from nas_harness.store import ScoreRecord


def test_a_kill_that_starts_while_another_is_in_progress_returns_cleanly(monkeypatch):
    worker = WorkerProcess(Limits())
    worker._start()
    real_end_process = process.end_process
    reentered = []

    def end_process_that_lets_another_thread_in(proc, tag):
        if not reentered:  # the other thread's kill runs in the middle of this one
            reentered.append(True)
            worker.kill()
        real_end_process(proc, tag)

    monkeypatch.setattr(process, "end_process", end_process_that_lets_another_thread_in)
    worker.kill()
    assert reentered and worker.proc is None and not worker.alive()
    worker.kill()  # and a later one is a no-op


def test_a_worker_reply_carries_score_records_but_no_other_global():
    records = [
        (0, ScoreRecord("a", 1.5, "ok", None, 0.1, 0.1)),
        (1, ScoreRecord("b", None, "failed", "boom", None, None)),
    ]
    assert loads(pickle.dumps(("done", 7, records)), also=REPLY_CLASSES) == ("done", 7, records)
    with pytest.raises(pickle.UnpicklingError, match="system is not allowed"):
        loads(pickle.dumps(("done", 7, os.system)), also=REPLY_CLASSES)
