"""Exceptions of the contract: which errors are the user's (exit 2), a proxy's (recorded), a budget's."""

from __future__ import annotations


class HarnessError(Exception):
    """An error caused by the user's input; the CLI prints it and exits with code 2."""


class ArchError(HarnessError, ValueError):
    """An architecture string (or index) that the space cannot accept."""


class ProxyFailure(Exception):
    """A proxy could not produce a score for one architecture; recorded, never fatal."""


class NotApplicable(Exception):
    """A proxy cannot score this kind of task or architecture at all (its own row state, not a
    failure): e.g. a topology proxy on a space without a graph, or a classification-only proxy on
    a dense task. The message is the reason shown to the user."""


class BudgetExhausted(Exception):
    """A strategy asked ``score_fn`` for more new architectures than its budget has left.

    The call is refused whole (nothing in it is scored); a strategy may catch this and stop.
    """
