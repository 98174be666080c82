"""FT-ScoreNet's learnable parts and the rewrite of a space's network into its "constructed
architecture" (Le, Nguyen & Luong, "Efficacy of Neural Prediction-Based Zero-Shot NAS",
arXiv:2308.16775, §III-B/C; spec ../shared/spec/ftscorenet.md §2).

Every conv of any shape takes its weights from one shared bank of frequency maps: a 2-D DFT
resizes the stored k×k maps to the conv's kernel and a 1-D DFT along the map axis resizes the
stored maps to the c_out·c_in the conv needs (zero-padding or trimming; orthonormal DFTs;
magnitude taken after both). Zero-padding N samples to K shrinks the coefficients' mean by
√(N/K) and their variance by N/K (paper eqs. 1-2), so a padded axis is multiplied by √(K/N).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

RELU_GAIN = math.sqrt(2.0)
EPS = 1e-5


def pad_gain(target: int, stored: int) -> float:
    """√(K/N) when an axis of N samples is zero-padded to K > N (eqs. 1-2), else 1 (trimming)."""
    return math.sqrt(target / stored) if target > stored else 1.0


def resize_2d(maps: torch.Tensor, kh: int, kw: int) -> torch.Tensor:
    """Orthonormal 2-D DFT of the last two axes at size (kh, kw), padding-corrected (complex)."""
    k1, k2 = maps.shape[-2:]
    return torch.fft.fft2(maps, s=(kh, kw), norm="ortho") * (pad_gain(kh, k1) * pad_gain(kw, k2))


def resize_1d(x: torch.Tensor, n: int) -> torch.Tensor:
    """Orthonormal 1-D DFT along axis 0 at length ``n``, padding-corrected (complex)."""
    return torch.fft.fft(x, n=n, dim=0, norm="ortho") * pad_gain(n, x.shape[0])


class FrequencyBank(nn.Module):
    """The shared learnable frequency tensor W (maps × k × k) and its bias maps.

    ``kernel`` is memoised per shape inside ``cached()``: W is shared, so every conv of one
    shape gets the same weights and one DFT serves them all within a forward pass.
    """

    def __init__(self, maps: int, kernel: int, generator: torch.Generator):
        super().__init__()
        self.n_in = self.n_out = maps
        self.weight_maps = nn.Parameter(torch.randn(maps * maps, kernel, kernel, generator=generator))
        self.bias_maps = nn.Parameter(torch.randn(maps, generator=generator) / 1000)
        self._cache: dict | None = None
        self._leaves: dict | None = None

    @contextlib.contextmanager
    def cached(self) -> Iterator[None]:
        outer, self._cache = self._cache, {} if self._cache is None else self._cache
        try:
            yield
        finally:
            self._cache = outer

    @contextlib.contextmanager
    def shared_kernels(self) -> Iterator[None]:
        """Generate each shape's kernels once for many networks (one training step).

        Inside, ``kernel`` returns detached leaf copies; backward passes of the networks
        accumulate into them, and on exit those gradients are sent once through the DFTs
        into the bank (the same gradient as generating the kernels in every network).
        """
        self._leaves = {}
        try:
            yield
            sources, grads = [], []
            for made, leaves in self._leaves.values():
                for src, leaf in zip(made, leaves):
                    if leaf.grad is not None:
                        sources.append(src)
                        grads.append(leaf.grad)
            if sources:
                torch.autograd.backward(sources, grads)
        finally:
            self._leaves = None

    def kernel(
        self, c_out: int, c_in: int, kh: int, kw: int, gain: float
    ) -> tuple[torch.Tensor, torch.Tensor]:
        key = (c_out, c_in, kh, kw, gain)
        if self._leaves is not None:
            if key not in self._leaves:
                with torch.enable_grad():
                    made = self._generate(*key)
                self._leaves[key] = (made, tuple(t.detach().requires_grad_(True) for t in made))
            return self._leaves[key][1]
        if self._cache is not None and key in self._cache:
            return self._cache[key]
        made = self._generate(*key)
        if self._cache is not None:
            self._cache[key] = made
        return made

    def _generate(
        self, c_out: int, c_in: int, kh: int, kw: int, gain: float
    ) -> tuple[torch.Tensor, torch.Tensor]:
        spatial = resize_2d(self.weight_maps, kh, kw)
        weight = resize_1d(spatial, c_out * c_in).abs().reshape(c_out, c_in, kh, kw)
        weight = weight * (gain / math.sqrt(c_in * kh * kw))
        bias = resize_1d(self.bias_maps, c_out).abs()
        return weight, bias


def safe_sqrt(var: torch.Tensor) -> torch.Tensor:
    """√var with a finite gradient where var = 0 (a `none` op's constant output: d√v/dv = ∞ and
    0·∞ = NaN would poison the whole step). Tensor.std(dim=0) is also ~20x slower on CPU."""
    return var.clamp_min(1e-20).sqrt()


def unitize(y: torch.Tensor) -> torch.Tensor:
    """v-norm: divide by the output's std (whole tensor). The factor is detached, which is what
    the paper's separate no-gradient factor pass computes (same input, same weights)."""
    factor = torch.nan_to_num(y.detach().std())
    return y / (factor + EPS)


