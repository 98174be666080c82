"""ACor, RCor and WRCor: correlation of pre-activation responses across the samples of a batch.

K. Jing, L. Chen, J. Xu, J. Tai, Y. Wang, S. Li, "Zero-Shot Neural Architecture Search with
Weighted Response Correlation" (official code: github.com/kunjing96/ZSNAS-WRCor; our spec:
``shared/spec/wrcor.md``).

For every call of an activation module ("unit", ``nn.ReLU`` by default) we take

* the **activation**: the unit's input (the pre-activation, paper option (c)), flattened per
  sample, from the forward pass;
* the **gradient**: the gradient of the cross-entropy loss (true labels, mean over the batch)
  with respect to that input *through this unit*, from one backward pass.

Each gives an N x N Pearson correlation matrix between the N samples (computed over the
flattened coordinates; see *Precision*). The score is the natural log of |det| of

    K = sum over units u of  w(l(u)) * ( |C_act(u)| + |C_grad(u)| )        (|.| element-wise)

ACor uses activations only and w = 1; RCor uses both and w = 1; WRCor uses both and
w(l) = 2^(l-1) for the unit's layer l = 1..L (bottom to top). Higher is better.

Choices where the paper is silent or ambiguous (each one is a config field where it matters):

* **Unit.** Every *call* of a module of a tapped type is one unit; a module called twice gives two
  units. The official code hooks modules whose class name contains "ReLU"; we tap the class
  names in ``activation_types`` (default ``("ReLU",)``; the gradient tap is exact for ReLU only,
  see below).
* **Gradient through the unit.** Like the official (module backward hook) code we use the gradient
  flowing back through *this* unit, ``dL/d(output) * 1[output > 0]``, not the total gradient of
  the tensor at the unit's input (an NB201 node feeding three convolutions has three units with
  three different gradients). It is taken with a tensor hook on the unit's output, which is
  correct under torch >= 2 for non-contiguous gradients and in-place ReLUs.
* **Pre-activation of in-place ReLUs.** We read the input in a forward *pre*-hook, so an in-place
  ReLU (NB201's ``lastact``) contributes its true pre-activation. The official forward hook
  reads the input after an in-place ReLU has overwritten it, i.e. the post-activation, for that
  one unit; we follow the paper there.
* **Layer** (``layer``). ``"block"`` (default, the official reading): the cells/blocks the space
  declares (``BuiltModel.cells``, in forward order; NB201: its 15 cells and 2 reduction blocks,
  the official code's ``cells`` list). A unit inside block i has layer l = i + 1. A unit outside
  the blocks belongs to the next block to run: before the first block it joins layer 1 (a stem);
  after the last block has started it gets layer n + 1 (NB201's ``lastact``, weight 2^n in the
  official code). A space whose models declare no cells gets the weighted proxies reported
  "not applicable" (unweighted scores need no layers).
  ``"unit"``: every unit is its own layer, l = 1..L in forward execution order (the literal
  reading of "L layers"; with 2^l weights the top few units dominate). Unweighted scores do not
  need layers and work on any model.
* **Weights** (``weighting``), for layers l = 1..L, L = the largest layer of any unit:
  ``none`` 1; ``linear`` l; ``quad`` l^2; ``expb2t`` 2^(l-1); ``expt2b`` 2^(L-l). The paper
  gives only expb2t, as 2^l with l from 1; the code's 2^i with i from 0 is half that, which adds
  the same N*log(2) to every score. We keep the code's absolute values.
* **NaN matrices** (``nan_policy``). A unit whose response is constant over its coordinates for
  some sample (e.g. after NB201's ``none`` op) has an undefined correlation. ``"skip"``
  (default, as the official code) leaves that matrix out of K and counts it; if every matrix is
  skipped the proxy raises ``ProxyFailure``. ``"fail"`` raises on the first one. A unit whose
  output never reaches the loss has no gradient matrix; it is counted in ``missing_grad``.
* **log det.** ``slogdet``'s log|det| as the official code (|.| of a correlation matrix need not
  be positive definite, so K's determinant could be negative; its sign is reported in
  ``ResponseCorrelation.sign``). A singular K (log|det| = -inf) raises ``ProxyFailure``.
* **Precision** (``precision``). The official code computes correlations with NumPy in float64.
  By default we centre the responses and form their Gram matrix in the model's dtype (float32
  for NB201; relative error of a correlation ~1e-7, about 3x faster) and normalise in float64;
  ``"float64"`` does it all in float64. A tensor that feeds several units (an NB201 node feeding
  several convolutions) has its activation correlation computed once.
* **Loss and mode.** ``F.cross_entropy(logits, targets)`` with the batch's true labels; the model
  is in train mode, so BatchNorm uses batch statistics (official ``bn=True``). The units are the
  ``ResponseUnits`` tap of the batch pass that the architecture's other proxies share. Alone,
  parameters are frozen during the pass (the proxy needs gradients of activations only); when
  another proxy needs weight gradients they are not, which changes no activation gradient, and a
  unit still has a gradient only if its output depends on the input. ACor reads the activation
  part of the same tap when RCor or WRCor (same settings) is scored too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from nas_harness.api import Needs, NotApplicable, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl
from nas_harness.api.probes import CE, FloatName, Objective, Tap, TapHooks, probe, sample_correlation

if TYPE_CHECKING:
    import torch
    from torch import nn

Weighting = Literal["none", "linear", "quad", "expb2t", "expt2b"]


class RCorConfig(PluginConfig):
    """Settings shared by acor, rcor and wrcor (see the module docstring for each choice)."""

    weighting: Weighting = "none"
    """Layer weights: none | linear (l) | quad (l^2) | expb2t (2^(l-1), WRCor) | expt2b (2^(L-l))."""
    layer: Literal["block", "unit"] = "block"
    """What a layer is: the index of the block (cell) holding the unit (official code), or each unit."""
    activation_types: tuple[str, ...] = ("ReLU",)
    """Class names of the activation modules whose calls are units."""
    nan_policy: Literal["skip", "fail"] = "skip"
    """A correlation matrix containing NaN is left out and counted (official), or fails the score."""
    precision: Literal["input", "float64"] = "input"
    """Gram matrices in the responses' dtype (float32: fast) or all in float64 (official, NumPy)."""


