"""eproxy: the Extensible proxy of Li, Li, Hao, Li, Xiong & Chen, "Extensible and Efficient Proxy
for Neural Architecture Search" (ICCV 2023; code leeyeehoo/GenNAS-Zero). Spec:
``../shared/spec/eproxy-dps.md``.

A few-shot, self-supervised regression: the candidate network without its head, a trainable
transform conv and a frozen random "barrier" conv learn synthetic spatial targets for 10 SGD
steps on one batch of 16 images; the last step's MSE is the score (lower is better).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, model_validator

from nas_harness.api import (
    BuiltModel,
    FitTools,
    HarnessError,
    LabelledSet,
    Needs,
    PluginConfig,
    Proxy,
    ProxyFailure,
    ScoreContext,
    TrainableProxy,
    as_built,
    hookimpl,
)

from ._eproxy_dps import DpsConfig, best, decode_state, encode_state, search, spearman_fitness
from ._eproxy_targets import FEATURE_KINDS, augment, combined_target, feature_bank

if TYPE_CHECKING:
    import torch
    from torch import nn

FeatureKind = Literal["net", "wave_l", "wave_m", "wave_h", "dot"]
Kernel = Literal[1, 3, 7]
Init = Literal["kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform"]
INITS: tuple[str, ...] = ("kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform")
TAP_NAMES = (
    "the feature map before the head",
    "the map before the second down-sampling",
    "the map before the first down-sampling",
)


class Branch(PluginConfig):
    """One regression branch: its target, transform layer and barrier layer.

    Branch i of ``EproxyConfig.branches`` reads tap i: 0 = the feature map before the head, 1 =
    the map entering the second down-sampling, 2 = the map entering the first (the code's
    nested 1-3 "branches"; the paper's "intermediate output evaluation").
    """

    features: tuple[FeatureKind, ...] = ("net",)
    """Synthetic feature kinds added into the target (paper Fig. 4; plain Eproxy: the untrained
    CNN "net"). Empty = a zero target, which DPS's random configs can produce, as in the code."""
    coefficient: float = Field(1.0, gt=0)
    """The augment coefficient the summed target is multiplied by (DPS: 0.5, 1, 1.5, 2)."""
    transform_kernel: Kernel = 3
    """Transform conv kernel (code default 3; DPS: 1, 3, 7). The transform is conv (bias) →
    ReLU → BatchNorm, as in the code."""
    c_mid: int = Field(512, ge=1)
    """Transform output channels (code default 512; DPS: 16..512 by x2)."""
    barrier_kernel: Kernel = 3
    """Barrier conv kernel (code default 3; DPS: 1, 3, 7); conv with bias, frozen."""
    c_out: int = Field(64, ge=1)
    """Barrier output channels = target channels (code default 64; DPS: 16..512 by x2)."""


class EproxyConfig(PluginConfig):
    branches: tuple[Branch, ...] = Field((Branch(),), min_length=1, max_length=3)
    """1-3 branches; branch i reads tap i (see ``Branch``). Default: one branch on the feature map."""
    lr: float = Field(1.2, gt=0)
    """SGD learning rate (code default 1.2; the paper's Table 1 uses 1; DPS: 0.5..1.5 by 0.1)."""
    momentum: float = Field(0.9, ge=0)
    """SGD momentum (code 0.9; not in the paper)."""
    weight_decay: float = Field(4e-5, ge=0)
    """SGD weight decay, applied to weights of dimension > 1 only (code: 4e-5, no decay on
    biases and BatchNorm)."""
    iterations: int = Field(10, ge=1)
    """SGD steps on the one batch (paper and code: 10)."""
    batch_size: int = Field(16, ge=1)
    """Images used, the first ones of the run's input batch (paper and code: 16 CIFAR-10
    training images; give the run an input batch of at least this many)."""
    init_net: Literal["as_built", "kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform"] = (
        "as_built"
    )
    """Initialization of the network and the transform layers. ``as_built``: the run's init for the
    network and torch's default for the transform (the code's default leaves both at their
    defaults). The others (DPS's four) re-initialize every conv/linear weight (Kaiming: fan_out,
    ReLU gain, bias 0; Xavier: bias 0.01) and set BatchNorm to 1/0, as the code's ``init_net``."""
    init_barrier: Literal[
        "torch_default", "kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform"
    ] = "torch_default"
    """Initialization of the barrier conv (DPS searches it separately from the network's)."""
    barrier: bool = True
    """False drops the barrier (the paper's Table 1 "MSE w/o barrier"): the transform then maps to
    ``c_out`` channels and regresses the target directly (``c_mid`` unused)."""
    score_decay: Literal["exp", "constant"] = "exp"
    """How branch losses add up in the score: ``exp`` = sum_i MSE_i / 2^i (the code's evaluation),
    ``constant`` = plain sum. Training always minimises the plain sum, as the code does."""
    flops_alpha: float = Field(0.0, ge=-1.0, le=1.0)
    """alpha of the FLOPs term: score = L * (1 + alpha * MACs / flops_max), the paper's sign (the
    code uses 1 + alpha * (-MACs/max), the same search space with alpha negated). 0 = no term
    (plain Eproxy); DPS: -0.5..0.5 by 0.1."""
    flops_max: float | None = Field(None, gt=0)
    """MACs (one image, conv and linear layers, counted by this proxy) of the largest
    architecture of the space, the paper's normalizer. Required when ``flops_alpha`` is not 0."""
    target_seed: int = 0
    """Seed of the synthetic targets (teacher weights, sine frequencies/phases, dots)."""
    bank_channels: int = Field(512, ge=1)
    """Channels of each feature kind's bank (code: 512-channel tensors, cropped to c_out)."""
    waves_per_image: bool = True
    """Draw each sine per (image, channel) (the shipped tensors' shape) or per channel only."""
    augment_pad: int = Field(4, ge=0)
    """RandomCrop padding of the images (code: 4); 0 = no crop."""
    augment_flip: bool = True
    """Random horizontal flips (code: yes)."""

    @model_validator(mode="after")
    def _consistent(self) -> EproxyConfig:
        if self.flops_alpha != 0.0 and self.flops_max is None:
            raise ValueError("flops_alpha != 0 needs flops_max (MACs of the space's largest architecture)")
        for i, b in enumerate(self.branches):
            if b.c_out > self.bank_channels:
                raise ValueError(f"branches[{i}].c_out={b.c_out} exceeds bank_channels={self.bank_channels}")
        return self


# --------------------------------------------------------------------------- the network's parts


def feature_parts(built: BuiltModel) -> tuple[nn.Module, bool, tuple[nn.Module, ...]]:
    """Where the feature map before the head is read, and the cells in forward order.

    Returns ``(module, read_input, cells)``: the feature map is ``module``'s input when
    ``read_input`` else its output. The model's declared parts (``BuiltModel.features`` /
    ``.cells``) when it has them; a bare module (no declared features) falls back to the input of
    its last global pooling (adaptive pooling to 1x1) and has no cells (one branch only).
    """
    from torch import nn

    if built.features is not None:
        return built.features, False, tuple(built.cells)
    pools = [
        m
        for m in built.module.modules()
        if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)) and m.output_size in (1, (1, 1))
    ]
    if not pools:
        raise ProxyFailure(
            "eproxy needs the feature map before the head; the model declares no features and has "
            "no global pooling module"
        )
    return pools[-1], True, tuple(built.cells)


