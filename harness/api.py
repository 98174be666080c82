"""The public plugin contract: the only module of ours that a plugin may import.

It sits at the ground floor of the import graph (it imports nothing else from nas-harness),
so a third-party proxy, space or strategy depends on exactly what the built-ins depend on.
Plugins register through entry points in the groups ``nas_harness.proxies``,
``nas_harness.spaces`` and ``nas_harness.strategies``; each entry point names a module (or
object) that implements one of the hooks below with ``@hookimpl``.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, ClassVar, Hashable, Sequence, TypeVar

import numpy as np
import pluggy
from pydantic import BaseModel, ConfigDict

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
}


class HarnessError(Exception):
    """An error caused by the user's input; the CLI prints it and exits with code 2."""


class ArchError(HarnessError, ValueError):
    """An architecture string (or index) that the space cannot accept."""


class ProxyFailure(Exception):
    """A proxy could not produce a score for one architecture; recorded, never fatal."""


class BudgetExhausted(Exception):
    """A strategy asked ``score_fn`` for more new architectures than its budget has left.

    The call is refused whole (nothing in it is scored); a strategy may catch this and stop.
    """


class Needs(str, enum.Enum):
    """What a proxy needs from the engine; the engine prepares only what is asked for."""

    TOPOLOGY = "topology"  # the topology descriptor only (no model is built)
    MODEL = "model"  # an initialized model, no data (e.g. synflow, params)
    DATA = "data"  # a batch of inputs
    LABELS = "labels"  # class labels for the batch
    GRAD = "grad"  # one or more backward passes
    SCORES = "scores"  # other proxies' scores over the evaluated population (combinators)


class PluginConfig(BaseModel):
    """Base of every plugin's config: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- topology


@dataclass(frozen=True)
class OpInfo:
    """One kind of searchable operation, described well enough for data-free proxies.

    ``kind`` is one of ``conv``, ``pool``, ``skip``, ``none`` or ``other``; ``kernel`` and
    ``stride`` are (h, w).
    """

    name: str
    kind: str
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)


@dataclass(frozen=True)
class BlockTopology:
    """One block (cell, stage or fixed block) of a network."""

    # The block's candidate (searchable) ops with their counts; candidates the architecture
    # does not use are listed with count 0, so data-free proxies see the whole choice set.
    ops: tuple[tuple[OpInfo, int], ...]
    c_in: int
    c_out: int
    hw_in: tuple[int, int]
    hw_out: tuple[int, int]
    searchable: bool = True
    name: str = ""


@dataclass(frozen=True)
class Topology:
    """Topology descriptor of one architecture: what a data-free proxy may look at."""

    blocks: tuple[BlockTopology, ...]

    def op_counts(self) -> dict[str, int]:
        """Occurrences of each op that the architecture uses (count-0 candidates left out)."""
        counts: dict[str, int] = {}
        for block in self.blocks:
            for op, n in block.ops:
                if n:
                    counts[op.name] = counts.get(op.name, 0) + n
        return counts


@dataclass(frozen=True)
class Cost:
    """Trainable parameters and FLOPs of one forward pass of one image.

    FLOPs are counted as multiply-accumulates, the convention NAS-Bench-201/NATS-Bench use.
    """

    params: int
    flops: int


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    num_classes: int
    input_shape: tuple[int, int, int]  # C, H, W


# --------------------------------------------------------------------------- scoring context


@dataclass
class ScoreContext:
    """Everything a proxy may use to score one architecture; never any accuracy.

    ``build_model`` returns a freshly built model initialized the same way on every call
    (same seed, same init scheme), so a proxy may change it freely (e.g. synflow makes its
    weights positive) without affecting another proxy.
    """

    arch: str
    space: str
    dataset: DatasetInfo
    seed: int
    device: str = "cpu"
    topology: Topology | None = None
    inputs: "torch.Tensor | None" = None
    targets: "torch.Tensor | None" = None
    input_kind: str = "none"
    # The probes (``nas_harness.probes`` specs) that every proxy scoring this architecture
    # declared in ``Proxy.probes()``: a probe's pass runs once for all planned probes of it.
    plan: tuple[Hashable, ...] = ()
    _model_factory: Callable[..., "torch.nn.Module"] | None = field(default=None, repr=False)
    _shared: dict = field(default_factory=dict, repr=False)

    def build_model(self, *, bn: bool = True) -> "torch.nn.Module":
        if self._model_factory is None:
            raise ProxyFailure("this proxy did not declare Needs.MODEL, so no model is available")
        return self._model_factory(bn=bn)

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    def shared(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Compute once per architecture what several proxies need (a probe), then reuse it.

        ``key`` must describe everything the result depends on (e.g. ``("param_grads",
        "cross_entropy", "bn=train")``); proxies that ask for the same key get the same object
        and must not modify it.
        """
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]


