"""The one place where a result's signature (``nas_harness.api.Signature``) is built.

Data in, data out: the run's setup (space and its config, the oracle's description of the
target, the sample, the input batch, the init, a trainable proxy's calibration, the harness
version) becomes a typed record; results store it beside its rendered line. For NB201 runs
with the space's default config and no calibration the line is the v1 one, character for
character, so CI baselines and leaderboards stay comparable.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import __version__
from .api import CalibrationInfo, OracleInfo, Signature, Space
from .scoring import space_config_key


def run_signature(
    *,
    proxy: str,
    proxy_version: str,
    space: Space,
    task: str,
    oracle: OracleInfo,
    sample: str,
    input_spec: str,
    input_source: str,
    init: str,
    calibration: CalibrationInfo | None = None,
) -> Signature:
    """The signature of one number of the correlation protocol (or of any protocol reporting
    per proxy over a sample). ``task`` is the task the models were built for (the oracle may
    name its own split of it, e.g. NB201's cifar10 task is labelled on cifar10-valid)."""
    return Signature(
        proxy=proxy,
        proxy_version=proxy_version,
        space=f"{space.name}@{space.version}",
        space_config=space_config_key(space),
        target=oracle.target(),
        task=task,
        metric=oracle.metric,
        oracle=oracle.oracle,
        sample=sample,
        input=input_spec,
        input_source=input_source,
        init=init,
        calibration=calibration.describe() if calibration is not None else "",
        harness=__version__,
    )


def search_signature(
    *,
    strategy: str,
    proxy: str,
    proxy_version: str,
    space: Space,
    task: str,
    oracle: OracleInfo,
    budget: int,
    seeds: Sequence[int],
    input_spec: str,
    input_source: str,
    init: str,
    calibration: CalibrationInfo | None = None,
) -> Signature:
    """The signature of one search cell: comparable with another when equal but for the
    strategy and proxy fields. ``proxy`` names the objective (a proxy, or the ground truth)."""
    return Signature(
        strategy=strategy,
        proxy=proxy,
        proxy_version=proxy_version,
        space=f"{space.name}@{space.version}",
        space_config=space_config_key(space),
        target=oracle.target(),
        task=task,
        metric=oracle.metric,
        oracle=oracle.oracle,
        sample="",
        budget=budget,
        repeats=len(seeds),
        repeat_seed=seeds[0] if seeds else 0,
        input=input_spec,
        input_source=input_source,
        init=init,
        calibration=calibration.describe() if calibration is not None else "",
        harness=__version__,
    )


__all__ = ["run_signature", "search_signature"]
