"""Fitting a trainable proxy: the tools ``fit`` may use, and one fit from a fresh instance.

Shared by the few-shot protocol and searches with a trainable proxy, so both fit the same way:
contexts and scores of calibration architectures only, every score through the engine and store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from ..api import Combinator, FitTools, HarnessError, LabelledSet, Needs, ScoreContext, TrainableProxy
from ..config import validate_plugin_config
from ..engine import Engine
from ..host import PluginHost
from ..scoring import ProxyJob, ScoringSetup, arch_context
from ..store import ScoreStore
from .fewshot import calibration_info


class EngineFitTools(FitTools):
    """``FitTools`` backed by the engine and store: contexts and scores of calibration
    architectures only (asking for any other architecture is an error: fit never sees the
    evaluation set), proxies' scores stored like any run's, so a revisited config is free."""

    def __init__(
        self,
        setups: dict[tuple[str, str], ScoringSetup],
        store: ScoreStore,
        host: PluginHost,
        executor,
        seed: Sequence[int],
    ):
        self.setups = setups
        self.store = store
        self.host = host
        self.executor = executor
        self._seed = tuple(seed)
        self.scored: set[str] = set()  # every architecture fit had scored or built

    def _setup(self, labelled: LabelledSet) -> ScoringSetup:
        try:
            return self.setups[(labelled.space, labelled.task)]
        except KeyError:
            raise HarnessError(
                f"fit asked for {labelled.space}/{labelled.task}, which is not a calibration "
                "source of this run"
            ) from None

    def _check(self, labelled: LabelledSet, archs: Sequence[str]) -> None:
        outside = [a for a in archs if a not in set(labelled.archs)]
        if outside:
            raise HarnessError(
                f"fit asked for {outside[0]!r}, which is not in its labelled set: a trainable "
                "proxy learns from the calibration architectures only"
            )
        self.scored.update(archs)

    def context(self, labelled: LabelledSet, arch: str) -> ScoreContext:
        self._check(labelled, [arch])
        setup = self._setup(labelled)
        ctx = arch_context(setup, arch, frozenset({Needs.MODEL, Needs.DATA, Needs.LABELS}))
        try:
            ctx.topology = setup.space.topology(arch, setup.dataset)
        except Exception:  # noqa: BLE001 - a space without a topology for this arch: the context has none
            ctx.topology = None
        return ctx

    def score(self, proxy: str, config: dict, labelled: LabelledSet) -> np.ndarray:
        self._check(labelled, labelled.archs)
        info = self.host.get("proxy", proxy)
        if issubclass(info.cls, (TrainableProxy, Combinator)):
            raise HarnessError(
                f"fit can score plain proxies only; {proxy!r} is "
                f"{'trainable' if issubclass(info.cls, TrainableProxy) else 'a combinator'}"
            )
        job = ProxyJob(info.cls(validate_plugin_config(info.cls.Config, config, f"{proxy} config")))
        table = Engine(self._setup(labelled), self.store, executor=self.executor).score(
            [job], list(labelled.archs)
        )
        values = table[job.name].values
        return values if job.proxy.higher_is_better else -values

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self._seed)


def fit_fresh(job: ProxyJob, labelled: Sequence[LabelledSet], tools: EngineFitTools) -> ProxyJob:
    """A fresh instance of ``job``'s proxy fitted on ``labelled``, its state installed, as a job
    whose calibration (set and state hashes) goes into store keys and signatures. Raises what
    ``fit`` raised (the caller decides what a failed fit costs)."""
    proxy = type(job.proxy)(job.proxy.config)
    state = proxy.fit(list(labelled), tools)
    if not isinstance(state, (bytes, bytearray)):
        raise TypeError(f"{job.name}.fit returned {type(state).__name__}, not bytes")
    proxy.load_state(bytes(state))
    state_hash = hashlib.sha256(bytes(state)).hexdigest()[:12]
    return ProxyJob(proxy, calibration=calibration_info(labelled[0], state_hash))
