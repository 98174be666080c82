"""Proxies whose score is not a real number, though ``float()`` would take most of them."""

from __future__ import annotations

import numpy as np
import torch

from nas_harness.api import Needs

from .common import CheatBase, arch_noise

ODD_VALUES = {
    "odd_str": lambda x: str(x),
    "odd_tensor": lambda x: torch.tensor(x),
    "odd_bool": lambda x: x > 0.5,
    "odd_np_bool": lambda x: np.bool_(x > 0.5),
    "odd_none": lambda x: None,
    "odd_list": lambda x: [x],
    "odd_array": lambda x: np.array(x),
    "odd_complex": lambda x: complex(x, 0),
}


def _odd(name: str, make):
    def score(self, ctx):
        return make(arch_noise(ctx.arch))

    cls = type(
        name.title().replace("_", ""),
        (CheatBase,),
        {
            "name": name,
            "needs": frozenset({Needs.MODEL}),
            "score": score,
            "__module__": __name__,
            "summary": f"returns a {name[4:]} instead of a number",
        },
    )
    globals()[cls.__name__] = cls
    return cls


ODD_TYPES = tuple(_odd(name, make) for name, make in ODD_VALUES.items())
