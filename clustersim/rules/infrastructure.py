"""Infrastructure investment: ``I <- I (1 - dep) + (1 - I) inv / (inv + c_I)`` with this year's
infrastructure spending; each wan invested also opens ``land_per_infrastructure`` mu of land
(:func:`clustersim.counties.invest_in_infrastructure`).

The rule runs once a year on a few dozen regions, where the half-dozen numpy calls of that
formulation cost more than their arithmetic: :func:`_invest` does the same operations in the same
order in one compiled pass, so the same bits (``tests/test_county_rules_compiled.py``)."""

from __future__ import annotations

import numpy as np

from clustersim.jit import compiled
from clustersim.rules.base import CountyRule, CountyYear


@compiled()
def _invest(is_origin, infrastructure, investment, land_supply, keep, cost, land_per_wan, new_infrastructure,
            new_land_supply):
    """Counties: ``I keep + (1 - I) inv / (inv + cost)`` (``keep`` = 1 - depreciation) and land supply
    ``+ land_per_wan inv``; origins: I unchanged, land supply ``+ 0.0`` (as ``np.where(county, .., 0.0)``)."""
    for j in range(infrastructure.size):
        i = infrastructure[j]
        if is_origin[j]:
            new_infrastructure[j] = i
            new_land_supply[j] = land_supply[j] + 0.0
        else:
            inv = investment[j]
            new_infrastructure[j] = i * keep + (1.0 - i) * (inv / (inv + cost))
            new_land_supply[j] = land_supply[j] + land_per_wan * inv


class Infrastructure(CountyRule):
    name = "infrastructure"

    def apply(self, year: CountyYear) -> None:
        r, cp = year.regions, year.config.counties
        n = r.n
        infrastructure, land_supply = np.empty(n), np.empty(n)
        _invest(r.is_origin, r.infrastructure, r.flows["infrastructure_spending"], r.land_supply,
                1.0 - cp.infrastructure_depreciation, float(cp.infrastructure_cost), float(cp.land_per_infrastructure),
                infrastructure, land_supply)
        r.infrastructure, r.land_supply = infrastructure, land_supply
