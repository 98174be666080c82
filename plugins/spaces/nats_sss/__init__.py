"""NATS-Bench size space (SSS) plugin: 32,768 width configurations of NATS's fixed-cell network.

Modules: ``arch`` (strings, the official index order, moves), ``model`` (the torch network),
``topology`` (layer list, topology descriptor for SED, analytic cost), ``tasks``.
"""

from nas_harness.api import hookimpl

from .space import NATSSSSpace

__all__ = ["NATSSSSpace", "nas_harness_spaces"]


@hookimpl
def nas_harness_spaces():
    return [NATSSSSpace]
