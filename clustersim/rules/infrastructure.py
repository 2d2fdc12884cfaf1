"""Infrastructure investment: ``I <- I (1 - dep) + (1 - I) inv / (inv + c_I)`` with this year's
infrastructure spending; each wan invested also opens ``land_per_infrastructure`` mu of land
(:func:`clustersim.counties.invest_in_infrastructure`)."""

from __future__ import annotations

import numpy as np

from clustersim import counties
from clustersim.rules.base import CountyRule, CountyYear


class Infrastructure(CountyRule):
    name = "infrastructure"

    def apply(self, year: CountyYear) -> None:
        r, cp = year.regions, year.config.counties
        county = r.is_county
        inv = r.flows["infrastructure_spending"]
        r.infrastructure = np.where(county, counties.invest_in_infrastructure(r.infrastructure, inv, cp),
                                    r.infrastructure)
        r.land_supply = r.land_supply + np.where(county, cp.land_per_infrastructure * inv, 0.0)
