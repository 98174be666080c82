"""The official CIFAR-10, CIFAR-100 and downsampled ImageNet16 batch files.

* ``cifar10``: the folder ``cifar-10-batches-py`` with ``data_batch_1..5`` (train) and
  ``test_batch`` (test). Each is a pickled dict with ``data`` (N×3072 uint8, channel planes
  R, G, B of 32×32) and ``labels``.
* ``cifar100``: the folder ``cifar-100-python`` with ``train`` and ``test``; the labels are
  ``fine_labels`` (100 classes).
* ``imagenet16``: the downsampled ImageNet 16×16 batches of NAS-Bench-201 / NATS-Bench, a
  folder ``ImageNet16`` with ``train_data_batch_1..10`` (train) and ``val_data`` (test). Each
  holds ``data`` (N×768 uint8, R, G, B planes of 16×16) and 1-based ``labels``. As in
  xautodl's ``ImageNet16(..., use_num_of_class_only=N)``, a task ImageNet16-N keeps the images
  with label 1..N, in file order, and its classes are label − 1; for a task of other data all
  1000 classes are kept (unless ``input.labels: filter`` asks for fewer).

A folder is found as given, as its child of the official name, or in ``cifar.python/`` under
it (the layout of ``$TORCH_HOME``). The batch is ``default_rng(seed).choice(n, bs,
replace=False)`` over the split. Loaded arrays are cached per process, keyed by the files'
paths, sizes and modification times.

The files are pickles. They are read with an unpickler that resolves only numpy's array
reconstruction (``numpy.core.multiarray._reconstruct`` / its ``numpy._core`` name,
``numpy.ndarray``, ``numpy.dtype``), so a file cannot run code.
"""

from __future__ import annotations

import functools
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from nas_harness.api import HarnessError
from nas_harness.api.sources import (
    BatchRequest,
    DataSource,
    SourceBatch,
    choose,
    data_family,
)

from .stats import MEAN_STD, normalize


@dataclass(frozen=True)
class Layout:
    folder: str
    train: tuple[str, ...]
    test: tuple[str, ...]
    label_key: str
    side: int  # images are 3 × side × side
    one_based: bool = False

    def files(self, split: str) -> tuple[str, ...]:
        return self.train if split == "train" else self.test


class OfficialBatches(DataSource):
    """A folder of official pickled batches (see the module docstring)."""

    layout: ClassVar[Layout]

    def locate(self, path: Path) -> Path | None:
        fmt = self.layout
        for candidate in (path, path / fmt.folder, path / "cifar.python" / fmt.folder):
            if candidate.is_dir() and any((candidate / f).is_file() for f in fmt.train + fmt.test):
                return candidate
        return None

    def class_limit(self, request: BatchRequest) -> int | None:
        return request.classes

    def load(self, request: BatchRequest) -> SourceBatch:
        if request.path is None:
            raise HarnessError(
                f"input kind {self.name!r} needs a path or the environment variable NASH_DATA_DIR"
            )
        folder = self.locate(request.path)
        if folder is None:
            raise HarnessError(
                f"{request.path}: no {self.name} data here (expected the folder "
                f"{self.layout.folder!r} with {', '.join(self.layout.files(request.split))})"
            )
        limit = self.class_limit(request)
        images, labels = read_official(self.name, self.layout, folder, request.split, limit)
        where = f"{folder}[{request.split}]"
        idx = choose(len(images), request.batch_size, request.seed, where)
        mean, std = MEAN_STD[self.name]
        name = f"{self.name}-{limit}" if limit is not None and self.layout.one_based else self.name
        label = f"{name}[{request.split}]"
        return SourceBatch(
            inputs=normalize(images[idx], mean, std),
            labels=labels[idx],
            label=label,
            where=where,
            indices=tuple(int(i) for i in idx),
        )


class Cifar10(OfficialBatches):
    name = "cifar10"
    version = "1"
    summary = "CIFAR-10 python batches (cifar-10-batches-py); xautodl's normalization"
    expects = "the folder 'cifar-10-batches-py' with data_batch_1..5, test_batch"
    layout = Layout(
        "cifar-10-batches-py", tuple(f"data_batch_{i}" for i in range(1, 6)), ("test_batch",), "labels", 32
    )


