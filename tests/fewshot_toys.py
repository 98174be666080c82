"""Test-only plugins of the few-shot protocol (installed through entry points by tests/test_fewshot.py).

``fs_grid``: 40 MLPs (width × depth, a decision vector) with one task whose metric, ``error``, is
lower-is-better, labelled by ``fs_table`` on 35 of them (partial coverage). ``fs_linear`` is a
real trainable proxy: least squares of the oriented targets on the model's log-parameter count
and depth, read through the protocol's tools. ``fs_leaky`` reads the oracle inside ``score``;
``fs_peek`` asks its tools for an architecture outside its labelled set.
"""

from __future__ import annotations

import json
import math

import numpy as np
from torch import nn

from nas_harness.api import (
    ArchError,
    BlockTopology,
    Cost,
    Decision,
    Metric,
    Needs,
    OpInfo,
    Oracle,
    OracleInfo,
    Proxy,
    Space,
    Task,
    Topology,
    TrainableProxy,
    hookimpl,
)

WIDTHS = (2, 4, 6, 8, 10, 12, 14, 16)
DEPTHS = (1, 2, 3, 4, 5)


def _wd(arch: str) -> tuple[int, int]:
    w, d = arch.split("-")
    return int(w[1:]), int(d[1:])


class FsGrid(Space):
    name = "fs_grid"
    version = "1"

    def parse(self, text: str) -> str:
        try:
            w, d = _wd(text)
        except (ValueError, IndexError):
            raise ArchError(f"fs_grid arch must look like w4-d2, got {text!r}") from None
        if w not in WIDTHS or d not in DEPTHS:
            raise ArchError(f"fs_grid arch out of range: {text!r}")
        return f"w{w}-d{d}"

    def size(self) -> int:
        return len(WIDTHS) * len(DEPTHS)

    def arch(self, index: int) -> str:
        return f"w{WIDTHS[index // len(DEPTHS)]}-d{DEPTHS[index % len(DEPTHS)]}"

    def index(self, arch: str) -> int:
        w, d = _wd(self.parse(arch))
        return WIDTHS.index(w) * len(DEPTHS) + DEPTHS.index(d)

    def sample(self, n, rng):
        return [self.arch(int(i)) for i in rng.choice(self.size(), n, replace=False)]

    def mutate(self, arch, rng):
        options = self.neighbours(arch)
        return options[int(rng.integers(len(options)))]

    def neighbours(self, arch):
        i = self.index(arch)
        return [self.arch(j) for j in (i - 1, i + 1) if 0 <= j < self.size()]

    def decisions(self):
        return (
            Decision("width", tuple(map(str, WIDTHS)), ordered=True),
            Decision("depth", tuple(map(str, DEPTHS)), ordered=True),
        )

    def to_choices(self, arch):
        w, d = _wd(self.parse(arch))
        return (WIDTHS.index(w), DEPTHS.index(d))

    def from_choices(self, picks):
        return f"w{WIDTHS[picks[0]]}-d{DEPTHS[picks[1]]}"

    def tasks(self):
        return {
            "fit": Task("fit", 3, (1, 2, 2), metrics=(Metric("error", higher_is_better=False, unit="%"),))
        }

    def build_model(self, arch, dataset, *, bn=True):
        w, d = _wd(arch)
        layers = [nn.Flatten(), nn.Linear(4, w)]
        for _ in range(d - 1):
            layers += [nn.ReLU(), nn.Linear(w, w)]
        return nn.Sequential(*layers, nn.ReLU(), nn.Linear(w, 3))

    def topology(self, arch, dataset):
        w, _ = _wd(arch)
        return Topology((BlockTopology(((OpInfo("linear", "other"), 1),), 4, w, (1, 1), (1, 1)),))

    def cost(self, arch, dataset):
        w, d = _wd(arch)
        params = 5 * w + (d - 1) * (w * w + w) + 3 * w + 3
        return Cost(params=params, flops=params)

    def oracles(self):
        return {"fs_table": FsTable, "fs_full": FsFull}


class FsTable(Oracle):
    """error = 60 − 2·√(w·d) + a deterministic wobble; labels every arch whose index % 8 ≠ 7."""

    name = "fs_table"

    def describe(self, task):
        return OracleInfo("fs_table", task, "error", "test", 1, "exact", higher_is_better=False, unit="%")

    def coverage(self, task):
        space = FsGrid()
        return [space.arch(i) for i in range(space.size()) if i % 8 != 7]

    def query(self, archs, task):
        space = FsGrid()
        out = []
        for a in archs:
            i = space.index(a)
            w, d = _wd(a)
            out.append(math.nan if i % 8 == 7 else 60.0 - 2.0 * math.sqrt(w * d) + 0.3 * math.sin(3.0 * i))
        return np.array(out)


class FsFull(Oracle):
    """accuracy = 40 + 2·√(w·d) on every arch (full coverage, higher is better): a second label source."""

    name = "fs_full"

    def describe(self, task):
        return OracleInfo("fs_full", task, "accuracy", "test", 1, "exact")

    def query(self, archs, task):
        return np.array([40.0 + 2.0 * math.sqrt(math.prod(_wd(a))) for a in archs])


class FsParams(Proxy):
    """Parameter count of the built model."""

    name = "fs_params"
    version = "1"
    needs = frozenset({Needs.MODEL})

    def score(self, ctx):
        return float(sum(p.numel() for p in ctx.build_model().parameters()))


def _features(model) -> list[float]:
    linear = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return [1.0, math.log(sum(p.numel() for p in model.parameters())), float(len(linear))]


class FsLinear(TrainableProxy):
    """Least squares of the oriented targets on (1, log params, depth), fitted per labelled set."""

    name = "fs_linear"
    version = "1"
    needs = frozenset({Needs.MODEL})

    def fit(self, labelled, tools):
        rows, ys = [], []
        for ls in labelled:
            params = tools.score("fs_params", {}, ls)  # through the engine and store
            for arch, p, y in zip(ls.archs, params, ls.targets):
                feats = _features(tools.context(ls, arch).build_model())
                assert abs(math.exp(feats[1]) - p) < 0.5
                rows.append(feats)
                ys.append(float(y))
        coef, *_ = np.linalg.lstsq(np.array(rows), np.array(ys), rcond=None)
        return json.dumps({"coef": [float(c) for c in coef]}).encode()

    def load_state(self, state):
        super().load_state(state)
        self.coef = json.loads(state)["coef"]

    def score(self, ctx):
        self.fitted()
        return float(np.dot(self.coef, _features(ctx.build_model())))


class FsLeaky(FsLinear):
    """Fits honestly, then looks its score up in the oracle: the guard must catch it."""

    name = "fs_leaky"

    def score(self, ctx):
        return -float(FsTable(space=FsGrid()).query([ctx.arch], "fit")[0])


class FsPeek(FsLinear):
    """Asks its tools for an architecture outside its labelled set."""

    name = "fs_peek"

    def fit(self, labelled, tools):
        inside = set(labelled[0].archs)
        other = next(a for a in (FsGrid().arch(i) for i in range(40)) if a not in inside)
        tools.context(labelled[0], other)
        return b"never"


class _Spaces:
    @hookimpl
    def nas_harness_spaces(self):
        return [FsGrid]


class _Proxies:
    @hookimpl
    def nas_harness_proxies(self):
        return [FsParams, FsLinear, FsLeaky, FsPeek]


SPACES = _Spaces()
PROXIES = _Proxies()
