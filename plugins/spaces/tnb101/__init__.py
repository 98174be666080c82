"""TransNAS-Bench-101 micro (cell) and macro (skeleton) spaces as space plugins.

Modules: ``arch`` (network codes, index order, moves, decisions), ``model`` (the benchmark's
encoder and per-task heads), ``tasks`` (outputs, losses, metrics), ``cost`` (params and MACs),
``space`` (the two spaces and their ``tnb101`` table oracle).
The suites hook contributes ``paper_values`` (published numbers on this space) and
``reproductions`` (the papers' tables, planned as the measured runs of docs/results.md).
"""

from nas_harness.api import hookimpl

from .space import TNB101MacroSpace, TNB101MicroSpace

__all__ = ["TNB101MacroSpace", "TNB101MicroSpace", "nas_harness_spaces", "nas_harness_suites"]


@hookimpl
def nas_harness_spaces():
    return [TNB101MicroSpace, TNB101MacroSpace]


@hookimpl
def nas_harness_suites():
    from . import paper_values, reproductions

    return [*paper_values.TABLES.values(), *reproductions.REPRODUCTIONS]
