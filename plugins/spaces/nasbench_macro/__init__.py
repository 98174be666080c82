"""NAS-Bench-Macro search space plugin (xiusu/NAS-Bench-Macro, CIFAR-10).

Modules: ``space`` (the plugin class), ``arch`` (8-digit strings, index, canonical form, moves), ``skeleton`` (layer shapes
and the benchmark's cost) and ``model`` (the torch network as the benchmark builds it).
The suites hook contributes ``paper_values`` (published numbers on this space) and
``reproductions`` (the papers' tables, planned as the measured runs of docs/results.md).
"""

from nas_harness.api import hookimpl

from .space import MacroSpace

__all__ = ["MacroSpace", "nas_harness_spaces", "nas_harness_suites"]


@hookimpl
def nas_harness_spaces():
    return [MacroSpace]


@hookimpl
def nas_harness_suites():
    from . import paper_values, reproductions

    return [*paper_values.TABLES.values(), *reproductions.REPRODUCTIONS]
