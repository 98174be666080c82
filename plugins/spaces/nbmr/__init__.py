"""NAS-Bench-MR plugin: the 2,507 multi-resolution networks of the benchmark, nine tasks.

Modules: ``arch`` (official code strings, network setting, embedding), ``model`` (the
classification form), ``cost`` (analytic params/FLOPs; the benchmark's own convention),
``topology``, ``tasks`` (the nine tasks and their metric columns), ``listing`` (the benchmark's
list of networks and the moves inside it).
The suites hook contributes ``paper_values`` (published numbers on this space) and
``reproductions`` (the papers' tables, planned as the measured runs of docs/results.md).
"""

from nas_harness.api import hookimpl

from .space import NBMRSpace

__all__ = ["NBMRSpace", "nas_harness_spaces", "nas_harness_suites"]


@hookimpl
def nas_harness_spaces():
    return [NBMRSpace]


@hookimpl
def nas_harness_suites():
    from . import paper_values, reproductions

    return [*paper_values.TABLES.values(), *reproductions.REPRODUCTIONS]