class _Taps:
    """Forward hooks that collect, for each forward, the tensors the branches regress from."""

    def __init__(self, model: BuiltModel | nn.Module, n_branches: int):
        feature_module, read_input, cells = feature_parts(as_built(model))
        if n_branches > 1 and not cells:
            raise ProxyFailure(
                "eproxy's intermediate branches need the model's cells; this model declares none"
            )
        self.n = n_branches
        self.final: list[torch.Tensor] = []
        self.seq: list[torch.Tensor] = []
        if read_input:
            hook = feature_module.register_forward_pre_hook(lambda m, args: self.final.append(args[0]))
        else:
            hook = feature_module.register_forward_hook(lambda m, args, out: self.final.append(out))
        self.handles = [hook]
        if n_branches > 1:
            self.handles.append(cells[0].register_forward_pre_hook(lambda m, args: self.seq.append(args[0])))
            for cell in cells:
                self.handles.append(cell.register_forward_hook(lambda m, args, out: self.seq.append(out)))

    def run(self, model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
        """[feature map, before 2nd down-sampling, before 1st][:n], taps resized to the map's size."""
        import torch.nn.functional as F

        self.final.clear()
        self.seq.clear()
        model(x)
        if not self.final:
            raise ProxyFailure("the feature module did not run in the forward pass")
        final = self.final[-1]
        if final.dim() != 4:
            raise ProxyFailure(
                f"eproxy needs a spatial (N, C, H, W) feature map, got shape {tuple(final.shape)}"
            )
        taps = [final]
        if self.n > 1:
            area = [t.shape[-1] * t.shape[-2] for t in self.seq]
            drops = [j for j in range(1, len(area)) if area[j] < area[j - 1]]
            for d in range(1, self.n):
                if len(drops) < (2 if d == 1 else 1):
                    raise ProxyFailure(
                        f"branch {d} reads {TAP_NAMES[d]}, but the cells down-sample "
                        f"only {len(drops)} time(s)"
                    )
                # branch 1 = before the 2nd down-sampling, branch 2 = before the 1st
                drop = drops[1] if d == 1 else drops[0]
                tap = self.seq[drop - 1]
                if tap.shape[-2:] != final.shape[-2:]:
                    tap = F.interpolate(tap, size=tuple(final.shape[-2:]))  # nearest, as the code
                taps.append(tap)
        return taps

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


# --------------------------------------------------------------------------- initialization


def reinit(module: nn.Module, scheme: str) -> None:
    """The code's ``init_net``: conv/linear weights by ``scheme``, BatchNorm weight 1 / bias 0."""
    import torch
    from torch import nn

    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                if scheme == "kaiming_normal":
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif scheme == "kaiming_uniform":
                    nn.init.kaiming_uniform_(m.weight, mode="fan_out", nonlinearity="relu")
                elif scheme == "xavier_normal":
                    nn.init.xavier_normal_(m.weight)
                elif scheme == "xavier_uniform":
                    nn.init.xavier_uniform_(m.weight)
                else:
                    raise ValueError(f"unknown init scheme {scheme!r}")
                if m.bias is not None:
                    m.bias.fill_(0.01 if scheme.startswith("xavier") else 0.0)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm) and m.weight is not None:
                m.weight.fill_(1.0)
                m.bias.zero_()


