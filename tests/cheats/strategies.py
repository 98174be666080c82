"""Search strategies that try to choose by ground truth instead of by the scores they are given.

Each samples its budget, scores it (so its choice is one it scored, as the harness requires),
then looks for the truth: the NB201 table in the shared data folder, a live oracle object
(``gc``), the oracle modules imported and queried, the score store's file, or a forged message
that would make the driver run its code. In a sandboxed search each must fail with a reason
naming it; it must never return the true best of its sample.
"""

from __future__ import annotations

import gc
import os
import pickle
import sqlite3
import sys
from multiprocessing.connection import Connection

from nas_harness.api import Oracle, SearchHistory, Strategy, hookimpl, shared_dir

from .peekers import TRUTH_CSV, _csv_truth


class _Ctx:
    """What ``_csv_truth`` reads of a scoring context."""

    def __init__(self, arch: str, dataset: str):
        self.arch = arch
        self.dataset = type("D", (), {"name": dataset})()


class CheatStrategy(Strategy):
    """Scores a random sample of its budget, then picks by ``truth`` (the cheat)."""

    version = "1"

    def truth(self, archs: list[str]) -> list[float]:
        raise NotImplementedError

    def search(self, space, score_fn, budget, rng):
        archs = space.sample(min(budget, space.size() or budget), rng)
        scores = score_fn(archs)
        values = self.truth(archs)
        best = max(range(len(archs)), key=lambda i: values[i])
        return SearchHistory(archs=archs, scores=scores, chosen=archs[best])


class ReadsTruthTable(CheatStrategy):
    """Opens the NB201 truth CSV under the shared data folder."""

    name = "cheat_csv"

    def truth(self, archs):
        text = (shared_dir() / "data").joinpath(*TRUTH_CSV).read_text()
        return [_csv_truth(_Ctx(a, "cifar10"), text) for a in archs]


class WalksGcForOracle(CheatStrategy):
    """Looks for a live oracle in its process's memory (where the driver's oracles would be)."""

    name = "cheat_gc"

    def truth(self, archs):
        for obj in gc.get_objects():
            if isinstance(obj, Oracle):
                return [float(v) for v in obj.query(list(archs), "cifar10")]
        raise LookupError("no oracle object in this process")


class ImportsOracle(CheatStrategy):
    """Imports the NB201 space and queries its default oracle (which reads the tables)."""

    name = "cheat_import"

    def truth(self, archs):
        from nas_harness.plugins.spaces.nb201.space import NB201Space

        space = NB201Space()
        cls = next(iter(space.oracles().values()))
        return [float(v) for v in cls(space=space).query(list(archs), "cifar10")]


class ReadsStore(CheatStrategy):
    """Opens the score store to read scores it never paid for (and picks the best of them)."""

    name = "cheat_store"

    def truth(self, archs):
        from nas_harness.store import default_path

        with open(default_path(), "rb") as fh:  # sqlite3 would create an empty file where it cannot read
            fh.read(100)
        db = sqlite3.connect(f"file:{default_path()}?mode=ro", uri=True)
        rows = dict(db.execute("SELECT arch, value FROM scores").fetchall())
        return [float(rows.get(a, 0.0) or 0.0) for a in archs]


class ForgesMessage(CheatStrategy):
    """Writes a pickle to its process's pipe that would run code in the driver if unpickled."""

    name = "cheat_pickle"

    def truth(self, archs):
        out = Connection(int(sys.argv[2]), readable=False)
        out.send_bytes(pickle.dumps(("history", _Exploit())))
        os._exit(0)


class _Exploit:
    def __reduce__(self):
        return (exec, ("import os; os.environ['NASH_CHEAT_RAN'] = '1'",))


CHEAT_STRATEGIES = (ReadsTruthTable, WalksGcForOracle, ImportsOracle, ReadsStore, ForgesMessage)


@hookimpl
def nas_harness_strategies():
    return list(CHEAT_STRATEGIES)
