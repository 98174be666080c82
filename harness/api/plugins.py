"""Hook specs and the base types of the three plugin kinds (proxy, space, strategy) and oracles.

Plugins register through entry points in the groups ``nas_harness.proxies``,
``nas_harness.spaces``, ``nas_harness.strategies`` and ``nas_harness.data_sources``; each entry point names a module (or
object) that implements one of the hooks below with ``@hookimpl``.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
import pluggy
from pydantic import BaseModel

from .config import PluginConfig
from .encoding import Decision
from .errors import ArchError, HarnessError, ProxyFailure
from .model import BuiltModel, as_built
from .records import LabelledSet, OracleInfo
from .sources import DataSource
from .tasks import OUTPUT_KINDS, Task
from .topology import Cost, Topology

if TYPE_CHECKING:  # torch is heavy; plugins that need it import it themselves
    import torch

T = TypeVar("T")
PROJECT = "nas_harness"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

ENTRY_POINT_GROUPS = {
    "proxy": "nas_harness.proxies",
    "space": "nas_harness.spaces",
    "strategy": "nas_harness.strategies",
    "data_source": "nas_harness.data_sources",
}
# A package that only contributes suites (presets, versioned suites, paper tables,
# reproductions; ``nas_harness_suites``) registers under this group.
SUITES_GROUP = "nas_harness.suites"


class Needs(str, enum.Enum):
    """What a proxy needs from the engine; the engine prepares only what is asked for."""

    TOPOLOGY = "topology"  # the topology descriptor only (no model is built)
    MODEL = "model"  # an initialized model, no data (e.g. synflow, params)
    DATA = "data"  # a batch of inputs
    LABELS = "labels"  # class labels for the batch
    GRAD = "grad"  # one or more backward passes
    SCORES = "scores"  # other proxies' scores over the evaluated population (combinators)


# --------------------------------------------------------------------------- scoring context


@dataclass
class ScoreContext:
    """Everything a proxy may use to score one architecture; never any ground truth.

    ``build_model`` returns a freshly built network initialized the same way on every call
    (same seed, same init scheme), so a proxy may change it freely (e.g. synflow makes its
    weights positive) without affecting another proxy; ``build`` returns it with its declared
    parts (``BuiltModel``). ``dataset`` is the task the model is built for (``task`` names it
    too).
    """

    arch: str
    space: str
    dataset: Task
    seed: int
    device: str = "cpu"
    topology: Topology | None = None
    inputs: torch.Tensor | None = None
    targets: torch.Tensor | None = None
    input_kind: str = "none"
    # The probes (``nas_harness.api.probes`` specs) that every proxy scoring this architecture
    # declared in ``Proxy.probes()``: a probe's pass runs once for all planned probes of it.
    plan: tuple[Hashable, ...] = ()
    _model_factory: Callable[..., Any] | None = field(default=None, repr=False)
    _shared: dict = field(default_factory=dict, repr=False)

    @property
    def task(self) -> Task:
        return self.dataset

    def build(self, *, bn: bool = True) -> BuiltModel:
        if self._model_factory is None:
            raise ProxyFailure("this proxy did not declare Needs.MODEL, so no model is available")
        return as_built(self._model_factory(bn=bn))

    def build_model(self, *, bn: bool = True) -> torch.nn.Module:
        return self.build(bn=bn).module

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    def shared(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Compute once per architecture what several proxies need (a probe), then reuse it.

        ``key`` must describe everything the result depends on; proxies that ask for the same
        key get the same object and must not modify it.
        """
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]


# --------------------------------------------------------------------------- proxies


