"""linear_regions: the expressivity score of TE-NAS, the number of linear regions an untrained
ReLU network cuts its input space into, estimated by counting distinct activation patterns over
a set of inputs. Chen, Gong & Wang, "Neural Architecture Search on ImageNet in Four GPU Hours:
A Theoretically Inspired Perspective" (ICLR 2021; code VITA-Group/TENAS,
``lib/procedures/linear_region_counter.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from nas_harness.api import Needs, PluginConfig, Proxy, ProxyFailure, ScoreContext, hookimpl

from ._torch_utils import batch, seeded

if TYPE_CHECKING:
    import torch
    from torch import nn


class LinearRegionsConfig(PluginConfig):
    input: Literal["crops", "gaussian"] = "crops"
    """``crops`` (default, TE-NAS): random ``resolution`` x ``resolution`` crops of the scoring
    batch's images (all channels). ``gaussian``: N(0, 1) inputs of that size (the ZenNAS port)."""
    resolution: int = Field(4, ge=1)
    """Side of the inputs. TE-NAS uses 3x3 crops, but an NB201 network needs a side divisible by
    4 (its residual reductions halve the map twice, and odd sides make the two branches of a
    reduction disagree); 4 (default) is the smallest that works."""
    batch_size: int = Field(1000, ge=1)
    """Inputs per forward pass; BatchNorm statistics are per pass (TE-NAS: 1000)."""
    n_batches: int = Field(3, ge=1)
    """Forward passes; patterns are counted over all of them together (TE-NAS: 3, so 3000 inputs)."""
    bn: bool = True
    """Build the model with BatchNorm, used in train mode (TE-NAS: ``train()``)."""


class PatternSet:
    """Distinct binary activation patterns, each row packed to bytes (exact, compact)."""

    def __init__(self) -> None:
        self.patterns: set[bytes] = set()
        self.width: int | None = None
        self.samples = 0

    def add(self, codes: list[np.ndarray]) -> None:
        """``codes``: per layer call, an (N, units) boolean array; one pattern per row over all calls."""
        packed = np.concatenate([np.packbits(c, axis=1) for c in codes], axis=1)
        width = sum(c.shape[1] for c in codes)
        if self.width is not None and width != self.width:
            raise ProxyFailure(
                f"activation patterns changed length between passes ({self.width} vs {width} units)"
            )
        self.width = width
        self.patterns.update(row.tobytes() for row in packed)
        self.samples += packed.shape[0]

    def __len__(self) -> int:
        return len(self.patterns)


def relu_codes(model: nn.Module, x: torch.Tensor) -> list[np.ndarray]:
    """On/off state (output > 0) of every unit of every call of an ``nn.ReLU`` on a 4-D input.

    As TE-NAS: forward hooks on ``nn.ReLU`` modules, only calls whose input is a 4-D feature map
    (ReLUs on flat features are not counted), post-ReLU sign, forward pass only.
    """
    import torch
    from torch import nn

    codes: list[np.ndarray] = []

    def hook(module: nn.Module, args, output: torch.Tensor) -> None:
        if isinstance(args, tuple) and args and args[0].dim() == 4:
            codes.append((output.detach() > 0).reshape(output.shape[0], -1).cpu().numpy())

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return codes


