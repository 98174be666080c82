"""Test-only proxies that misbehave on chosen toy architectures (never entry points).

Each fails only on the widths named below, so a run also shows that every other
(proxy, architecture) pair is scored. They live in an importable module so worker
processes unpickle them by reference, as they would a plugin's classes.
"""

from __future__ import annotations

import os
import time

from nas_harness.api import Needs, Proxy


def _width(ctx) -> int:
    return int(ctx.arch[1:])


class SleepyProxy(Proxy):
    """Sleeps far past any test time limit on w3."""

    name = "sleepy"
    version = "1"
    needs = frozenset({Needs.MODEL})

    def score(self, ctx):
        if _width(ctx) == 3:
            time.sleep(120)
        return float(_width(ctx))


class ExitProxy(Proxy):
    """Ends its process with os._exit(1) on w4 (no exception, no cleanup)."""

    name = "exiter"
    version = "1"
    needs = frozenset({Needs.MODEL})

    def score(self, ctx):
        if _width(ctx) == 4:
            os._exit(1)
        return float(_width(ctx))


class SegfaultProxy(Proxy):
    """Dereferences a null pointer on w6."""

    name = "segfault"
    version = "1"
    needs = frozenset({Needs.MODEL})

    def score(self, ctx):
        if _width(ctx) == 6:
            import ctypes

            ctypes.string_at(0)
        return float(_width(ctx))


class HogProxy(Proxy):
    """Allocates (and touches) 3 GB on w8, past the 1 GB cap the tests set."""

    name = "hog"
    version = "1"
    needs = frozenset({Needs.MODEL})

    def score(self, ctx):
        if _width(ctx) == 8:
            import torch

            return float(torch.ones(3 * 2**30 // 4).sum())
        return float(_width(ctx))


class DetachProxy(Proxy):
    """On w2 starts a detached grandchild (double fork + setsid) that would sleep for 5 minutes,
    and a plain child in its process group, then scores normally."""

    name = "detacher"
    version = "1"
    needs = frozenset({Needs.MODEL})

    def score(self, ctx):
        if _width(ctx) == 2:
            import subprocess
            import sys

            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)"])
                os._exit(0)
        return float(_width(ctx))


class ForkExitProxy(Proxy):
    """On w5 forks: the child sleeps holding the worker's pipes, the worker itself exits."""

    name = "forkexit"
    version = "1"
    needs = frozenset({Needs.MODEL})

    def score(self, ctx):
        if _width(ctx) == 5:
            if os.fork() == 0:
                time.sleep(300)
                os._exit(0)
            os._exit(3)
        return float(_width(ctx))


class PeekProxy(Proxy):
    """Reads the file named by $NASH_TEST_SECRET (a stand-in for a ground-truth table) and returns
    its length: a failure with PermissionError inside the sandbox."""

    name = "peek"
    version = "1"
    needs = frozenset({Needs.MODEL})

    def score(self, ctx):
        with open(os.environ["NASH_TEST_SECRET"], "rb") as fh:
            return float(len(fh.read()))
