"""A record of the machine and software a run used (stored with every result)."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

from . import __version__


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_revision() -> str | None:
    """The harness checkout's commit, when it runs from one."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def environment(device: str, plugins: dict[str, str], sandbox: str | None = None) -> dict:
    """The machine and software of a run; ``sandbox`` is what its executor did (``Executor.sandbox_note``)."""
    import numpy
    import torch

    return {
        "harness": __version__,
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "cpu": f"{cpu_name()} ({__import__('os').cpu_count()} logical cores)",
        "torch_threads": torch.get_num_threads(),
        "device": device,
        "git": git_revision(),
        "plugins": plugins,
        "sandbox": sandbox if sandbox is not None else _sandbox(),
    }


def _sandbox() -> str:
    """What local/dask workers apply under $NASH_SANDBOX (make_executor refuses =1 where unavailable)."""
    from .executors.limits import sandbox_wanted

    return sandbox_wanted()[1]
