"""Input batches for proxies that look at data: readers, normalization, seeded choice, noise.

Sources, by ``InputConfig.kind``:

* ``npz``: a NumPy ``.npz`` holding uint8 NHWC ``images`` and integer ``labels``. Split
  ``train`` reads ``train_images``/``train_labels`` when the file has them, ``test`` reads
  ``test_images``/``test_labels``; either falls back to ``images``/``labels`` (the spec names
  the array used). Normalized with the statistics of the *target* dataset, since the file
  does not say where its images come from; for a dataset we have no statistics for, with the
  file's own per-channel mean and std.
* ``cifar10``: the official CIFAR-10 python batches, a folder ``cifar-10-batches-py`` with
  ``data_batch_1..5`` (train) and ``test_batch`` (test). Each is a pickled dict with
  ``data`` (N×3072 uint8, channel planes R, G, B of 32×32) and ``labels``.
* ``cifar100``: the folder ``cifar-100-python`` with ``train`` and ``test``; the labels are
  ``fine_labels`` (100 classes).
* ``imagenet16``: the downsampled ImageNet 16×16 batches of NAS-Bench-201 / NATS-Bench, a
  folder ``ImageNet16`` with ``train_data_batch_1..10`` (train) and ``val_data`` (test). Each
  holds ``data`` (N×768 uint8, R, G, B planes of 16×16) and 1-based ``labels``. As in
  xautodl's ``ImageNet16(..., use_num_of_class_only=N)``, a target ImageNet16-N keeps the
  images with label 1..N, in file order, and its classes are label − 1.
* ``noise``: N(0, 1) inputs of the target dataset's shape and labels drawn uniformly from its
  classes, both from ``np.random.default_rng(seed)`` (inputs first).
* ``auto`` (default): ``path`` if given (format detected), else the folder in ``NASH_DATA_DIR``
  (official folder names inside it, or inside its ``cifar.python`` folder, the layout of
  ``$TORCH_HOME``), else noise. A noise batch chosen because no data was found has
  ``fallback=True`` and a ``note`` saying what was looked for. An explicit ``kind`` never
  falls back: missing data is an error.

"cifar10-valid" (NB201's name for the train/valid split of CIFAR-10) reads CIFAR-10.

Normalization (float NCHW in [0, 1], then (x − mean) / std per channel) uses the statistics
of xautodl's ``get_datasets``, which trained NAS-Bench-201 and NATS-Bench: CIFAR-10 mean
(125.3, 123.0, 113.9)/255 and std (63.0, 62.1, 66.7)/255; CIFAR-100 (129.3, 124.1, 112.4)/255
and (68.2, 65.4, 70.4)/255; ImageNet16 (122.68, 116.66, 104.01)/255 and (63.22, 61.26,
65.09)/255. The often-quoted roundings (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616) etc.
differ from these in the third or fourth decimal.

The batch is ``np.random.default_rng(seed).choice(n, batch_size, replace=False)`` over the
split, in that order; the indices are recorded. Loaded arrays are cached per process (keyed by
the files' paths, sizes and modification times).

The official files are pickles. They are read with an unpickler that resolves only numpy's
array reconstruction (``numpy.core.multiarray._reconstruct`` / its ``numpy._core`` name,
``numpy.ndarray``, ``numpy.dtype``), so a file cannot run code.
"""

from __future__ import annotations

import functools
import os
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from .api import DatasetInfo, HarnessError, PluginConfig

if TYPE_CHECKING:  # torch is imported when a batch is built
    import torch

DATA_DIR_ENV = "NASH_DATA_DIR"

MEAN_STD: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "cifar10": ((125.3 / 255, 123.0 / 255, 113.9 / 255), (63.0 / 255, 62.1 / 255, 66.7 / 255)),
    "cifar100": ((129.3 / 255, 124.1 / 255, 112.4 / 255), (68.2 / 255, 65.4 / 255, 70.4 / 255)),
    "imagenet16": ((122.68 / 255, 116.66 / 255, 104.01 / 255), (63.22 / 255, 61.26 / 255, 65.09 / 255)),
}


@dataclass(frozen=True)
class _Format:
    folder: str
    train: tuple[str, ...]
    test: tuple[str, ...]
    label_key: str
    side: int  # images are 3 × side × side
    one_based: bool = False


