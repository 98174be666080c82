"""The executor contract: work units in, (key, record) pairs out, as they finish.

An executor only computes. The driver (the engine) commits every pair to the store as it
streams back, so workers never touch the store and a killed run loses at most the units in
flight. Keys are computed from the scoring setup alone, never from the executor, so a run
started with one executor resumes with any other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ..scoring import ScoringSetup, WorkUnit
    from ..store import ScoreKey, ScoreRecord

ExecutorKind = Literal["inline", "local", "dask"]


class Executor(ABC):
    """Scores work units (one architecture, every job it lacks) somewhere, streaming results."""

    name: str

    @abstractmethod
    def map_archs(
        self, setup: ScoringSetup, units: Sequence[WorkUnit]
    ) -> Iterator[tuple[ScoreKey, ScoreRecord]]:
        """Every job's (key, record) of every unit, in completion order."""

    def describe(self) -> str:
        return self.name

    @property
    def sandboxed(self) -> bool:
        """Whether every score this executor computes comes from a sandboxed worker."""
        limits = getattr(self, "limits", None)
        return bool(limits is not None and limits.sandbox)

    def sandbox_note(self) -> str:
        """What the results record about the sandbox ("on: Landlock ABI …" / "off: why")."""
        limits = getattr(self, "limits", None)
        return (
            limits.sandbox_note
            if limits is not None
            else f"off: the {self.name} executor scores in the driver"
        )

    def close(self) -> None:  # noqa: B027 - an optional hook: executors without workers keep the no-op
        """Stop workers (idempotent)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
