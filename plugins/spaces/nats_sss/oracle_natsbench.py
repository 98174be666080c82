"""``nats_bench``: the official NATS-Bench size-space archive read through the ``nats_bench`` API.

``path`` is the archive: with ``fast_mode=True`` (default) the ``NATS-sss-v1_0-50262-simple``
directory (one file per architecture, read on demand), with ``fast_mode=False`` the single
``NATS-sss-v1_0-50262.pickle.pbz2`` file. The API reads these with ``pickle``: use only the
official archive.

Defaults differ from the API's on purpose: ``hp='90'`` (the size space's longest schedule; the
API defaults to 12 epochs) and ``is_random=False`` (mean over the seeds the archive holds; at
hp=90 that is one run, seed 777, for most architectures), or an int seed for that run alone.

Where a number comes from (NATS dataset entry, result key), as for the topology space:

=================  ===========================  ====================================
task               split valid                  split test
=================  ===========================  ====================================
cifar10            cifar10-valid, valid-acc.    cifar10 (train+valid), test-accuracy
cifar100           cifar100, valid-accuracy     cifar100, test-accuracy
ImageNet16-120     ImageNet16-120, valid-acc.   ImageNet16-120, test-accuracy
=================  ===========================  ====================================

An architecture the archive does not hold (e.g. the three-architecture fixture) gives NaN.
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

from nas_harness.api import HarnessError, Oracle, OracleInfo, PluginConfig, shared_path

from . import arch as A
from .tasks import TASKS

PICKLE_EXT = "pickle.pbz2"


def nats_entry(task: str, split: str) -> tuple[str, str]:
    """(NATS dataset entry, key of ``get_more_info``) for a task and split."""
    if task not in TASKS:
        raise HarnessError(
            f"oracle 'nats_bench' of space 'nats_sss' has no task {task!r}; known: {', '.join(TASKS)}"
        )
    entry = ("cifar10-valid" if split == "valid" else "cifar10") if task == "cifar10" else task
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
        return create(path, "sss", fast_mode=fast_mode, verbose=False)
    except Exception as exc:  # noqa: BLE001 - the API raises bare ValueError/OSError/pickle errors
        raise HarnessError(
            f"cannot open NATS-Bench size-space archive {path}: {type(exc).__name__}: {exc}"
        ) from exc


class NATSBenchSSSOracle(Oracle):
    name = "nats_bench"
    summary = "the official NATS-Bench size-space archive (nats_bench API), hp=90, mean over seeds"

    class Config(PluginConfig):
        path: str = Field(description="NATS-sss-v1_0-50262-simple directory (fast_mode) or .pickle.pbz2 file")
        fast_mode: bool = True
        hp: Literal["01", "12", "90"] = "90"
        split: Literal["valid", "test"] = "test"
        is_random: Literal[False] | int = Field(
            False, description="False: mean over seeds; an int: that seed's run (True is not allowed)"
        )

        @field_validator("is_random", mode="before")
        @classmethod
        def _no_random_trial(cls, value):
            if value is True:
                raise ValueError(
                    "is_random=True picks a random seed on every query; use False or a seed such as 777"
                )
            return value

        @field_validator("hp", mode="before")
        @classmethod
        def _hp_as_text(cls, value):
            if isinstance(value, int) and not isinstance(value, bool):
                return f"{value:02d}"
            return value

    def __init__(self, config: PluginConfig | None = None, *, space=None):
        super().__init__(config, space=space)
        self.path = shared_path(self.config.path)
        if not self.path.exists():
            raise HarnessError(f"NATS-Bench size-space archive not found: {self.path} (config 'path')")
        if self.config.fast_mode and not self.path.is_dir():
            raise HarnessError(f"NATS-Bench archive {self.path}: fast_mode=True needs the *-simple directory")
        if not self.config.fast_mode and not self.path.is_file():
            raise HarnessError(
                f"NATS-Bench archive {self.path}: fast_mode=False needs the .{PICKLE_EXT} file"
            )
        if not os.access(self.path, os.R_OK):
            raise HarnessError(f"NATS-Bench archive {self.path} is not readable")
        self._cache: dict[tuple[int, str], dict[str, float]] = {}
        self._held: list[str] | None = None

    def tasks(self) -> tuple[str, ...]:
        return tuple(TASKS)

    def describe(self, task: str) -> OracleInfo:
        entry, key = nats_entry(task, self.config.split)
        seed = self.config.is_random
        try:
            version = importlib.metadata.version("nats_bench")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            version = "unknown"
        return OracleInfo(
            oracle=self.name,
            dataset=task,
            metric="accuracy",
            split=self.config.split,
            epochs=int(self.config.hp),
            seed_aggregation="mean(seeds)" if seed is False else f"seed={seed}",
            higher_is_better=True,
            source=f"nats_bench {version} API (sss), archive {self.path}, entry {entry}/{key}, hp={self.config.hp}",
            unit="%",
        )

    def coverage(self, task: str) -> list[str] | None:
        """The architectures the archive holds (all 32,768 for the full archive)."""
        nats_entry(task, self.config.split)
        if not self.config.fast_mode:
            return None
        if self._held is None:
            held = [i for i in range(A.SIZE) if self._file(i) is not None]
            self._held = [A.to_string(A.from_index(i)) for i in held]
        return None if len(self._held) == A.SIZE else list(self._held)

    def query(self, archs: Sequence[str], task: str) -> np.ndarray:
        entry, key = nats_entry(task, self.config.split)
        out = np.full(len(archs), np.nan)
        api = None
        for n, arch in enumerate(archs):
            index = A.to_index(A.parse_code(arch))
            if (index, entry) not in self._cache:
                api = api or _open_api(str(self.path), self.config.fast_mode)
                self._cache[(index, entry)] = self._read(api, index, entry, self.config.is_random)
            out[n] = self._cache[(index, entry)].get(key, np.nan)
        return out

    def query_seeds(self, archs: Sequence[str], task: str) -> np.ndarray:
        """One row per training seed the archive lists for this entry and ``hp`` (sorted)."""
        entry, key = nats_entry(task, self.config.split)
        api = _open_api(str(self.path), self.config.fast_mode)
        per_arch: list[dict[int, float]] = []
        for arch in archs:
            index = A.to_index(A.parse_code(arch))
            values: dict[int, float] = {}
            if self._holds(api, index):
                try:
                    seeds = api.query_meta_info_by_index(index, hp=self.config.hp).get_dataset_seeds(entry)
                except (KeyError, ValueError):
                    seeds = []
                for seed in seeds:
                    value = self._read(api, index, entry, int(seed)).get(key)
                    if value is not None:
                        values[int(seed)] = value
            per_arch.append(values)
        seeds = sorted({s for d in per_arch for s in d})
        out = np.full((len(seeds), len(archs)), np.nan)
        for n, values in enumerate(per_arch):
            for row, seed in enumerate(seeds):
                out[row, n] = values.get(seed, np.nan)
        return out

    def _read(self, api, index: int, entry: str, seed) -> dict[str, float]:
        """The numeric results of one architecture on one entry; {} when the archive lacks them.
        In fast mode the API keeps what it reads in memory, so the record is dropped again."""
        if not self._holds(api, index):
            return {}
        try:
            info = api.get_more_info(index, entry, hp=self.config.hp, is_random=seed)
        except (KeyError, ValueError):  # no results for this hp, dataset or seed
            return {}
        except Exception as exc:  # noqa: BLE001 - corrupt or foreign files
            raise HarnessError(
                f"NATS-Bench archive {self.path}: cannot read architecture {index}: {exc}"
            ) from exc
        finally:
            if self.config.fast_mode:
                api.arch2infos_dict.pop(index, None)
                api.evaluated_indexes.discard(index)
        return {
            k: float(v) for k, v in info.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
        }

    def _file(self, index: int) -> Path | None:
        for name in (f"{index:06d}", f"{index}"):
            if (self.path / f"{name}.{PICKLE_EXT}").is_file():
                return self.path / f"{name}.{PICKLE_EXT}"
        return None

    def _holds(self, api, index: int) -> bool:
        if index in api.arch2infos_dict:
            return True
        return self.config.fast_mode and self._file(index) is not None
