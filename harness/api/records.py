"""Typed records that travel with results: what a ground-truth number means, what a score's
number was computed under (the signature), and the labelled architectures a trainable proxy
may learn from."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

import numpy as np
from pydantic import ConfigDict


@dataclass(frozen=True)
class OracleInfo:
    """What a ground-truth number means; recorded with every result."""

    oracle: str
    dataset: str  # the task's name
    metric: str  # e.g. "accuracy"
    split: str  # "valid" | "test" | ...
    epochs: int | None
    seed_aggregation: str  # e.g. "mean(3 seeds)"
    higher_is_better: bool = True
    source: str = ""
    unit: str = ""

    def target(self) -> str:
        ep = f"@{self.epochs}ep" if self.epochs is not None else ""
        direction = "" if self.higher_is_better else ",lower"
        return f"{self.dataset}/{self.split}{ep}({self.seed_aggregation}{direction})"


@dataclass(frozen=True)
class CalibrationInfo:
    """The labelled set a trainable proxy was fitted on, as it appears in signatures and keys."""

    source: str  # e.g. "nb201:cifar10/table" or "transfer:nb101"
    k: int
    seed: int
    hash: str
    state_hash: str = ""

    def describe(self) -> str:
        state = f",state={self.state_hash}" if self.state_hash else ""
        return f"{self.source}(k={self.k},s={self.seed},h={self.hash}{state})"


@dataclass(frozen=True)
class LabelledSet:
    """Architectures with ground truth, handed to ``TrainableProxy.fit`` by the protocol only.

    ``targets`` are oriented (larger = better) whatever the metric's direction. Several spaces'
    sets may be given at once (cross-space training), each a ``LabelledSet``.
    """

    space: str
    task: str
    archs: tuple[str, ...]
    targets: np.ndarray
    oracle: OracleInfo
    source: str
    seed: int
    task_info: object | None = field(default=None, compare=False)

    @property
    def k(self) -> int:
        return len(self.archs)

    @property
    def hash(self) -> str:
        """Content hash of the set (space, task, archs in order, targets, oracle)."""
        blob = json.dumps(
            {
                "space": self.space,
                "task": self.task,
                "archs": list(self.archs),
                "targets": [float(t) for t in np.asarray(self.targets, dtype=float)],
                "oracle": asdict(self.oracle),
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Signature:
    """What one reported number measured; two numbers are comparable when all but the proxy
    (and strategy) fields agree.

    Rendered as one line (``render()``, also ``str(sig)``); results keep the fields typed so
    tools compare them without parsing. ``input`` is the input batch's spec (where the images
    came from, ``input_source`` names the data source alone) and ``target`` what the scores are
    correlated with (``task`` and ``metric`` name its parts): two separate things, since a run
    may score one task's architectures with another dataset's images. Empty optional fields
    are left out of the line, so a v1 signature renders exactly as before. Built in one place:
    ``nas_harness.signatures``.
    """

    # Results refuse unknown signature fields; said explicitly so every pydantic version writes
    # the same JSON schema for it (2.14 began to derive it from the enclosing model).
    __pydantic_config__ = ConfigDict(extra="forbid")

    proxy: str
    space: str
    target: str
    oracle: str
    sample: str
    input: str
    init: str
    harness: str
    space_config: str = ""  # hash of a non-default space config ("" = defaults)
    calibration: str = ""  # CalibrationInfo.describe() for trainable proxies
    proxy_version: str = ""
    task: str = ""
    metric: str = ""
    input_source: str = ""  # the data source's name (``input.kind`` resolved), "" when no data is read
    strategy: str = ""  # search numbers: the strategy as name@version
    budget: int | None = None  # search numbers: distinct architectures per search
    repeats: int | None = None  # search numbers: searches per cell
    repeat_seed: int | None = None  # search numbers: the seed of the first repeat

    def render(self) -> str:
        space = f"{self.space}[{self.space_config}]" if self.space_config else self.space
        proxy = f"{self.proxy}@{self.proxy_version}" if self.proxy_version else self.proxy
        parts = [f"strategy:{self.strategy}"] if self.strategy else []
        parts += [f"proxy:{proxy}", f"space:{space}", f"target:{self.target}", f"oracle:{self.oracle}"]
        if self.sample:
            parts.append(f"sample:{self.sample}")
        if self.budget is not None:
            parts.append(f"budget:{self.budget}")
        if self.repeats is not None:
            parts.append(f"repeats:{self.repeats}(s={self.repeat_seed or 0})")
        parts += [f"input:{self.input}", f"init:{self.init}"]
        if self.calibration:
            parts.append(f"calib:{self.calibration}")
        parts.append(f"harness:{self.harness}")
        return "|".join(parts)

    __str__ = render
