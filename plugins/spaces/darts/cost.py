"""Analytic parameters and MACs of the DARTS network (``model.py``), with no model built.

Parameters are those of ``DartsNetwork(..., bn=True)``: conv weights (no biases), BatchNorm
scale and shift, the classifier's weight and bias. MACs are counted for one image as NB201 and
NAS-Bench-Suite-Zero count them: every conv (k·k·c_in/groups·c_out per output position) and the
classifier (in·out + out); pooling, BN, ReLU and additions are free.

The skeleton (cell kinds, channels, resolutions) is in ``skeleton``; a topology descriptor is
built from it by the space.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .genotype import N_INPUTS, NODES, Cell, Genotype


@dataclass(frozen=True)
class CellShape:
    index: int
    reduction: bool
    reduction_prev: bool
    c_pp: int  # channels of input 0 (before preprocessing)
    c_p: int  # channels of input 1
    c: int  # channels of every node
    hw_pp: int  # side of input 0
    hw_in: int  # side of input 1 (and of the preprocessed inputs)
    hw_out: int  # side of the nodes

    @property
    def c_out(self) -> int:
        return len(NODES) * self.c


def _half(hw: int) -> int:
    return (hw + 1) // 2


@functools.cache
def skeleton(c: int, layers: int, hw: int) -> tuple[CellShape, ...]:
    from .model import reduction_layers

    c_stem = 3 * c
    c_pp, c_p, c_cur = c_stem, c_stem, c
    hw_pp, hw_p = hw, hw
    out = []
    reduction_prev = False
    for i in range(layers):
        reduction = i in reduction_layers(layers)
        if reduction:
            c_cur *= 2
        hw_out = _half(hw_p) if reduction else hw_p
        shape = CellShape(i, reduction, reduction_prev, c_pp, c_p, c_cur, hw_pp, hw_p, hw_out)
        out.append(shape)
        reduction_prev = reduction
        c_pp, c_p = c_p, shape.c_out
        hw_pp, hw_p = hw_p, hw_out
    return tuple(out)


def op_cost(op: str, c: int, stride: int, hw_out: int, affine: bool = True) -> tuple[int, int]:
    """(params, MACs) of one edge op on ``c`` channels producing a ``hw_out`` square map."""
    area = hw_out * hw_out
    bn = 2 * c if affine else 0
    if op in ("none", "avg_pool_3x3", "max_pool_3x3") or (op == "skip_connect" and stride == 1):
        return 0, 0
    if op == "skip_connect":  # factorized reduction: two c→c/2 1×1 convs + BN
        return c * c + bn, c * c * area
    k = int(op[-1])
    unit_p = c * k * k + c * c + bn  # depthwise k×k, pointwise 1×1, BN
    unit_f = (c * k * k + c * c) * area
    if op.startswith("sep_conv_"):
        return 2 * unit_p, 2 * unit_f
    if op.startswith("dil_conv_"):
        return unit_p, unit_f
    raise ValueError(f"unknown DARTS op {op!r}")


def cell_cost(cell: Cell, s: CellShape, affine: bool = True) -> tuple[int, int]:
    area_in = s.hw_in * s.hw_in
    # preprocess0 (ReLU-conv1x1-BN, or factorized reduction: same weights) and preprocess1
    params = s.c_pp * s.c + 2 * s.c + s.c_p * s.c + 2 * s.c
    flops = s.c_pp * s.c * area_in + s.c_p * s.c * area_in
    for node in cell:
        for op, src in node:
            stride = 2 if s.reduction and src < N_INPUTS else 1
            p, f = op_cost(op, s.c, stride, s.hw_out, affine)
            params, flops = params + p, flops + f
    return params, flops


@functools.lru_cache(maxsize=65536)
def cost(g: Genotype, c: int, layers: int, hw: int, num_classes: int, affine: bool = True) -> tuple[int, int]:
    """(params, MACs) of ``DartsNetwork(g, num_classes, c=c, layers=layers, affine=affine)``, hw×hw image."""
    c_stem = 3 * c
    params = 3 * c_stem * 9 + 2 * c_stem
    flops = 3 * c_stem * 9 * hw * hw
    shapes = skeleton(c, layers, hw)
    for s in shapes:
        p, f = cell_cost(g.reduce if s.reduction else g.normal, s, affine)
        params, flops = params + p, flops + f
    c_last = shapes[-1].c_out if shapes else c_stem
    params += c_last * num_classes + num_classes
    flops += c_last * num_classes + num_classes
    return params, flops
