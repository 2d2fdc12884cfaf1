"""Warm a sweep worker before its first task.

Importing this module runs three years of a small world with a package (60 firms, 3 counties),
which loads what a process's first run would otherwise load inside the clock: the compiled
functions from numba's disk cache (the decision kernel, the tallies, the moves, prices and
accounts: about 0.08 s of CPU through :mod:`clustersim.jit`, plus a compilation when the cache
is cold) and
the modules the model imports lazily. The local pool's fork server imports it once
(:data:`clustersim.sweep.runner.PRELOAD`), so every worker forked from it starts warm; Dask
workers import it before their first task.
"""

from __future__ import annotations

from clustersim.model import ClusterModel
from clustersim.params import Scenario

WORLD = {
    "name": "warm_up",
    "years": 3,
    "geography": {"counties": 3},
    "firms": {"initial": 60, "births_per_year": 10},
    "packages": {"p": {"land_tiers": [{"min_investment": 5000, "price": 10.0}], "rebate_schedule": [1.0, 0.5]}},
    "regions": [{"name": "county_01", "package": "p", "subsidy_depth": 1.5}],
}


def warm_up() -> ClusterModel:
    """Run the small world (returns the model)."""
    return ClusterModel(Scenario.model_validate(WORLD), seed=0).run()


warm_up()
