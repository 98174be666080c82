"""Proxies that change what the proxies of an architecture share, and honest readers of it.

Each mutator declares the probe it changes (so the engine fuses it with the honest readers'
probes) and changes it after reading, in a different way each: in place through torch (the
version counter moves), through ``.data`` or NumPy (it does not), by structure, by replacing
a context field, by a mode or a hook on the shared model, or by global torch state. The honest
readers compute a number from the same shared values; their scores must be bit-identical to a
run without the mutators.
"""

from __future__ import annotations

import random

import numpy as np
import torch

from nas_harness.api import Needs, Proxy
from nas_harness.api.probes import InputGrads, ParamGrads, PristineModel, SynflowGrads, probe

from .common import CheatBase, arch_noise

GRADS, SYNFLOW, PRISTINE, INPUT = ParamGrads(), SynflowGrads(), PristineModel(), InputGrads()


def _reader(name: str, spec, value):
    """An honest proxy: ``value(ctx, probe result)`` of one shared probe, declared."""

    def score(self, ctx):
        return float(value(ctx, probe(ctx, spec) if spec is not None else None))

    return _make(name, score, spec, "honest reader of a shared value")


def _mutator(name: str, spec, change, doc: str):
    def score(self, ctx):
        change(ctx, probe(ctx, spec) if spec is not None else None)
        return arch_noise(ctx.arch)

    return _make(name, score, spec, doc)


def _make(name: str, score, spec, doc: str):
    cls = type(
        name.title().replace("_", ""),
        (CheatBase,),
        {
            "name": name,
            "summary": doc,
            "__doc__": doc,
            "score": score,
            "probes": lambda self: (spec,) if spec is not None else (),
            "__module__": __name__,
        },
    )
    globals()[cls.__name__] = cls  # importable by name, so workers unpickle it by reference
    return cls


def _sum_grads(ctx, grads):
    return sum(float(g.double().abs().sum()) for _, _, g in grads if g is not None)


HONEST = (
    _reader("honest_grads", GRADS, _sum_grads),
    _reader("honest_synflow", SYNFLOW, _sum_grads),
    _reader(
        "honest_pristine",
        PRISTINE,
        lambda ctx, m: sum(float(p.detach().double().abs().sum()) for p in m.parameters()),
    ),
    _reader("honest_input_grads", INPUT, lambda ctx, r: float(r.grads.double().abs().sum())),
    _reader(
        "honest_batch", None, lambda ctx, _: float(ctx.inputs.double().sum() + ctx.targets.double().sum())
    ),
)


def _numpy_zero(ctx, _):
    ctx.inputs.numpy()[...] = 0.0


def _eval_mode(ctx, model):
    model.eval()


def _hook(ctx, model):
    next(iter(model.modules())).register_forward_hook(lambda m, i, o: o * 2)


def _replace_batch(ctx, _):
    ctx.inputs = torch.zeros_like(ctx.inputs)


def _clear_results(ctx, _):
    ctx._shared.clear()


MUTATORS = (
    _mutator("mut_batch", None, lambda ctx, _: ctx.inputs.mul_(2), "scales the input batch in place"),
    _mutator(
        "mut_batch_data", None, lambda ctx, _: ctx.inputs.data.add_(1), "shifts the batch through .data"
    ),
    _mutator("mut_batch_numpy", None, _numpy_zero, "zeroes the batch through a NumPy view"),
    _mutator("mut_labels", None, lambda ctx, _: ctx.targets.data.fill_(0), "sets every label to 0"),
    _mutator("mut_replace_batch", None, _replace_batch, "puts another batch into the context"),
    _mutator(
        "mut_grads",
        GRADS,
        lambda ctx, r: [g.mul_(6) for _, _, g in r if g is not None],
        "multiplies the shared weight gradients by 6",
    ),
    _mutator(
        "mut_grads_data",
        GRADS,
        lambda ctx, r: [w.data.mul_(10) for _, w, _ in r],
        "scales the shared weights through .data",
    ),
    _mutator("mut_grads_order", GRADS, lambda ctx, r: r.reverse(), "reverses the shared gradient list"),
    _mutator(
        "mut_synflow",
        SYNFLOW,
        lambda ctx, r: [g.mul_(6) for _, _, g in r if g is not None],
        "multiplies SynFlow's shared gradients",
    ),
    _mutator(
        "mut_pristine",
        PRISTINE,
        lambda ctx, m: [p.data.mul_(10) for p in m.parameters()],
        "scales the shared pristine model's weights",
    ),
    _mutator("mut_pristine_mode", PRISTINE, _eval_mode, "leaves the shared model in eval mode"),
    _mutator("mut_pristine_hook", PRISTINE, _hook, "hooks the shared model's forward"),
    _mutator("mut_input_grads", INPUT, lambda ctx, r: r.grads.mul_(2), "scales the shared input gradients"),
    _mutator("mut_clear_results", GRADS, _clear_results, "empties the shared probe results"),
)


def _np_seed(ctx, _):
    np.random.seed(0)
    torch.manual_seed(0)


STATE_CHANGERS = (
    _mutator(
        "mut_threads",
        None,
        lambda ctx, _: torch.set_num_threads(torch.get_num_threads() + 1),
        "changes torch's thread count",
    ),
    _mutator(
        "mut_dtype", None, lambda ctx, _: torch.set_default_dtype(torch.float64), "changes the default dtype"
    ),
    _mutator(
        "mut_grad_mode", None, lambda ctx, _: torch.set_grad_enabled(False), "turns autograd off globally"
    ),
    _mutator(
        "mut_deterministic",
        None,
        lambda ctx, _: torch.use_deterministic_algorithms(True),
        "turns deterministic algorithms on",
    ),
)

# Draws from and reseeds every global generator: legitimate (restored after it), never a failure.
RESEEDER = _mutator("reseeds_rng", None, _np_seed, "reseeds the global RNGs (allowed, isolated)")
HONEST = (*HONEST, RESEEDER)


def _advance(ctx, _):
    np.random.random(1000)
    torch.rand(1000)
    random.random()


def _reseed_all(ctx, _):
    np.random.seed(1)
    torch.manual_seed(1)
    random.seed(1)


# Move the global generators a proxy after them would draw from (allowed, but isolated: the
# proxies after them must score as if they had not run).
RNG_MOVERS = (
    _mutator("rng_advance", None, _advance, "draws from every global generator"),
    _mutator("rng_reseed", None, _reseed_all, "reseeds every global generator"),
)


class GlobalRngReader(Proxy):
    """Scores by drawing from the global generators without seeding them (what a careless proxy
    does): its score is the state it finds, so it shows whether another proxy moved it."""

    name, version = "rng_reader", "1"
    needs = frozenset({Needs.TOPOLOGY})

    def score(self, ctx):
        return float(np.random.random() + torch.rand(1).item() + random.random())


__all__ = ["HONEST", "MUTATORS", "RNG_MOVERS", "STATE_CHANGERS", "GlobalRngReader"]
