"""A test-only space plugin that looks nothing like NB201 (installed by the tests through an
entry point): a cell DAG with a graph encoding, a classification and a regression task, and
a table oracle that labels part of the space."""

from nas_harness.api import hookimpl

from .space import DagSpace


@hookimpl
def nas_harness_spaces():
    return [DagSpace]