class WRCorConfig(RCorConfig):
    weighting: Weighting = "expb2t"


@dataclass
class Unit:
    """One call of a tapped activation module."""

    name: str  # qualified module name, with "#k" for the k-th call after the first
    layer: int  # 1-based
    act: torch.Tensor | None = None  # N x N correlation (float64); None if NaN (skipped)
    grad: torch.Tensor | None = None  # None if NaN (skipped) or never reached by the loss
    act_nan: bool = False
    grad_nan: bool = False
    grad_seen: bool = False


@dataclass
class ResponseCorrelation:
    """The score and everything it was computed from, for inspection and tests."""

    score: float
    sign: float
    matrix: torch.Tensor  # the aggregate K
    units: list[Unit]
    weights: dict[int, float]  # layer -> weight
    used: int  # matrices added to K
    skipped_nan: int  # matrices left out because they contain NaN
    missing_grad: int = 0  # units whose output never received a gradient
    num_layers: int = 0
    notes: list[str] = field(default_factory=list)


def layer_weights(layers: list[int], weighting: str) -> dict[int, float]:
    """Weight of each layer index (1-based) under a weighting scheme; L = max(layers)."""
    top = max(layers)
    rule = {
        "none": lambda depth: 1.0,
        "linear": lambda depth: float(depth),
        "quad": lambda depth: float(depth * depth),
        "expb2t": lambda depth: math.ldexp(1.0, depth - 1),
        "expt2b": lambda depth: math.ldexp(1.0, top - depth),
    }[weighting]
    return {depth: rule(depth) for depth in sorted(set(layers))}


@dataclass(frozen=True)
class ResponseUnits(Tap):
    """The units of the batch pass with their correlation matrices (the config fields that
    decide them; the weighting is applied afterwards). With ``gradients=False`` no backward
    pass is needed, and a planned ``gradients=True`` tap of the same settings serves it."""

    layer: str = "block"
    activation_types: tuple[str, ...] = ("ReLU",)
    nan_policy: str = "skip"
    precision: str = "input"
    gradients: bool = True
    bn: bool = True
    dtype: FloatName | None = None

    @classmethod
    def of(cls, config: RCorConfig, gradients: bool) -> ResponseUnits:
        return cls(
            config.layer, tuple(config.activation_types), config.nan_policy, config.precision, gradients
        )

    @property
    def grad_objective(self) -> Objective | None:  # type: ignore[override]
        return CE if self.gradients else None

    def served_by(self, other) -> bool:
        return (
            isinstance(other, ResponseUnits)
            and other.gradients
            and not self.gradients
            and other == replace(self, gradients=True)
        )

    def attach(self, model: nn.Module, hooks: TapHooks):
        tap = _UnitTap(model, self, hooks)
        return lambda: tap.record(type(model).__name__)