FORMATS: dict[str, _Format] = {
    "cifar10": _Format("cifar-10-batches-py", tuple(f"data_batch_{i}" for i in range(1, 6)), ("test_batch",), "labels", 32),
    "cifar100": _Format("cifar-100-python", ("train",), ("test",), "fine_labels", 32),
    "imagenet16": _Format(
        "ImageNet16", tuple(f"train_data_batch_{i}" for i in range(1, 11)), ("val_data",), "labels", 16, one_based=True
    ),
}


class InputConfig(PluginConfig):
    """Where a run's input batch comes from (see the module docstring)."""

    kind: Literal["auto", "npz", "cifar10", "cifar100", "imagenet16", "noise"] = "auto"
    path: Path | None = Field(None, description="an .npz file, an official folder, or a folder holding official folders")
    split: Literal["train", "test"] = "train"
    batch_size: int = Field(64, ge=1)
    seed: int = Field(42, description="seed of the batch choice (and of the noise)")


@dataclass(frozen=True)
class InputBatch:
    """One input batch and where it came from.

    ``spec`` is short and stable (no absolute paths): it goes into score-store keys and result
    signatures, e.g. ``cifar10[train](bs=64,s=42)``, ``cifar10_sample.npz[train_images](bs=64,s=42)``
    or ``noise(bs=64,s=42)``. ``indices`` index the split (None for noise). ``fallback`` is
    True when noise stands in because no data was found; ``note`` says why.
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    kind: str
    source: str
    indices: tuple[int, ...] | None
    spec: str
    fallback: bool = False
    note: str = ""


def dataset_family(name: str) -> str | None:
    """Which official data (and statistics) a target dataset name uses, if we know it."""
    low = name.lower()
    if low in ("cifar10", "cifar10-valid", "cifar-10"):
        return "cifar10"
    if low in ("cifar100", "cifar-100"):
        return "cifar100"
    if low.startswith("imagenet16"):
        return "imagenet16"
    return None


def load_batch(config: InputConfig, dataset: DatasetInfo, device: str = "cpu") -> InputBatch:
    """The batch ``config`` describes, for a model of ``dataset``; ``HarnessError`` on bad input."""
    kind, where, note = _resolve(config, dataset)
    suffix = f"(bs={config.batch_size},s={config.seed})"
    if kind == "noise":
        x, y = _noise(config, dataset)
        return _batch(x, y, "noise", "gaussian N(0,1)", None, f"noise{suffix}", device, fallback=bool(note), note=note)
    assert where is not None
    if kind == "npz":
        images, labels, key = _read_npz(where, config.split)
        source, spec = f"{where}[{key}]", f"{where.name}[{key}]{suffix}"
        family = dataset_family(dataset.name)
    else:
        limit = dataset.num_classes if kind == "imagenet16" else None
        images, labels = _read_official(kind, where, config.split, limit)
        name = f"imagenet16-{limit}" if limit is not None else kind
        source, spec = f"{where}[{config.split}]", f"{name}[{config.split}]{suffix}"
        family = kind
    _check(images, labels, dataset, source)
    if config.batch_size > len(images):
        raise HarnessError(
            f"{source}: batch_size {config.batch_size} is larger than the {len(images)} images there; "
            f"use --batch-size {len(images)} or less"
        )
    idx = np.random.default_rng(config.seed).choice(len(images), config.batch_size, replace=False)
    mean, std = MEAN_STD[family] if family in MEAN_STD else _own_stats(images)
    x = (images[idx].astype(np.float32) / 255.0 - np.asarray(mean, np.float32)[:, None, None]) / np.asarray(
        std, np.float32
    )[:, None, None]
    stats_note = "" if family in MEAN_STD else f"normalized with the file's own mean/std (no statistics for {dataset.name!r})"
    return _batch(x, labels[idx], kind, source, tuple(int(i) for i in idx), spec, device, note=stats_note)


# --------------------------------------------------------------------------- resolving the source


def _resolve(config: InputConfig, dataset: DatasetInfo) -> tuple[str, Path | None, str]:
    """(kind, file or official folder, fallback note)."""
    family = dataset_family(dataset.name)
    if config.kind == "noise":
        return "noise", None, ""
    if config.path is not None:
        path = Path(config.path).expanduser()
        if not path.exists():
            raise HarnessError(f"input path {path} does not exist")
        kind = config.kind
        if kind == "auto":
            kind = _detect(path, family)
        if kind == "npz":
            if not path.is_file():
                raise HarnessError(f"input kind 'npz' needs an .npz file; {path} is a folder")
            return "npz", path, ""
        folder = _official_folder(path, kind)
        if folder is None:
            raise HarnessError(f"{path}: no {kind} data here (expected the folder {FORMATS[kind].folder!r} "
                               f"with {', '.join(_files(kind, config.split))})")
        return kind, folder, ""
    if config.kind == "npz":
        raise HarnessError("input kind 'npz' needs a path to the .npz file")
    root = os.environ.get(DATA_DIR_ENV) or None
    wanted = config.kind if config.kind != "auto" else family
    if root is None:
        if config.kind != "auto":
            raise HarnessError(f"input kind {config.kind!r} needs a path or the environment variable {DATA_DIR_ENV}")
        return "noise", None, f"no input data: no path given and {DATA_DIR_ENV} is not set; using Gaussian noise"
    if wanted is None:
        return "noise", None, f"no reader for dataset {dataset.name!r} in {DATA_DIR_ENV}; using Gaussian noise"
    folder = _official_folder(Path(root), wanted) if Path(root).is_dir() else None
    if folder is None:
        msg = (f"{DATA_DIR_ENV}={root} has no {FORMATS[wanted].folder!r} folder "
               f"(nor cifar.python/{FORMATS[wanted].folder}) with {', '.join(_files(wanted, config.split))}")
        if config.kind != "auto":
            raise HarnessError(msg)
        return "noise", None, msg + "; using Gaussian noise"
    return wanted, folder, ""


def _files(kind: str, split: str) -> tuple[str, ...]:
    fmt = FORMATS[kind]
    return fmt.train if split == "train" else fmt.test


def _official_folder(path: Path, kind: str) -> Path | None:
    """The official folder of ``kind``: ``path`` itself, or its child (or cifar.python/child)."""
    fmt = FORMATS[kind]
    for candidate in (path, path / fmt.folder, path / "cifar.python" / fmt.folder):
        if candidate.is_dir() and any((candidate / f).is_file() for f in fmt.train + fmt.test):
            return candidate
    return None


def _detect(path: Path, family: str | None) -> str:
    if path.is_file():
        if path.suffix == ".npz":
            return "npz"
        raise HarnessError(f"{path}: cannot tell the input format (expected an .npz file or a folder of official batches)")
    found = [k for k in FORMATS if _official_folder(path, k) is not None]
    if family in found:
        return family  # type: ignore[return-value]
    if len(found) == 1:
        return found[0]
    wanted = f" for {family}" if family else ""
    raise HarnessError(
        f"{path}: no input data{wanted} found (looked for {', '.join(f.folder for f in FORMATS.values())}); "
        f"found: {', '.join(found) or 'none'}. Set input.kind to choose."
    )


# --------------------------------------------------------------------------- readers


class _ArrayUnpickler(pickle.Unpickler):
    """Resolves numpy's array reconstruction and nothing else."""

    def find_class(self, module: str, name: str):
        allowed = _allowed_globals()
        if (module, name) in allowed:
            return allowed[(module, name)]
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays are allowed in data batches")

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing persistent ids in a data batch")


