"""Discrete Proxy Search (paper 002 §2.2-2.3): regularized evolution over Eproxy's own settings.

A *genome* holds one option index per searchable setting (the code's ``nas_config_dict``):
learning rate, FLOPs alpha, branch count, network and barrier initializations, and for each of
three branch slots the feature-inclusion bits, transform and barrier kernels, c_mid, c_out and
the augment coefficient. Slots past the branch count are carried (and mutated) but unused, as
in the code; two genomes that decode to the same Eproxy config are the same config for the
engine's store, so the second costs nothing.

Fitness is Spearman's rho between Eproxy's scores (oriented larger = better) and the targets of
the calibration architectures; a config under which any calibration architecture fails (e.g.
the loss diverged) gets -1, as the code's NaN -> -1. Several labelled sets (tasks) average.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from pydantic import Field

from nas_harness.api import PluginConfig

N_SLOTS = 3
FEATURES = ("net", "wave_l", "wave_m", "wave_h", "dot")


class DpsConfig(PluginConfig):
    population: int = Field(40, ge=2)
    """Population of the regularized evolution (paper: 40); the first ``population`` configs are random."""
    tournament: int = Field(10, ge=1)
    """Tournament (sample) size (paper: 10)."""
    mutation: float = Field(0.2, ge=0.0, le=1.0)
    """Per-setting mutation probability: a setting is re-drawn, a feature bit flipped (code: 0.2)."""
    cycles: int = Field(200, ge=0)
    """Evolution cycles after the random population (paper: "200 epochs", read as 200 cycles;
    the code evaluates 200 configs in all, i.e. population 40 + 160 cycles)."""
    feature_prob: float = Field(0.2, ge=0.0, le=1.0)
    """Probability that a random genome includes each feature kind in each slot (code: 0.2)."""
    lrs: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5)
    alphas: tuple[float, ...] = (-0.5, -0.4, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
    """FLOPs-term alphas, in the paper's sign convention (Eproxy's ``flops_alpha``)."""
    kernels: tuple[int, ...] = (1, 3, 7)
    channels: tuple[int, ...] = (16, 32, 64, 128, 256, 512)
    coefficients: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)
    inits: tuple[str, ...] = ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")
    branch_counts: tuple[int, ...] = (1, 2, 3)
    eproxy: dict = Field(default_factory=dict)
    """Eproxy settings DPS does not search (e.g. ``iterations``, ``target_seed``), as Eproxy config keys."""
    flops_max: float | None = Field(None, gt=0)
    """MACs of the space's largest architecture for the FLOPs term; None = the largest
    calibration architecture's (the paper normalizes by the space's largest)."""


@dataclass(frozen=True)
class Genome:
    lr: int
    alpha: int
    branches: int
    init_net: int
    init_barrier: int
    features: tuple[tuple[bool, ...], ...]  # slot x feature kind
    transform_kernel: tuple[int, ...]
    barrier_kernel: tuple[int, ...]
    c_mid: tuple[int, ...]
    c_out: tuple[int, ...]
    coefficient: tuple[int, ...]

    def to_list(self) -> list:
        return [_lists(v) for v in asdict(self).values()]

    @classmethod
    def from_list(cls, values: Sequence) -> Genome:
        return cls(*[_tuples(v) for v in values])


def _lists(v):
    return [_lists(x) for x in v] if isinstance(v, (tuple, list)) else v


def _tuples(v):
    return tuple(_tuples(x) for x in v) if isinstance(v, (tuple, list)) else v


def _sizes(cfg: DpsConfig) -> dict[str, int]:
    return {
        "lr": len(cfg.lrs),
        "alpha": len(cfg.alphas),
        "branches": len(cfg.branch_counts),
        "init_net": len(cfg.inits),
        "init_barrier": len(cfg.inits),
        "transform_kernel": len(cfg.kernels),
        "barrier_kernel": len(cfg.kernels),
        "c_mid": len(cfg.channels),
        "c_out": len(cfg.channels),
        "coefficient": len(cfg.coefficients),
    }


SCALARS = ("lr", "alpha", "branches", "init_net", "init_barrier")
PER_SLOT = ("transform_kernel", "barrier_kernel", "c_mid", "c_out", "coefficient")


def random_genome(cfg: DpsConfig, rng: np.random.Generator) -> Genome:
    sizes = _sizes(cfg)
    values: dict = {k: int(rng.integers(sizes[k])) for k in SCALARS}
    values["features"] = tuple(
        tuple(bool(b) for b in rng.random(len(FEATURES)) < cfg.feature_prob) for _ in range(N_SLOTS)
    )
    for k in PER_SLOT:
        values[k] = tuple(int(rng.integers(sizes[k])) for _ in range(N_SLOTS))
    return Genome(**values)


def mutate(genome: Genome, cfg: DpsConfig, rng: np.random.Generator) -> Genome:
    """Each setting re-drawn (possibly to the same option) and each feature bit flipped with
    probability ``cfg.mutation``, as the code's ``Explorer.mutate``."""
    sizes = _sizes(cfg)
    values = asdict(genome)
    for k in SCALARS:
        if rng.random() < cfg.mutation:
            values[k] = int(rng.integers(sizes[k]))
    values["features"] = tuple(
        tuple(bool(b) != bool(rng.random() < cfg.mutation) for b in slot) for slot in genome.features
    )
    for k in PER_SLOT:
        values[k] = tuple(
            int(rng.integers(sizes[k])) if rng.random() < cfg.mutation else v for v in values[k]
        )
    return Genome(**values)


