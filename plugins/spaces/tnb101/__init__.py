"""TransNAS-Bench-101 micro (cell) and macro (skeleton) spaces as space plugins.

Modules: ``arch`` (network codes, index order, moves, decisions), ``model`` (the benchmark's
encoder and per-task heads), ``tasks`` (outputs, losses, metrics), ``cost`` (params and MACs),
``space`` (the two spaces and their ``tnb101`` table oracle).
"""

from nas_harness.api import hookimpl

from .space import TNB101MacroSpace, TNB101MicroSpace

__all__ = ["TNB101MacroSpace", "TNB101MicroSpace", "nas_harness_spaces"]


@hookimpl
def nas_harness_spaces():
    return [TNB101MicroSpace, TNB101MacroSpace]