@dataclass
class UnitRecord:
    """What the ``ResponseUnits`` tap read: the units, whether the block list was found, and the
    NaN matrices met (kind, "what of unit") when nan_policy is "fail"."""

    units: list[Unit]
    has_blocks: bool
    model_class: str
    nan_seen: list[tuple[str, str]]


class _UnitTap:
    """Hooks on every tapped module that record one Unit per call."""

    def __init__(self, model: nn.Module, spec: ResponseUnits, hooks: TapHooks):
        self.spec = spec
        self.hooks = hooks
        self.units: list[Unit] = []
        self.nan_seen: list[tuple[str, str]] = []
        self._calls: dict[str, int] = {}
        self._open: dict[int, list[Unit]] = {}  # id(module) -> units whose forward is running
        self._act_cache: dict[int, tuple] = {}  # id(input) -> (input, version, correlation)
        self._entered = 0  # 1 + highest block index whose forward has started
        self._has_blocks = False
        self._block_of: dict[int, int] = {}  # id(module inside block i) -> i

        if spec.layer == "block":
            cells = hooks.parts.cells
            if cells:  # without them (unweighted scores only) every unit is layer 1
                self._has_blocks = True
                for i, block in enumerate(cells):
                    hooks.forward_pre(block, self._enter_block(i))
                    for sub in block.modules():
                        self._block_of.setdefault(id(sub), i)

        types = set(spec.activation_types)
        for name, module in model.named_modules():
            if type(module).__name__ not in types:
                continue
            hooks.forward_pre(module, self._pre_hook(name, self._block_of.get(id(module))))
            if spec.gradients:
                hooks.forward(module, self._post_hook())
        hooks.after_forward(self._act_cache.clear)  # release the inputs it holds

    def record(self, model_class: str) -> UnitRecord:
        self._act_cache.clear()
        return UnitRecord(self.units, self._has_blocks, model_class, self.nan_seen)

    def _enter_block(self, index: int):
        def hook(module, args):
            self._entered = max(self._entered, index + 1)

        return hook

    def _layer(self, block: int | None) -> int:
        if self.spec.layer == "unit":
            return len(self.units) + 1
        if block is not None:
            return block + 1
        return self._entered + 1  # outside the blocks: the next block to run (or n + 1)

    def _check(self, matrix: torch.Tensor, what: str, unit: Unit) -> torch.Tensor | None:
        import torch

        if torch.isnan(matrix).any():
            if self.spec.nan_policy == "fail":
                self.nan_seen.append((what, f"{what} of {unit.name}"))
            return None
        return matrix

    def _pre_hook(self, name: str, block: int | None):
        def hook(module, args):
            calls = self._calls.get(name, 0)
            self._calls[name] = calls + 1
            unit = Unit(name if calls == 0 else f"{name}#{calls}", self._layer(block))
            x = args[0]
            cached = self._act_cache.get(id(x))
            if cached is not None and cached[0] is x and cached[1] == x._version:
                corr = cached[2]  # the same tensor feeds several units (an NB201 node)
            else:
                corr = sample_correlation(x, self.spec.precision)
                self._act_cache[id(x)] = (x, x._version, corr)
            unit.act = self._check(corr, "activation", unit)
            unit.act_nan = unit.act is None
            self.units.append(unit)
            if self.spec.gradients:  # the forward hook of the same call picks it up
                self._open.setdefault(id(module), []).append(unit)

        return hook

    def _post_hook(self):
        def hook(module, args, output):
            unit = self._open[id(module)].pop()
            if not self.hooks.reaches_input(output):
                return
            mask = output.detach() > 0  # ReLU'(x) = 1[x > 0] = 1[relu(x) > 0]

            def on_grad(grad: torch.Tensor) -> None:
                corr = sample_correlation(grad * mask, self.spec.precision)
                unit.grad = self._check(corr, "gradient", unit)
                unit.grad_nan = unit.grad is None
                unit.grad_seen = True

            self.hooks.on_grad(output, on_grad)

        return hook


