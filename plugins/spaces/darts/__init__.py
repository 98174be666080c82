"""DARTS search space (NAS-Bench-301's network) as a space plugin.

Modules: ``genotype`` (parse/format, canonical and isomorphism keys, moves, decisions),
``model`` (the DARTS CIFAR network as NB301 trained it), ``cost`` (analytic params and MACs),
``space`` (``DartsSpace``), ``oracles`` (``nb301``, ``darts_shared_cell``).
"""

from nas_harness.api import hookimpl

from .space import DartsSpace

__all__ = ["DartsSpace", "nas_harness_spaces"]


@hookimpl
def nas_harness_spaces():
    return [DartsSpace]
