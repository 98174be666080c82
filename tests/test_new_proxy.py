"""``nash new-proxy``: the scaffolded package installs, is discovered, and passes its own tests.

The package is installed with pip (``--no-deps --no-build-isolation --target``: offline, no
torch download) into a folder put on PYTHONPATH, which importlib.metadata searches like
site-packages, so discovery goes through the real entry point of the installed dist-info.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nas_harness.api import HarnessError
from nas_harness.distribution import distribution_hash
from nas_harness.scaffold import ProxyNames, scaffold


def run(
    *args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 900
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def pip_install(package: Path, target: Path) -> None:
    proc = run(
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--target",
        str(target),
        str(package),
        env={"PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def site_env(*sites: Path) -> dict:
    return {"PYTHONPATH": os.pathsep.join([*map(str, sites), os.environ.get("PYTHONPATH", "")])}


def test_names_and_refusals(tmp_path):
    names = ProxyNames.of("my_score")
    assert (names.package, names.dist, names.cls) == ("nash_proxy_my_score", "nash-proxy-my-score", "MyScore")
    for bad in ("My-Score", "2fast", "class", ""):
        with pytest.raises(HarnessError, match="lower-case letters"):
            ProxyNames.of(bad)
    with pytest.raises(HarnessError, match="already provided by distribution 'nas-harness'"):
        scaffold("synflow", tmp_path / "x", taken={"synflow": "nas-harness"})
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(HarnessError, match="not an empty folder"):
        scaffold("fresh_one", tmp_path / "full")
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


def test_the_template_renders_every_placeholder(tmp_path):
    root, files = scaffold("my_score", tmp_path / "pkg")
    rel = sorted(str(f.relative_to(root)) for f in files)
    assert rel == [
        "README.md",
        "pyproject.toml",
        "src/nash_proxy_my_score/__init__.py",
        "src/nash_proxy_my_score/proxy.py",
        "tests/test_proxy.py",
    ]
    for f in files:
        text = f.read_text()
        assert "${" not in text, f
        if f.suffix == ".py":
            compile(text, str(f), "exec")
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points."nas_harness.proxies"]\nmy_score = "nash_proxy_my_score"' in pyproject


@pytest.mark.slow
def test_a_scaffolded_package_installs_is_listed_and_passes_its_own_tests(tmp_path):
    pkg, site = tmp_path / "nash-proxy-my-score", tmp_path / "site"
    made = run("-m", "nas_harness.cli", "new-proxy", "my_score", "--dir", str(pkg))
    assert made.returncode == 0, made.stderr
    assert "created" in made.stdout and "src/nash_proxy_my_score/proxy.py" in made.stdout
    pip_install(pkg, site)
    env = site_env(site)

    listed = run("-m", "nas_harness.cli", "plugins", "--json", "--kind", "proxy", env=env)
    assert listed.returncode == 0, listed.stderr
    plugin = {p["name"]: p for p in json.loads(listed.stdout)["plugins"]}["my_score"]
    assert plugin["distribution"] == "nash-proxy-my-score" and plugin["distribution_version"] == "0.1.0"
    assert plugin["entry_point"] == "nas_harness.proxies:my_score" and plugin["needs"] == ["model"]

    # its own tests, against the installed copy (src layout: the source tree is not importable)
    tests = run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(pkg / "tests"), env=env, cwd=pkg)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout

    # the distribution's content hash: the same wherever it is installed, different once edited
    other = tmp_path / "site2"
    pip_install(pkg, other)
    first, second = hash_in(site), hash_in(other)
    assert len(first.sha256) == 64 and first.sha256 == second.sha256 and not first.editable
    assert first.files == 6  # __init__.py, proxy.py, METADATA, WHEEL, entry_points.txt, top_level.txt
    proxy_py = other / "nash_proxy_my_score" / "proxy.py"
    proxy_py.write_text(proxy_py.read_text().replace('version = "1"', 'version = "2"'))
    assert hash_in(other).sha256 != first.sha256


def hash_in(site: Path):
    """The distribution hash of the copy installed in ``site`` (alone on the path)."""
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    try:
        return distribution_hash("nash-proxy-my-score")
    finally:
        sys.path.remove(str(site))
        importlib.invalidate_caches()