def aggregate(
    record: UnitRecord, config: RCorConfig, *, gradients: bool, n: int, device
) -> ResponseCorrelation:
    """Weight and sum the units' |correlation| matrices into K; score log|det K|."""
    import torch

    needs_layers = config.weighting != "none"
    if config.layer == "block" and not record.has_blocks and needs_layers:
        raise NotApplicable(
            f"layer='block' weights units by the cell holding them, and this space's models "
            f"({record.model_class}) declare no cells (set layer='unit')"
        )
    nan_seen = [text for kind, text in record.nan_seen if gradients or kind == "activation"]
    if nan_seen:
        raise ProxyFailure(f"NaN correlation matrix ({nan_seen[0]}) and nan_policy='fail'")
    units = record.units
    if not units:
        raise ProxyFailure(
            f"no activation module of types {config.activation_types} was called in the forward pass"
        )

    layers = [u.layer for u in units]
    weights = layer_weights(layers, config.weighting)
    K = torch.zeros(n, n, dtype=torch.float64, device=device)
    used = skipped = missing = 0
    for unit in units:
        w = weights[unit.layer]
        if unit.act is not None:
            K += w * unit.act.abs()
            used += 1
        else:
            skipped += 1
        if gradients:
            if unit.grad is not None:
                K += w * unit.grad.abs()
                used += 1
            elif unit.grad_seen:
                skipped += 1
            else:
                missing += 1
    if used == 0:
        raise ProxyFailure(
            f"every correlation matrix of the {len(units)} units was NaN or missing "
            f"({skipped} NaN, {missing} without gradient)"
        )
    if not torch.isfinite(K).all():
        raise ProxyFailure("the aggregate matrix is not finite (layer weights overflow float64)")
    sign, logabsdet = torch.linalg.slogdet(K)
    if not math.isfinite(logabsdet.item()):
        raise ProxyFailure(f"the aggregate {n}x{n} matrix is singular (log|det| = {logabsdet.item()})")
    return ResponseCorrelation(
        score=float(logabsdet),
        sign=float(sign),
        matrix=K,
        units=units,
        weights=weights,
        used=used,
        skipped_nan=skipped,
        missing_grad=missing,
        num_layers=max(layers),
    )


class _ResponseCorrelationProxy(Proxy):
    gradients: bool = True
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA, Needs.LABELS, Needs.GRAD})

    def probes(self):
        return (ResponseUnits.of(self.config, self.gradients),)  # type: ignore[arg-type]

    def analyse(self, ctx: ScoreContext) -> ResponseCorrelation:
        """The score with the matrices, weights and skip counts it came from."""
        if ctx.inputs is None:
            raise ProxyFailure(f"{self.name} needs an input batch")
        if self.gradients and ctx.targets is None:
            raise ProxyFailure(f"{self.name} needs the labels of the batch")
        if self.gradients and any(t != "ReLU" for t in self.config.activation_types):  # type: ignore[attr-defined]
            raise ProxyFailure("the gradient tap is exact for ReLU units only (activation_types)")
        record = probe(ctx, ResponseUnits.of(self.config, self.gradients))  # type: ignore[arg-type]
        return aggregate(
            record,
            self.config,
            gradients=self.gradients,  # type: ignore[arg-type]
            n=ctx.inputs.shape[0],
            device=ctx.device,
        )

    def score(self, ctx: ScoreContext) -> float:
        return self.analyse(ctx).score


class ACor(_ResponseCorrelationProxy):
    """ACor (Jing et al., Eq. 1/6): log|det| of the sum of |corr| of pre-activations, unweighted.

    Forward pass only. ``weighting`` other than ``none`` gives the weighted variant.
    """

    name = "acor"
    version = "1"
    gradients = False
    needs = frozenset({Needs.MODEL, Needs.DATA})
    Config = RCorConfig
    summary = "log det of summed |sample correlation| of pre-activations (Jing et al.)"


class RCor(_ResponseCorrelationProxy):
    """RCor (Jing et al., Eq. 8-9): ACor plus the same for pre-activation gradients, unweighted.

    With ``weighting`` set this is the Table 3 ablation (linear, quad, expb2t = WRCor, expt2b).
    """

    name = "rcor"
    version = "1"
    Config = RCorConfig
    summary = "log det of summed |sample correlation| of pre-activations and their gradients"


class WRCor(_ResponseCorrelationProxy):
    """WRCor (Jing et al., Eq. 10-11): RCor with weights 2^(l-1) growing from bottom to top."""

    name = "wrcor"
    version = "1"
    Config = WRCorConfig
    summary = "RCor with exponential layer weights, bottom to top (Jing et al.)"


@hookimpl
def nas_harness_proxies():
    return [ACor, RCor, WRCor]
