"""The oracle-leak guard: ground truth never reaches a proxy's ``score`` or a strategy's ``search``.

Two traps, used by ``nash validate`` (its "ground truth" check), the few-shot protocol (every
fitted proxy is watched while it scores evaluation architectures) and searches (the strategy's
own code is watched; the harness's score function, which may legitimately be an oracle for P16
upper bounds, is not):

* **reachable**: the objects reachable from what a proxy is handed (fields, containers, closures,
  bound methods; not module globals) hold no ``Oracle`` instance or class;
* **called**: while the watched code runs, a profiler records every call into a method of any
  ``Oracle`` class, and an audit hook every file opened (a data file of the oracle's is a leak).

``TrainableProxy.fit`` is not guarded: it is handed a ``LabelledSet`` by the protocol on purpose.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FunctionType, MethodType, ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from .api import Oracle

if TYPE_CHECKING:
    from .host import PluginHost


# --------------------------------------------------------------------------- reachable objects


def find_oracles(root: Any, limit: int = 200_000, name: str = "ctx") -> tuple[list[str], int]:
    """Paths from ``root`` to every ``Oracle`` instance or class reachable through instance
    attributes, containers, closures and bound methods (module globals are not followed)."""
    found: list[str] = []
    seen: set[int] = set()
    stack: list[tuple[Any, str]] = [(root, name)]
    while stack and len(seen) < limit:
        obj, path = stack.pop()
        if (
            id(obj) in seen
            or obj is None
            or isinstance(obj, (str, bytes, int, float, bool, complex, ModuleType))
        ):
            continue
        seen.add(id(obj))
        if isinstance(obj, Oracle) or (isinstance(obj, type) and issubclass(obj, Oracle)):
            found.append(f"{path} ({obj.__name__ if isinstance(obj, type) else type(obj).__name__})")
            continue
        if isinstance(obj, type) or _is_array(obj):
            continue
        for child, step in _children(obj):
            stack.append((child, f"{path}{step}"))
    return found, len(seen)


def _is_array(obj: Any) -> bool:
    if isinstance(obj, np.ndarray):
        return True
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def _children(obj: Any):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k, f"[key {k!r}]"
            yield v, f"[{k!r}]"
        return
    if isinstance(obj, (list, tuple, set, frozenset)):
        for i, v in enumerate(obj):
            yield v, f"[{i}]"
        return
    if isinstance(obj, MethodType):
        yield obj.__self__, ".__self__"
        yield obj.__func__, ".__func__"
        return
    if isinstance(obj, FunctionType):
        for name, cell in zip(obj.__code__.co_freevars, obj.__closure__ or ()):
            try:
                yield cell.cell_contents, f".<closure {name}>"
            except ValueError:  # an empty cell
                continue
        yield obj.__defaults__, ".__defaults__"
        return
    for attr in ("func", "args", "keywords"):  # functools.partial
        if type(obj).__name__ == "partial" and hasattr(obj, attr):
            yield getattr(obj, attr), f".{attr}"
    state = getattr(obj, "__dict__", None)
    if isinstance(state, dict):
        for k, v in state.items():
            yield v, f".{k}"
    for slot in getattr(type(obj), "__slots__", ()) or ():
        if isinstance(slot, str) and hasattr(obj, slot):
            yield getattr(obj, slot), f".{slot}"


# --------------------------------------------------------------------------- oracle calls and file opens


def oracle_code_objects(host: PluginHost | None = None, classes: Iterable[type] = ()) -> dict[CodeType, str]:
    """Code of every method of every Oracle class (those the installed spaces offer, ``classes``,
    and every imported ``Oracle`` subclass), with its qualified name."""
    found: set[type] = set(classes)
    if host is not None:
        for name in host.names("space"):
            try:
                info = host.get("space", name)
                found.update(info.cls(info.cls.Config()).oracles().values())
            except Exception:  # noqa: BLE001, S112 - a space that cannot be built offers nothing here
                continue
    todo = [Oracle, *found]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(c for c in cls.__subclasses__() if c not in found)
    codes: dict[CodeType, str] = {}
    for cls in found:
        for attr, value in vars(cls).items():
            for fn in (value, getattr(value, "__func__", None), getattr(value, "fget", None)):
                code = getattr(fn, "__code__", None)
                if isinstance(code, CodeType):
                    codes[code] = f"{cls.__name__}.{attr}"
    return codes


class GroundTruthTrap:
    """Records oracle method calls (profiler, every thread) and file opens (audit hook).

    ``paused()`` suspends the recording, for harness code called from inside the watched code
    (a search's score function)."""

    _active: GroundTruthTrap | None = None
    _hook_installed = False

    def __init__(self, codes: dict[CodeType, str]):
        self.codes = codes
        self.calls: list[str] = []
        self.opened: list[str] = []
        self._paused = 0

    def __enter__(self) -> GroundTruthTrap:  # noqa: PYI034
        if not GroundTruthTrap._hook_installed:  # audit hooks cannot be removed: install one, switch it
            sys.addaudithook(_audit)
            GroundTruthTrap._hook_installed = True
        GroundTruthTrap._active = self
        threading.setprofile(self._profile)
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc) -> None:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        GroundTruthTrap._active = None

    @contextmanager
    def paused(self) -> Iterator[None]:
        self._paused += 1
        sys.setprofile(None)
        try:
            yield
        finally:
            self._paused -= 1
            if self._paused == 0 and GroundTruthTrap._active is self:
                sys.setprofile(self._profile)

    def _profile(self, frame, event, arg) -> None:
        if event == "call" and not self._paused:
            name = self.codes.get(frame.f_code)
            if name is not None:
                self.calls.append(name)


