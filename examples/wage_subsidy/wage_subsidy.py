"""A wage subsidy per job: the worked example of a third-party instrument (docs/extending.md).

A county pays ``per_job`` wan a year for each worker of a firm that arrived under its package,
in the firm's first ``years`` years of residence, scaled by the subsidy depth locked in on
arrival. The subsidy is taxable income: it enters the firm's pre-tax profit before corporate
income tax (so the county's rebates, a share of that tax, grow with it).

* location value: a taxable ``employment`` term, ``D_j per_job PV(years)`` per worker;
* staying: the present value of the subsidy years still ahead;
* yearly: ``D per_job e`` while the year of residence is at most ``years`` (ledger flow
  ``wage_subsidies``, an incentive the host county pays).

Use it in a scenario (this folder's ``scenario.toml``)::

    [[packages.district.instruments]]
    use = "wage_subsidy:WageSubsidy"
    per_job = 0.3
    years = 3
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from clustersim.instruments.base import FirmTerms, FirmYear, Flow, Instrument, Offer, Term, locked_view


class WageSubsidyParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    per_job: Annotated[float, Field(ge=0.0)] = Field(description="subsidy per worker and year, wan")
    years: Annotated[int, Field(ge=0, le=50)] = Field(description="years of residence in which it is paid")


class WageSubsidy(Instrument):
    name = "wage_subsidy"
    Params = WageSubsidyParams
    flows = (Flow("wage_subsidies", "incentive", "wage subsidies paid to firms, per job"),)

    def __init__(self, params, book):
        super().__init__(params, book)
        self.per_job = np.array([0.0 if p is None else p.per_job for p in params])
        self.years = np.array([0 if p is None else p.years for p in params], dtype=np.int64)

    @staticmethod
    def _pv(years_left: np.ndarray, discount: np.ndarray) -> np.ndarray:
        """PV of one wan a year over the next ``years_left`` years (within the horizon)."""
        cum = np.concatenate([[0.0], np.cumsum(discount)])
        return cum[np.clip(years_left, 0, discount.size)]

    # -- the location decision
    def terms(self, offer: Offer) -> list[Term]:
        cs = offer.cs
        pkg = cs.package
        per_worker = cs.depth_offered * self.per_job[pkg] * self._pv(self.years[pkg], cs.discount)
        return [Term("employment", per_worker, "taxable")]

    def stay(self, offer, cur, staying, revenue):
        cs, f = offer.cs, offer.f
        has, p = locked_view(f, staying)
        if not (has & (self.per_job[p] > 0)).any():
            return None
        left = self._pv(self.years[p] - f.years, cs.discount)
        return FirmTerms(taxable=np.where(has, f.package_depth * self.per_job[p] * left * f.employment, 0.0))

    # -- the per-firm reference: plain loops over the parameters
    def _firm_pv(self, package: int, discount, years_done: int) -> float:
        p = self.params[package]
        if p is None:
            return 0.0
        return p.per_job * sum(d for t, d in enumerate(discount, start=1) if years_done + t <= p.years)

    def firm_terms(self, cs, f, i, j) -> FirmTerms:
        pv = self._firm_pv(int(cs.package[j]), cs.discount, 0)
        return FirmTerms(taxable=float(cs.depth_offered[j]) * pv * float(f.employment[i]))

    def firm_stay(self, cs, f, i) -> FirmTerms:
        locked = int(f.package[i])
        if locked < 0:
            return FirmTerms()
        pv = self._firm_pv(locked, cs.discount, int(f.years[i]))
        return FirmTerms(taxable=float(f.package_depth[i]) * pv * float(f.employment[i]))

    # -- the yearly accounts
    def taxable_payments(self, year: FirmYear) -> dict[str, np.ndarray]:
        pkg = year.column("package").astype(np.int64)
        p = np.maximum(pkg, 0)
        paid = (pkg >= 0) & (year.column("years") + 1 <= self.years[p])
        amount = np.where(paid, year.column("package_depth") * self.per_job[p] * year.column("employment"), 0.0)
        return {"wage_subsidies": amount}

    def payment_years(self, package: int) -> int:
        p = self.params[package]
        return p.years if p is not None and p.per_job > 0 else 0
