"""Engine: store reuse, failure recording, batched topology scoring, score keys."""

from __future__ import annotations

import numpy as np
from toy import FlakyProxy, TopoCfg, TopoProxy, ToySpace, WidthProxy, toy_batch

from nas_harness.engine import Engine
from nas_harness.scoring import ProxyJob, ScoringSetup, arch_context
from nas_harness.store import ScoreStore


def make_engine(tmp_path, **kw):
    setup = ScoringSetup(
        space=ToySpace(), dataset="toy", batch=toy_batch(), input_spec="noise(bs=4,s=0)", **kw
    )
    return Engine(setup, ScoreStore(tmp_path / "s.sqlite"))


def test_scores_are_reused_from_the_store(tmp_path):
    engine = make_engine(tmp_path)
    archs = [f"w{i}" for i in range(1, 11)]
    WidthProxy.calls = 0
    first = engine.score([ProxyJob(WidthProxy())], archs)["width"]
    assert list(first.values) == list(range(1, 11)) and first.computed == 10
    second = engine.score([ProxyJob(WidthProxy())], archs)["width"]
    assert second.computed == 0 and WidthProxy.calls == 10
    assert np.array_equal(first.values, second.values)


def test_failures_are_recorded_with_reasons_and_others_scored(tmp_path):
    engine = make_engine(tmp_path)
    archs = [f"w{i}" for i in range(1, 16)]
    table = engine.score([ProxyJob(FlakyProxy())], archs)["flaky"]
    fails = table.failures
    assert set(fails) == {"w5", "w7", "w10", "w14", "w15"}
    assert fails["w5"] == "RuntimeError: width 5 is cursed"
    assert fails["w7"] == "non-finite score: nan"
    assert np.isfinite(table.values).sum() == 10
    again = engine.score([ProxyJob(FlakyProxy())], archs)["flaky"]
    assert again.computed == 0 and again.failures == fails  # failures are results too


def test_batched_topology_proxy_and_config_in_key(tmp_path):
    engine = make_engine(tmp_path)
    archs = ["w3", "w9", "w27"]
    one = engine.score([ProxyJob(TopoProxy())], archs)["topo"]
    two = engine.score([ProxyJob(TopoProxy(TopoCfg(scale=2.0)))], archs)["topo"]
    assert list(one.values) == [3, 9, 27] and list(two.values) == [6, 18, 54]
    assert two.computed == 3  # another config is another key


def test_keys_ignore_what_a_proxy_does_not_use(tmp_path):
    setup = ScoringSetup(space=ToySpace(), dataset="toy", input_spec="cifar(bs=64)", init="normal", seed=1)
    topo = setup.key(ProxyJob(TopoProxy()))
    width = setup.key(ProxyJob(WidthProxy()))
    flaky = setup.key(ProxyJob(FlakyProxy()))
    assert (topo.input_spec, topo.init, topo.seed) == ("none", "none", 0)
    assert (width.input_spec, width.init, width.seed) == ("none", "normal", 1)
    assert flaky.input_spec == "cifar(bs=64)"


def test_model_factory_is_seeded_and_fresh(tmp_path):
    engine = make_engine(tmp_path)
    ctx = arch_context(engine.setup, "w4", frozenset(WidthProxy.needs))
    a, b = ctx.build_model(), ctx.build_model()
    assert a is not b
    assert all((p == q).all() for p, q in zip(a.parameters(), b.parameters()))
