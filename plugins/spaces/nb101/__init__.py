"""NAS-Bench-101 search space plugin.

Modules: ``space`` (the plugin class), ``arch`` (cell strings, validation, pruning, NB101's graph hash, moves), ``skeleton``
(the network's shape, NB101's per-vertex channels, analytic cost) and ``model`` (the torch
network as NB101 trains it).
"""

from nas_harness.api import hookimpl

from .space import NB101Space

__all__ = ["NB101Space", "nas_harness_spaces"]


@hookimpl
def nas_harness_spaces():
    return [NB101Space]