def decode(genome: Genome, cfg: DpsConfig, flops_max: float | None) -> dict:
    """The Eproxy config (as a dict of Eproxy config keys) a genome stands for."""
    n = cfg.branch_counts[genome.branches]
    alpha = cfg.alphas[genome.alpha]
    out = dict(cfg.eproxy)
    out.update(
        lr=cfg.lrs[genome.lr],
        flops_alpha=alpha if flops_max is not None else 0.0,
        flops_max=flops_max if alpha != 0.0 and flops_max is not None else None,
        init_net=cfg.inits[genome.init_net],
        init_barrier=cfg.inits[genome.init_barrier],
        branches=[
            {
                "features": [f for f, on in zip(FEATURES, genome.features[i]) if on],
                "transform_kernel": cfg.kernels[genome.transform_kernel[i]],
                "barrier_kernel": cfg.kernels[genome.barrier_kernel[i]],
                "c_mid": cfg.channels[genome.c_mid[i]],
                "c_out": cfg.channels[genome.c_out[i]],
                "coefficient": cfg.coefficients[genome.coefficient[i]],
            }
            for i in range(n)
        ],
    )
    if out["flops_max"] is None:
        out["flops_alpha"] = 0.0
    return out


def spearman_fitness(scores: np.ndarray, targets: np.ndarray) -> float:
    """rho(scores, targets); -1 when a score is missing or rho is undefined (constant scores)."""
    from scipy import stats

    scores = np.asarray(scores, dtype=float)
    if scores.shape != np.shape(targets) or not np.all(np.isfinite(scores)):
        return -1.0
    if np.ptp(scores) == 0 or np.ptp(targets) == 0:
        return -1.0
    rho = stats.spearmanr(scores, targets).statistic
    return float(rho) if np.isfinite(rho) else -1.0


@dataclass(frozen=True)
class Evaluated:
    genome: Genome
    config: dict
    fitness: float


def search(
    cfg: DpsConfig, fitness: Callable[[dict], float], rng: np.random.Generator, flops_max: float | None
) -> list[Evaluated]:
    """Listing 2: ``population`` random configs, then ``cycles`` children, each the mutation of
    the best of ``tournament`` configs drawn from the latest ``population`` (aging evolution)."""
    history: list[Evaluated] = []

    def evaluate(genome: Genome) -> None:
        config = decode(genome, cfg, flops_max)
        history.append(Evaluated(genome, config, float(fitness(config))))

    for _ in range(cfg.population):
        evaluate(random_genome(cfg, rng))
    for _ in range(cfg.cycles):
        alive = history[-cfg.population :]
        picks = rng.choice(len(alive), size=min(cfg.tournament, len(alive)), replace=False)
        parent = max((alive[int(i)] for i in sorted(picks)), key=lambda e: e.fitness)
        evaluate(mutate(parent.genome, cfg, rng))
    return history


def best(history: Sequence[Evaluated]) -> Evaluated:
    """The highest fitness, the earliest on ties."""
    return max(history, key=lambda e: e.fitness)


def encode_state(winner: Evaluated, history: Sequence[Evaluated], info: dict) -> bytes:
    """The fitted state: the winning Eproxy config, its fitness, the search history and what it
    was fitted on, as canonical JSON (the same search gives the same bytes)."""
    blob = {
        "eproxy": winner.config,
        "fitness": winner.fitness,
        "history": [{"genome": e.genome.to_list(), "fitness": e.fitness} for e in history],
        "fitted_on": info,
    }
    return json.dumps(blob, sort_keys=True, separators=(",", ":")).encode()


def decode_state(state: bytes) -> dict:
    return json.loads(state.decode())
