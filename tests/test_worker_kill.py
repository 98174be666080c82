"""Killing a worker twice at once: an interrupted run's close() races the driver thread's own kill."""

from __future__ import annotations

from nas_harness.executors import process
from nas_harness.executors.limits import Limits
from nas_harness.executors.process import WorkerProcess


def test_a_kill_that_starts_while_another_is_in_progress_returns_cleanly(monkeypatch):
    worker = WorkerProcess(Limits())
    worker._start()
    real_kill_tree = process.kill_tree
    reentered = []

    def kill_tree_that_lets_another_thread_in(pid, tag=None, group=None):
        if not reentered:  # the other thread's kill runs in the middle of this one
            reentered.append(True)
            worker.kill()
        real_kill_tree(pid, tag, group=group)

    monkeypatch.setattr(process, "kill_tree", kill_tree_that_lets_another_thread_in)
    worker.kill()
    assert reentered and worker.proc is None and not worker.alive()
    worker.kill()  # and a later one is a no-op
