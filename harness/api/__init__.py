"""The public plugin contract: everything a plugin may import from nas-harness.

It sits at the ground floor of the import graph (it imports nothing else of ours), so a
third-party proxy, space or strategy depends on exactly what the built-ins depend on.
Modules: ``plugins`` (hook specs; Proxy, TrainableProxy, Space, Oracle, Strategy), ``tasks``
(Task, Metric), ``topology`` (Topology, Graph, OpInfo, Cost), ``model`` (BuiltModel),
``encoding`` (Decision), ``records`` (OracleInfo, Signature, LabelledSet), ``sources``
(DataSource, BatchRequest, SourceBatch: where input batches come from), ``errors``,
``paths`` (the shared data folder) — all re-exported here — and, imported on their own:
``suites`` (the records a plugin contributes through ``nas_harness_suites``: run presets,
versioned suites, paper tables, reproductions) and, because they pull in torch or pandas,
``probes`` (probe specs and the fused-pass helpers a proxy reads
through), ``tables`` (the generic table oracle) and ``testing`` (conformance checks for a
plugin author's own tests).
"""

from __future__ import annotations

from .config import PluginConfig
from .encoding import Decision
from .errors import ArchError, BudgetExhausted, HarnessError, NotApplicable, ProxyFailure
from .model import BuiltModel, as_built
from .paths import SHARED_ENV, shared_dir, shared_path
from .plugins import (
    ENTRY_POINT_GROUPS,
    KIND_BASE,
    KIND_HOOK,
    PROJECT,
    SUITES_GROUP,
    Combinator,
    FitTools,
    HookSpecs,
    MemberRef,
    Needs,
    Oracle,
    Proxy,
    ScoreContext,
    SearchHistory,
    Space,
    Strategy,
    TrainableProxy,
    hookimpl,
    hookspec,
)
from .records import CalibrationInfo, LabelledSet, OracleInfo, Signature
from .sources import DATA_DIR_ENV, BatchRequest, DataSource, SourceBatch, data_family
from .tasks import OUTPUT_KINDS, DatasetInfo, Metric, Task
from .topology import BlockTopology, Cost, Edge, Graph, OpInfo, Topology

__all__ = [
    "ArchError",
    "BatchRequest",
    "BlockTopology",
    "BudgetExhausted",
    "BuiltModel",
    "CalibrationInfo",
    "Combinator",
    "Cost",
    "DATA_DIR_ENV",
    "DataSource",
    "DatasetInfo",
    "Decision",
    "ENTRY_POINT_GROUPS",
    "Edge",
    "FitTools",
    "Graph",
    "HarnessError",
    "HookSpecs",
    "KIND_BASE",
    "KIND_HOOK",
    "LabelledSet",
    "MemberRef",
    "Metric",
    "Needs",
    "NotApplicable",
    "OUTPUT_KINDS",
    "OpInfo",
    "Oracle",
    "OracleInfo",
    "PROJECT",
    "PluginConfig",
    "Proxy",
    "ProxyFailure",
    "SHARED_ENV",
    "SUITES_GROUP",
    "ScoreContext",
    "SearchHistory",
    "Signature",
    "SourceBatch",
    "Space",
    "Strategy",
    "Task",
    "Topology",
    "TrainableProxy",
    "as_built",
    "data_family",
    "hookimpl",
    "hookspec",
    "shared_dir",
    "shared_path",
]
