"""Install ``cheats`` as a plugin distribution through an entry point, for one test session."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DIST = "nash-cheats"
VERSION = "0.1"


def install(where: Path) -> Path:
    """Copy the ``cheats`` package under ``where`` with a ``nash_cheats-0.1.dist-info`` (METADATA,
    entry_points.txt and a RECORD, as pip writes it, so ``nash submit`` can hash the distribution)
    and put ``where`` and the tests folder on ``sys.path`` (workers get the driver's path), so the
    plugin host discovers the package like any installed one. Returns the folder to add to
    PYTHONPATH for subprocesses (``nash`` run through the CLI)."""
    package = where / "cheats"
    shutil.copytree(
        Path(__file__).resolve().parent,
        package,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    info = where / f"{DIST.replace('-', '_')}-{VERSION}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DIST}\nVersion: {VERSION}\n")
    (info / "entry_points.txt").write_text(
        "[nas_harness.proxies]\ncheats = cheats\n[nas_harness.strategies]\ncheats = cheats.strategies\n"
    )
    listed = sorted(f.relative_to(where).as_posix() for f in package.rglob("*.py"))
    listed += [f"{info.name}/{name}" for name in ("METADATA", "entry_points.txt", "RECORD")]
    (info / "RECORD").write_text("".join(f"{rel},,\n" for rel in listed))
    tests = str(Path(__file__).resolve().parents[1])
    for entry in (str(where), tests):
        if entry not in sys.path:
            sys.path.append(entry)
    return where
