"""DARTS search space (NAS-Bench-301's network) as a space plugin.

Modules: ``genotype`` (parse/format, canonical and isomorphism keys, moves, decisions),
``model`` (the DARTS CIFAR network as NB301 trained it), ``cost`` (analytic params and MACs),
``space`` (``DartsSpace``), ``oracles`` (``nb301``, ``darts_shared_cell``).
The suites hook contributes ``paper_values`` (published numbers on this space) and
``reproductions`` (the papers' tables, planned as the measured runs of docs/results.md).
"""

from nas_harness.api import hookimpl

from .space import DartsSpace

__all__ = ["DartsSpace", "nas_harness_spaces", "nas_harness_suites"]


@hookimpl
def nas_harness_spaces():
    return [DartsSpace]


@hookimpl
def nas_harness_suites():
    from . import paper_values, reproductions

    return [*paper_values.TABLES.values(), *reproductions.REPRODUCTIONS]
