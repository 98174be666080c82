"""Built models with their declared parts, so proxies never find cells by attribute names.

A space's ``build_model`` returns a ``BuiltModel``: the network and the parts proxies read —
the stem, the ordered cells/blocks the forward runs through, the head, and ``features``, the
module whose output is the feature map the head consumes (before global pooling). A plain
``nn.Module`` is accepted too (every part unknown); proxies that need a part then report
"not applicable".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import NotApplicable

if TYPE_CHECKING:
    import torch
    from torch import nn


@dataclass(frozen=True)
class BuiltModel:
    module: nn.Module
    stem: nn.Module | None = None
    cells: tuple[nn.Module, ...] = ()
    head: nn.Module | None = None
    features: nn.Module | None = None

    def to(self, *args: Any, **kwargs: Any) -> BuiltModel:
        """Moves (or casts) the network in place; the parts are its submodules, so they follow."""
        self.module.to(*args, **kwargs)
        return self

    def require_cells(self, proxy: str) -> tuple[nn.Module, ...]:
        if not self.cells:
            raise NotApplicable(f"{proxy} reads the model's cells/blocks; this space's models declare none")
        return self.cells

    def require_features(self, proxy: str) -> nn.Module:
        if self.features is None:
            raise NotApplicable(
                f"{proxy} reads the feature map before the head; this space's models declare none"
            )
        return self.features


def as_built(model: Any) -> BuiltModel:
    """A space's ``build_model`` result as a ``BuiltModel`` (a bare module has no known parts)."""
    return model if isinstance(model, BuiltModel) else BuiltModel(module=model)


def feature_map(built: BuiltModel, x: torch.Tensor, proxy: str) -> torch.Tensor:
    """The output of ``built.features`` when the network runs on ``x`` (the head runs too)."""
    features = built.require_features(proxy)
    seen: list = []
    handle = features.register_forward_hook(lambda _m, _a, out: seen.append(out))
    try:
        built.module(x)
    finally:
        handle.remove()
    if not seen:
        raise NotApplicable(f"{proxy}: the declared feature module did not run in the forward pass")
    return seen[-1]
