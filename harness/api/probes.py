"""Probes: what proxies measure on a model, declared so that one pass serves many proxies.

Part of the plugin contract (it imports nothing of ours but ``api``). A probe is a frozen,
hashable spec of one measurement: ``ParamGrads(bn=True)`` (dL/dW of the conv/linear weights
for the batch's cross-entropy), ``InputGrads()`` (d sum(logits)/dx), ``GradHessianProduct()``
(GraSP's H g), ``SynflowGrads()``, ``PristineModel()``, or a ``Tap`` subclass that reduces
activations (and their gradients) in hooks as the pass runs (NASWOT's code kernel, WRCor's
correlations, Fisher's channel saliency). Each probe belongs to one *pass*, named by its
``pass_key``: a ``BatchPass`` is one model (BN on/off, dtype) in train mode, one seeded
forward pass of the scoring batch and the backward passes its probes need.

A proxy lists its probes in ``Proxy.probes()`` and reads each with ``probe(ctx, spec)``. The
engine puts every declared probe of an architecture's pending proxies in ``ctx.plan``; the
first request runs the pass once for every planned probe of that pass, later requests read the
results. Without a plan (a proxy alone) the pass runs for the requested probe only. The fused
and the separate values are therefore the same computation on the same model (tests/test_probes.py
checks them to 1e-5; on NB201 they agree bit for bit): merging only adds hooks, keeps gradients
flowing to the input when a tap needs them, takes first-order gradients from GraSP's
``create_graph`` backward, and runs extra backward passes over the same graph. What cannot be merged stays apart: SynFlow's |W| model on a ones input, a
different BN setting or loss temperature is another pass or another backward.

A failure is per probe: a tap whose hook raises, or a probe whose data are missing, fails only
the proxies that read it; an exception of the pass itself (the model's forward raises) is
every probe's failure, as it would have been for each proxy alone.
"""

from __future__ import annotations

import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .errors import ProxyFailure
from .model import BuiltModel
from .plugins import ScoreContext

if TYPE_CHECKING:
    import torch
    from torch import nn

# --------------------------------------------------------------------------- shared torch helpers


def _prunable() -> tuple[type[nn.Module], ...]:
    from torch import nn

    return (nn.Conv2d, nn.Linear)


FloatName = Literal["float32", "float64"]


def _dtypes() -> dict[str, torch.dtype]:
    import torch

    return {"float32": torch.float32, "float64": torch.float64}


def __getattr__(name: str) -> Any:
    """``PRUNABLE`` and ``DTYPES`` hold torch classes: built on first use, so that importing the
    contract (and every plugin's module, e.g. for ``nash plugins``) does not import torch."""
    if name == "PRUNABLE":
        return _prunable()
    if name == "DTYPES":
        return _dtypes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def prunable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of every Conv2d/Linear in ``model``, in module order, each module once."""
    kinds = _prunable()
    return [(name, m) for name, m in model.named_modules() if isinstance(m, kinds)]


def as_dtype(model: nn.Module, dtype: FloatName) -> nn.Module:
    """``model`` with its floating-point parameters and buffers converted to ``dtype``."""
    return model.to(_dtypes()[dtype])


def batch(ctx: ScoreContext, *, labels: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The scoring batch (inputs and, if ``labels``, targets) on ``ctx.device``."""
    if ctx.inputs is None:
        raise ProxyFailure("no input batch: this proxy needs Needs.DATA")
    if labels and ctx.targets is None:
        raise ProxyFailure("no labels: this proxy needs Needs.LABELS")
    x = ctx.inputs.to(ctx.device)
    y = ctx.targets.to(ctx.device) if labels else None
    return x, y


@contextlib.contextmanager
def seeded(ctx: ScoreContext) -> Iterator[None]:
    """Seed torch's RNG with ``ctx.seed`` for the duration, then restore the previous state."""
    import torch

    devices = [torch.device(ctx.device).index or 0] if torch.device(ctx.device).type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(ctx.seed)
        yield


