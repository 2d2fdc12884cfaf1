"""Anchor-firm deals (Texts 1, 3, 4: "bring in a dragon-head firm and let its suppliers follow").

One large firm, the **anchor**, is born on the coast in model year ``year`` (the first newborn
of that year is made the anchor: sector ``sector``, capital ``capital`` wan, productivity
``productivity``, land ``K / k_s``, employment ``K / (K per worker)_s``; never a small firm) and
chooses its location like every firm. A county whose package lists this instrument offers it a
bespoke deal, scaled by the county's subsidy depth D (0: no deal):

* ``land_award`` wan per mu of its land and a one-off ``award`` (wan), paid on arrival (flow
  ``anchor_awards``, an incentive);
* ``rebate_share`` of the county's retained corporate income tax in its first ``rebate_years``
  years of residence (flow ``anchor_rebates``).

Firms linked to the anchor through the input-output matrix respond through the agglomeration
equations (supplier access: a firm gains from its suppliers' output nearby), so the firms that
follow an upstream anchor are its customers. The anchor's identity (``sector``, ``capital``,
``productivity``, ``year``) must be the same in every package that lists it (one anchor).

Location value: per profile (anchor or not), nonzero only for the anchor: untaxed ``D (land_award
l + award)`` (one land-column term ``D (land_award + award / l)``: the anchor's profile holds it
alone), tax refund ``D lambda_c rebate_share PV(rebate_years)``; staying, the rebates still
owed. Reported every year (``model_frame()``): ``anchor_region`` (index, -1: not placed),
``anchor_output_share`` (the anchor's share of its host county's firm revenue) and
``anchor_revenue_share`` (its share of the host's own fiscal revenue: taxes, fees and revenue
flows, without transfers) and ``anchor_in_focal``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from clustersim.firms import Column
from clustersim.instruments.base import (
    Arrival,
    Birth,
    FirmTerms,
    FirmYear,
    Flow,
    Instrument,
    InstrumentError,
    Offer,
    Term,
    instrument_field,
)


class AnchorParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    sector: str = Field(description="the anchor's sector (a name in sectors.names)")
    capital: Annotated[float, Field(gt=0.0)] = Field(description="the anchor's fixed-asset investment, wan")
    productivity: Annotated[float, Field(gt=0.0)] = Field(default=1.0, description="the anchor's productivity z")
    year: Annotated[int, Field(ge=1, le=500)] = Field(default=1, description="model year the anchor is born")
    land_award: Annotated[float, Field(ge=0.0)] = Field(default=0.0, description="award per mu of its land, wan/mu")
    award: Annotated[float, Field(ge=0.0)] = Field(default=0.0, description="one-off award on arrival, wan")
    rebate_share: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        default=0.0, description="share of the county's retained CIT paid back")
    rebate_years: Annotated[int, Field(ge=0, le=50)] = Field(default=0, description="years of residence with rebate")


IDENTITY = ("sector", "capital", "productivity", "year")


class AnchorDeal(Instrument):
    name = "anchor"
    Params = AnchorParams
    flows = (Flow("anchor_awards", "incentive", "land and one-off awards of the anchor deal"),
             Flow("anchor_rebates", "incentive", "tax rebates of the anchor deal"))
    firm_columns: ClassVar = {"anchor": Column(np.int8, 0, public=True, decides=True)}

    def __init__(self, params, book):
        super().__init__(params, book)
        used = [p for p in params if p is not None]
        first = used[0]
        for p in used[1:]:
            for k in IDENTITY:
                if getattr(p, k) != getattr(first, k):
                    allowed = f"anchor deals name one anchor: every package must give {getattr(first, k)!r}"
                    raise InstrumentError(instrument_field(book, type(self), k), getattr(p, k), allowed)
        scenario = getattr(book, "scenario", None)
        if scenario is not None and first.sector not in scenario.sectors.names:
            raise InstrumentError(instrument_field(book, type(self), "sector"), first.sector,
                                  f"must be one of sectors.names {list(scenario.sectors.names)}")
        self.who = first
        self.land_award = np.array([0.0 if p is None else p.land_award for p in params])
        self.award = np.array([0.0 if p is None else p.award for p in params])
        self.share = np.array([0.0 if p is None else p.rebate_share for p in params])
        self.years = np.array([0 if p is None else p.rebate_years for p in params], dtype=np.int64)
        self.born_yet = False
        self._year = None  # (host, anchor revenue, host firm revenue) of the last accounts

    # -- the anchor's birth
    def born(self, birth: Birth) -> None:
        if self.born_yet or birth.year < self.who.year or birth.rows.size == 0:
            return
        sc = birth.scenario
        s = list(sc.sectors.names).index(self.who.sector)  # checked when bound
        t, row = birth.table, int(birth.rows[0])
        t.sector[row] = s
        t.capital[row] = self.who.capital
        t.land[row] = self.who.capital / sc.sectors.investment_intensity[s]
        t.employment[row] = self.who.capital / sc.sectors.capital_per_worker[s]
        t.productivity[row] = self.who.productivity
        t.small[row] = False
        t.anchor[row] = 1
        if hasattr(t, "cash_per_mu"):  # an anchor is not short of cash
            t.cash_per_mu[row] = 1e9
        if hasattr(t, "plot_ratio"):
            t.plot_ratio[row] = max(float(t.plot_ratio[row]), 1.2)
        self.born_yet = True

    # -- the location decision
    def profile(self, f):
        return f.anchor.astype(np.int64)

    @staticmethod
    def _pv(years: np.ndarray, discount: np.ndarray) -> np.ndarray:
        cum = np.concatenate([[0.0], np.cumsum(discount)])
        return cum[np.clip(years, 0, discount.size)]

    def terms(self, offer: Offer) -> list[Term]:
        cs = offer.cs
        pkg, depth = cs.package, cs.depth_offered
        rep = offer.rep
        is_anchor = (rep.anchor > 0)[:, None]
        # the one-off award rides on the land column (award / l per mu): the anchor's profile holds
        # the anchor alone, so this is exact, and the kernel lays out one per-profile column fewer
        per_mu = depth[None, :] * (self.land_award[pkg][None, :]
                                   + self.award[pkg][None, :] / np.where(is_anchor, rep.land[:, None], 1.0))
        land = np.where(is_anchor, per_mu, 0.0)
        rf = np.where(is_anchor, (depth * cs.county_cit_share * self.share[pkg]
                                  * self._pv(self.years[pkg], cs.discount))[None, :], 0.0)
        return [Term("land", land, "untaxed", per_profile=True), Term("tax", rf, "tax_refund", per_profile=True)]

    def stay(self, offer, cur, staying, revenue):
        f, cs = offer.f, offer.cs
        has = staying & (f.anchor > 0) & (f.package >= 0)
        if not has.any():
            return None
        p = np.where(has, f.package, 0).astype(np.int64)
        cum = np.concatenate([[0.0], np.cumsum(cs.discount)])
        left = np.clip(self.years[p] - f.years, 0, cs.discount.size)
        refund = np.where(has, f.package_depth * cs.county_cit_share * self.share[p] * cum[left], 0.0)
        return FirmTerms(tax_refund=refund)

    def firm_terms(self, cs, f, i, j) -> FirmTerms:
        p = self.params[int(cs.package[j])]
        if p is None or int(f.anchor[i]) == 0:
            return FirmTerms()
        d = float(cs.depth_offered[j])
        pv = sum(float(x) for x in cs.discount[:p.rebate_years])
        return FirmTerms(untaxed=d * (p.land_award * float(f.land[i]) + p.award),
                         tax_refund=d * cs.county_cit_share * p.rebate_share * pv)

    def firm_stay(self, cs, f, i) -> FirmTerms:
        locked = int(f.package[i])
        if int(f.anchor[i]) == 0 or locked < 0 or self.params[locked] is None:
            return FirmTerms()
        p = self.params[locked]
        done = int(f.years[i])
        pv = sum(float(cs.discount[t - 1]) for t in range(1, len(cs.discount) + 1) if done + t <= p.rebate_years)
        return FirmTerms(tax_refund=float(f.package_depth[i]) * cs.county_cit_share * p.rebate_share * pv)

    # -- arrivals and the yearly accounts
    def arrive(self, arrival: Arrival) -> dict[str, np.ndarray]:
        t, rows = arrival.table, arrival.rows
        pkg = arrival.cs.package[arrival.dest]
        depth = np.where(t.package[rows] >= 0, t.package_depth[rows], 0.0)
        paid = np.where(t.anchor[rows] > 0, depth * (self.land_award[pkg] * t.land[rows] + self.award[pkg]), 0.0)
        return {"anchor_awards": arrival.by_region(paid)}

    def payments(self, year: FirmYear) -> dict[str, np.ndarray]:
        anchor = year.column("anchor") > 0
        pkg = np.maximum(year.column("package").astype(np.int64), 0)
        k = year.column("years").astype(np.int64) + 1
        owed = anchor & (year.column("package") >= 0) & (k <= self.years[pkg])
        rebate = np.where(owed, year.column("package_depth") * self.share[pkg] * year.county_cit_share * year.cit, 0.0)
        if anchor.any():
            i = int(np.flatnonzero(anchor)[0])
            host = int(year.region[i])
            here = year.region == host
            self._year = (host, float(year.revenue[i]), float(year.revenue[here].sum()))
        else:
            self._year = None
        return {"anchor_rebates": rebate}

    def payment_years(self, package: int) -> int:
        p = self.params[package]
        return 0 if p is None else p.rebate_years

    def report(self, model) -> dict[str, float]:
        t = model.firms
        live = np.flatnonzero(t.alive[:t.size] & (t.anchor[:t.size] > 0) & (t.region[:t.size] >= 0))
        out = {"anchor_region": -1.0, "anchor_in_focal": 0.0, "anchor_output_share": 0.0, "anchor_revenue_share": 0.0}
        if live.size == 0 or self._year is None:
            return out
        row = int(live[0])
        host, revenue, host_revenue = self._year
        if int(t.region[row]) != host:  # it moved after the accounts: shares are of last year's host
            host = int(t.region[row])
        f = model.regions.flows
        own = f["revenue"][host] - f["transfers"][host]
        fiscal = float(t.retained_tax[row]) + model.regions.fee_rate[host] * revenue
        out.update(anchor_region=float(host), anchor_in_focal=float(host == model.focal),
                   anchor_output_share=revenue / host_revenue if host_revenue > 0 else 0.0,
                   anchor_revenue_share=fiscal / own if own > 0 else 0.0)
        return out