def random_crops(images: torch.Tensor, n: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` distinct size x size crops (no padding): (image, top, left) drawn without replacement.

    Distinct positions keep identical inputs out of the count (TE-NAS crops distinct training
    images; we crop a small batch, so positions must not repeat).
    """
    import torch

    m, _, h, w = images.shape
    if size > h or size > w:
        raise ProxyFailure(f"cannot crop {size}x{size} from {h}x{w} images")
    rows, cols = h - size + 1, w - size + 1
    if n > m * rows * cols:
        raise ProxyFailure(f"{n} distinct {size}x{size} crops requested, {m} images have {m * rows * cols}")
    picks = torch.randperm(m * rows * cols, generator=generator)[:n].tolist()
    crops = []
    for p in picks:
        i, rest = divmod(p, rows * cols)
        top, left = divmod(rest, cols)
        crops.append(images[i, :, top : top + size, left : left + size])
    return torch.stack(crops)


class LinearRegions(Proxy):
    """Number of distinct ReLU activation patterns over a set of inputs (TE-NAS); higher is better.

    Definition (Chen et al. 2021): a ReLU network is piecewise linear; each linear
    region of its input space has its own on/off pattern of the ReLU units. TE-NAS estimates
    the number of regions, its expressivity measure, by the number of distinct patterns among
    the codes of many inputs. We count exactly (packed bit rows in a set; TE-NAS counts the
    same number with a half-precision Hamming matrix).

    Choices, where the paper leaves room (defaults follow the TE-NAS code where the harness can):

    * **Inputs.** TE-NAS: 3 batches of 1000 random 3x3 crops of training images, one random
      channel each, fed to a *thin proxy network* (1 channel, one cell per stage, no stem) built
      from the supernet. A space plugin offers only the real network, so we feed it
      ``n_batches`` x ``batch_size`` distinct crops (no position twice) of the scoring batch's
      images, all channels, of side ``resolution`` (4 by default: the smallest side an NB201
      network accepts), drawn from ``torch.Generator().manual_seed(ctx.seed)``.
    * **Caveat: saturation.** A full-width network has thousands of units even on 4x4 inputs,
      so nearly every input gets its own pattern and the count saturates at the number of
      inputs. On NB201/CIFAR-10 most cells score exactly 3000 of 3000; only cells with few or
      no convolutions score lower (some crops of flat image areas share a pattern there), and
      with Gaussian inputs every cell scores 3000. The ranking is then mostly ties, and its
      correlation comes from separating conv-poor cells. Faithful TE-NAS numbers need the thin
      network, which the space contract does not offer.
    * **Units.** Every unit of every call of an ``nn.ReLU`` whose input is 4-D (TE-NAS hooks
      ReLU modules and skips non-4-D inputs); a unit is on when its output is > 0.
    * **Mode.** Train mode with BatchNorm (TE-NAS builds the thin net in train mode); each pass
      of ``batch_size`` inputs uses its own batch statistics; forward only, no labels.
    * **Initialization.** TE-NAS re-initializes with Kaiming-normal (fan-in) and repeats 3
      times; here the engine's initialization and seed apply, one draw.
    """

    name = "linear_regions"
    version = "1"
    higher_is_better = True
    needs = frozenset({Needs.MODEL, Needs.DATA})
    Config = LinearRegionsConfig
    summary = "TE-NAS #linear regions: distinct ReLU on/off patterns over crops (or noise) of the inputs"

    def score(self, ctx: ScoreContext) -> float:
        import torch

        cfg: LinearRegionsConfig = self.config  # type: ignore[assignment]
        gen = torch.Generator().manual_seed(ctx.seed)
        images = batch(ctx, labels=False)[0].cpu() if cfg.input == "crops" else None
        model = ctx.build_model(bn=cfg.bn).to(ctx.device)
        model.train()
        patterns = PatternSet()
        with seeded(ctx):
            for _ in range(cfg.n_batches):
                if images is not None:
                    x = random_crops(images, cfg.batch_size, cfg.resolution, gen)
                else:
                    c = ctx.dataset.input_shape[0]
                    x = torch.randn((cfg.batch_size, c, cfg.resolution, cfg.resolution), generator=gen)
                codes = relu_codes(model, x.to(ctx.device))
                if not codes:
                    raise ProxyFailure(
                        "no nn.ReLU ran on a 4-D feature map, so there are no activation patterns"
                    )
                patterns.add(codes)
        return float(len(patterns))


@hookimpl
def nas_harness_proxies():
    return [LinearRegions]
