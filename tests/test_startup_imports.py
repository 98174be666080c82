"""`nash --help` and `nash plugins` start without importing torch or scipy.stats (≈ 1.5 CPU s of
imports): every plugin module, and the contract, import them inside the functions that compute."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "scipy.stats", "scipy.optimize", "sklearn")

PROBE = """
import json, sys
from nas_harness.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def run_cli(*argv: str) -> tuple[str, list[str]]:
    """(stdout, the heavy modules loaded) of ``nash ARGV`` in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv], capture_output=True, text=True, timeout=120
    )
    return out.stdout, json.loads(out.stderr.strip().splitlines()[-1])


def test_nash_plugins_loads_every_plugin_without_importing_torch_or_scipy_stats():
    stdout, heavy = run_cli("plugins", "--json")
    listed = json.loads(stdout)
    names = {p["name"] for p in listed["plugins"]}
    assert {"grasp", "wrcor", "ft_scorenet", "synflow", "nb201", "darts"} <= names, sorted(names)
    assert not listed["warnings"], listed["warnings"]  # every plugin loaded
    assert heavy == []


def test_nash_help_imports_no_heavy_module():
    stdout, heavy = run_cli("--help")
    assert "plugins" in stdout and heavy == []
