"""Proxies that start processes or never return: a child, a fork, a detached daemon, a hang.

Each misbehaves on every architecture and otherwise returns a random score; the no-leak
machinery (``harness/executors/reaper.py``) must kill whatever they start, and a hang must cost
its architecture one time limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from nas_harness.api import Needs

from .common import CheatBase, arch_noise

LINGER = "import time; time.sleep(600)"


class SpawnsChild(CheatBase):
    name = "proc_child"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        subprocess.Popen([sys.executable, "-c", LINGER], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return arch_noise(ctx.arch)


class ForksChild(CheatBase):
    name = "proc_fork"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
        return arch_noise(ctx.arch)


class DetachesDaemon(CheatBase):
    """Double fork and setsid: the grandchild leaves the process group and is reparented."""

    name = "proc_detach"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(600)
            os._exit(0)
        os.wait()
        return arch_noise(ctx.arch)


class Hangs(CheatBase):
    name = "proc_hang"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        time.sleep(600)
        return arch_noise(ctx.arch)


PROCESS_CHEATS = (SpawnsChild, ForksChild, DetachesDaemon, Hangs)