class Proxy(ABC):
    """A training-free score of an architecture.

    Subclasses set ``name``, ``version``, ``higher_is_better``, ``needs`` and ``Config`` (and
    optionally ``spaces`` and ``outputs``) and implement ``score``. A score that is not finite,
    or an exception, is recorded by the engine as a failure of that architecture; raising
    ``NotApplicable`` records the proxy as not applicable there. A proxy must not catch its
    own errors.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    higher_is_better: ClassVar[bool] = True
    needs: ClassVar[frozenset[Needs]] = frozenset({Needs.MODEL})
    Config: ClassVar[type[PluginConfig]] = PluginConfig
    summary: ClassVar[str] = ""
    # Spaces the proxy claims to support (space plugin names); None claims every space.
    spaces: ClassVar[tuple[str, ...] | None] = None
    # Task output kinds the proxy handles; None: every kind, except that a proxy needing class
    # labels handles "classes" only.
    outputs: ClassVar[tuple[str, ...] | None] = None
    # How far a recomputed score may differ from a submitted one (``nash submit --verify``
    # re-scores a sample): a relative tolerance, or {"rtol": .., "atol": ..}. Scores are
    # deterministic given the seed and the batch, so the default is tight; a proxy whose
    # kernels are not bit-reproducible across machines declares what it needs.
    score_tolerance: ClassVar[float | dict[str, float]] = 1e-6

    def __init__(self, config: PluginConfig | None = None):
        self.config = config if config is not None else self.Config()

    @abstractmethod
    def score(self, ctx: ScoreContext) -> float: ...

    def probes(self) -> tuple[Hashable, ...]:
        """The probes (``nas_harness.api.probes`` specs) ``score`` reads, for this config.

        The engine hands the probes of every proxy scoring an architecture to the context
        (``ScoreContext.plan``), so one forward/backward pass serves them all. Declaring is
        an optimisation only: an undeclared probe is computed on request, in a pass of its own.
        """
        return ()

    def score_topologies(self, topologies: Sequence[Topology]) -> np.ndarray:
        """Vectorised scoring for topology-only proxies; the default scores one by one."""
        raise NotImplementedError

    def rank_keys(self, topologies: Sequence[Topology]) -> np.ndarray:
        """Optional, for topology-only proxies: (n, k) keys ordering the architectures finer than
        the stored float score, lexicographically, first column = the score (larger = better when
        ``higher_is_better``). Runs with ``tie_break: rank_keys`` use them to break float ties at
        the argmax (e.g. SED's saturated sigmoids on a size space). Default: none."""
        raise NotImplementedError(f"{self.name} offers no rank keys beyond its score")

    @classmethod
    def output_kinds(cls) -> tuple[str, ...]:
        if cls.outputs is not None:
            return tuple(cls.outputs)
        return ("classes",) if Needs.LABELS in {Needs(n) for n in cls.needs} else OUTPUT_KINDS

    def applicable(self, task: Task) -> str | None:
        """None when the proxy can score models of ``task``, else the reason it cannot."""
        kinds = self.output_kinds()
        if task.output not in kinds:
            return f"{self.name} handles {', '.join(kinds)} outputs; task {task.name!r} is {task.output}"
        return None


class FitTools(ABC):
    """What the protocol lends a trainable proxy's ``fit``: scoring contexts of the calibration
    architectures (model, input batch, topology — never their targets) and scores of any proxy
    configuration through the engine and its store (a revisited configuration costs nothing)."""

    @abstractmethod
    def context(self, labelled: LabelledSet, arch: str) -> ScoreContext: ...

    @abstractmethod
    def score(self, proxy: str, config: dict, labelled: LabelledSet) -> np.ndarray:
        """Scores (in ``labelled.archs`` order, NaN where failed, larger = better) of ``proxy``
        with ``config`` on the calibration architectures of ``labelled``."""

    @abstractmethod
    def rng(self) -> np.random.Generator: ...


class TrainableProxy(Proxy):
    """A proxy that learns from labelled architectures before it scores.

    The protocol (never the proxy) builds the labelled sets, keeps them disjoint from the
    evaluation architectures and calls ``fit``; the returned state (bytes) is hashed into the
    store key and the signature, and ``load_state`` installs it before ``score`` runs (in every
    worker). ``score`` never sees ground truth.
    """

    trainable: ClassVar[bool] = True

    def __init__(self, config: PluginConfig | None = None):
        super().__init__(config)
        self.state: bytes | None = None

    @abstractmethod
    def fit(self, labelled: Sequence[LabelledSet], tools: FitTools) -> bytes:
        """Learn from ``labelled`` (one set per space/task); return the fitted state."""

    def load_state(self, state: bytes) -> None:
        """Install a fitted state; the default keeps the bytes in ``self.state``."""
        self.state = state

    def fitted(self) -> bytes:
        if self.state is None:
            raise ProxyFailure(
                f"{self.name} is trainable and has not been fitted (run it through the few-shot protocol)"
            )
        return self.state


class MemberRef(PluginConfig):
    """A member proxy of a combinator: its name and its own options."""

    name: str
    config: dict = {}


class Combinator(Proxy):
    """A proxy computed from other proxies' scores over the evaluated population.

    Members are scored (and cached) by the engine like any proxy, so a combinator costs
    nothing once its members are in the store. Its values are relative to the population
    (e.g. ranks), so they are recomputed for each run and never stored per architecture.
    The config must have a ``members`` field (a list of ``MemberRef``).
    """

    needs: ClassVar[frozenset[Needs]] = frozenset({Needs.SCORES})

    def member_refs(self) -> list[MemberRef]:
        return list(self.config.members)  # type: ignore[attr-defined]

    @abstractmethod
    def combine(self, scores: np.ndarray) -> np.ndarray:
        """(members × archs) scores oriented larger-is-better, all finite → (archs,) scores."""

    def score(self, ctx: ScoreContext) -> float:
        raise ProxyFailure(f"{self.name} combines a population of scores; it has no per-arch score")


# --------------------------------------------------------------------------- oracles


class Oracle(ABC):
    """A source of ground truth for a space, built with that space. Never handed to a proxy or
    a strategy.

    ``coverage(task)`` says which architectures it labels (None: every architecture of the
    space); samples of a run draw from that set when the oracle is partial.
    """

    name: ClassVar[str]
    Config: ClassVar[type[PluginConfig]] = PluginConfig
    summary: ClassVar[str] = ""

    def __init__(self, config: PluginConfig | None = None, *, space: Space | None = None):
        self.config = config if config is not None else self.Config()
        self.space = space

    def tasks(self) -> tuple[str, ...]:
        """The tasks this oracle labels (default: every task of its space)."""
        if self.space is None:
            raise HarnessError(f"oracle {self.name!r} was built without its space")
        return tuple(self.space.tasks())

    @abstractmethod
    def describe(self, task: str) -> OracleInfo: ...

    def coverage(self, task: str) -> list[str] | None:
        """Canonical architectures labelled for ``task``; None when every one of the space is."""
        return None

    @abstractmethod
    def query(self, archs: Sequence[str], task: str) -> np.ndarray:
        """Metric per arch (NaN where the source has none), in the order given."""

    def query_seeds(self, archs: Sequence[str], task: str) -> np.ndarray:
        """Optional: the metric of each training run separately, an (n_runs × n) array.

        Protocols use it for the noise ceiling. A source without per-run data raises
        ``NotImplementedError`` (the default).
        """
        raise NotImplementedError(f"oracle {self.name!r} has no per-seed data")


# --------------------------------------------------------------------------- spaces


class Space(ABC):
    """A search space: architecture strings, tasks, models, topology, cost, moves and oracles."""

    name: ClassVar[str]
    version: ClassVar[str]
    Config: ClassVar[type[PluginConfig]] = PluginConfig
    summary: ClassVar[str] = ""

    def __init__(self, config: PluginConfig | None = None):
        self.config = config if config is not None else self.Config()

    # --- architectures
    @abstractmethod
    def parse(self, text: str) -> str:
        """Validate ``text`` and return the canonical arch string; ``ArchError`` otherwise."""

    def size(self) -> int | None:
        """Number of architectures when the space is enumerable, else None."""
        return None

    def arch(self, index: int) -> str:
        raise NotImplementedError(f"space {self.name} is not indexable")

    def index(self, arch: str) -> int:
        raise NotImplementedError(f"space {self.name} is not indexable")

    def iso_key(self, arch: str) -> str:
        return arch

    # --- moves (what strategies use)
    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` distinct architectures drawn uniformly without replacement."""

    @abstractmethod
    def mutate(self, arch: str, rng: np.random.Generator) -> str: ...

    @abstractmethod
    def neighbours(self, arch: str) -> list[str]: ...

    def crossover(self, a: str, b: str, rng: np.random.Generator) -> str:
        """A child of ``a`` and ``b``; default: uniform crossover of their decision vectors,
        repaired. A space without decisions must override it to offer crossover."""
        if self.decisions() is None:
            raise NotImplementedError(f"space {self.name} offers no crossover")
        ca, cb = self.to_choices(a), self.to_choices(b)
        mask = rng.random(len(ca)) < 0.5
        return self.from_choices(self.repair([x if m else y for x, y, m in zip(ca, cb, mask)], rng))

    # --- optional: the space as a vector of categorical decisions
    def decisions(self) -> tuple[Decision, ...] | None:
        """The decision vector, when architectures can be written as one option per decision
        (e.g. NB201: 6 edges × 5 ops); None otherwise. Not every vector need be valid: see
        ``repair``. A space that overrides only the v1 ``choices()`` gets its pairs here, as
        unordered decisions."""
        if type(self).choices is Space.choices:
            return None
        found = self.choices()
        return (
            None
            if found is None
            else tuple(Decision(str(n), tuple(str(o) for o in opts)) for n, opts in found)
        )

    def choices(self) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
        """``(decision, options)`` pairs of ``decisions()`` (the v1 name)."""
        found = self.decisions()
        return None if found is None else tuple((d.name, tuple(d.options)) for d in found)

    def to_choices(self, arch: str) -> tuple[int, ...]:
        """The option index picked at each decision."""
        raise NotImplementedError(f"space {self.name} has no decisions()")

    def from_choices(self, picks: Sequence[int]) -> str:
        """The canonical arch for one option index per decision; ``ArchError`` if invalid."""
        raise NotImplementedError(f"space {self.name} has no decisions()")

    def repair(self, picks: Sequence[int], rng: np.random.Generator) -> tuple[int, ...]:
        """A valid decision vector close to ``picks``; default: ``picks`` (every vector valid)."""
        return tuple(int(p) for p in picks)

    # --- tasks, models and descriptors
    def tasks(self) -> dict[str, Task]:
        """The space's tasks by name; the first is the default."""
        return self.datasets()

    def datasets(self) -> dict[str, Task]:
        """The v1 name of ``tasks``; a space implements one of the two."""
        if type(self).tasks is Space.tasks:
            raise NotImplementedError(f"space {self.name} implements neither tasks() nor datasets()")
        return self.tasks()

    def task(self, name: str) -> Task:
        known = self.tasks()
        if name not in known:
            raise HarnessError(f"space {self.name!r} has no task {name!r}; known: {', '.join(known)}")
        return known[name]

    dataset = task  # the v1 name

    def default_task(self) -> str:
        return next(iter(self.tasks()))

    @abstractmethod
    def build_model(self, arch: str, dataset: str, *, bn: bool = True) -> BuiltModel | torch.nn.Module:
        """The network of ``arch`` for task ``dataset``, preferably with its parts (``BuiltModel``)."""

    @abstractmethod
    def topology(self, arch: str, dataset: str) -> Topology: ...

    @abstractmethod
    def cost(self, arch: str, dataset: str) -> Cost:
        """Parameters and FLOPs (multiply-accumulates, one image) of the model for the task."""

    # --- ground truth
    def oracles(self) -> dict[str, type[Oracle]]:
        """Oracle kinds this space offers, by name; the first is the default."""
        return {}


# --------------------------------------------------------------------------- strategies


class SearchHistory(BaseModel):
    """What a strategy did: every architecture it scored, in order."""

    archs: list[str]
    scores: list[float]
    chosen: str


class Strategy(ABC):
    """A search strategy; it sees proxy scores only, never ground truth.

    ``search`` gets a restricted view of the space (parse, size, arch, index, iso_key, sample,
    mutate, neighbours, crossover, decisions, to_choices, from_choices, repair, and cost(arch)
    for the task searched; no models, no oracles) and ``score_fn(archs) -> list[float]``:
    larger is better, ``-inf`` where the proxy failed. ``budget`` counts distinct
    architectures scored; scoring one again is free. A call with more new architectures than
    are left raises ``BudgetExhausted`` and scores nothing (``score_fn.remaining`` tells how
    many are left).
    """

    name: ClassVar[str]
    version: ClassVar[str]
    Config: ClassVar[type[PluginConfig]] = PluginConfig
    summary: ClassVar[str] = ""

    def __init__(self, config: PluginConfig | None = None):
        self.config = config if config is not None else self.Config()

    @abstractmethod
    def search(
        self,
        space: Space,
        score_fn: Callable[[Sequence[str]], list[float]],
        budget: int,
        rng: np.random.Generator,
    ) -> SearchHistory: ...


# --------------------------------------------------------------------------- hooks


class HookSpecs:
    """Hooks a plugin module implements. Each returns what it contributes."""

    @hookspec
    def nas_harness_proxies(self) -> list[type[Proxy]]:
        """Proxy classes this plugin provides."""

    @hookspec
    def nas_harness_spaces(self) -> list[type[Space]]:
        """Space classes this plugin provides."""

    @hookspec
    def nas_harness_strategies(self) -> list[type[Strategy]]:
        """Strategy classes this plugin provides."""

    @hookspec
    def nas_harness_data_sources(self) -> list[type[DataSource]]:
        """Data source classes (``nas_harness.api.sources.DataSource``) this plugin provides:
        where input batches may come from, chosen with ``input.kind``."""

    @hookspec
    def nas_harness_suites(self) -> list[Any]:
        """Run presets, versioned suites, paper tables and reproductions this plugin contributes
        (``nas_harness.api.suites`` records). Any registered plugin module may implement it."""


KIND_HOOK = {
    "proxy": "nas_harness_proxies",
    "space": "nas_harness_spaces",
    "strategy": "nas_harness_strategies",
    "data_source": "nas_harness_data_sources",
}
KIND_BASE: dict[str, type] = {"proxy": Proxy, "space": Space, "strategy": Strategy, "data_source": DataSource}

__all__ = [
    "ArchError",
    "Combinator",
    "ENTRY_POINT_GROUPS",
    "FitTools",
    "HookSpecs",
    "KIND_BASE",
    "KIND_HOOK",
    "MemberRef",
    "Needs",
    "Oracle",
    "PROJECT",
    "Proxy",
    "SUITES_GROUP",
    "ScoreContext",
    "SearchHistory",
    "Space",
    "Strategy",
    "TrainableProxy",
    "hookimpl",
    "hookspec",
]
