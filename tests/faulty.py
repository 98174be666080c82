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
