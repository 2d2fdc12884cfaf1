"""Evaluate a package on the demo world (scenarios/held_package.toml, county_01 among seven rivals):
the package is the district's land tiers and rebates (docs/policy.md) at a depth, for a duration, with
instruments the search may switch off, at the county's fee; it is tried in ``K`` uncertainty worlds
(Latin hypercube over agglomeration strength and supplier transport cost, scipy.stats.qmc, fixed by
``world_seed``), ``R`` runs each, on the lab's shared process pool.

Each run's seed comes from the sweep's own rule (:func:`clustersim.sweep.design.run_seed` of
``sweep_seed``, the world and the replicate), so every package meets the same worlds and the same
random draws (common random numbers), and a confirmation with another ``sweep_seed`` uses fresh ones.
Cost: the present value of the focal county's incentives paid, year ``t`` discounted by
``(1 + DISCOUNT_RATE)^-t`` (wan).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from clustersim.lab.form import BASE_SCENARIO
from clustersim.optimise.search import Evaluation

__all__ = ["DISCOUNT_RATE", "DemoWorld", "run_world"]

#: yearly discount rate of the county's incentive payments (about the yield of local government bonds)
DISCOUNT_RATE = 0.03
#: uncertainty -> (parameters it sets, range) as in experiments/sensitivity.toml
UNCERTAINTIES: dict[str, tuple[tuple[str, ...], tuple[float, float]]] = {
    "agglomeration": (("agglomeration.localisation", "agglomeration.supplier"), (0.12, 0.36)),
    "transport_cost": (("transport.supplier_decay_per_km",), (0.002, 0.008)),
}
_FULL = {"land_tiers": [{"min_investment": 20000, "price": 12.5}, {"min_investment": 10000, "price": 13.5},
                        {"min_investment": 5000, "price": 14.0}],
         "standard_factory_price": 14.5, "rebate_schedule": [1.0, 1.0, 1.0, 0.5, 0.5],
         "standard_factory_rebate_schedule": [1.0, 1.0, 0.5, 0.5], "standard_factory_rebate_min_investment": 2025,
         "fee_waiver": 1.0, "fee_waiver_years": 5, "relocation_award": 0.02}
_PARTS = {"land": ("land_tiers", "standard_factory_price"),
          "rebates": ("rebate_schedule", "standard_factory_rebate_schedule"),
          "fee_refund": ("fee_waiver", "fee_waiver_years"), "award": ("relocation_award",)}


def package_overrides(params: Mapping[str, Any], fee: float, focal_index: int) -> dict[str, Any]:
    """Dotted scenario overrides for a searched package (``use_<instrument>`` False drops it);
    ``focal_index``: the focal county's position in the scenario's ``[[regions]]``."""
    pkg: dict[str, Any] = {"description": "searched package", "start_year": 1,
                           "duration_years": int(params["duration"]), **_FULL}
    for name, keys in _PARTS.items():
        if params.get(f"use_{name}", True) is False:
            for key in keys:
                pkg.pop(key)
    focal = f"regions.{focal_index}"
    return {"packages.searched": pkg, f"{focal}.package": "searched", f"{focal}.subsidy_depth": float(params["depth"]),
            f"{focal}.fee_rate": float(params.get("fee", fee))}


def run_world(base: Any, overrides: Mapping[str, Any], seed: int, years: int) -> tuple[bool, float]:
    """One run: (took off, present value of incentives paid in wan). Runs in a pool worker."""
    from clustersim import outputs
    from clustersim.scenario import apply_overrides, build_model

    scenario = apply_overrides(base, {**overrides, "seed": int(seed), "years": int(years)}, source="optimise")
    model = build_model(scenario, source=BASE_SCENARIO)
    model.run()
    frame = model.model_frame()
    paid = frame["focal_incentives"].to_numpy(float)
    years_ = frame["year"].to_numpy(float) if "year" in frame else np.arange(len(paid), dtype=float)
    pv = float((paid / (1 + DISCOUNT_RATE) ** years_).sum())
    return bool(outputs.focal_take_off(model, frame).took_off), pv


@dataclass
class DemoWorld:
    """Evaluator of packages on the demo world (module docstring)."""

    worlds: int = 4
    replicates: int = 4
    years: int = 40
    fee: float = 0.02
    sweep_seed: int = 20261206
    world_seed: int = 11
    points: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(UNCERTAINTIES), seed=self.world_seed).random(self.worlds)
        lows = [r[0] for _p, r in UNCERTAINTIES.values()]
        highs = [r[1] for _p, r in UNCERTAINTIES.values()]
        self.points = qmc.scale(unit, lows, highs)

    def world_overrides(self, k: int) -> dict[str, float]:
        out: dict[str, float] = {}
        for (params, _r), value in zip(UNCERTAINTIES.values(), self.points[k], strict=True):
            out.update({p: float(value) for p in params})
        return out

    def __call__(self, params: Mapping[str, Any]) -> Evaluation:
        from clustersim.lab.runner import shared_pool
        from clustersim.scenario import load_scenario
        from clustersim.sweep.design import run_seed

        base = load_scenario(BASE_SCENARIO)
        focal_index = next(i for i, r in enumerate(base.regions) if r.name == base.focal_county)
        package = package_overrides(params, self.fee, focal_index)
        jobs = []
        pool = shared_pool()
        for k in range(self.worlds):
            world = self.world_overrides(k)
            pid = hashlib.sha256(repr(sorted(world.items())).encode()).hexdigest()[:16]
            for r in range(self.replicates):
                jobs.append((k, pool.submit(run_world, base, {**package, **world}, run_seed(self.sweep_seed, pid, r),
                                            self.years)))
        took = np.zeros((self.worlds, self.replicates))
        costs = []
        counts = np.zeros(self.worlds, int)
        for k, future in jobs:
            off, pv = future.result()
            took[k, counts[k]] = off
            counts[k] += 1
            costs.append(pv)
        return Evaluation(params=dict(params), world_shares=[float(x) for x in took.mean(axis=1)],
                          runs_per_world=self.replicates, costs=costs)
