"""The shared-state guard: what the proxies of one architecture share must be the same after each.

The proxies of an architecture share one ``ScoreContext``: the input batch, the topology, the
probe results (``ctx.shared``), and the process's global torch state. One proxy that modifies any
of them in place would silently change the scores of the proxies after it (issue 16 saw synflow
×6 and l2_norm ×10). ``StateGuard`` fingerprints every shared value when it is created (each
tensor's metadata, version counter and a copy of its bits; containers by shape and identity;
modules by parameters, buffers, modes and hooks) and checks them after each proxy, together with
the context's own fields and the global torch state (threads, default dtype, grad and inference
mode, deterministic flags, matmul precision, anomaly mode, global module hooks, Python threads).

What it does not catch: a proxy that attacks the guard itself (patches this module or the
harness's functions in its process), or that leaves a thread that changes state later (the
leftover thread is reported, its later writes are blamed on whoever runs then). The global RNG
states (torch CPU, NumPy, Python) are not checked (drawing numbers and seeding are legitimate)
but isolated: ``scoring.score_arch`` saves them before each proxy and puts them back after it
(``RngStates``), so each proxy starts from the state its architecture started with, whatever the
proxies before it drew or seeded. ``nash validate``'s determinism check scores the second time
under other states, so a proxy whose score depends on the state it finds is still caught.
"""

from __future__ import annotations

import dataclasses
import enum
import random
import threading
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

MAX_DEPTH = 6  # nesting walked inside one shared value (results are flat lists of tuples of tensors)
_INT_OF_SIZE = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
_ATOMS = (type(None), bool, int, float, complex, str, bytes, torch.dtype, torch.device, enum.Enum, type)


@dataclass
class _Tensors:
    """Copies of every tensor and array seen (by identity, each once) and what holds it; with
    ``copy=False`` only the metadata is described (re-walking a value to compare it)."""

    copy: bool = True
    label: str = ""
    torch_: dict[int, tuple[torch.Tensor, torch.Tensor | None, str]] = field(default_factory=dict)
    numpy_: dict[int, tuple[np.ndarray, bytes, str]] = field(default_factory=dict)

    def tensor(self, t: torch.Tensor) -> tuple:
        if self.copy and id(t) not in self.torch_:
            self.torch_[id(t)] = (t, _copy(t), self.label)
        return (
            "tensor",
            id(t),
            tuple(t.shape),
            str(t.dtype),
            t.layout,
            _strides(t),
            _ptr(t),
            t.requires_grad,
        )

    def array(self, a: np.ndarray) -> tuple:
        if self.copy and id(a) not in self.numpy_:
            self.numpy_[id(a)] = (a, a.tobytes(), self.label)
        return ("ndarray", id(a), a.shape, str(a.dtype), a.strides)

    def changed(self) -> str | None:
        """What holds the first tensor or array whose bits differ from its copy."""
        for t, saved, label in self.torch_.values():
            if saved is not None and not _same_bits(t, saved):
                return label
        for a, saved_bytes, label in self.numpy_.values():
            if a.tobytes() != saved_bytes:
                return label
        return None


def _copy(t: torch.Tensor) -> torch.Tensor | None:
    if t.layout != torch.strided or t.device.type == "meta" or t.is_quantized:
        return None  # compared by metadata only
    with torch.no_grad():
        return t.detach().clone()


def _strides(t: torch.Tensor) -> tuple | None:
    return t.stride() if t.layout == torch.strided else None


def _ptr(t: torch.Tensor) -> int | None:
    try:
        return t.data_ptr()
    except RuntimeError:
        return None


def _bits(t: torch.Tensor) -> torch.Tensor:
    """The tensor viewed as integers, so that equality is bitwise (NaN equals itself)."""
    if t.is_complex():
        t = torch.view_as_real(t)
    if t.is_floating_point():
        return t.view(_INT_OF_SIZE[t.element_size()])
    return t


def _same_bits(live: torch.Tensor, saved: torch.Tensor) -> bool:
    if live.shape != saved.shape or live.dtype != saved.dtype:
        return False
    with torch.no_grad():
        return torch.equal(_bits(live.detach()), _bits(saved))


def fingerprint(value: Any, store: _Tensors) -> list[tuple]:
    """The structure of ``value`` (types, lengths, identities, scalars, tensor metadata), in walk
    order; tensors' and arrays' contents are kept in ``store``."""
    out: list[tuple] = []
    _walk(value, out, store, 0, set())
    return out