class Cifar100(OfficialBatches):
    name = "cifar100"
    version = "1"
    summary = "CIFAR-100 python batches (cifar-100-python), fine labels; xautodl's normalization"
    expects = "the folder 'cifar-100-python' with train, test"
    layout = Layout("cifar-100-python", ("train",), ("test",), "fine_labels", 32)


class ImageNet16(OfficialBatches):
    name = "imagenet16"
    version = "1"
    summary = "downsampled ImageNet 16×16 batches (ImageNet16); a task ImageNet16-N keeps classes 1..N"
    expects = "the folder 'ImageNet16' with train_data_batch_1..10, val_data"
    layout = Layout(
        "ImageNet16",
        tuple(f"train_data_batch_{i}" for i in range(1, 11)),
        ("val_data",),
        "labels",
        16,
        one_based=True,
    )

    def class_limit(self, request: BatchRequest) -> int | None:
        if request.classes is not None:
            return request.classes
        return request.task.num_classes if data_family(request.task) == "imagenet16" else None


def keep_classes(
    images: np.ndarray, labels: np.ndarray, classes: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The images whose label is below ``classes`` (all when None), in order."""
    if classes is None:
        return images, labels
    keep = labels < classes
    return images[keep], labels[keep]


# --------------------------------------------------------------------------- safe pickles


class _ArrayUnpickler(pickle.Unpickler):
    """Resolves numpy's array reconstruction and nothing else."""

    def find_class(self, module: str, name: str):
        allowed = _allowed_globals()
        if (module, name) in allowed:
            return allowed[(module, name)]
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: only numpy arrays are allowed in data batches"
        )

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


def load_pickle(path: Path) -> dict[str, object]:
    try:
        with open(path, "rb") as f:
            obj = _ArrayUnpickler(f, encoding="latin1").load()
    except FileNotFoundError:
        raise HarnessError(f"{path}: file not found") from None
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
    ) as exc:
        raise HarnessError(f"{path}: not a readable data batch ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, dict):
        raise HarnessError(
            f"{path}: expected a pickled dict with 'data' and labels, got {type(obj).__name__}"
        )
    return {k.decode("latin1") if isinstance(k, bytes) else str(k): v for k, v in obj.items()}


def stamp(paths: list[Path]) -> tuple:
    """What the caches key on: each file's path, size and modification time."""
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths)


def read_official(
    kind: str, layout: Layout, folder: Path, split: str, limit: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """(images N×3×side×side uint8, labels) of one split, classes below ``limit`` only."""
    paths = [folder / f for f in layout.files(split)]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise HarnessError(
            f"{folder}: missing {', '.join(missing)} (the {split} split of {kind} is "
            f"{', '.join(p.name for p in paths)})"
        )
    return read_official_cached(layout, stamp(paths), limit)


@functools.lru_cache(maxsize=4)
def read_official_cached(layout: Layout, stamped: tuple, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for name, _, _ in stamped:
        path = Path(name)
        entry = load_pickle(path)
        if "data" not in entry or layout.label_key not in entry:
            raise HarnessError(
                f"{path}: expected keys 'data' and {layout.label_key!r}, found {sorted(entry)}"
            )
        data = entry["data"]
        row = 3 * layout.side * layout.side
        if (
            not isinstance(data, np.ndarray)
            or data.dtype != np.uint8
            or data.ndim != 2
            or data.shape[1] != row
        ):
            shape = getattr(data, "shape", None)
            raise HarnessError(
                f"{path}: 'data' should be N×{row} uint8 (3×{layout.side}×{layout.side} images), "
                f"got {type(data).__name__} {getattr(data, 'dtype', '')} {shape}"
            )
        y = np.asarray(entry[layout.label_key])
        if y.ndim != 1 or len(y) != len(data) or not np.issubdtype(y.dtype, np.integer):
            raise HarnessError(
                f"{path}: {layout.label_key!r} should be {len(data)} integers, got {y.dtype} {y.shape}"
            )
        y = y.astype(np.int64)
        if layout.one_based:
            keep = (y >= 1) & (y <= (limit if limit is not None else y.max()))
            data, y = data[keep], y[keep] - 1
        elif limit is not None:
            data, y = data[y < limit], y[y < limit]
        images.append(data.reshape(-1, 3, layout.side, layout.side))
        labels.append(y)
    return np.concatenate(images), np.concatenate(labels)
