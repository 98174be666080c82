"""What search strategies see of a space: moves, and optionally a decision vector.

Every space supplies ``sample``, ``mutate``, ``neighbours`` and ``crossover`` on architecture
strings; a space that can also be written as a vector of categorical decisions (NB201's six
edges, a size space's channel widths, NB101's adjacency bits and ops) supplies ``decisions``,
``to_choices``, ``from_choices`` and, where not every vector is an architecture, ``repair``.
Strategies use only these, so each works on any space without knowing its structure.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """One decision of a space's decision vector: its name and options, in order.

    ``ordered`` marks options that lie on a scale (channel widths, kernel sizes), where
    differential-evolution operators make sense; categorical otherwise.
    """

    name: str
    options: tuple[str, ...]
    ordered: bool = False
