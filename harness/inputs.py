"""Input batches for proxies that look at data: which source, checked against the task.

The batch comes from a *data source* (``nas_harness.api.sources.DataSource``; the built-in
ones are cifar10, cifar100, imagenet16, npz and noise, plugins add more through the hook
``nas_harness_data_sources``) chosen by ``InputConfig.kind``, independently of the task the
scores are correlated with: a run may score ImageNet16-120 targets with CIFAR-10 images.

* ``auto`` (default): the task's own data. ``path`` if given (the source is detected: the
  task's own family when that is there, else the one source that recognizes the path), else
  ``$NASH_DATA_DIR`` (searched for the task's own family), else noise. A noise batch chosen
  because no data was found has ``fallback=True`` and a ``note`` saying what was looked for.
  An explicit ``kind`` never falls back: missing data is an error.
* any source's name: that source, reading ``path`` or, without one, ``$NASH_DATA_DIR``.

Then the batch is checked against the task the models are built for:

* shape: images whose C×H×W differs from the task's input shape are an error naming both,
  unless ``resize`` names an interpolation mode (``bilinear``/``bicubic`` with antialiasing,
  ``area``, ``nearest``) — H×W only, applied to the normalized batch with
  ``torch.nn.functional.interpolate`` and recorded in the spec (``resize=16x16:area``).
* labels, for tasks with class outputs: ``labels: check`` (default) requires every label to be
  one of the task's classes, else an error; ``filter`` keeps only images whose label is below
  the task's class count, before the seeded choice (``labels<K`` in the spec); ``modulo``
  maps label y to y mod K (``labels%K``).
* targets for other outputs: a ``reconstruction`` task's target is the input itself; a
  ``dense`` or ``regression`` task's target is what the source provides (``SourceBatch.targets``)
  — none of the built-in sources does, so proxies that need targets are then "not applicable"
  with the reason (``InputBatch.no_targets``), while label-free data proxies run.

The spec (``cifar10[train](bs=64,s=42)``, ``noise(bs=64,s=42)``, with the options above
appended inside the parentheses when they change the batch) is short and stable: it goes into
score-store keys and result signatures, so a batch from another source never reuses scores.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field

from .api import HarnessError, PluginConfig, Task
from .api.sources import (
    DATA_DIR_ENV,
    BatchRequest,
    DataSource,
    SourceBatch,
    data_family,
)

if TYPE_CHECKING:  # torch is imported when a batch is built
    import torch

RESIZE_MODES = ("bilinear", "bicubic", "area", "nearest")


class InputConfig(PluginConfig):
    """Where a run's input batch comes from (see the module docstring)."""

    kind: str = Field(
        "auto",
        description="'auto' (the task's own data) or a data source's name: cifar10, "
        "cifar100, imagenet16, npz, noise, or one a plugin adds (nash plugins list)",
    )
    path: Path | None = Field(
        None, description="an .npz file, an official folder, or a folder holding official folders"
    )
    split: Literal["train", "test"] = "train"
    batch_size: int = Field(64, ge=1)
    seed: int = Field(42, description="seed of the batch choice (and of the noise)")
    resize: Literal["off", "bilinear", "bicubic", "area", "nearest"] = Field(
        "off",
        description="when the images' H×W differ from the task's input: 'off' is an error, else the "
        "interpolation mode that resizes them",
    )
    labels: Literal["check", "filter", "modulo"] = Field(
        "check",
        description="class labels outside the task's classes: 'check' is an error, 'filter' keeps "
        "images of classes < K only, 'modulo' maps y to y mod K",
    )
    options: dict[str, Any] = Field(default_factory=dict, description="the data source's own options")


@dataclass(frozen=True)
class InputBatch:
    """One input batch and where it came from.

    ``spec`` is short and stable (no absolute paths): it goes into score-store keys and result
    signatures. ``kind`` is the data source's name, ``source`` where it read (may name
    paths). ``indices`` index the split (None for generated data). ``fallback`` is True when
    noise stands in because no data was found; ``note`` says why. ``targets`` is what a
    loss compares the output with (labels, the input for reconstruction, the source's own
    targets), or None; then ``no_targets`` says why.
    """

    inputs: torch.Tensor
    targets: torch.Tensor | None
    kind: str
    source: str
    indices: tuple[int, ...] | None
    spec: str
    fallback: bool = False
    note: str = ""
    no_targets: str = ""


def dataset_family(name: str) -> str | None:
    """Which official data a task name uses, if we know it (see ``api.sources.data_family``)."""
    return data_family(Task(name, 1, (3, 1, 1)))