@functools.lru_cache(maxsize=1)
def _allowed_globals() -> dict[tuple[str, str], object]:
    core = getattr(np, "_core", None) or np.core  # numpy 2 / numpy 1
    reconstruct = core.multiarray._reconstruct
    return {
        ("numpy.core.multiarray", "_reconstruct"): reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }


def _load_pickle(path: Path) -> dict[str, object]:
    try:
        with open(path, "rb") as f:
            obj = _ArrayUnpickler(f, encoding="latin1").load()
    except FileNotFoundError:
        raise HarnessError(f"{path}: file not found") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise HarnessError(f"{path}: not a readable data batch ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, dict):
        raise HarnessError(f"{path}: expected a pickled dict with 'data' and labels, got {type(obj).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else str(k): v for k, v in obj.items()}


def _stamp(paths: list[Path]) -> tuple:
    """What the cache keys on: each file's path, size and modification time."""
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths)


def _read_official(kind: str, folder: Path, split: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    paths = [folder / f for f in _files(kind, split)]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise HarnessError(f"{folder}: missing {', '.join(missing)} (the {split} split of {kind} is "
                           f"{', '.join(p.name for p in paths)})")
    return _read_official_cached(kind, _stamp(paths), limit)


@functools.lru_cache(maxsize=4)
def _read_official_cached(kind: str, stamp: tuple, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    fmt = FORMATS[kind]
    images, labels = [], []
    for name, _, _ in stamp:
        path = Path(name)
        entry = _load_pickle(path)
        if "data" not in entry or fmt.label_key not in entry:
            raise HarnessError(f"{path}: expected keys 'data' and {fmt.label_key!r}, found {sorted(entry)}")
        data = entry["data"]
        row = 3 * fmt.side * fmt.side
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != row:
            shape = getattr(data, "shape", None)
            raise HarnessError(f"{path}: 'data' should be N×{row} uint8 (3×{fmt.side}×{fmt.side} images), "
                               f"got {type(data).__name__} {getattr(data, 'dtype', '')} {shape}")
        y = np.asarray(entry[fmt.label_key])
        if y.ndim != 1 or len(y) != len(data) or not np.issubdtype(y.dtype, np.integer):
            raise HarnessError(f"{path}: {fmt.label_key!r} should be {len(data)} integers, got {y.dtype} {y.shape}")
        y = y.astype(np.int64)
        if fmt.one_based:
            keep = (y >= 1) & (y <= (limit if limit is not None else y.max()))
            data, y = data[keep], y[keep] - 1
        images.append(data.reshape(-1, 3, fmt.side, fmt.side))
        labels.append(y)
    return np.concatenate(images), np.concatenate(labels)


def _read_npz(path: Path, split: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(images NCHW, labels, array key used) of an .npz file."""
    return _read_npz_cached(_stamp([path]), split)


@functools.lru_cache(maxsize=4)
def _read_npz_cached(stamp: tuple, split: str) -> tuple[np.ndarray, np.ndarray, str]:
    path = Path(stamp[0][0])
    try:
        with np.load(path, allow_pickle=False) as data:
            names = set(data.files)
            key = f"{split}_images" if f"{split}_images" in names else "images"
            label_key = f"{split}_labels" if key != "images" else "labels"
            if key not in names or label_key not in names:
                raise HarnessError(
                    f"{path}: expected arrays 'images' and 'labels' (or '{split}_images' and '{split}_labels'), "
                    f"found {sorted(names)}"
                )
            images, labels = data[key], data[label_key]
    except HarnessError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise HarnessError(f"{path}: not a readable .npz file ({type(exc).__name__}: {exc})") from None
    if images.dtype != np.uint8 or images.ndim != 4:
        raise HarnessError(f"{path}: {key!r} should be uint8 images N×H×W×C, got {images.dtype} {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images) or not np.issubdtype(labels.dtype, np.integer):
        raise HarnessError(f"{path}: {label_key!r} should be {len(images)} integers, got {labels.dtype} {labels.shape}")
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2)), labels.astype(np.int64), key


# --------------------------------------------------------------------------- checks, noise, assembly


def _check(images: np.ndarray, labels: np.ndarray, dataset: DatasetInfo, source: str) -> None:
    shape = tuple(images.shape[1:])
    if shape != tuple(dataset.input_shape):
        raise HarnessError(
            f"{source}: images are {'×'.join(map(str, shape))} (C×H×W) but dataset {dataset.name!r} takes "
            f"{'×'.join(map(str, dataset.input_shape))}"
        )
    # Labels are class targets only for a classification task; other tasks' proxies never read them.
    if getattr(dataset, "has_labels", True) and len(labels) and (labels.min() < 0 or labels.max() >= dataset.num_classes):
        raise HarnessError(
            f"{source}: labels run from {labels.min()} to {labels.max()} but dataset {dataset.name!r} has "
            f"{dataset.num_classes} classes"
        )


def _own_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = images.astype(np.float64) / 255.0
    std = x.std(axis=(0, 2, 3))
    return x.mean(axis=(0, 2, 3)), np.where(std > 0, std, 1.0)


def _noise(config: InputConfig, dataset: DatasetInfo) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(config.seed)
    x = rng.standard_normal((config.batch_size, *dataset.input_shape), dtype=np.float32)
    y = rng.integers(0, dataset.num_classes, config.batch_size)
    return x, y


def _batch(x, y, kind, source, indices, spec, device, *, fallback=False, note="") -> InputBatch:
    import torch

    inputs = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(device)
    targets = torch.from_numpy(np.asarray(y, dtype=np.int64)).to(device)
    return InputBatch(inputs, targets, kind, source, indices, spec, fallback, note)


__all__ = ["InputBatch", "InputConfig", "MEAN_STD", "dataset_family", "load_batch"]
