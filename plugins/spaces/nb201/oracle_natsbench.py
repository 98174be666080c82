"""``nats_bench``: the official NATS-Bench topology archive read through the ``nats_bench`` API.

``path`` is the archive: with ``fast_mode=True`` (default) the ``NATS-tss-v1_0-3ffb9-simple``
directory (one file per cell, read on demand), with ``fast_mode=False`` the single
``NATS-tss-v1_0-3ffb9.pickle.pbz2`` file (read whole at start, several GB of memory). The API
reads these with ``pickle``: use only the official archive.

Our defaults differ from the API's on purpose. ``get_more_info`` defaults to ``hp='12'`` (the
12-epoch schedule, not NB201's 200 epochs) and ``is_random=True`` (one randomly picked seed per
call, so two runs disagree); here ``hp='200'`` and ``is_random=False`` (mean over the seeds), or
an int seed (777, 888 or 999) for that trial alone.

Where a number comes from (NATS dataset entry, result key):

=================  ===========================  ====================================
dataset            split valid                  split test
=================  ===========================  ====================================
cifar10            cifar10-valid, valid-acc.    cifar10 (train+valid), test-accuracy
cifar10-valid      cifar10-valid, valid-acc.    cifar10-valid (train only), test-acc.
cifar100           cifar100, valid-accuracy     cifar100, test-accuracy
ImageNet16-120     ImageNet16-120, valid-acc.   ImageNet16-120, test-accuracy
=================  ===========================  ====================================

A cell the archive does not hold (e.g. a partial copy) gives NaN.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from nas_harness.api import HarnessError, Oracle, OracleInfo, PluginConfig

from . import arch as A

_KNOWN = ("cifar10", "cifar10-valid", "cifar100", "ImageNet16-120")
PICKLE_EXT = "pickle.pbz2"


def nats_entry(dataset: str, split: str) -> tuple[str, str]:
    """(NATS dataset entry, key of ``get_more_info``) for a dataset and split."""
    if dataset not in _KNOWN:
        raise HarnessError(f"oracle 'nats_bench' has no dataset {dataset!r}; known: {', '.join(_KNOWN)}")
    if dataset == "cifar10":
        entry = "cifar10-valid" if split == "valid" else "cifar10"
    else:
        entry = dataset
    return entry, f"{split}-accuracy"


@functools.lru_cache(maxsize=4)
def _open_api(path: str, fast_mode: bool):
    try:
        from nats_bench import create
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise HarnessError(
            "the nats_bench oracle needs the 'nats_bench' package (pip install nats_bench)"
        ) from exc
    try:
        return create(path, "tss", fast_mode=fast_mode, verbose=False)
    except Exception as exc:  # noqa: BLE001 - the API raises bare ValueError/OSError/pickle errors
        raise HarnessError(f"cannot open NATS-Bench archive {path}: {type(exc).__name__}: {exc}") from exc


class NATSBenchOracle(Oracle):
    name = "nats_bench"

    class Config(PluginConfig):
        path: str = Field(description="NATS-tss-v1_0-3ffb9-simple directory (fast_mode) or .pickle.pbz2 file")
        fast_mode: bool = True
        hp: Literal["200", "12"] = "200"
        split: Literal["valid", "test"] = "test"
        is_random: Literal[False] | int = Field(
            False, description="False: mean over seeds; an int: that seed's trial (True is not allowed)"
        )

        @field_validator("is_random", mode="before")
        @classmethod
        def _no_random_trial(cls, value):
            if value is True:
                raise ValueError(
                    "is_random=True picks a random seed on every query and is not reproducible; "
                    "use False (mean over seeds) or a seed such as 777"
                )
            return value

        @field_validator("hp", mode="before")
        @classmethod
        def _hp_as_text(cls, value):
            return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def __init__(self, config: PluginConfig | None = None, *, space=None):
        super().__init__(config, space=space)
        self.path = Path(os.path.expanduser(self.config.path))
        if not self.path.exists():
            raise HarnessError(f"NATS-Bench archive not found: {self.path}")
        if self.config.fast_mode and not self.path.is_dir():
            raise HarnessError(
                f"NATS-Bench archive {self.path}: fast_mode=True needs the *-simple directory, not a file"
            )
        if not self.config.fast_mode and not self.path.is_file():
            raise HarnessError(
                f"NATS-Bench archive {self.path}: fast_mode=False needs the .{PICKLE_EXT} file, not a directory"
            )
        if not os.access(self.path, os.R_OK):
            raise HarnessError(f"NATS-Bench archive {self.path} is not readable")
        self._cache: dict[tuple[int, str], dict[str, float]] = {}

    def describe(self, dataset: str) -> OracleInfo:
        entry, key = nats_entry(dataset, self.config.split)
        seed = self.config.is_random
        agg = "mean(seeds)" if seed is False else f"seed={seed}"
        try:
            version = importlib.metadata.version("nats_bench")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            version = "unknown"
        return OracleInfo(
            oracle=self.name,
            dataset=entry,
            metric="accuracy",
            split=self.config.split,
            epochs=int(self.config.hp),
            seed_aggregation=agg,
            higher_is_better=True,
            source=f"nats_bench {version} API, archive {self.path}, entry {entry}/{key}, hp={self.config.hp}",
        )

    def query(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        entry, key = nats_entry(dataset, self.config.split)
        api = _open_api(str(self.path), self.config.fast_mode)
        out = np.full(len(archs), np.nan)
        for n, arch in enumerate(archs):
            index = api.query_index_by_arch(A.canonical(arch))
            if index < 0:
                continue
            if (index, entry) not in self._cache:
                self._cache[(index, entry)] = self._read(api, index, entry)
            out[n] = self._cache[(index, entry)].get(key, np.nan)
        return out

    def query_seeds(self, archs: Sequence[str], dataset: str) -> np.ndarray:
        """One row per training seed the archive lists for this entry and ``hp`` (sorted; hp=200:
        777, 888, 999), NaN where a cell lacks that seed's run."""
        entry, key = nats_entry(dataset, self.config.split)
        api = _open_api(str(self.path), self.config.fast_mode)
        per_arch: list[dict[int, float]] = []
        for arch in archs:
            index = api.query_index_by_arch(A.canonical(arch))
            per_arch.append(self._read_seeds(api, index, entry, key) if index >= 0 else {})
        seeds = sorted({s for d in per_arch for s in d})
        out = np.full((len(seeds), len(archs)), np.nan)
        for n, values in enumerate(per_arch):
            for row, seed in enumerate(seeds):
                out[row, n] = values.get(seed, np.nan)
        return out

    def _read_seeds(self, api, index: int, entry: str, key: str) -> dict[int, float]:
        if not self._holds(api, index):
            return {}
        try:
            seeds = api.query_meta_info_by_index(index, hp=self.config.hp).get_dataset_seeds(entry)
            out = {}
            for seed in seeds:
                value = api.get_more_info(index, entry, hp=self.config.hp, is_random=seed).get(key)
                if isinstance(value, (int, float)):
                    out[int(seed)] = float(value)
            return out
        except (KeyError, ValueError):
            return {}
        except Exception as exc:  # noqa: BLE001 - corrupt or foreign files
            raise HarnessError(
                f"NATS-Bench archive {self.path}: cannot read cell {index}: {type(exc).__name__}: {exc}"
            ) from exc
        finally:
            if self.config.fast_mode:
                api.arch2infos_dict.pop(index, None)
                api.evaluated_indexes.discard(index)

    def _read(self, api, index: int, entry: str) -> dict[str, float]:
        """The numeric results of one cell on one entry; {} when the archive lacks them.

        In fast mode the API keeps every cell it reads in memory (several MB each), so the cell
        is dropped again once its few numbers are copied out.
        """
        if not self._holds(api, index):
            return {}
        try:
            info = api.get_more_info(index, entry, hp=self.config.hp, is_random=self.config.is_random)
        except (KeyError, ValueError):  # no results for this hp, dataset or seed
            return {}
        except Exception as exc:  # noqa: BLE001 - corrupt or foreign files
            raise HarnessError(
                f"NATS-Bench archive {self.path}: cannot read cell {index}: {type(exc).__name__}: {exc}"
            ) from exc
        finally:
            if self.config.fast_mode:
                api.arch2infos_dict.pop(index, None)
                api.evaluated_indexes.discard(index)
        return {
            k: float(v) for k, v in info.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
        }

    def _holds(self, api, index: int) -> bool:
        """Whether the archive has a record for the cell (a partial archive lacks some)."""
        if index in api.arch2infos_dict:
            return True
        if not self.config.fast_mode:
            return False
        return any((self.path / f"{name}.{PICKLE_EXT}").is_file() for name in (f"{index:06d}", f"{index}"))
