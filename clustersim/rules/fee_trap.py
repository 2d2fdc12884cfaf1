"""The fee trap (switch ``counties.fee_trap``): a county whose year ended in deficit raises its
fee; where fees are a large share of its own revenue (taxes, fees and the instruments' revenue
flows, e.g. land sales) governance erodes (:func:`clustersim.counties.fee_trap`). Reforming
counties are exempt."""

from __future__ import annotations

import numpy as np

from clustersim import counties
from clustersim.rules.base import CountyRule, CountyYear


class FeeTrap(CountyRule):
    name = "fee_trap"

    def apply(self, year: CountyYear) -> None:
        r, cp = year.regions, year.config.counties
        if not cp.fee_trap:
            return
        f = r.flows
        own = f["taxes"] + f["fees"]
        for name in year.revenue_flows:
            own = own + f[name]
        dependence = np.where(own > 0, f["fees"] / np.where(own > 0, own, 1.0), 0.0)
        deficit = f["revenue"] < f["spending"]
        r.fee_rate, r.governance = counties.fee_trap(r.fee_rate, r.governance, deficit, dependence,
                                                     r.is_county & ~year.reforming, cp)
