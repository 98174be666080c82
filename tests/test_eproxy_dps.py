"""DPS: genomes decode to valid Eproxy configs, mutation follows its rate, the evolution is the
paper's (population, tournament, aging) and deterministic, and the fitted state round-trips."""

from __future__ import annotations

import numpy as np
import pytest

from nas_harness.plugins.proxies import _eproxy_dps as D
from nas_harness.plugins.proxies.eproxy import EproxyConfig


def test_every_random_genome_decodes_to_a_valid_eproxy_config():
    cfg = D.DpsConfig()
    rng = np.random.default_rng(0)
    for _ in range(200):
        g = D.random_genome(cfg, rng)
        config = EproxyConfig(**D.decode(g, cfg, flops_max=1e6))
        assert len(config.branches) == cfg.branch_counts[g.branches]
        assert config.lr in cfg.lrs and config.flops_alpha in cfg.alphas
        assert (config.flops_max is None) == (config.flops_alpha == 0.0)


def test_without_a_flops_normalizer_the_flops_term_is_off():
    cfg = D.DpsConfig()
    rng = np.random.default_rng(1)
    for _ in range(50):
        assert D.decode(D.random_genome(cfg, rng), cfg, flops_max=None)["flops_alpha"] == 0.0


def test_mutation_rate_zero_keeps_the_genome_and_rate_one_flips_every_feature_bit():
    rng = np.random.default_rng(0)
    g = D.random_genome(D.DpsConfig(), rng)
    assert D.mutate(g, D.DpsConfig(mutation=0.0), rng) == g
    flipped = D.mutate(g, D.DpsConfig(mutation=1.0), rng)
    assert flipped.features == tuple(tuple(not b for b in slot) for slot in g.features)


def test_mutation_changes_each_setting_at_about_its_rate():
    cfg = D.DpsConfig(mutation=0.2)
    rng = np.random.default_rng(0)
    g = D.random_genome(cfg, rng)
    flips = np.mean(
        [np.mean(np.array(D.mutate(g, cfg, rng).features) != np.array(g.features)) for _ in range(400)]
    )
    assert flips == pytest.approx(0.2, abs=0.03)


def test_search_evaluates_population_plus_cycles_configs_and_is_deterministic():
    cfg = D.DpsConfig(population=6, tournament=3, cycles=9)
    calls = []

    def fitness(config: dict) -> float:
        calls.append(config)
        return -abs(config["lr"] - 1.0) + 0.01 * len(config["branches"])

    h1 = D.search(cfg, fitness, np.random.default_rng(5), None)
    h2 = D.search(cfg, fitness, np.random.default_rng(5), None)
    assert len(h1) == 15 == len(calls) // 2
    assert [e.config for e in h1] == [e.config for e in h2]
    winner = D.best(h1)
    assert winner.fitness == max(e.fitness for e in h1)
    assert winner is next(e for e in h1 if e.fitness == winner.fitness)


def test_a_child_is_a_mutation_of_the_best_of_a_tournament_from_the_latest_population():
    cfg = D.DpsConfig(population=5, tournament=5, cycles=20, mutation=0.0)  # children = parents
    history = D.search(cfg, lambda c: c["lr"], np.random.default_rng(0), None)
    for i in range(5, len(history)):
        alive = history[i - 5 : i]
        assert history[i].config == max(alive, key=lambda e: e.fitness).config


def test_evolution_beats_random_configs_on_a_toy_fitness_with_the_same_number_of_evaluations():
    def fitness(c: dict) -> float:  # more branches and more feature kinds are better (max 18)
        return sum(len(b["features"]) for b in c["branches"]) + len(c["branches"])

    evolved = [
        D.best(
            D.search(
                D.DpsConfig(population=10, tournament=4, cycles=90), fitness, np.random.default_rng(s), None
            )
        ).fitness
        for s in range(3)
    ]
    drawn = [
        D.best(
            D.search(D.DpsConfig(population=100, cycles=0), fitness, np.random.default_rng(s), None)
        ).fitness
        for s in range(3)
    ]
    assert min(evolved) > max(drawn)


def test_spearman_fitness_is_minus_one_for_a_failed_arch_or_constant_scores():
    t = np.array([1.0, 2.0, 3.0, 4.0])
    assert D.spearman_fitness(np.array([1, 2, 3, 4.0]), t) == pytest.approx(1.0)
    assert D.spearman_fitness(np.array([4, 3, 2, 1.0]), t) == pytest.approx(-1.0)
    assert D.spearman_fitness(np.array([1, np.nan, 3, 4.0]), t) == -1.0
    assert D.spearman_fitness(np.ones(4), t) == -1.0


def test_the_state_reloads_to_the_same_bytes_and_names_the_winning_config():
    cfg = D.DpsConfig(population=4, tournament=2, cycles=3)
    history = D.search(cfg, lambda c: c["lr"], np.random.default_rng(0), None)
    state = D.encode_state(D.best(history), history, {"k": 20})
    loaded = D.decode_state(state)
    assert loaded["eproxy"] == D.best(history).config
    assert len(loaded["history"]) == 7
    winner = D.best(history)
    assert D.encode_state(winner, history, {"k": 20}) == state
    rebuilt = [D.Evaluated(D.Genome.from_list(h["genome"]), {}, h["fitness"]) for h in loaded["history"]]
    assert [e.genome for e in rebuilt] == [e.genome for e in history]
    again = D.encode_state(
        D.Evaluated(winner.genome, loaded["eproxy"], loaded["fitness"]), rebuilt, loaded["fitted_on"]
    )
    assert again == state