@functools.lru_cache(maxsize=1)
def installed_sources() -> dict[str, type[DataSource]]:
    """The data sources registered through entry points (built-ins included), by name."""
    from .host import PluginHost

    host = PluginHost.discover(kinds=("data_source",))
    return {name: info.cls for name, info in host.plugins.get("data_source", {}).items()}


def load_batch(
    config: InputConfig,
    task: Task,
    device: str = "cpu",
    sources: Mapping[str, type[DataSource]] | None = None,
) -> InputBatch:
    """The batch ``config`` describes, checked against ``task``; ``HarnessError`` on bad input.

    ``sources``: the registry to choose from (default: the installed data sources).
    """
    registry = dict(sources) if sources is not None else installed_sources()
    name, where, fallback_note = _resolve(config, task, registry)
    source = _instantiate(registry[name], config)
    classes = task.num_classes if task.has_labels and config.labels == "filter" else None
    got = source.load(
        BatchRequest(
            task=task,
            path=where,
            split=config.split,
            batch_size=config.batch_size,
            seed=config.seed,
            classes=classes,
        )
    )
    _check_delivery(got, name, config.batch_size)
    x, resized = _fit_shape(
        np.ascontiguousarray(got.inputs, dtype=np.float32), task, name, got.where, config.resize
    )
    options = [f"bs={config.batch_size}", f"s={config.seed}"]
    if resized:
        options.append(resized)
    labels = got.labels
    if task.has_labels and labels is not None:
        labels = _fit_labels(np.asarray(labels), task, name, got.where, config.labels)
        if config.labels != "check":
            options.append(f"labels{'<' if config.labels == 'filter' else '%'}{task.num_classes}")
    spec = f"{got.label}({','.join(options)})"
    return _assemble(x, got, task, labels, name, spec, device, fallback_note)


# --------------------------------------------------------------------------- choosing the source


def check_input_kind(config: InputConfig, sources: Mapping[str, type[DataSource]]) -> None:
    """A ``HarnessError`` (exit 2) when ``input.kind`` names no installed data source; checked
    before anything is scored, even when no proxy of the run reads data."""
    if config.kind != "auto" and config.kind not in sources:
        raise HarnessError(
            f"input.kind {config.kind!r}: no such data source; known: auto, {', '.join(sorted(sources))}"
        )


def _instantiate(cls: type[DataSource], config: InputConfig) -> DataSource:
    from pydantic import ValidationError

    try:
        return cls(cls.Config(**config.options))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise HarnessError(f"input.options.{where}: {first['msg']} (data source {cls.name!r})") from None


def _recognizes(cls: type[DataSource], path: Path) -> bool:
    """Whether ``cls`` with its default options finds its data at ``path`` (a source with
    required options recognizes nothing by default)."""
    from pydantic import ValidationError

    if not cls.expects:
        return False
    try:
        source = cls()
    except ValidationError:
        return False
    return source.locate(path) is not None


def _resolve(
    config: InputConfig, task: Task, registry: dict[str, type[DataSource]]
) -> tuple[str, Path | None, str]:
    """(source name, located path or None, fallback note)."""
    check_input_kind(config, registry)
    family = data_family(task)
    if config.kind != "auto" and not registry[config.kind].expects:  # reads no files (noise)
        return config.kind, Path(config.path).expanduser() if config.path else None, ""
    if config.path is not None:
        path = Path(config.path).expanduser()
        if not path.exists():
            raise HarnessError(f"input path {path} does not exist")
        name = config.kind if config.kind != "auto" else _detect(path, family, registry)
        return name, path, ""
    root = os.environ.get(DATA_DIR_ENV) or None
    if root is None:
        if config.kind != "auto":
            if config.kind == "npz":
                raise HarnessError("input kind 'npz' needs a path to the .npz file")
            raise HarnessError(
                f"input kind {config.kind!r} needs a path or the environment variable {DATA_DIR_ENV}"
            )
        return (
            "noise",
            None,
            f"no input data: no path given and {DATA_DIR_ENV} is not set; using Gaussian noise",
        )
    wanted = config.kind if config.kind != "auto" else family
    if wanted is None or wanted not in registry:
        return "noise", None, f"no reader for dataset {task.name!r} in {DATA_DIR_ENV}; using Gaussian noise"
    reader = _instantiate(registry[wanted], config)
    found = reader.locate(Path(root)) if Path(root).is_dir() else None
    if found is None:
        msg = f"{DATA_DIR_ENV}={root} has no {wanted} data (expected {reader.expects}, also looked in cifar.python/)"
        if config.kind != "auto":
            raise HarnessError(msg)
        return "noise", None, msg + "; using Gaussian noise"
    return wanted, found, ""


