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
            capture_output=True, text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def environment(device: str, plugins: dict[str, str]) -> dict:
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
        "sandbox": _sandbox(),
    }


def _sandbox() -> str:
    """What the workers of this run apply (make_executor refuses NASH_SANDBOX=1 where unavailable)."""
    from .executors.limits import sandbox_requested

    if not sandbox_requested():
        return "off"
    from .sandbox import available

    ok, why = available()
    return f"on: {why}" if ok else f"requested, unavailable: {why}"