def _audit(event: str, args: tuple) -> None:
    trap = GroundTruthTrap._active
    if trap is None or trap._paused or event != "open" or not args:
        return
    target = args[0]
    if isinstance(target, (str, bytes, os.PathLike)):
        trap.opened.append(os.fsdecode(target))


def truth_files(oracle: Oracle | None) -> list[Path]:
    """Existing files and folders named by the oracle's config or attributes."""
    if oracle is None:
        return []
    values = [*oracle.config.model_dump().values(), *vars(oracle).values()]
    out = []
    for v in values:
        if isinstance(v, (str, Path)) and str(v).strip():
            p = Path(os.path.expanduser(str(v)))
            try:
                if p.exists():
                    out.append(p.resolve())
            except OSError:
                continue
    return out


def inside(path: str, roots: list[Path]) -> bool:
    try:
        p = Path(path).resolve()
    except OSError:
        return False
    return any(p == r or r in p.parents for r in roots)


_CODE_SUFFIXES = {".py", ".pyc", ".so", ".pth", ".pyi", ".typed"}


def is_data_file(path: str) -> bool:
    """A file a proxy has no business reading: not code, not the interpreter's or the OS's."""
    p = Path(path)
    if p.suffix in _CODE_SUFFIXES or not p.is_file():
        return False
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, "/proc", "/sys", "/dev", "/etc", "/usr"}
    return not any(str(p).startswith(x) for x in prefixes)


# --------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class LeakReport:
    """What a guarded piece of code could reach and did: empty lists mean no leak."""

    who: str  # "proxy NAME" or "strategy NAME"
    reached: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    truth_opened: tuple[str, ...] = ()
    other_files: tuple[str, ...] = field(default=(), compare=False)

    @property
    def leaked(self) -> bool:
        return bool(self.reached or self.calls or self.truth_opened)

    def problems(self) -> list[str]:
        out = []
        if self.reached:
            out.append(
                f"ground truth reachable from the context of {self.who}: {'; '.join(self.reached[:3])}"
            )
        if self.calls:
            out.append(f"{self.who} called into an oracle: {', '.join(sorted(set(self.calls))[:5])}")
        if self.truth_opened:
            out.append(
                f"{self.who} opened ground-truth files: {', '.join(sorted(set(self.truth_opened))[:3])}"
            )
        return out

    def describe(self) -> str:
        return "ground-truth leak: " + "; ".join(self.problems()) if self.leaked else f"{self.who}: no leak"


def report(who: str, trap: GroundTruthTrap, roots: list[Path], reached: Iterable[str] = ()) -> LeakReport:
    hits = [p for p in trap.opened if inside(p, roots)]
    others = sorted({p for p in trap.opened if p not in hits and is_data_file(p)})
    return LeakReport(who, tuple(reached), tuple(trap.calls), tuple(hits), tuple(others))


def watch_score(
    proxy: Any, ctx: Any, codes: dict[CodeType, str], roots: list[Path]
) -> tuple[LeakReport, str]:
    """Score one architecture with ``proxy`` under both traps: the verdict and what happened
    ("scored" or "raised X"); the proxy's own failure is not the guard's subject."""
    reached, _ = find_oracles(ctx)
    reached_proxy, _ = find_oracles(proxy, name=f"proxy {proxy.name}")
    with GroundTruthTrap(codes) as trap:
        try:
            proxy.score(ctx)
            outcome = "scored"
        except Exception as exc:  # noqa: BLE001 - only the leak is judged here
            outcome = f"raised {type(exc).__name__}"
    return report(f"proxy {proxy.name!r}", trap, roots, [*reached, *reached_proxy]), outcome


@contextmanager
def watch_search(
    name: str, codes: dict[CodeType, str], roots: list[Path], handed: Iterable[Any] = ()
) -> Iterator[list]:
    """Watch a strategy's ``search`` (the with-block); yields a list that holds the verdict
    (one ``LeakReport``) once the block ends. Wrap the harness's own score function in
    ``trap.paused()`` (the trap is ``GroundTruthTrap._active`` inside the block)."""
    reached = [p for i, obj in enumerate(handed) for p in find_oracles(obj, name=f"arg{i}")[0]]
    verdict: list[LeakReport] = []
    with GroundTruthTrap(codes) as trap:
        try:
            yield verdict
        finally:
            verdict.append(report(f"strategy {name!r}", trap, roots, reached))


def active_trap() -> GroundTruthTrap | None:
    return GroundTruthTrap._active