# --------------------------------------------------------------------------- plugin bases


class Proxy(ABC):
    """A training-free score of an architecture.

    Subclasses set ``name``, ``version``, ``higher_is_better``, ``needs`` and ``Config`` (and
    optionally ``spaces``) and implement ``score``. A score that is not finite, or an
    exception, is recorded by the engine as a failure of that architecture; a proxy must not
    catch its own errors.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    higher_is_better: ClassVar[bool] = True
    needs: ClassVar[frozenset[Needs]] = frozenset({Needs.MODEL})
    Config: ClassVar[type[PluginConfig]] = PluginConfig
    summary: ClassVar[str] = ""
    # Spaces the proxy claims to support (space plugin names); None claims every space.
    # ``nash validate`` scores a few architectures of each dataset of each claimed space.
    spaces: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, config: PluginConfig | None = None):
        self.config = config if config is not None else self.Config()

    @abstractmethod
    def score(self, ctx: ScoreContext) -> float: ...

    def probes(self) -> tuple[Hashable, ...]:
        """The probes (``nas_harness.probes`` specs) ``score`` reads, for this config.

        The engine hands the probes of every proxy scoring an architecture to the context
        (``ScoreContext.plan``), so one forward/backward pass serves them all. Declaring is
        an optimisation only: an undeclared probe is computed on request, in a pass of its own.
        """
        return ()

    def score_topologies(self, topologies: Sequence[Topology]) -> np.ndarray:
        """Vectorised scoring for topology-only proxies; the default scores one by one."""
        raise NotImplementedError


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


class Oracle(ABC):
    """A source of ground truth for a space. Never handed to a proxy or a strategy."""

    name: ClassVar[str]
    Config: ClassVar[type[PluginConfig]] = PluginConfig

    def __init__(self, config: PluginConfig | None = None):
        self.config = config if config is not None else self.Config()

    @abstractmethod
    def describe(self, dataset: str) -> "OracleInfo": ...

    @abstractmethod
    def query(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        """Metric per arch (NaN where the source has none), in the order given."""

    def query_seeds(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        """Optional: the metric of each training seed separately, an (n_seeds × n) array.

        Row i is the i-th seed (or seed position) of the source, NaN where an architecture
        has no such run. Protocols use it for the noise ceiling (how well one training seed
        ranks the architectures like another). A source without per-seed data raises
        ``NotImplementedError`` (the default).
        """
        raise NotImplementedError(f"oracle {self.name!r} has no per-seed data")


@dataclass(frozen=True)
class OracleInfo:
    """What a ground-truth number means; recorded with every result."""

    oracle: str
    dataset: str
    metric: str  # e.g. "accuracy"
    split: str  # "valid" | "test" | ...
    epochs: int | None
    seed_aggregation: str  # e.g. "mean(3 seeds)"
    higher_is_better: bool = True
    source: str = ""

    def target(self) -> str:
        ep = f"@{self.epochs}ep" if self.epochs is not None else ""
        return f"{self.dataset}/{self.split}{ep}({self.seed_aggregation})"


class Space(ABC):
    """A search space: architecture strings, models, topology, cost and its oracles."""

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

    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` distinct architectures drawn uniformly without replacement."""

    @abstractmethod
    def mutate(self, arch: str, rng: np.random.Generator) -> str: ...

    @abstractmethod
    def neighbours(self, arch: str) -> list[str]: ...

    # --- optional: the space as a product of independent categorical decisions
    def choices(self) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
        """``(decision, options)`` pairs when every combination of options is one architecture
        (e.g. NB201: 6 edges × 5 ops), else None. Search controllers (REINFORCE, GA
        crossover) need it together with ``to_choices``/``from_choices``."""
        return None

    def to_choices(self, arch: str) -> tuple[int, ...]:
        """The option index picked at each decision of ``choices()``."""
        raise NotImplementedError(f"space {self.name} has no choices()")

    def from_choices(self, picks: Sequence[int]) -> str:
        """The canonical arch string for one option index per decision of ``choices()``."""
        raise NotImplementedError(f"space {self.name} has no choices()")

    # --- models and descriptors
    @abstractmethod
    def datasets(self) -> dict[str, DatasetInfo]: ...

    def dataset(self, name: str) -> DatasetInfo:
        known = self.datasets()
        if name not in known:
            raise HarnessError(f"space {self.name!r} has no dataset {name!r}; known: {sorted(known)}")
        return known[name]

    @abstractmethod
    def build_model(self, arch: str, dataset: str, *, bn: bool = True) -> "torch.nn.Module": ...

    @abstractmethod
    def topology(self, arch: str, dataset: str) -> Topology: ...

    @abstractmethod
    def cost(self, arch: str, dataset: str) -> Cost:
        """Parameters and FLOPs (multiply-accumulates, one image) of the model for ``dataset``."""

    # --- ground truth
    def oracles(self) -> dict[str, type[Oracle]]:
        """Oracle kinds this space offers, by name; the first is the default."""
        return {}