def _detect(path: Path, family: str | None, registry: dict[str, type[DataSource]]) -> str:
    found = [name for name, cls in sorted(registry.items()) if _recognizes(cls, path)]
    if family in found:
        return family  # type: ignore[return-value]
    if len(found) == 1:
        return found[0]
    if path.is_file() and not found:
        raise HarnessError(
            f"{path}: cannot tell the input format (expected an .npz file or a folder of official "
            "batches); set input.kind to choose"
        )
    wanted = f" for {family}" if family else ""
    raise HarnessError(
        f"{path}: no input data{wanted} found; recognized by: {', '.join(found) or 'no data source'}. "
        "Set input.kind to choose."
    )


# --------------------------------------------------------------------------- checking against the task


def _check_delivery(got: SourceBatch, name: str, batch_size: int) -> None:
    x = np.asarray(got.inputs)
    if x.ndim != 4 or len(x) != batch_size:
        raise HarnessError(
            f"data source {name!r} delivered inputs of shape {x.shape}; expected {batch_size}×C×H×W"
        )
    for what, arr in (("labels", got.labels), ("targets", got.targets)):
        if arr is not None and len(arr) != batch_size:
            raise HarnessError(f"data source {name!r} delivered {len(arr)} {what} for {batch_size} inputs")


def _shape(shape) -> str:
    return "×".join(map(str, shape))


def _fit_shape(x: np.ndarray, task: Task, name: str, where: str, resize: str) -> tuple[np.ndarray, str]:
    """``x`` as the task's models take it, and the spec option of a resize ("" when none)."""
    have, want = tuple(x.shape[1:]), tuple(task.input_shape)
    if have == want:
        return x, ""
    what = (
        f"{where}: input source {name!r} gives {_shape(have)} images (C×H×W) but task {task.name!r} takes "
        f"{_shape(want)}"
    )
    if have[0] != want[0]:
        raise HarnessError(
            f"{what}; the channel counts differ, which no resize fixes: choose another input source"
        )
    if resize == "off":
        raise HarnessError(
            f"{what}; choose another input source or resize (input.resize / --input-resize: "
            f"{', '.join(RESIZE_MODES)})"
        )
    import torch
    import torch.nn.functional as F

    smooth = resize in ("bilinear", "bicubic")
    out = F.interpolate(
        torch.from_numpy(x),
        size=want[1:],
        mode=resize,
        **({"align_corners": False, "antialias": True} if smooth else {}),
    )
    return out.numpy(), f"resize={want[1]}x{want[2]}:{resize}"


def _fit_labels(labels: np.ndarray, task: Task, name: str, where: str, policy: str) -> np.ndarray:
    labels = labels.astype(np.int64)
    k = task.num_classes
    if policy == "modulo":
        return np.mod(labels, k)
    if len(labels) and (labels.min() < 0 or labels.max() >= k):
        raise HarnessError(
            f"{where}: labels run from {labels.min()} to {labels.max()} but task {task.name!r} has {k} classes "
            f"(input source {name!r}); set input.labels (--input-labels) to 'filter' (keep classes < {k}) "
            f"or 'modulo' (y mod {k})"
        )
    return labels


def _assemble(
    x: np.ndarray, got: SourceBatch, task: Task, labels, name: str, spec: str, device: str, fallback_note: str
) -> InputBatch:
    import torch

    inputs = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(device)
    no_targets = ""
    if task.output == "classes":
        targets = (
            torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(device) if labels is not None else None
        )
        if targets is None:
            no_targets = f"input source {name!r} gives no class labels for task {task.name!r}"
    elif task.output == "reconstruction":
        targets = inputs  # the target of a reconstruction is its input
    elif got.targets is not None:
        targets = torch.from_numpy(np.asarray(got.targets, dtype=np.float32)).to(device)
    else:
        targets = None
        no_targets = (
            f"input source {name!r} gives no {task.output} targets for task {task.name!r} "
            "(its labels are classes); proxies that need targets do not apply"
        )
    note = "; ".join(n for n in (fallback_note, got.note) if n)
    return InputBatch(
        inputs, targets, name, got.where, got.indices, spec, bool(fallback_note), note, no_targets
    )


__all__ = [
    "RESIZE_MODES",
    "InputBatch",
    "InputConfig",
    "check_input_kind",
    "dataset_family",
    "installed_sources",
    "load_batch",
]
