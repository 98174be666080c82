"""What a search strategy is handed: a restricted view of the space and a budgeted ``score_fn``.

``SearchSpaceView`` exposes parse, size, arch, index, iso_key, sample, mutate, neighbours,
crossover, decisions, choices, to_choices, from_choices, repair and cost, and nothing that
builds a model or reads ground truth. ``ScoreFn`` is ``score_fn(archs) -> list[float]`` (larger is better, ``-inf`` where the
proxy failed) that charges every *new* architecture to the budget and refuses, whole, a call
that would exceed it (``BudgetExhausted``).

Neither object holds a reference to the space, its oracles, the engine or the store. Each holds
an opaque integer token in ``__slots__``; what the token stands for sits in a table private to
this module, and errors raised by the space are re-raised without their traceback (whose
frames would hold the space). So walking the attributes, slots, bound methods, closures or
exceptions of what a strategy is given reaches no ground truth. This is a guard against
accidental access, not a sandbox: code in the same process can always find any object (through
``gc`` or ``sys.modules``), so the rule "a strategy never sees ground truth" also rests on
review of what a strategy imports.
"""

from __future__ import annotations

import itertools
import math
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .api import BudgetExhausted, Cost, Decision, HarnessError, Space

_BACKENDS: dict[int, Any] = {}  # token -> what a view or a score_fn stands for
_TOKENS = itertools.count(1)


def _register(backend: Any) -> int:
    token = next(_TOKENS)
    _BACKENDS[token] = backend
    return token


def _backend(token: int, what: str) -> Any:
    try:
        return _BACKENDS[token]
    except KeyError:
        raise HarnessError(f"this {what} belongs to a search that has ended") from None


def _clean_error(exc: BaseException) -> BaseException:
    """The same kind of error, without the traceback that leads back into the space.

    Unexpected errors (not a user or budget error) keep their traceback as text, in a note.
    """
    try:
        clean = type(exc)(*exc.args)
    except Exception:  # noqa: BLE001 - an exception type with an unusual constructor
        clean = HarnessError(f"{type(exc).__name__}: {exc}")
    if not isinstance(exc, (HarnessError, BudgetExhausted)) and hasattr(clean, "add_note"):
        clean.add_note("".join(traceback.format_exception(exc)).rstrip())
    return clean


def _call(token: int, what: str, method: str, *args: Any) -> tuple[Any, BaseException | None]:
    """Call ``method`` of the backend; an error comes back as a value (its frames are dropped)."""
    backend = _backend(token, what)
    try:
        return getattr(backend, method)(*args), None
    except Exception as exc:  # noqa: BLE001 - re-raised by the caller, cleaned
        return None, _clean_error(exc)


@dataclass
class _SpaceBackend:
    space: Space
    dataset: str

    def name(self) -> str:
        return self.space.name

    def parse(self, text: str) -> str:
        return self.space.parse(text)

    def size(self) -> int | None:
        return self.space.size()

    def arch(self, index: int) -> str:
        return self.space.arch(index)

    def index(self, arch: str) -> int:
        return self.space.index(arch)

    def iso_key(self, arch: str) -> str:
        return self.space.iso_key(arch)

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        return list(self.space.sample(n, rng))

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        return self.space.mutate(arch, rng)

    def neighbours(self, arch: str) -> list[str]:
        return list(self.space.neighbours(arch))

    def crossover(self, a: str, b: str, rng: np.random.Generator) -> str:
        return self.space.crossover(a, b, rng)

    def decisions(self) -> tuple[Decision, ...] | None:
        found = self.space.decisions()
        if found is None:
            return None
        return tuple(Decision(str(d.name), tuple(str(o) for o in d.options), bool(d.ordered)) for d in found)

    def repair(self, picks: Sequence[int], rng: np.random.Generator) -> tuple[int, ...]:
        return tuple(int(p) for p in self.space.repair([int(p) for p in picks], rng))

    def choices(self):
        found = self.space.choices()
        if found is None:
            return None
        return tuple((str(name), tuple(str(o) for o in options)) for name, options in found)

    def to_choices(self, arch: str) -> tuple[int, ...]:
        return tuple(int(i) for i in self.space.to_choices(arch))

    def from_choices(self, picks: Sequence[int]) -> str:
        return self.space.from_choices([int(p) for p in picks])

    def cost(self, arch: str) -> Cost:
        c = self.space.cost(arch, self.dataset)
        return Cost(params=int(c.params), flops=int(c.flops))


