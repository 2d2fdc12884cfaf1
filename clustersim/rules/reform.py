"""Governance reform (switch ``counties.governance_reform``): from ``reform_year`` the reforming
counties freeze fees and close part of the gap to ``reform_governance`` each year
(:func:`clustersim.counties.reform`)."""

from __future__ import annotations

from clustersim import counties
from clustersim.rules.base import CountyRule, CountyYear


class Reform(CountyRule):
    name = "reform"

    def apply(self, year: CountyYear) -> None:
        reforming = year.reforming
        if reforming.any():
            r = year.regions
            r.fee_rate, r.governance = counties.reform(r.fee_rate, r.governance, reforming, year.config.counties)
