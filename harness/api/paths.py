"""Where the project's shared data folder is: never derived from an installed package's location."""

from __future__ import annotations

import os
from pathlib import Path

SHARED_ENV = "NASH_SHARED_DIR"


def shared_dir() -> Path:
    """``$NASH_SHARED_DIR`` if set, else ``../shared`` of the current folder (a checkout's neighbour)."""
    env = os.environ.get(SHARED_ENV)
    return Path(env) if env else Path.cwd().parent / "shared"


def shared_path(relative: str | Path) -> Path:
    """``relative`` as given when it exists from the current folder or is absolute, else inside
    the shared data folder."""
    path = Path(relative).expanduser()
    if path.is_absolute() or path.exists():
        return path
    return shared_dir() / path
