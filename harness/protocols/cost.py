"""P18: cost of a proxy per architecture (wall and CPU time) and for the whole space."""

from __future__ import annotations

import numpy as np

from nas_harness.leaderboard.schema import CostRecord

from ..engine import ScoreTable


def cost_record(table: ScoreTable, space_size: int | None) -> CostRecord:
    """Times from the score records (the store keeps wall_s and cpu_s of every score)."""
    wall = np.array([r.wall_s for r in table.records if r.wall_s is not None], dtype=float)
    cpu = np.array([r.cpu_s for r in table.records if r.cpu_s is not None], dtype=float)
    mean = float(wall.mean()) if wall.size else None
    return CostRecord(
        timed=int(wall.size),
        wall_mean_s=mean,
        wall_median_s=float(np.median(wall)) if wall.size else None,
        cpu_mean_s=float(cpu.mean()) if cpu.size else None,
        space_size=space_size,
        space_wall_h=mean * space_size / 3600 if mean is not None and space_size else None,
    )
