"""NAS-Bench-Macro search space plugin (xiusu/NAS-Bench-Macro, CIFAR-10).

Modules: ``space`` (the plugin class), ``arch`` (8-digit strings, index, canonical form, moves), ``skeleton`` (layer shapes
and the benchmark's cost) and ``model`` (the torch network as the benchmark builds it).
"""

from nas_harness.api import hookimpl

from .space import MacroSpace

__all__ = ["MacroSpace", "nas_harness_spaces"]


@hookimpl
def nas_harness_spaces():
    return [MacroSpace]