def sample_correlation(x: torch.Tensor, precision: str = "float64") -> torch.Tensor:
    """Pearson correlation between the rows (samples) of ``x`` flattened per sample.

    Same definition as ``numpy.corrcoef``: NaN where a sample's values are all equal. With
    ``precision="float64"`` everything is computed in float64 (as NumPy does); with
    ``"input"`` the centring and the Gram matrix use ``x``'s own dtype (about 3x faster for
    float32, relative error ~1e-7) and the normalisation is float64. The result is float64.
    Shared by the response-correlation proxies (WRCor family) and MeCo.
    """
    import torch

    a = x.detach().reshape(x.shape[0], -1)
    if precision == "float64":
        a = a.to(torch.float64)
    a = a - a.mean(dim=1, keepdim=True)
    gram = (a @ a.T).to(torch.float64)
    std = torch.sqrt(torch.diagonal(gram))
    return (gram / std[:, None] / std[None, :]).clamp_(-1.0, 1.0)


def network_output(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model(x)``, checked to be one tensor with the batch first: (N, K) logits or a regression
    vector, or (N, C, H, W) maps for dense and reconstruction tasks. Passes that only sum the
    outputs or read activations accept every output kind."""
    import torch

    out = model(x)
    if not isinstance(out, torch.Tensor) or out.dim() < 2 or out.shape[0] != x.shape[0]:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ProxyFailure(
            f"expected the model to return one (N, ...) tensor for N={x.shape[0]}, got {shape}"
        )
    return out


def logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model(x)``, checked to be one (N, K) tensor with N the batch size."""
    import torch

    out = model(x)
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != x.shape[0]:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ProxyFailure(f"expected the model to return (N, K) logits for N={x.shape[0]}, got {shape}")
    return out


# --------------------------------------------------------------------------- objectives


@dataclass(frozen=True)
class CrossEntropy:
    """Mean cross-entropy of ``logits / temperature`` against the batch's labels."""

    temperature: float = 1.0

    labels = True

    def __call__(self, out: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        import torch.nn.functional as F

        return F.cross_entropy(out if self.temperature == 1.0 else out / self.temperature, y)


@dataclass(frozen=True)
class SumOfLogits:
    """The sum of every output of the batch (a vector of ones backpropagated); no labels."""

    labels = False

    def __call__(self, out: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return out.sum()


Objective = CrossEntropy | SumOfLogits
CE = CrossEntropy()

# --------------------------------------------------------------------------- passes and probes


@dataclass(frozen=True)
class BatchPass:
    """One model (``bn``; ``dtype``, None: as built) in train mode and the scoring batch."""

    bn: bool = True
    dtype: FloatName | None = None

    def run(self, ctx: ScoreContext, probes: list[Probe]) -> dict[Probe, Any]:
        return _run_batch_pass(ctx, self, probes)


@dataclass(frozen=True)
class SynflowPass:
    """SynFlow's own model: every parameter made |p|, ``dtype``, one all-ones input."""

    bn: bool = False
    dtype: FloatName = "float64"

    def run(self, ctx: ScoreContext, probes: list[Probe]) -> dict[Probe, Any]:
        result = _outcome(lambda: _synflow_grads(ctx, self))
        return {p: result for p in probes}


@dataclass(frozen=True)
class NoPass:
    """Probes computed without running the model (``PristineModel``)."""

    def run(self, ctx: ScoreContext, probes: list[Probe]) -> dict[Probe, Any]:
        return {p: _outcome(lambda p=p: p.compute(ctx)) for p in probes}  # type: ignore[attr-defined]


class Probe(ABC):
    """A hashable measurement spec; ``pass_key`` names the pass that computes it."""

    @property
    @abstractmethod
    def pass_key(self) -> Hashable: ...

    def served_by(self, other: Probe) -> bool:
        """True when ``other`` (planned for the same pass) yields this probe's result too."""
        return False

    def derive(self, other_result: Any) -> Any:
        """This probe's result from the result of a probe it is ``served_by``."""
        return other_result


@dataclass(frozen=True)
class PristineModel(Probe):
    """The freshly built, initialized model, unchanged: shared by read-only proxies (params,
    flops, l2_norm). Readers must not change parameters, buffers or requires_grad; a forward
    pass must run in eval mode without gradients and restore the mode afterwards."""

    bn: bool = True

    @property
    def pass_key(self) -> Hashable:
        return NoPass()

    def compute(self, ctx: ScoreContext) -> nn.Module:
        return ctx.build_model(bn=self.bn).to(ctx.device)


class OnBatchPass(Probe):
    """A probe computed in the ``BatchPass`` of its ``bn`` and ``dtype`` (fields of the
    subclass, a frozen dataclass): probes with equal (bn, dtype) share one model and pass."""

    bn: bool
    dtype: FloatName | None

    @property
    def pass_key(self) -> Hashable:
        return BatchPass(self.bn, self.dtype)


if TYPE_CHECKING:
    WeightGrads = list[tuple[str, torch.Tensor, torch.Tensor | None]]


@dataclass(frozen=True)
class ParamGrads(OnBatchPass):
    """(name, W, dL/dW) for every Conv2d/Linear weight W, in module order; dL/dW is None for
    a layer the loss does not depend on. L is ``objective`` on the batch. Detached, shared."""

    objective: Objective = CE
    bn: bool = True
    dtype: FloatName | None = None


@dataclass(frozen=True)
class GradHessianProduct(OnBatchPass):
    """GraSP's probe: (name, W, g, H g) per Conv2d/Linear weight, g = dL/dW and H = d2L/dW2
    over those weights, by double backward through g_detached . g. g is None for a layer the
    loss does not use (H g then None too); H g is None for a weight g does not depend on."""

    objective: Objective = CE
    bn: bool = True
    dtype: FloatName | None = None


@dataclass(frozen=True)
class InputGradients:
    """d objective / dx per sample, flattened to (N, D), and the width of the logits."""

    grads: torch.Tensor
    num_outputs: int


@dataclass(frozen=True)
class InputGrads(OnBatchPass):
    """d objective / dx of the batch (one backward of the whole batch, so with train-mode BN a
    row also carries the cross-sample terms); zeros when the outputs ignore the input."""

    objective: Objective = SumOfLogits()
    bn: bool = True
    dtype: FloatName | None = None


@dataclass(frozen=True)
class SynflowGrads(Probe):
    """SynFlow's probe: (name, |W|, dR/dW) for every Conv2d/Linear weight of a fresh model whose
    parameters are all made |p| (``bn``, train mode, ``dtype``); R = sum of the outputs on one
    all-ones input ``(1, *input_shape)``. dR/dW is None for a layer R does not depend on."""

    bn: bool = False
    dtype: FloatName = "float64"

    @property
    def pass_key(self) -> Hashable:
        return SynflowPass(self.bn, self.dtype)


class Tap(OnBatchPass):
    """A probe read by hooks during a batch pass. Subclasses are frozen dataclasses with the
    fields ``bn``, ``dtype`` and ``grad_objective`` (None: the forward pass is enough) and
    implement ``attach``."""

    grad_objective: Objective | None
    labels: bool = False  # also needs the batch labels (beyond its grad objective's)

    @abstractmethod
    def attach(self, model: nn.Module, hooks: TapHooks) -> Callable[[], Any]:
        """Register hooks through ``hooks``; return the function that gives the result after
        the pass. An exception in ``attach``, a hook or the result function fails this tap only."""


# --------------------------------------------------------------------------- reading probes

_RESULTS = ("probes", "results")  # ctx.shared key of the {probe: outcome} dict
_COSTS = ("probes", "costs")  # ctx.shared key of the list of PassCost, in the order passes ran


@dataclass(frozen=True)
class PassCost:
    """What one shared pass cost: the proxies that share it split it (``engine.score_arch``)."""

    key: Hashable
    wall_s: float
    cpu_s: float


def pass_costs(ctx: ScoreContext) -> list[PassCost]:
    return ctx.shared(_COSTS, list)


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def _outcome(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - recorded against the probe, raised to its readers
        return _Failed(exc)


def probe(ctx: ScoreContext, spec: Probe) -> Any:
    """The result of ``spec`` for this architecture, running its pass (with every planned probe
    of the same pass) on first request. Results are shared: callers must not modify them."""
    results: dict = ctx.shared(_RESULTS, dict)
    if spec not in results:
        key = spec.pass_key
        group = [spec] + [
            p
            for p in dict.fromkeys(ctx.plan)
            if isinstance(p, Probe) and p != spec and p not in results and p.pass_key == key
        ]
        root = {p: next((q for q in group if q != p and p.served_by(q)), p) for p in group}
        t0, c0 = time.perf_counter(), time.process_time()
        outcomes = key.run(ctx, list(dict.fromkeys(root.values())))  # type: ignore[attr-defined]
        pass_costs(ctx).append(PassCost(key, time.perf_counter() - t0, time.process_time() - c0))
        for p, q in root.items():
            out = outcomes[q]
            results[p] = (
                out if p == q or isinstance(out, _Failed) else _outcome(lambda p=p, out=out: p.derive(out))
            )
    out = results[spec]
    if isinstance(out, _Failed):
        raise out.error
    return out


# --------------------------------------------------------------------------- the batch pass


class TapHooks:
    """What a tap registers through: module hooks and gradient hooks, isolated per tap.

    Every callback runs guarded: its first exception is kept (``error``) and the tap's later
    callbacks are skipped, while the pass and the other taps go on. Gradient callbacks run only
    in the backward pass of the tap's ``grad_objective`` and receive the detached gradient.
    """

    def __init__(self, run: _BatchRun, tap: Tap):
        self._run = run
        self._tap = tap
        self.error: BaseException | None = None

    @property
    def parts(self) -> BuiltModel:
        """The pass's model with its declared parts (cells, features, ...), as the space built it."""
        return self._run.parts

    def _guard(self, fn: Callable[..., Any]) -> Callable[..., None]:
        def call(*args) -> None:
            if self.error is None:
                try:
                    fn(*args)
                except Exception as exc:  # noqa: BLE001 - fails this tap only
                    self.error = exc

        return call

    def forward_pre(self, module: nn.Module, fn: Callable[[nn.Module, tuple], None]) -> None:
        self._run.handles.append(module.register_forward_pre_hook(self._guard(fn)))

    def forward(self, module: nn.Module, fn: Callable[[nn.Module, tuple, Any], None]) -> None:
        self._run.handles.append(module.register_forward_hook(self._guard(fn)))

    def after_forward(self, fn: Callable[[], None]) -> None:
        self._run.after_forward.append(self._guard(fn))

    def on_grad(self, tensor: torch.Tensor, fn: Callable[[torch.Tensor], None]) -> None:
        """Call ``fn(dObjective/dtensor)`` when the tap's objective is backpropagated."""
        objective, run, guarded = self._tap.grad_objective, self._run, self._guard(fn)

        def hook(grad: torch.Tensor) -> None:
            if run.active == objective:
                guarded(grad.detach())

        # removed after the pass: a hook that holds its own tensor (or the pass) is a reference
        # cycle through autograd's C++ graph, which Python's collector cannot free
        self._run.handles.append(tensor.register_hook(hook))

    def reaches_input(self, tensor: torch.Tensor) -> bool:
        """Whether ``tensor`` depends on the batch input through autograd, i.e. whether it would
        require grad in a pass that differentiates the input only (weights frozen)."""
        return self._run.depends_on_input(tensor)


@dataclass
class _BatchRun:
    x: torch.Tensor
    params_grad: bool
    parts: BuiltModel
    active: Objective | None = None
    handles: list = field(default_factory=list)
    after_forward: list = field(default_factory=list)
    _memo: dict = field(default_factory=dict)

    def depends_on(self, tensor: torch.Tensor, what: Literal["input", "params"]) -> bool:
        """Whether ``tensor`` reaches the batch input (or any parameter) through autograd: what
        its ``requires_grad`` would say in a pass that differentiates only that."""
        x_grad = self.x.requires_grad
        if not tensor.requires_grad or not (x_grad if what == "input" else self.params_grad):
            return False
        if not (x_grad and self.params_grad):  # only one kind of leaf requires grad
            return True
        if tensor.grad_fn is None:  # a leaf: the input itself or a parameter
            return (tensor is self.x) == (what == "input")
        return self._reaches(tensor.grad_fn, what)

    def depends_on_input(self, tensor: torch.Tensor) -> bool:
        return self.depends_on(tensor, "input")

    def _reaches(self, root, what: str) -> bool:
        """Does the autograd graph below ``root`` hold the input's leaf (or a parameter's)?
        Memoised over the pass, iterative (deep graphs), so all taps together visit each node
        once."""
        memo, stack = self._memo.setdefault(what, {}), [root]
        while stack:
            node = stack[-1]
            if node in memo:
                stack.pop()
                continue
            children = [n for n, _ in node.next_functions if n is not None]
            todo = [c for c in children if c not in memo]
            if todo:
                stack.extend(todo)
                continue
            leaf = getattr(node, "variable", None)
            hit = leaf is not None and ((leaf is self.x) == (what == "input"))
            memo[node] = hit or any(memo[c] for c in children)
            stack.pop()
        return memo[root]


def _labels_needed(p: Probe) -> bool:
    objective = getattr(p, "objective", None) or getattr(p, "grad_objective", None)
    return bool(getattr(p, "labels", False) or (objective is not None and objective.labels))


def _run_batch_pass(ctx: ScoreContext, key: BatchPass, probes: list[Probe]) -> dict[Probe, Any]:
    """One model, one seeded forward of the batch, the backward passes the probes need."""
    out: dict[Probe, Any] = {}
    if ctx.inputs is None:
        return {p: _Failed(ProxyFailure("no input batch: this proxy needs Needs.DATA")) for p in probes}
    live = []
    for p in probes:
        if ctx.targets is None and _labels_needed(p):
            out[p] = _Failed(ProxyFailure("no labels: this proxy needs Needs.LABELS"))
        else:
            live.append(p)
    if not live:
        return out
    try:
        out.update(_batch_pass(ctx, key, live))
    except Exception as exc:  # noqa: BLE001 - the pass itself failed: so does every probe of it
        out.update({p: _Failed(exc) for p in live if p not in out})
    return out


def _batch_pass(ctx: ScoreContext, key: BatchPass, probes: list[Probe]) -> dict[Probe, Any]:
    import torch

    taps = [p for p in probes if isinstance(p, Tap)]
    weight_probes = [p for p in probes if isinstance(p, (ParamGrads, GradHessianProduct))]
    hvp = {p.objective for p in probes if isinstance(p, GradHessianProduct)}
    param_objs = {p.objective for p in weight_probes}
    input_objs = {p.objective for p in probes if isinstance(p, InputGrads)}
    tap_objs = {t.grad_objective for t in taps if t.grad_objective is not None}
    # a fixed order (the values do not depend on it; only which backward frees the graph does)
    objectives = sorted(param_objs | input_objs | tap_objs, key=repr)
    needs_x_grad = bool(input_objs or tap_objs)

    parts = ctx.build(bn=key.bn).to(ctx.device)
    model = parts.module
    if key.dtype is not None:
        model = as_dtype(model, key.dtype)
    model.train()
    for p in model.parameters():
        p.requires_grad_(bool(param_objs))  # frozen when only the input's gradients are read
    layers = prunable_layers(model)
    weights = [m.weight for _, m in layers]
    x = ctx.inputs.to(ctx.device)
    if key.dtype is not None:
        x = x.to(_dtypes()[key.dtype])
    if needs_x_grad:
        x = x.detach().clone().requires_grad_(True)
    y = ctx.targets.to(ctx.device) if ctx.targets is not None else None

    run = _BatchRun(x=x, params_grad=bool(param_objs), parts=parts)
    out: dict[Probe, Any] = {}
    collect: dict[Tap, tuple[TapHooks, Callable[[], Any]]] = {}
    for tap in taps:
        hooks = TapHooks(run, tap)
        try:
            collect[tap] = (hooks, tap.attach(model, hooks))
        except Exception as exc:  # noqa: BLE001 - this tap only
            out[tap] = _Failed(exc)
    grads: dict[Objective, list] = {}
    hg: dict[Objective, list | None] = {}
    x_grads: dict[Objective, torch.Tensor | None] = {}
    no_weights: dict[Objective, Exception] = {}  # param objectives whose loss no parameter reaches
    no_input: set[Objective] = set()  # grad objectives whose loss the input does not reach
    try:
        with seeded(ctx), torch.enable_grad():
            logit = network_output(model, x)
            for fn in run.after_forward:
                fn()
            steps = len(objectives) + len(hvp)
            done = 0
            for objective in objectives:
                done += 1
                loss = objective(logit, y)
                with_params = objective in param_objs
                if with_params and not run.depends_on(loss, "params"):
                    no_weights[objective] = RuntimeError(
                        "the loss does not depend on any parameter, so it has no gradient"
                    )
                with_x = needs_x_grad and (objective in input_objs or objective in tap_objs)
                if with_x and not run.depends_on(loss, "input"):
                    no_input.add(objective)  # taps of it fail; input gradients are zero
                inputs = list(weights) if with_params else []
                if with_x:
                    inputs.append(x)
                run.active = objective
                if inputs and loss.requires_grad:
                    got = torch.autograd.grad(
                        loss,
                        inputs,
                        create_graph=objective in hvp,
                        retain_graph=done < steps or objective in hvp,
                        allow_unused=True,
                    )
                else:  # the loss depends on nothing that requires grad
                    got = (None,) * len(inputs)
                run.active = None
                if with_params:
                    grads[objective] = list(got[: len(weights)])
                if with_x:
                    x_grads[objective] = got[-1]
            for objective in sorted(hvp, key=repr):
                done += 1
                if objective not in no_weights:
                    hg[objective] = _hessian_grad(weights, grads[objective], retain=done < steps)
    finally:
        run.active = None
        for h in run.handles:
            h.remove()
        run.handles.clear()
        run.after_forward.clear()
        run._memo.clear()

    for p in probes:
        if p in out:
            continue
        objective = getattr(p, "objective", None)
        if isinstance(p, (ParamGrads, GradHessianProduct)) and objective in no_weights:
            out[p] = _Failed(no_weights[objective])
        elif isinstance(p, ParamGrads):
            out[p] = [
                (name, w.detach(), None if g is None else g.detach())
                for (name, _), w, g in zip(layers, weights, grads[objective])
            ]
        elif isinstance(p, GradHessianProduct):
            products = hg[objective]
            out[p] = [
                (
                    name,
                    w.detach(),
                    None if g is None else g.detach(),
                    None if products is None else products[i],
                )
                for i, ((name, _), w, g) in enumerate(zip(layers, weights, grads[objective]))
            ]
        elif isinstance(p, InputGrads):
            g = x_grads[objective]
            flat = torch.zeros_like(x) if g is None else g.detach()
            out[p] = InputGradients(flat.reshape(x.shape[0], -1), int(logit.shape[1]))
        elif isinstance(p, Tap):
            hooks, result = collect[p]
            if p.grad_objective in no_input:
                out[p] = _Failed(
                    ProxyFailure("the loss does not depend on the input, so no activation gradient exists")
                )
            else:
                out[p] = _Failed(hooks.error) if hooks.error is not None else _outcome(result)
        else:
            out[p] = _Failed(TypeError(f"{type(p).__name__} is not a batch-pass probe"))
    return out


def _hessian_grad(weights: list[torch.Tensor], grads: list, *, retain: bool) -> list | None:
    """H g per weight (None where g does not depend on it); None when no g depends on anything.

    H g = d(g_detached . g)/dW, computed as the vector-Jacobian product of g with cotangent
    g_detached (the same cotangent the dot product's backward would send)."""
    import torch

    used = [i for i, g in enumerate(grads) if g is not None]
    if not used:
        return None
    live = [i for i in used if grads[i].requires_grad]
    if not live:  # every g is constant in the weights
        return None
    got = torch.autograd.grad(
        [grads[i] for i in live],
        [weights[i] for i in used],
        grad_outputs=[grads[i].detach() for i in live],
        retain_graph=retain,
        allow_unused=True,
    )
    products: list = [None] * len(weights)
    for i, h in zip(used, got):
        products[i] = None if h is None else h.detach()
    return products


# --------------------------------------------------------------------------- synflow


def _synflow_grads(ctx: ScoreContext, key: SynflowPass) -> WeightGrads:
    import torch

    model = as_dtype(ctx.build_model(bn=key.bn).to(ctx.device), key.dtype)
    model.train()
    with torch.no_grad():
        for p in model.parameters():
            p.abs_()
    layers = prunable_layers(model)
    weights = [m.weight for _, m in layers]
    ones = torch.ones((1, *ctx.dataset.input_shape), dtype=_dtypes()[key.dtype], device=ctx.device)
    with seeded(ctx), torch.enable_grad():
        total = network_output(model, ones).sum()
        grads = torch.autograd.grad(total, weights, allow_unused=True)
    return [
        (name, w.detach(), None if g is None else g.detach())
        for (name, _), w, g in zip(layers, weights, grads)
    ]


__all__ = [
    "BatchPass",
    "CE",
    "CrossEntropy",
    "DTYPES",  # noqa: F822 - module __getattr__
    "FloatName",
    "GradHessianProduct",
    "InputGradients",
    "InputGrads",
    "NoPass",
    "Objective",
    "ParamGrads",
    "PristineModel",
    "Probe",
    "SumOfLogits",
    "SynflowGrads",
    "SynflowPass",
    "Tap",
    "TapHooks",
    "as_dtype",
    "batch",
    "logits",
    "network_output",
    "probe",
    "prunable_layers",
    "seeded",
]
