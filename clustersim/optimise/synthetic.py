"""A synthetic cheapest-package problem with a known optimum, for tests and benchmarks.

World ``k`` shifts the dose at which take-off becomes likely by ``u_k``; the take-off share in a world
is exactly ``1 / (1 + exp(-slope (depth + w duration - c - u_k)))`` (infinitely many replicates),
and the cost is ``unit × (depth × duration + admin × (duration - 8)²)`` (wan), the same in every
run: short packages must be deep, long ones pay their administration, so the optimum is inside the
grid. The optimum over the grid is found by enumerating it (:func:`grid_optimum`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from clustersim.optimise.search import Evaluation, Levers

__all__ = ["Synthetic"]


@dataclass(frozen=True)
class Synthetic:
    shifts: tuple[float, ...] = (-0.6, -0.3, 0.0, 0.2, 0.5, 0.8, 1.1, 1.5)
    slope: float = 3.0
    weight: float = 0.15
    centre: float = 2.5
    unit: float = 1000.0
    admin: float = 0.5

    def __call__(self, params: Mapping[str, Any]) -> Evaluation:
        dose = params["depth"] + self.weight * params["duration"] - self.centre
        shares = 1.0 / (1.0 + np.exp(-self.slope * (dose - np.asarray(self.shifts))))
        return Evaluation(params=dict(params), world_shares=[float(s) for s in shares], runs_per_world=0,
                          costs=[self.unit * (params["depth"] * params["duration"]
                                                     + self.admin * (params["duration"] - 8) ** 2)])

    def grid_optimum(self, levers: Levers, target: float, quantile: float) -> Evaluation:
        lo, hi, step = levers.depth
        depths = np.round(np.arange(lo, hi + step / 2, step), 10)
        best = None
        for d, t in itertools.product(depths, range(levers.duration[0], levers.duration[1] + 1)):
            ev = self({"depth": float(d), "duration": t}).finish(quantile)
            if ev.robust_p >= target and (best is None or ev.cost < best.cost):
                best = ev
        if best is None:
            raise ValueError("no package on the grid reaches the target")
        return best