class SearchHistory(BaseModel):
    """What a strategy did: every architecture it scored, in order."""

    archs: list[str]
    scores: list[float]
    chosen: str


class Strategy(ABC):
    """A search strategy; it sees proxy scores only, never ground truth.

    ``search`` gets a restricted view of the space (parse, size, arch, index, iso_key, sample,
    mutate, neighbours, choices, to_choices, from_choices, and cost(arch) for the dataset
    searched; no models, no oracles) and ``score_fn(archs) -> list[float]``: larger is
    better, ``-inf`` where the proxy failed.
    ``budget`` counts distinct architectures scored; scoring one again is free. A call with
    more new architectures than are left raises ``BudgetExhausted`` and scores nothing
    (``score_fn.remaining`` tells how many are left).
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
    """Hooks a plugin module implements. Each returns the classes it contributes."""

    @hookspec
    def nas_harness_proxies(self) -> list[type[Proxy]]:
        """Proxy classes this plugin provides."""

    @hookspec
    def nas_harness_spaces(self) -> list[type[Space]]:
        """Space classes this plugin provides."""

    @hookspec
    def nas_harness_strategies(self) -> list[type[Strategy]]:
        """Strategy classes this plugin provides."""


KIND_HOOK = {
    "proxy": "nas_harness_proxies",
    "space": "nas_harness_spaces",
    "strategy": "nas_harness_strategies",
}
KIND_BASE: dict[str, type] = {"proxy": Proxy, "space": Space, "strategy": Strategy}

__all__ = [
    "ArchError",
    "BlockTopology",
    "BudgetExhausted",
    "Combinator",
    "MemberRef",
    "Cost",
    "DatasetInfo",
    "HarnessError",
    "HookSpecs",
    "Needs",
    "OpInfo",
    "Oracle",
    "OracleInfo",
    "PluginConfig",
    "Proxy",
    "ProxyFailure",
    "ScoreContext",
    "SearchHistory",
    "Space",
    "Strategy",
    "Topology",
    "hookimpl",
    "hookspec",
]
