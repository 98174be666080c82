"""Conformance checks a plugin author runs in their own tests: ``check_space``, ``check_proxy``,
``check_strategy``. Each exercises the contract the harness relies on and raises one
``AssertionError`` listing every problem found (so a test fails with all of them at once).

They need nothing but the plugin (and torch for models): no engine, store or data files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .encoding import Decision
from .errors import ArchError, BudgetExhausted, HarnessError, NotApplicable, ProxyFailure
from .model import BuiltModel, as_built
from .plugins import Needs, Proxy, ScoreContext, SearchHistory, Space, Strategy
from .tasks import OUTPUT_KINDS, Task
from .topology import Cost, Topology


class _Problems:
    def __init__(self, what: str):
        self.what, self.items = what, []

    def check(self, ok: bool, message: str) -> bool:
        if not ok:
            self.items.append(message)
        return ok

    def run(self, message: str, fn, *args, **kwargs) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, not raised one by one
            self.items.append(f"{message}: {type(exc).__name__}: {exc}")
            return None

    def done(self) -> None:
        if self.items:
            raise AssertionError(
                f"{self.what}: {len(self.items)} problem(s):\n  - " + "\n  - ".join(self.items)
            )


def _instance(plugin, cls_base):
    return plugin() if isinstance(plugin, type) and issubclass(plugin, cls_base) else plugin


def check_space(
    space: Space | type[Space],
    *,
    n: int = 4,
    seed: int = 0,
    build: bool = True,
    tasks: Sequence[str] | None = None,
) -> None:
    """Architectures, moves, decisions, topology, cost and models of ``space`` obey the contract."""
    sp: Space = _instance(space, Space)
    p = _Problems(f"space {getattr(sp, 'name', sp)!r}")
    for attr in ("name", "version", "Config"):
        p.check(hasattr(type(sp), attr), f"class attribute {attr} missing")
    all_tasks = p.run("tasks()", sp.tasks) or {}
    p.check(bool(all_tasks), "tasks() is empty")
    for name, task in all_tasks.items():
        p.check(isinstance(task, Task) and task.name == name, f"task {name!r}: not a Task named {name!r}")
        p.check(
            getattr(task, "output", None) in OUTPUT_KINDS,
            f"task {name!r}: output kind {getattr(task, 'output', None)!r}",
        )
        shared = all_tasks.get(getattr(task, "scored_as", None) or name)
        p.check(
            shared is not None
            and (shared.num_classes, shared.input_shape, shared.output)
            == (task.num_classes, task.input_shape, task.output),
            f"task {name!r}: scored_as {task.scored_as!r} is not a task with the same classes, "
            "input shape and output kind",
        )
    rng = np.random.default_rng(seed)
    archs = p.run(f"sample({n})", sp.sample, n, rng) or []
    p.check(
        len(archs) == n and len(set(archs)) == len(archs),
        f"sample({n}) gave {len(archs)} archs, {len(set(archs))} distinct",
    )
    size = sp.size()
    for a in archs:
        p.check(isinstance(a, str), f"an architecture is a string, got {type(a).__name__}")
        p.check(
            p.run(f"parse({a!r})", sp.parse, a) == a, f"parse({a!r}) is not the arch itself (not canonical)"
        )
        p.check(isinstance(p.run(f"iso_key({a!r})", sp.iso_key, a), str), f"iso_key({a!r}) is not a string")
        if size is not None:
            i = p.run(f"index({a!r})", sp.index, a)
            p.check(
                isinstance(i, (int, np.integer)) and 0 <= i < size and sp.arch(int(i)) == a,
                f"arch(index({a!r})) does not give it back",
            )
        child = p.run(f"mutate({a!r})", sp.mutate, a, rng)
        p.check(
            child is not None and p.run("parse(mutant)", sp.parse, child) == child,
            f"mutate({a!r}) gave an invalid arch",
        )
        for nb in (p.run(f"neighbours({a!r})", sp.neighbours, a) or [])[:8]:
            p.check(
                p.run("parse(neighbour)", sp.parse, nb) == nb, f"neighbour {nb!r} of {a!r} is not canonical"
            )
    _with_moves(p, sp, archs, rng)
    if size is not None:
        p.check(
            p.run("parse('not an arch')", _rejects, sp) is True,
            "parse() accepted garbage instead of raising ArchError",
        )
    for name in tasks or list(all_tasks):
        task = all_tasks.get(name)
        if task is None:
            continue
        for a in archs[:2]:
            topo = p.run(f"topology({a!r}, {name!r})", sp.topology, a, name)
            p.check(topo is None or isinstance(topo, Topology), f"topology({a!r}) is not a Topology")
            cost = p.run(f"cost({a!r}, {name!r})", sp.cost, a, name)
            p.check(
                isinstance(cost, Cost) and cost.params > 0 and cost.flops >= 0, f"cost({a!r}) is {cost!r}"
            )
            if build:
                _check_model(p, sp, a, task)
    for oname, ocls in (p.run("oracles()", sp.oracles) or {}).items():
        p.check(getattr(ocls, "name", None) == oname, f"oracle {oname!r}: class name attribute differs")
    p.done()


def _rejects(sp: Space) -> bool:
    try:
        sp.parse("not an arch")
    except (ArchError, HarnessError):
        return True
    return False


def _with_moves(p: _Problems, sp: Space, archs: list[str], rng: np.random.Generator) -> None:
    decisions = p.run("decisions()", sp.decisions)
    if decisions is not None:
        p.check(
            all(isinstance(d, Decision) and len(d.options) >= 1 for d in decisions),
            "decisions() must be Decisions",
        )
        for a in archs:
            picks = p.run(f"to_choices({a!r})", sp.to_choices, a)
            if picks is not None:
                p.check(
                    len(picks) == len(decisions),
                    f"to_choices({a!r}) has {len(picks)} picks for {len(decisions)} decisions",
                )
                p.check(
                    p.run("from_choices", sp.from_choices, list(picks)) == a,
                    f"from_choices(to_choices({a!r})) differs",
                )
                rand = [int(rng.integers(len(d.options))) for d in decisions]
                fixed = p.run("repair(random picks)", sp.repair, rand, rng)
                if fixed is not None:
                    child = p.run("from_choices(repair(random picks))", sp.from_choices, list(fixed))
                    p.check(child is not None, "from_choices(repair(random picks)) failed")
    if len(archs) >= 2:
        try:
            child = sp.crossover(archs[0], archs[1], rng)
        except NotImplementedError:
            child = None
        except Exception as exc:  # noqa: BLE001
            p.items.append(f"crossover: {type(exc).__name__}: {exc}")
            child = None
        if child is not None:
            p.check(p.run("parse(child)", sp.parse, child) == child, "crossover gave a non-canonical arch")


def _check_model(p: _Problems, sp: Space, arch: str, task: Task) -> None:
    import torch

    built = p.run(f"build_model({arch!r}, {task.name!r})", sp.build_model, arch, task.name)
    if built is None:
        return
    built = as_built(built)
    module = built.module
    p.check(isinstance(module, torch.nn.Module), "build_model did not give an nn.Module")
    members = {id(m) for m in module.modules()}
    for part in ("stem", "head", "features"):
        m = getattr(built, part)
        p.check(m is None or id(m) in members, f"BuiltModel.{part} is not a submodule of the network")
    p.check(all(id(c) in members for c in built.cells), "BuiltModel.cells are not submodules of the network")
    seen: list = []
    handle = (
        built.features.register_forward_hook(lambda *_: seen.append(1))
        if built.features is not None
        else None
    )
    x = torch.zeros(2, *task.input_shape)
    module.eval()
    with torch.no_grad():
        out = p.run(f"forward of {arch!r} on a {tuple(x.shape)} batch", module, x)
    if handle is not None:
        handle.remove()
        p.check(bool(seen), "BuiltModel.features did not run in the forward pass")
    if out is not None and task.output in ("classes", "regression"):
        p.check(
            tuple(out.shape) == (2, task.num_classes),
            f"{task.name}: output shape {tuple(out.shape)}, expected (2, {task.num_classes})",
        )
    elif out is not None:
        p.check(
            out.shape[0] == 2 and out.shape[1] == task.num_classes,
            f"{task.name}: output shape {tuple(out.shape)}, expected (2, {task.num_classes}, ...)",
        )


def check_proxy(
    proxy: Proxy | type[Proxy],
    space: Space | type[Space],
    *,
    task: str | None = None,
    n: int = 3,
    seed: int = 0,
    batch_size: int = 8,
) -> None:
    """``proxy`` declares valid metadata, scores ``n`` archs of ``space`` with a number (or a
    ProxyFailure/NotApplicable), and gives the same number twice (determinism)."""
    import torch

    px: Proxy = _instance(proxy, Proxy)
    sp: Space = _instance(space, Space)
    p = _Problems(f"proxy {getattr(px, 'name', px)!r} on space {sp.name!r}")
    for attr in ("name", "version", "higher_is_better", "needs", "Config"):
        p.check(hasattr(type(px), attr), f"class attribute {attr} missing")
    p.check(isinstance(px.higher_is_better, bool), "higher_is_better must be True or False")
    needs = p.run("needs", lambda: {Needs(x) for x in px.needs}) or set()
    t = sp.task(task or sp.default_task())
    reason = px.applicable(t)
    if reason is not None:
        p.check(isinstance(reason, str), "applicable() must return None or a reason string")
        p.done()
        return
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((batch_size, *t.input_shape), generator=gen)
    y = torch.randint(0, max(t.num_classes, 1), (batch_size,), generator=gen)
    for arch in sp.sample(n, rng):
        values = []
        for _ in range(2):
            ctx = ScoreContext(
                arch=arch,
                space=sp.name,
                dataset=t,
                seed=seed,
                topology=sp.topology(arch, t.name) if Needs.TOPOLOGY in needs else None,
                inputs=x if needs & {Needs.DATA, Needs.LABELS} else None,
                targets=y if Needs.LABELS in needs else None,
                _model_factory=_factory(sp, arch, t.name, seed),
            )
            try:
                v = px.score(ctx)
            except (ProxyFailure, NotApplicable):
                v = None
            except Exception as exc:  # noqa: BLE001 - a crash is reported; the engine would record it
                p.items.append(f"score({arch!r}) raised {type(exc).__name__}: {exc}")
                v = None
            values.append(v)
        if values[0] is not None:
            p.check(
                isinstance(values[0], (int, float, np.floating, np.integer))
                and not isinstance(values[0], bool),
                f"score({arch!r}) returned {type(values[0]).__name__}, not a number",
            )
            p.check(
                values[0] == values[1] or (isinstance(values[0], float) and math.isnan(values[0])),
                f"score({arch!r}) is not deterministic: {values[0]!r} then {values[1]!r}",
            )
    p.done()


def _factory(sp: Space, arch: str, task: str, seed: int):
    def build(*, bn: bool = True) -> BuiltModel:
        import torch

        torch.manual_seed(seed)
        return as_built(sp.build_model(arch, task, bn=bn))

    return build


def check_strategy(
    strategy: Strategy | type[Strategy], space: Space | type[Space], *, budget: int = 12, seed: int = 0
) -> None:
    """``strategy`` searches ``space`` within ``budget`` distinct architectures, scores only
    valid ones, and returns a history whose chosen architecture it scored."""
    st: Strategy = _instance(strategy, Strategy)
    sp: Space = _instance(space, Space)
    p = _Problems(f"strategy {getattr(st, 'name', st)!r} on space {sp.name!r}")
    seen: dict[str, float] = {}
    rng_scores = np.random.default_rng(seed + 1)

    def score_fn(archs: Sequence[str]) -> list[float]:
        new = [a for a in dict.fromkeys(archs) if a not in seen]
        if len(seen) + len(new) > budget:
            raise BudgetExhausted(f"{len(new)} new archs, {budget - len(seen)} left")
        for a in new:
            p.check(sp.parse(a) == a, f"scored a non-canonical arch {a!r}")
            seen[a] = float(rng_scores.random())
        return [seen[a] for a in archs]

    history = p.run("search", st.search, sp, score_fn, budget, np.random.default_rng(seed))
    if history is not None:
        p.check(isinstance(history, SearchHistory), "search() must return a SearchHistory")
        p.check(len(seen) <= budget, f"scored {len(seen)} archs with a budget of {budget}")
        p.check(history.chosen in seen, "the chosen architecture was never scored")
        p.check(len(history.archs) == len(history.scores), "history archs and scores differ in length")
    p.done()


__all__ = ["check_proxy", "check_space", "check_strategy"]
