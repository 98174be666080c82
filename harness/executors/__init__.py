"""Executors: where work units (an architecture and the jobs it lacks) are scored.

``inline`` (this process), ``local`` (isolated worker processes on this machine) and ``dask``
(the same isolated workers inside the workers of a Dask cluster) share one interface,
``Executor.map_archs``; the driver commits what they stream back.
"""

from .base import Executor, ExecutorKind
from .factory import make_executor
from .limits import Limits

__all__ = ["Executor", "ExecutorKind", "Limits", "make_executor"]
