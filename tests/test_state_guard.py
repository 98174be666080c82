"""The shared-state guard: a proxy that changes what the proxies of an architecture share is
failed with what it changed, the others score exactly as in a clean run, and scores must be
real numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from cheats.mutators import HONEST, MUTATORS, RESEEDER, RNG_MOVERS, STATE_CHANGERS, GlobalRngReader
from cheats.odd import ODD_TYPES
from toy import ToySpace, toy_batch

from nas_harness.api import Needs, Proxy
from nas_harness.scoring import ProxyJob, ScoringSetup, score_arch, timed

ARCHS = ["w3", "w8"]


def setup():
    return ScoringSetup(space=ToySpace(), dataset="toy", batch=toy_batch(), input_spec="noise(bs=4,s=0)")


def scores(s, proxies, arch) -> dict[str, tuple]:
    got = score_arch(s, arch, [ProxyJob(p()) for p in proxies])
    return {key.proxy: (rec.status, rec.value, rec.reason) for key, rec in got}


@pytest.fixture(scope="module")
def clean():
    s = setup()
    return {arch: scores(s, HONEST, arch) for arch in ARCHS}


def test_honest_readers_score_ok_and_the_same_with_the_guard_off(clean):
    s = setup()
    for arch in ARCHS:
        assert all(status == "ok" for status, _, _ in clean[arch].values()), clean[arch]
        off = {k.proxy: r.value for k, r in score_arch(s, arch, [ProxyJob(p()) for p in HONEST], guard=False)}
        assert off == {name: value for name, (_, value, _) in clean[arch].items()}


@pytest.mark.parametrize("mutator", MUTATORS + STATE_CHANGERS, ids=lambda c: c.name)
def test_every_mutation_is_caught_and_no_other_score_changes(mutator, clean):
    s = setup()
    batch_before = s.batch.inputs.clone(), s.batch.targets.clone()
    threads, dtype = torch.get_num_threads(), torch.get_default_dtype()
    for arch in ARCHS:
        half = len(HONEST) // 2  # honest readers before and after the mutator
        got = scores(s, (*HONEST[:half], mutator, *HONEST[half:]), arch)
        status, value, reason = got.pop(mutator.name)
        assert status == "failed" and value is None
        assert reason.startswith(("modified", "replaced", "changed", "removed")), reason
        assert got == clean[arch]  # bit for bit: values, statuses
    # the worker's batch and global state are clean again for the next architecture
    assert torch.equal(s.batch.inputs, batch_before[0]) and torch.equal(s.batch.targets, batch_before[1])
    assert torch.get_num_threads() == threads and torch.get_default_dtype() == dtype
    assert torch.is_grad_enabled() and not torch.are_deterministic_algorithms_enabled()


def test_the_reasons_say_what_was_changed():
    s = setup()
    by_name = {m.name: m for m in MUTATORS + STATE_CHANGERS}
    expect = {
        "mut_batch": "modified the shared input batch",
        "mut_batch_numpy": "modified the shared input batch",
        "mut_labels": "modified the shared batch labels",
        "mut_replace_batch": "replaced the context's 'inputs'",
        "mut_grads": "modified a shared probe result (ParamGrads",
        "mut_pristine_mode": "modified a shared probe result (PristineModel",
        "mut_threads": "changed the global torch threads",
        "mut_dtype": "changed the global default dtype",
    }
    for name, start in expect.items():
        reason = scores(s, (HONEST[0], by_name[name]), "w5")[name][2]
        assert reason.startswith(start), (name, reason)


def test_reseeding_the_global_rngs_is_allowed_and_changes_no_seeded_score(clean):
    got = scores(setup(), (RESEEDER, *HONEST), "w3")
    assert got == clean["w3"] | {RESEEDER.name: got[RESEEDER.name]}
    assert got[RESEEDER.name][0] == "ok"


@pytest.mark.parametrize("mover", RNG_MOVERS, ids=lambda c: c.name)
def test_a_proxy_that_draws_from_or_reseeds_the_global_rngs_changes_no_later_score(mover):
    import random

    s = setup()

    def from_fixed_state(proxies):
        torch.manual_seed(7), np.random.seed(7), random.seed(7)
        return scores(s, proxies, "w3")

    alone = from_fixed_state((GlobalRngReader, *HONEST))
    after = from_fixed_state((mover, GlobalRngReader, *HONEST))
    assert after.pop(mover.name)[0] == "ok"  # allowed: it is isolated, not failed
    assert after == alone  # the unseeded reader and every honest proxy, bit for bit
    torch.manual_seed(7), np.random.seed(7), random.seed(7)
    state = (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    score_arch(s, "w3", [ProxyJob(mover()), ProxyJob(GlobalRngReader())])
    assert torch.equal(torch.get_rng_state(), state[0])  # scoring leaves the process's RNGs as found
    assert np.array_equal(np.random.get_state()[1], state[1]) and random.getstate() == state[2]


@pytest.mark.parametrize("odd", ODD_TYPES, ids=lambda c: c.name)
def test_a_score_that_is_not_a_real_number_is_a_failure_with_its_type(odd):
    status, value, reason = scores(setup(), (odd,), "w3")[odd.name]
    assert status == "failed" and value is None
    assert "the score must be a real number" in reason


@pytest.mark.parametrize("value", [3, 2.5, np.float32(1.5), np.int64(7), np.float64(-0.25)])
def test_python_and_numpy_numbers_are_scores(value):
    rec = timed("w1", lambda: value)
    assert rec.status == "ok" and rec.value == float(value) and type(rec.value) is float


def test_a_failing_proxy_that_also_mutates_is_failed_for_the_mutation():
    class RaisesAfterMutating(Proxy):
        name, version, needs = "raise_mut", "1", frozenset({Needs.DATA, Needs.MODEL})

        def score(self, ctx):
            ctx.inputs.add_(1)
            raise RuntimeError("boom")

    s = setup()
    before = s.batch.inputs.clone()
    got = score_arch(s, "w3", [ProxyJob(RaisesAfterMutating()), ProxyJob(HONEST[-2]())])
    assert got[0][1].reason == "modified the shared input batch"
    assert torch.equal(s.batch.inputs, before)
    assert got[1][1].value == float(before.double().sum() + s.batch.targets.double().sum())