class _BankUser(nn.Module):
    """A module that reads the bank without owning it (the bank's parameters stay in one place)."""

    def __init__(self, bank: FrequencyBank, vnorm: bool):
        super().__init__()
        self._bank = [bank]  # a list hides it from nn.Module registration
        self.vnorm = vnorm

    @property
    def bank(self) -> FrequencyBank:
        return self._bank[0]


class DFTConv2d(_BankUser):
    """A conv with the original's shape and hyperparameters and DFT-generated weights (+ bias)."""

    def __init__(self, conv: nn.Conv2d, bank: FrequencyBank, vnorm: bool):
        super().__init__(bank, vnorm)
        if conv.padding_mode != "zeros":
            raise ValueError(
                f"ft_scorenet supports zero-padded convs only, not padding_mode={conv.padding_mode!r}"
            )
        self.c_in, self.c_out, self.groups = conv.in_channels, conv.out_channels, conv.groups
        self.kernel_size, self.stride = conv.kernel_size, conv.stride
        self.padding, self.dilation = conv.padding, conv.dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w, b = self.bank.kernel(self.c_out, self.c_in // self.groups, *self.kernel_size, RELU_GAIN)
        y = F.conv2d(x, w, b, self.stride, self.padding, self.dilation, self.groups)
        return unitize(y) if self.vnorm else y


class DFTLinear(_BankUser):
    """A linear layer with DFT-generated weights (a 1×1 kernel from the bank)."""

    def __init__(self, c_in: int, c_out: int, bank: FrequencyBank, vnorm: bool, gain: float = RELU_GAIN):
        super().__init__(bank, vnorm)
        self.c_in, self.c_out, self.gain = c_in, c_out, gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w, b = self.bank.kernel(self.c_out, x.shape[-1], 1, 1, self.gain)
        y = F.linear(x, w.reshape(self.c_out, -1), b)
        return unitize(y) if self.vnorm else y


class PseudoBatchNorm(nn.Module):
    """BN as standardisation over the batch axis, per position, no affine part (paper's code)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        centred = x - x.mean(dim=0, keepdim=True)
        return centred / (safe_sqrt(centred.square().mean(dim=0, keepdim=True)) + EPS)


def construct(model: nn.Module, bank: FrequencyBank, vnorm: bool, head: nn.Module | None) -> nn.Module:
    """Rewrite ``model`` in place: convs and linears read the bank, BN becomes pseudo BN,
    dropout goes (not represented), ``head`` (the classifier) becomes the identity so the
    network returns the features the scorer reads; pooling, ReLU and the graph are kept."""

    def replacement(module: nn.Module) -> nn.Module | None:
        if head is not None and module is head:
            return nn.Identity()
        if isinstance(module, nn.Conv2d):
            return DFTConv2d(module, bank, vnorm)
        if isinstance(module, nn.Linear):
            return DFTLinear(module.in_features, module.out_features, bank, vnorm)
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            return PseudoBatchNorm()
        if isinstance(module, nn.modules.dropout._DropoutNd):
            return nn.Identity()
        return None

    if head is not None and head is model:
        return nn.Identity()
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            new = replacement(child)
            if new is not None:
                setattr(parent, name, new)
    model.requires_grad_(False)  # whatever the rewrite kept (e.g. a LayerNorm's affine) is not learnt
    return model


class SymLog(nn.Module):
    """sign(x)·log(|x| + 1) (paper eq. 3); ``code`` = the reference code's log2 with a smooth
    sign, hardtanh(x, ±0.001)·1000."""

    def __init__(self, kind: Literal["code", "paper"]):
        super().__init__()
        self.kind = kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "paper":
            return torch.sign(x) * torch.log(x.abs() + 1)
        return F.hardtanh(x, -0.001, 0.001) * 1000 * torch.log2(x.abs() + 1)


@dataclass(frozen=True)
class NetSpec:
    """The shapes of FT-ScoreNet's learnable parts (stored with a fitted state)."""

    images: int = 64
    image_size: int = 32
    in_channels: int = 3
    kernel: int = 7
    maps: int = 64
    l1_width: int = 100
    vnorm: bool = True
    symlog: Literal["code", "paper"] = "code"
    seed: int = 0


class ScoreNet(nn.Module):
    """Input-like tensor I, bank W, scorer (L1 from W, v-norm, SymLog, L2, batch-wise MLP_b)."""

    def __init__(self, spec: NetSpec):
        super().__init__()
        self.spec = spec
        gen = torch.Generator().manual_seed(spec.seed)
        self.bank = FrequencyBank(spec.maps, spec.kernel, gen)
        self.inputs = nn.Parameter(
            torch.randn(spec.images, spec.in_channels, spec.image_size, spec.image_size, generator=gen)
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(spec.seed)
            self.l2 = nn.Linear(spec.l1_width, 1)
            n = spec.images
            self.mlp = nn.Sequential(
                nn.Linear(n, n),
                nn.ReLU(),
                nn.Linear(n, n),
                nn.ReLU(),
                nn.Linear(n, n),
                nn.ReLU(),
                nn.Linear(n, 1),
            )
        self.l1 = DFTLinear(0, spec.l1_width, self.bank, vnorm=False, gain=1.0)
        self.symlog = SymLog(spec.symlog)

    def construct(self, model: nn.Module, head: nn.Module | None) -> nn.Module:
        return construct(model, self.bank, self.spec.vnorm, head)

    def forward(self, network: nn.Module) -> torch.Tensor:
        """The score (a 0-d tensor) of one constructed network."""
        with self.bank.cached():
            feats = network(self.inputs)
            if feats.dim() == 4:
                feats = feats.mean(dim=(2, 3))
            feats = feats.reshape(feats.shape[0], -1)
            h = self.l1(feats)
            if self.spec.vnorm:
                h = h / (safe_sqrt(h.var()) + EPS)
            per_image = self.l2(self.symlog(h)).squeeze(-1)  # (images,)
            return self.mlp(per_image).squeeze(-1)

    # ------------------------------------------------------------------ state
    def to_blob(self) -> dict:
        return {"spec": json.dumps(asdict(self.spec), sort_keys=True), "tensors": self.state_dict()}

    @classmethod
    def from_blob(cls, blob: dict) -> ScoreNet:
        net = cls(NetSpec(**json.loads(blob["spec"])))
        net.load_state_dict(blob["tensors"])
        return net

    def to_bytes(self) -> bytes:
        return save_blob({"kind": "single", **self.to_blob()})

    @classmethod
    def from_bytes(cls, data: bytes) -> ScoreNet:
        return cls.from_blob(load_blob(data))


def save_blob(blob: dict) -> bytes:
    buf = io.BytesIO()
    torch.save(blob, buf)
    return buf.getvalue()


def load_blob(data: bytes) -> dict:
    """A saved state; ``weights_only`` so that a state file cannot run code when loaded."""
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def fit(
    net: ScoreNet,
    samples: Callable[[int], tuple[list[Callable[[], nn.Module]], torch.Tensor]],
    steps: int,
    regularization: float = 3.0,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.95),
    log: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Adam on -softSpearman(scores, targets), one sample of architectures per step.

    ``samples(step)`` returns the step's constructed-network factories and their targets
    (larger = better). The gradient of the loss is taken in two passes so that memory holds one
    network's graph at a time: scores without graph, d loss / d score, then per network a
    forward with graph and a backward of score·(d loss / d score). It is the same gradient
    as one backward through all of them.
    """
    from ._ftscore_softrank import soft_spearman

    opt = torch.optim.Adam(net.parameters(), lr=lr, betas=betas)
    history: list[float] = []
    for step in range(steps):
        builders, targets = samples(step)
        with torch.no_grad(), net.bank.cached():
            scores = torch.stack([net(build()) for build in builders])
        scores.requires_grad_(True)
        rho = soft_spearman(scores, targets, regularization)
        (-rho).backward()
        upstream = scores.grad.detach()
        opt.zero_grad()
        with net.bank.shared_kernels():
            for build, g in zip(builders, upstream):
                if float(g) != 0.0:
                    (net(build()) * g).backward()
        opt.step()
        history.append(float(rho.detach()))
        if log is not None:
            log(step, history[-1])
    return history


def round_robin(
    samplers: Sequence[Callable[[int], tuple[list, torch.Tensor]]],
) -> Callable[[int], tuple[list, torch.Tensor]]:
    """Cross-space training (paper §III-D, option i): step t draws its sample from space
    t mod n, with that space's own step counter."""

    def samples(step: int):
        return samplers[step % len(samplers)](step // len(samplers))

    return samples
