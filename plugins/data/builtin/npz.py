"""A NumPy ``.npz`` file of uint8 NHWC ``images`` and integer ``labels``.

Split ``train`` reads ``train_images``/``train_labels`` when the file has them, ``test`` reads
``test_images``/``test_labels``; either falls back to ``images``/``labels`` (the label names
the array used). Normalized with the statistics of the task's data family, since the file
does not say where its images come from; for a family we have no statistics for, with the
file's own per-channel mean and std (said in the batch's note).
"""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path

import numpy as np

from nas_harness.api import HarnessError
from nas_harness.api.sources import (
    BatchRequest,
    DataSource,
    SourceBatch,
    choose,
    data_family,
)

from .official import keep_classes, stamp
from .stats import MEAN_STD, normalize, own_stats


class Npz(DataSource):
    name = "npz"
    version = "1"
    summary = "an .npz file of uint8 N×H×W×C 'images' and integer 'labels' (or train_/test_ prefixed)"
    expects = "an .npz file with 'images' and 'labels'"

    def locate(self, path: Path) -> Path | None:
        return path if path.is_file() and path.suffix == ".npz" else None

    def load(self, request: BatchRequest) -> SourceBatch:
        path = request.path
        if path is None:
            raise HarnessError("input kind 'npz' needs a path to the .npz file")
        if not path.is_file():
            raise HarnessError(f"input kind 'npz' needs an .npz file; {path} is a folder")
        images, labels, key = read_npz(path, request.split)
        images, labels = keep_classes(images, labels, request.classes)
        where = f"{path}[{key}]"
        idx = choose(len(images), request.batch_size, request.seed, where)
        family = data_family(request.task)
        note = ""
        if family in MEAN_STD:
            mean, std = MEAN_STD[family]
        else:
            mean, std = own_stats(images)
            note = f"normalized with the file's own mean/std (no statistics for {request.task.name!r})"
        return SourceBatch(
            inputs=normalize(images[idx], mean, std),
            labels=labels[idx],
            label=f"{path.name}[{key}]",
            where=where,
            indices=tuple(int(i) for i in idx),
            note=note,
        )


def read_npz(path: Path, split: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(images NCHW, labels, array key used) of an .npz file."""
    return _read_npz_cached(stamp([path]), split)


@functools.lru_cache(maxsize=4)
def _read_npz_cached(stamped: tuple, split: str) -> tuple[np.ndarray, np.ndarray, str]:
    path = Path(stamped[0][0])
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
        raise HarnessError(
            f"{path}: {key!r} should be uint8 images N×H×W×C, got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or len(labels) != len(images) or not np.issubdtype(labels.dtype, np.integer):
        raise HarnessError(
            f"{path}: {label_key!r} should be {len(images)} integers, got {labels.dtype} {labels.shape}"
        )
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2)), labels.astype(np.int64), key
