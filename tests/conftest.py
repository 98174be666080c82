"""Shared fixtures: where ../shared is, and skipping cleanly when it is not there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NASH_SHARED_DIR", REPO.parent / "shared"))
TEST_THREADS_VAR = "NASH_TEST_THREADS"


def pytest_configure(config) -> None:
    """Pin torch, BLAS and OpenMP to one thread in the test process and the processes it starts
    (``$NASH_TEST_THREADS`` for more): two OpenMP threads on a shared 2-core machine run 6-30x
    slower, and no test may use more threads than its pytest worker has cores."""
    from nas_harness.threads import pin_threads

    pin_threads(int(os.environ.get(TEST_THREADS_VAR, "1")))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder beside the checkout; tests that need it skip when it is absent."""
    if not (SHARED / "data").is_dir():
        pytest.skip(f"needs ../shared/data (looked in {SHARED}); set NASH_SHARED_DIR to point elsewhere")
    return SHARED


@pytest.fixture(scope="session")
def shared_data(shared_dir: Path) -> Path:
    return shared_dir / "data"


@pytest.fixture(scope="session")
def small_suite_file(tmp_path_factory) -> Path:
    """A small real suite run (tests/suite_fixtures.py), written once per session; its readers
    only read it, so the pytest-xdist workers share one run (the first to take the lock writes it)."""
    from suite_fixtures import run_small_suite

    return once_per_session(tmp_path_factory, "small_suite", run_small_suite)


def once_per_session(tmp_path_factory, name: str, make):
    """``make(folder)`` run once for the whole test session, however many pytest-xdist workers it
    has: under xdist every worker's base temp dir shares one parent, and a lock file there lets
    the first worker build the result while the others wait, then read what it wrote."""
    import fcntl
    import json

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER") is None:  # one process: nothing to share
        return make(tmp_path_factory.mktemp(name))
    folder, done = base.parent / name, base.parent / f"{name}.done.json"
    with open(base.parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            folder.mkdir(exist_ok=True)
            done.write_text(json.dumps(str(make(folder))))
    return Path(json.loads(done.read_text()))
