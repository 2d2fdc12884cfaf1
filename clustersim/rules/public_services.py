"""Public services and migration: this year's public-service spending sets the service level,
which speeds up migration toward the labour demand (:func:`clustersim.markets.migrate`).

The rule runs once a year on a few dozen regions, where the numpy calls of that formulation cost
more than their arithmetic: :func:`_migrate` does the same operations in the same order in one
compiled pass (numpy's ``maximum`` and ``minimum``, nan propagating), so the same bits
(``tests/test_county_rules_compiled.py``)."""

from __future__ import annotations

import numpy as np

from clustersim.jit import compiled
from clustersim.markets import EMPLOYMENT_TARGET
from clustersim.rules.base import CountyRule, CountyYear


@compiled()
def _migrate(spending, labour_pool, employment, cost, rate, effect, target, new_pool):
    """:func:`clustersim.markets.service_level` of ``spending`` and :func:`clustersim.markets.migrate`
    of the labour pool into ``new_pool``."""
    for j in range(labour_pool.size):
        p = spending[j]
        p = p if (p >= 0.0 or p != p) else 0.0  # np.maximum(p, 0.0)
        services = p / (p + cost)
        pool = labour_pool[j]
        gap = employment[j] / target - pool
        gap = 0.0 if gap <= 0.0 else gap  # np.maximum(0.0, gap): nan kept (it compares false)
        speed = rate * (1.0 + effect * services)
        speed = 1.0 if speed >= 1.0 else speed  # np.minimum(1.0, speed): nan kept
        new_pool[j] = pool + speed * gap


class PublicServices(CountyRule):
    name = "public_services"

    def apply(self, year: CountyYear) -> None:
        r, m = year.regions, year.config.markets
        pool = np.empty(r.n)
        _migrate(r.flows["public_services"], r.labour_pool, r.employment, float(m.public_service_cost),
                 float(m.migration_rate), float(m.public_service_effect), EMPLOYMENT_TARGET, pool)
        r.labour_pool = pool