def _walk(value: Any, out: list, store: _Tensors, depth: int, seen: set[int]) -> None:
    if isinstance(value, _ATOMS):
        out.append((type(value).__name__, repr(value)))
        return
    if id(value) in seen:
        out.append(("seen", id(value)))
        return
    seen.add(id(value))
    if depth > MAX_DEPTH:
        out.append(("deep", type(value).__name__, id(value)))
    elif isinstance(value, torch.Tensor):
        out.append(store.tensor(value))
    elif isinstance(value, np.ndarray):
        out.append(store.array(value))
    elif isinstance(value, np.generic):
        out.append(("np", type(value).__name__, value.tobytes()))
    elif isinstance(value, nn.Module):
        _walk_module(value, out, store)
    elif isinstance(value, (list, tuple)):
        out.append((type(value).__name__, id(value), len(value)))
        for item in value:
            _walk(item, out, store, depth + 1, seen)
    elif isinstance(value, dict):
        out.append((type(value).__name__, id(value), len(value)))
        for k, v in value.items():
            out.append(("key", repr(k)))
            _walk(v, out, store, depth + 1, seen)
    elif isinstance(value, (set, frozenset)):
        out.append((type(value).__name__, id(value), tuple(sorted(map(repr, value)))))
    elif isinstance(value, BaseException):
        out.append(("exception", type(value).__name__, id(value)))
    elif dataclasses.is_dataclass(value):
        out.append(("dataclass", type(value).__name__, id(value)))
        for f in dataclasses.fields(value):
            _walk(getattr(value, f.name, None), out, store, depth + 1, seen)
    elif hasattr(value, "__dict__"):
        out.append(("object", type(value).__name__, id(value), tuple(vars(value))))
        for v in vars(value).values():
            _walk(v, out, store, depth + 1, seen)
    else:
        out.append(("opaque", type(value).__name__, id(value)))


def _walk_module(model: nn.Module, out: list, store: _Tensors) -> None:
    for name, m in model.named_modules():
        hooks = tuple(
            len(getattr(m, h, ()))
            for h in (
                "_forward_hooks",
                "_forward_pre_hooks",
                "_backward_hooks",
                "_backward_pre_hooks",
                "_state_dict_hooks",
                "_load_state_dict_pre_hooks",
            )
        )
        out.append(("module", name, type(m).__name__, id(m), m.training, hooks))
        for pname, p in m.named_parameters(recurse=False):
            out.append(("param", pname, p.requires_grad, p.grad is None))
            out.append(store.tensor(p))
        for bname, b in m.named_buffers(recurse=False):
            out.append(("buffer", bname, None if b is None else store.tensor(b)))


# --------------------------------------------------------------------------- global torch state


def torch_state() -> dict[str, Any]:
    """The process-wide settings a proxy must leave as it found them."""
    from torch.nn.modules import module as module_mod

    state = {
        "torch threads": torch.get_num_threads(),
        "default dtype": torch.get_default_dtype(),
        "grad mode": torch.is_grad_enabled(),
        "inference mode": torch.is_inference_mode_enabled(),
        "deterministic algorithms": (
            torch.are_deterministic_algorithms_enabled(),
            torch.is_deterministic_algorithms_warn_only_enabled(),
        ),
        "float32 matmul precision": torch.get_float32_matmul_precision(),
        "anomaly mode": torch.is_anomaly_enabled(),
        "cudnn flags": (
            torch.backends.cudnn.enabled,
            torch.backends.cudnn.benchmark,
            torch.backends.cudnn.deterministic,
        ),
        "global module hooks": tuple(
            len(getattr(module_mod, h, ()))
            for h in (
                "_global_forward_hooks",
                "_global_forward_pre_hooks",
                "_global_backward_hooks",
                "_global_backward_pre_hooks",
                "_global_buffer_registration_hooks",
                "_global_module_registration_hooks",
                "_global_parameter_registration_hooks",
            )
        ),
        "running Python threads": threading.active_count(),
    }
    if hasattr(torch, "get_default_device"):
        state["default device"] = str(torch.get_default_device())
    return state


def restore_torch_state(state: dict[str, Any]) -> None:
    """Put back what can be put back (hooks and threads cannot be undone from outside)."""
    torch.set_num_threads(state["torch threads"])
    torch.set_default_dtype(state["default dtype"])
    torch.set_grad_enabled(state["grad mode"])
    det, warn = state["deterministic algorithms"]
    torch.use_deterministic_algorithms(det, warn_only=warn)
    torch.set_float32_matmul_precision(state["float32 matmul precision"])
    torch.set_anomaly_enabled(state["anomaly mode"])
    (torch.backends.cudnn.enabled, torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic) = (
        state["cudnn flags"]
    )
    if "default device" in state:
        torch.set_default_device(state["default device"])


@dataclass(frozen=True)
class RngStates:
    torch_: torch.Tensor
    numpy_: tuple
    python: tuple

    @classmethod
    def now(cls) -> RngStates:
        return cls(torch.get_rng_state(), np.random.get_state(), random.getstate())

    def restore(self) -> None:
        torch.set_rng_state(self.torch_)
        np.random.set_state(self.numpy_)
        random.setstate(self.python)


# --------------------------------------------------------------------------- the guard


