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
    """A small real suite run (tests/suite_fixtures.py), written once per session."""
    from suite_fixtures import run_small_suite

    return run_small_suite(tmp_path_factory.mktemp("small_suite"))
