"""Strategic competition (switch ``counties.strategic_competition``): every county moves its
subsidy depth toward the depth of last year's winner of arriving firms
(:func:`clustersim.counties.compete`)."""

from __future__ import annotations

from clustersim import counties
from clustersim.rules.base import CountyRule, CountyYear


class Competition(CountyRule):
    name = "competition"

    def apply(self, year: CountyYear) -> None:
        cp = year.config.counties
        if cp.strategic_competition:
            r = year.regions
            r.depth = counties.compete(r.depth, r.arrivals, r.is_county, cp)