class _WatchedDict(dict):
    """A shared dict (the probe results) whose entries are fingerprinted as they are added."""

    def __init__(self, guard: StateGuard, label: str):
        super().__init__()
        self._guard = guard
        self._label = label

    def __setitem__(self, key: Hashable, value: Any) -> None:
        if key not in self:  # a replacement keeps the original fingerprint, so the check sees it
            self._guard.watch((self._label, key), self, key, value)
        super().__setitem__(key, value)


class _WatchedShared(dict):
    """``ctx._shared``: each value is fingerprinted when a proxy first computes it; a plain dict
    value (the probe results) becomes a ``_WatchedDict``."""

    def __init__(self, guard: StateGuard, initial: dict, append_only: set[int]):
        super().__init__(initial)
        self._guard = guard
        self._append_only = append_only
        self.entries = dict(initial)  # every value ever added, by key: none may go or be replaced

    def __setitem__(self, key: Hashable, value: Any) -> None:
        if key in self.entries:
            super().__setitem__(key, value)  # the check sees the replaced identity
            return
        if type(value) is dict and not value:
            value = _WatchedDict(self._guard, repr(key))
        elif id(value) not in self._append_only:
            self._guard.watch(("shared", key), self, key, value)
        self.entries[key] = value
        super().__setitem__(key, value)

    def missing(self) -> Hashable | None:
        """The key of an entry that was removed or replaced, if any."""
        return next((k for k, v in self.entries.items() if k not in self or self[k] is not v), None)


@dataclass
class _Watch:
    owner: dict
    key: Hashable
    value: Any
    print_: list[tuple]


CTX_FIELDS = (
    "arch",
    "space",
    "dataset",
    "seed",
    "device",
    "topology",
    "inputs",
    "targets",
    "input_kind",
    "plan",
    "_model_factory",
    "_shared",
)
_WHAT = {
    "inputs": "the shared input batch",
    "targets": "the shared batch labels",
    "topology": "the shared topology",
}


def _describe(label: tuple) -> str:
    kind, key = label
    if kind == "ctx":
        return _WHAT[key]
    if kind == "shared":
        return f"a shared value ({key!r})"
    return f"a shared probe result ({key!r})"


class StateGuard:
    """Watches one architecture's context; ``check()`` after each proxy says what it changed."""

    def __init__(self, ctx: Any, append_only: tuple = ()):
        self.ctx = ctx
        self.store = _Tensors()
        self.watches: dict[tuple, _Watch] = {}
        self.fields = {name: getattr(ctx, name) for name in CTX_FIELDS}
        for name in ("inputs", "targets", "topology"):
            value = self.fields[name]
            if value is not None:
                self.watch(("ctx", name), None, name, value)
        ctx._shared = _WatchedShared(self, ctx._shared, {id(v) for v in append_only})
        self.fields["_shared"] = ctx._shared
        self.torch_state = torch_state()
        self.rng = RngStates.now()

    def watch(self, label: tuple, owner: dict | None, key: Hashable, value: Any) -> None:
        self.store.label = _describe(label)
        self.watches[label] = _Watch(owner, key, value, fingerprint(value, self.store))

    def check(self) -> str | None:
        """None when the proxy that just ran left everything shared as it was; else the reason."""
        return self._fields_changed() or self._state_changed() or self._values_changed()

    def _fields_changed(self) -> str | None:
        for name, value in self.fields.items():
            now = getattr(self.ctx, name, None)
            if now is not value and not (isinstance(value, _ATOMS) and now == value):
                return f"replaced the context's {name!r}"
        return None

    def _state_changed(self) -> str | None:
        now = torch_state()
        for name, before in self.torch_state.items():
            if now[name] != before:
                return f"changed the global {name} ({before} -> {now[name]})"
        return None

    def _values_changed(self) -> str | None:
        gone = self.fields["_shared"].missing()
        if gone is not None:
            return f"removed or replaced the shared values of {gone!r}"
        for label, w in self.watches.items():
            if w.owner is not None and (w.key not in w.owner or w.owner[w.key] is not w.value):
                return f"replaced {_describe(label)}"
            if fingerprint(w.value, _Tensors(copy=False)) != w.print_:
                return f"modified {_describe(label)} (its structure, metadata or modes)"
        found = self.store.changed()
        return f"modified {found}" if found else None

    def repair(self) -> None:
        """Make the process clean for the proxies still to run: the batch tensors get their
        original bits back in place (the worker reuses them for later architectures), the global
        state what can be restored."""
        restore_torch_state(self.torch_state)
        self.rng.restore()
        for name in ("inputs", "targets"):
            t = self.fields[name]
            saved = self.store.torch_.get(id(t), (None, None, ""))[1] if t is not None else None
            if saved is not None and not _same_bits(t, saved):
                with torch.no_grad():
                    t.data = saved.clone()
