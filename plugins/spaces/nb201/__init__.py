"""NAS-Bench-201 / NATS-Bench-TSS search space plugin.

Modules: ``arch`` (strings, official index order, isomorphism key), ``model`` (the torch
network), ``topology`` (topology descriptor and analytic cost), ``datasets``, the oracles
``oracle_hpobench`` (default, embedded data), ``oracle_natsbench`` and ``oracle_table``, and what
it contributes to the suites hook: ``suites`` (run presets, the ``standard`` leaderboard suite),
``paper_values`` (published NB201 numbers) and ``reproductions`` (the papers' tables).
"""

from nas_harness.api import hookimpl

from .space import NB201Space

__all__ = ["NB201Space", "nas_harness_spaces", "nas_harness_suites"]


@hookimpl
def nas_harness_spaces():
    return [NB201Space]


@hookimpl
def nas_harness_suites():
    from . import paper_values, reproductions, suites

    return [*suites.presets(), suites.STANDARD, *paper_values.TABLES.values(), *reproductions.REPRODUCTIONS]
