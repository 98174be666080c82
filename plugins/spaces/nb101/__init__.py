"""NAS-Bench-101 search space plugin.

Modules: ``space`` (the plugin class), ``arch`` (cell strings, validation, pruning, NB101's graph hash, moves), ``skeleton``
(the network's shape, NB101's per-vertex channels, analytic cost) and ``model`` (the torch
network as NB101 trains it), and what it contributes to the suites hook: ``paper_values`` (published
NB101 numbers) and ``reproductions`` (the papers' NB101 columns).
"""

from nas_harness.api import hookimpl

from .space import NB101Space

__all__ = ["NB101Space", "nas_harness_spaces", "nas_harness_suites"]


@hookimpl
def nas_harness_spaces():
    return [NB101Space]


@hookimpl
def nas_harness_suites():
    from . import paper_values, reproductions

    return [*paper_values.TABLES.values(), *reproductions.REPRODUCTIONS]