def space_backend(space: Space, dataset: str) -> Any:
    """What a view of ``space`` for ``dataset`` calls: in this process (``SearchSpaceView.over``)
    or, for a strategy in its sandboxed process, through ``answer``."""
    return _SpaceBackend(space, dataset)


def view_over(backend: Any) -> SearchSpaceView:
    """A view whose calls go to ``backend`` (``space_backend``, or a strategy process's link to
    the driver's)."""
    view = SearchSpaceView.__new__(SearchSpaceView)
    view._token = _register(backend)
    return view


class SearchSpaceView:
    """A search space as a strategy may see it: architectures, moves and cost; no ground truth."""

    __slots__ = ("_token",)

    def __init__(self, space: Space, dataset: str):
        self._token = _register(_SpaceBackend(space, dataset))

    def close(self) -> None:
        """End the view; later calls raise. The protocol closes it when the search returns."""
        _BACKENDS.pop(self._token, None)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def _do(self, method: str, *args: Any) -> Any:
        value, error = _call(self._token, "space view", method, *args)
        if error is not None:
            raise error
        return value

    def __repr__(self) -> str:
        return f"SearchSpaceView({self.name!r})"

    @property
    def name(self) -> str:
        return self._do("name")

    def parse(self, text: str) -> str:
        return self._do("parse", text)

    def size(self) -> int | None:
        return self._do("size")

    def arch(self, index: int) -> str:
        return self._do("arch", index)

    def index(self, arch: str) -> int:
        return self._do("index", arch)

    def iso_key(self, arch: str) -> str:
        return self._do("iso_key", arch)

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` distinct architectures, uniformly, without replacement."""
        return self._do("sample", n, rng)

    def mutate(self, arch: str, rng: np.random.Generator) -> str:
        return self._do("mutate", arch, rng)

    def neighbours(self, arch: str) -> list[str]:
        return self._do("neighbours", arch)

    def crossover(self, a: str, b: str, rng: np.random.Generator) -> str:
        """A child of ``a`` and ``b``; ``NotImplementedError`` when the space offers none."""
        return self._do("crossover", a, b, rng)

    def decisions(self) -> tuple[Decision, ...] | None:
        """The space as a vector of categorical decisions (``Decision(name, options, ordered)``),
        or None when it has none. Not every vector need be an architecture: ``repair`` first."""
        return self._do("decisions")

    def repair(self, picks: Sequence[int], rng: np.random.Generator) -> tuple[int, ...]:
        """A valid decision vector close to ``picks`` (``picks`` itself when it is valid)."""
        return self._do("repair", list(picks), rng)

    def choices(self) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
        """``(decision, options)`` pairs, or None when the space is not a product of choices."""
        return self._do("choices")

    def to_choices(self, arch: str) -> tuple[int, ...]:
        return self._do("to_choices", arch)

    def from_choices(self, picks: Sequence[int]) -> str:
        return self._do("from_choices", list(picks))

    def cost(self, arch: str) -> Cost:
        """Parameters and FLOPs of ``arch`` for the dataset being searched."""
        return self._do("cost", arch)


VIEW_CALLS = frozenset(
    {
        "name",
        "parse",
        "size",
        "arch",
        "index",
        "iso_key",
        "sample",
        "mutate",
        "neighbours",
        "crossover",
        "decisions",
        "repair",
        "choices",
        "to_choices",
        "from_choices",
        "cost",
    }
)
SCORE_CALLS = frozenset({"__call__", "scored", "used", "remaining"})


def answer(backend: Any, kind: str, method: str, args: Sequence[Any]) -> tuple[Any, BaseException | None]:
    """Serve one call a strategy in another process made on its view (``kind`` "view", backend
    from ``space_backend``) or its score_fn ("score", backend a ``Scorer``): (value, None), or
    (None, the error cleaned of its traceback). Only the calls the view and score_fn offer."""
    allowed = VIEW_CALLS if kind == "view" else SCORE_CALLS if kind == "score" else frozenset()
    if not isinstance(method, str) or method not in allowed or not isinstance(args, (list, tuple)):
        return None, HarnessError(f"{kind}.{method} is not something a strategy can call")
    if kind == "score" and method in ("used", "remaining"):
        return getattr(backend, method), None
    try:
        return getattr(backend, method)(*args), None
    except Exception as exc:  # noqa: BLE001 - sent back to the strategy, cleaned
        return None, _clean_error(exc)


# --------------------------------------------------------------------------- scoring


Evaluate = Callable[[list[str]], np.ndarray]  # oriented values (larger is better), NaN = failed


@dataclass
class Scorer:
    """The budget keeper behind a ``ScoreFn``; the protocol reads its log after the search.

    ``relative``: the values depend on the set scored together (a combinator's vote or rank
    sum), so each call is evaluated as one population and nothing is memoized; otherwise a
    value is computed once per architecture and reused.
    """

    evaluate: Evaluate
    budget: int
    relative: bool = False
    parse: Callable[[str], str] | None = None
    order: list[str] = field(default_factory=list)  # distinct archs in the order first scored
    values: dict[str, float] = field(default_factory=dict)  # absolute scores (NaN = failed)
    on_new: Callable[[int], None] | None = None  # told how many new archs each call scored
    calls: int = 0
    scoring_s: float = 0.0  # time spent inside ``evaluate``
    _seen: set[str] = field(default_factory=set)

    @property
    def used(self) -> int:
        return len(self.order)

    @property
    def remaining(self) -> int:
        return self.budget - len(self.order)

    def scored(self, arch: str) -> bool:
        return self._canonical(arch) in self._seen

    def _canonical(self, arch: str) -> str:
        if not isinstance(arch, str):
            raise HarnessError(f"score_fn takes architecture strings, got {type(arch).__name__}: {arch!r}")
        return self.parse(arch) if self.parse is not None else arch

    def __call__(self, archs: Sequence[str]) -> list[float]:
        if isinstance(archs, str):
            raise HarnessError("score_fn takes a list of architectures, not one string")
        wanted = [self._canonical(a) for a in archs]
        distinct = list(dict.fromkeys(wanted))
        new = [a for a in distinct if a not in self._seen]
        if len(new) > self.remaining:
            raise BudgetExhausted(
                f"{len(new)} new architectures asked for, {self.remaining} of {self.budget} left"
            )
        self.calls += 1
        if self.relative:
            values = dict(zip(distinct, self._evaluate(distinct))) if distinct else {}
        else:
            if new:
                self.values.update(zip(new, self._evaluate(new)))
            values = self.values
        for a in new:
            self._seen.add(a)
            self.order.append(a)
        if new and self.on_new is not None:
            self.on_new(len(new))
        return [_finite_or_ninf(values[a]) for a in wanted]

    def _evaluate(self, archs: list[str]) -> list[float]:
        t0 = time.perf_counter()
        out = np.asarray(self.evaluate(archs), dtype=float)
        self.scoring_s += time.perf_counter() - t0
        if out.shape != (len(archs),):
            raise RuntimeError(f"scoring returned shape {out.shape} for {len(archs)} architectures")
        return [float(v) for v in out]


def _finite_or_ninf(value: float) -> float:
    return float(value) if math.isfinite(value) else float("-inf")


class ScoreFn:
    """``score_fn(archs) -> list[float]``, larger is better; ``-inf`` where the proxy failed.

    The budget counts distinct architectures; scoring one again in the same search is free. A
    call with more new architectures than remain raises ``BudgetExhausted`` and scores nothing.
    """

    __slots__ = ("_token",)

    def __init__(self, scorer: Scorer):
        self._token = _register(scorer)

    def close(self) -> None:
        _BACKENDS.pop(self._token, None)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    def _scorer(self) -> Scorer:
        return _backend(self._token, "score_fn")

    def __call__(self, archs: Sequence[str]) -> list[float]:
        value, error = _call(self._token, "score_fn", "__call__", archs)
        if error is not None:
            raise error
        return value

    @property
    def budget(self) -> int:
        return self._scorer().budget

    @property
    def used(self) -> int:
        """Distinct architectures scored so far."""
        return self._scorer().used

    @property
    def remaining(self) -> int:
        return self._scorer().remaining

    def scored(self, arch: str) -> bool:
        """Whether ``arch`` was scored already (so scoring it again is free)."""
        value, error = _call(self._token, "score_fn", "scored", arch)
        if error is not None:
            raise error
        return value

    def __repr__(self) -> str:
        s = self._scorer()
        return f"ScoreFn(used={s.used}, budget={s.budget})"
