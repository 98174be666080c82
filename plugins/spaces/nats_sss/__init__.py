"""NATS-Bench size space (SSS) plugin: 32,768 width configurations of NATS's fixed-cell network.

Modules: ``arch`` (strings, the official index order, moves), ``model`` (the torch network),
``topology`` (layer list, topology descriptor for SED, analytic cost), ``tasks``.
The suites hook contributes ``paper_values`` (SED's SSS numbers) and ``reproductions``.
"""

from nas_harness.api import hookimpl

from .space import NATSSSSpace

__all__ = ["NATSSSSpace", "nas_harness_spaces", "nas_harness_suites"]


@hookimpl
def nas_harness_spaces():
    return [NATSSSSpace]


@hookimpl
def nas_harness_suites():
    from . import paper_values, reproductions

    return [*paper_values.TABLES.values(), *reproductions.REPRODUCTIONS]