def _heads(config: EproxyConfig, taps: list[torch.Tensor]) -> tuple[nn.ModuleList, nn.ModuleList]:
    """The transform layers (trainable) and barrier layers (frozen), one per branch."""
    from torch import nn

    transforms, barriers = nn.ModuleList(), nn.ModuleList()
    for b, tap in zip(config.branches, taps):
        width = b.c_mid if config.barrier else b.c_out
        k = b.transform_kernel
        transforms.append(
            nn.Sequential(
                nn.Conv2d(tap.shape[1], width, k, padding=(k - 1) // 2), nn.ReLU(), nn.BatchNorm2d(width)
            )
        )
        if config.barrier:
            kb = b.barrier_kernel
            barrier = nn.Conv2d(width, b.c_out, kb, padding=(kb - 1) // 2)
            if config.init_barrier != "torch_default":
                reinit(barrier, config.init_barrier)
            barrier.requires_grad_(False)
        else:
            barrier = nn.Identity()
        barriers.append(barrier)
    if config.init_net != "as_built":
        reinit(transforms, config.init_net)
    return transforms, barriers


def _param_groups(*modules: nn.Module, weight_decay: float) -> list[dict]:
    decay, no_decay = [], []
    for module in modules:
        for p in module.parameters():
            if p.requires_grad:
                (decay if p.dim() > 1 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


# --------------------------------------------------------------------------- targets (cached)

_BANKS: OrderedDict[tuple, torch.Tensor] = OrderedDict()
_BANK_CACHE_SIZE = 16


def _bank(kind: str, images: torch.Tensor, config: EproxyConfig, hw: tuple[int, int]) -> torch.Tensor:
    """A feature bank, cached per process: every architecture of a run regresses the same targets."""
    digest = (
        hashlib.sha1(images.detach().cpu().contiguous().numpy().tobytes()).hexdigest()
        if kind == "net"
        else ""
    )
    key = (
        kind,
        digest,
        tuple(images.shape),
        config.bank_channels,
        hw,
        config.target_seed,
        config.waves_per_image,
    )
    if key not in _BANKS:
        _BANKS[key] = feature_bank(
            kind, images, config.bank_channels, hw, config.target_seed, waves_per_image=config.waves_per_image
        )
        while len(_BANKS) > _BANK_CACHE_SIZE:
            _BANKS.popitem(last=False)
    _BANKS.move_to_end(key)
    return _BANKS[key]


def targets_for(config: EproxyConfig, images: torch.Tensor, like: torch.Tensor) -> list[torch.Tensor]:
    """One target per branch, shaped (batch, c_out, h, w) with (h, w) the feature map's size."""
    hw = (int(like.shape[-2]), int(like.shape[-1]))
    kinds = sorted({k for b in config.branches for k in b.features}, key=FEATURE_KINDS.index)
    banks = {k: _bank(k, images, config, hw) for k in kinds}
    return [combined_target(banks, b.features, b.c_out, b.coefficient, like) for b in config.branches]


# --------------------------------------------------------------------------- the score


def count_macs(model: nn.Module, x: torch.Tensor) -> int:
    """Multiply-accumulates of conv and linear layers for one image (the FLOPs term's count)."""
    import torch
    from torch import nn

    total = [0]

    def conv(m: nn.Conv2d, args, out):
        total[0] += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear(m: nn.Linear, args, out):
        total[0] += out[0].numel() * m.in_features

    handles = [
        m.register_forward_hook(conv if isinstance(m, nn.Conv2d) else linear)
        for m in model.modules()
        if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    try:
        with torch.no_grad():
            model(x[:1])
    finally:
        for h in handles:
            h.remove()
    return total[0]


def regression_losses(
    built: BuiltModel | nn.Module, images: torch.Tensor, config: EproxyConfig, seed: int
) -> list[float]:
    """The evaluation loss at each of the ``iterations`` steps (before that step's update).

    ``built``'s network is trained in place (train mode). Transform and barrier layers are created
    after the first forward (their input channels are the taps'), from torch's RNG seeded with ``seed``.
    """
    import torch
    import torch.nn.functional as F

    model = as_built(built).module
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if config.init_net != "as_built":
            reinit(model, config.init_net)
        model.train()
        taps = _Taps(built, len(config.branches))
        try:
            losses: list[float] = []
            transforms = barriers = optimizer = targets = None
            for _ in range(config.iterations):
                outs = taps.run(model, images)
                if transforms is None:
                    transforms, barriers = _heads(config, outs)
                    transforms.to(images.device).train()
                    barriers.to(images.device)
                    targets = targets_for(config, images, outs[0])
                    optimizer = torch.optim.SGD(
                        _param_groups(model, transforms, weight_decay=config.weight_decay),
                        lr=config.lr,
                        momentum=config.momentum,
                    )
                mses = [F.mse_loss(barriers[i](transforms[i](o)), targets[i]) for i, o in enumerate(outs)]
                weights = [1.0 / 2**i if config.score_decay == "exp" else 1.0 for i in range(len(mses))]
                losses.append(float(sum(w * m.detach() for w, m in zip(weights, mses))))
                optimizer.zero_grad()
                sum(mses).backward()
                optimizer.step()
        finally:
            taps.remove()
    return losses


def eproxy_score(
    built: BuiltModel | nn.Module, inputs: torch.Tensor, config: EproxyConfig, seed: int
) -> float:
    """Eproxy's score of one freshly built network (with its declared parts) on the run's
    ``inputs`` (lower is better)."""
    if inputs.shape[0] < config.batch_size:
        raise ProxyFailure(
            f"eproxy trains on {config.batch_size} images; the run's input batch has "
            f"{inputs.shape[0]} (raise the input batch_size)"
        )
    images = augment(inputs[: config.batch_size], pad=config.augment_pad, flip=config.augment_flip, seed=seed)
    macs = count_macs(as_built(built).module, images) if config.flops_alpha != 0.0 else 0
    loss = regression_losses(built, images, config, seed)[-1]
    if config.flops_alpha != 0.0:
        loss *= 1.0 + config.flops_alpha * macs / config.flops_max
    return loss


class Eproxy(Proxy):
    """Eproxy: the MSE after 10 SGD steps of a few-shot synthetic regression (Li et al., ICCV 2023).

    Definition (paper Eq. 1, Listing 1): min over w_a, w_t of MSE(G(w_b, F(w_a, w_t, X)), Y). F is
    the candidate network without its head (here: the output of the model's declared ``features``,
    the map the head pools) followed by a transform conv; G is a conv with random frozen weights (the barrier); X one
    batch of 16 CIFAR-10 images; Y synthetic targets. Training is SGD with a large learning rate
    for 10 steps on that batch; the score is the MSE (lower = better architecture).

    Choices (the code's defaults where the paper is silent; every one is a config field):

    * Score = the loss of the 10th step's forward pass, before its update (Listing 1 and the
      code); with several branches the score weights branch i by 1/2^i, training sums them.
    * Transform conv k (bias) → ReLU → BN to c_mid = 512, k = 3; barrier conv 3x3 → 64 with bias;
      SGD lr 1.2, momentum 0.9, weight decay 4e-5 on weights only; 10 steps; batch 16.
    * Targets: the untrained 6-layer CNN ("net") by default, generated from ``target_seed``
      (see ``_eproxy_targets``); sines and dots for DPS configs. The teacher sees the same
      augmented batch the network trains on.
    * Images: the first 16 of the run's input batch (normalized by the engine), RandomCrop(pad 4)
      and horizontal flip drawn from the run seed; the same images for every architecture.
    * Transform and barrier weights come from torch's RNG seeded with the run seed, so every
      architecture of a run (with the same channel counts) gets the same barrier. The code
      draws a fresh barrier per architecture from one global stream.
    * BN in train mode throughout (batch statistics), as the code.
    * Intermediate taps: the map entering the cell that down-samples (the first resolution drop
      along the declared cells), resized to the feature map's size by nearest interpolation.
    * FLOPs term (off by default): the paper's sign, MACs of conv/linear layers for one image.
    """

    name = "eproxy"
    version = "1"
    higher_is_better = False
    needs = frozenset({Needs.MODEL, Needs.DATA})
    Config = EproxyConfig
    summary = "Eproxy: MSE after 10 SGD steps regressing synthetic targets through a frozen barrier (Li et al. 2023)"

    def score(self, ctx: ScoreContext) -> float:
        if ctx.inputs is None:
            raise ProxyFailure("eproxy needs an input batch")
        return eproxy_score(ctx.build(), ctx.inputs.to(ctx.device), self.config, ctx.seed)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- Eproxy + DPS


class Dps(TrainableProxy):
    """Eproxy + DPS: Eproxy under the config Discrete Proxy Search found on k labelled archs (paper 002 §2.2).

    Registered as ``dps`` (issue 15 names the plugin so): DPS is the calibrator, Eproxy what it
    calibrates; the plain proxy is ``eproxy``.

    ``fit`` runs regularized evolution over Eproxy's settings (``_eproxy_dps``: population 40,
    tournament 10, mutation 0.2, ``cycles`` configurable, the paper's 200); a config's fitness is
    Spearman's ρ between its Eproxy scores and the oriented targets over the calibration archs
    (mean over the labelled sets). Every config is scored as the ``eproxy`` proxy through the
    engine (``tools.score``), so a config met again, or scored by an earlier fit on the same
    archs, costs nothing, and only calibration archs are ever scored (the tools refuse others).
    The state (canonical JSON) holds the winning Eproxy config, its fitness, the whole search
    history and the sets it was fitted on; ``score`` is plain Eproxy under that config. Fitting
    on one task and scoring another is the paper's transfer (``_T``): ``nash few-shot
    --calib-dataset``, recorded in the calibration source.

    FLOPs term: normalized by ``flops_max`` when given (the paper: the space's largest
    architecture), else by the largest calibration architecture's MACs (recorded in the state).
    """

    name = "dps"
    version = "1"
    higher_is_better = False
    needs = frozenset({Needs.MODEL, Needs.DATA})
    Config = DpsConfig
    summary = "Eproxy + DPS: Eproxy under the config regularized evolution found on k labelled archs (Li et al. 2023)"

    def __init__(self, config: PluginConfig | None = None):
        super().__init__(config)
        try:
            EproxyConfig(**self.config.eproxy)  # type: ignore[attr-defined]
        except ValueError as exc:
            raise HarnessError(f"dps config field 'eproxy': not a valid eproxy config ({exc})") from None
        self._eproxy: EproxyConfig | None = None

    def fit(self, labelled: Sequence[LabelledSet], tools: FitTools) -> bytes:
        cfg: DpsConfig = self.config  # type: ignore[assignment]
        flops_max = cfg.flops_max
        if flops_max is None:
            flops_max = float(max(_macs(tools.context(ls, a)) for ls in labelled for a in ls.archs))

        def fitness(config: dict) -> float:
            return float(
                np.mean(
                    [
                        spearman_fitness(tools.score("eproxy", config, ls), np.asarray(ls.targets, float))
                        for ls in labelled
                    ]
                )
            )

        history = search(cfg, fitness, tools.rng(), flops_max)
        info = {
            "sets": [
                {"space": ls.space, "task": ls.task, "k": ls.k, "hash": ls.hash, "source": ls.source}
                for ls in labelled
            ],
            "flops_max": flops_max,
            "evaluations": len(history),
            "distinct_configs": len({json.dumps(e.config, sort_keys=True) for e in history}),
        }
        return encode_state(best(history), history, info)

    def load_state(self, state: bytes) -> None:
        super().load_state(state)
        self._eproxy = EproxyConfig(**decode_state(state)["eproxy"])

    def score(self, ctx: ScoreContext) -> float:
        self.fitted()
        if ctx.inputs is None:
            raise ProxyFailure("dps needs an input batch")
        return eproxy_score(ctx.build(), ctx.inputs.to(ctx.device), self._eproxy, ctx.seed)  # type: ignore[arg-type]


def _macs(ctx: ScoreContext) -> int:
    """MACs of one image through ``ctx``'s network (the FLOPs term's normalizer)."""
    import torch

    model = ctx.build_model()
    return count_macs(model, torch.zeros(1, *ctx.task.input_shape))


@hookimpl
def nas_harness_proxies():
    return [Eproxy, Dps]
