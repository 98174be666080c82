"""Writing output files so that a bad path or a full disk is a message, never a traceback or a
truncated file.

Every report, results file and CSV the harness writes goes through ``write_text`` (or
``write_with``): the content is written to a temporary file in the same folder and renamed over
the target, so a reader sees the old file or the whole new one. ``ensure_dir`` creates an output
folder and says why it cannot (a path under a regular file or a device, no permission).
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .api import HarnessError


def _explain(exc: OSError, path: Path, what: str) -> HarnessError:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        hint = "free some space or choose another folder"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        hint = (
            "a part of the path is a file (or a device such as /dev/null), not a folder: choose another path"
        )
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "choose a folder you can write to"
    else:
        hint = "choose another path"
    return HarnessError(f"{what} {path}: cannot write ({reason}); {hint}")


def ensure_dir(path: Path, what: str = "output folder") -> Path:
    """``path`` as an existing folder (created with its parents)."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _explain(exc, path, what) from None
    if not path.is_dir():
        raise HarnessError(f"{what} {path}: not a folder; choose another path")
    return path


def write_with(path: Path, write: Callable[[Path], None], what: str = "output file") -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it to ``path``."""
    path = Path(path)
    ensure_dir(path.parent, f"folder of the {what}")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _explain(exc, path, what) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make reports private
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise _explain(exc, path, what) from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_text(path: Path, text: str, what: str = "output file") -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    return write_with(path, write, what)
