"""Stylised facts of the instruments of the source texts (issue 12), with fixed seeds.

Each compares paired runs (same seed, one mechanism changed) and requires the mean paired
difference to exceed two standard errors of the mean difference over the seeds (a one-sided test at
about the 2.5 % level under a normal approximation), so that the tolerance follows from the spread
of the runs and not from tuning.
"""

from __future__ import annotations

import numpy as np
from instrument_worlds import texts_world

from clustersim.model import ClusterModel
from clustersim.params import Scenario


def _arrivals(model: ClusterModel, county: str, years: int, who, after: int = 0) -> int:
    """Firms arriving in ``county`` (newborns placed there or movers) for which ``who(table, rows)``
    holds, in years ``after + 1 .. years``."""
    j = model.regions.names.index(county)
    t = model.firms
    n = 0
    for y in range(1, years + 1):
        region, alive = t.region[: t.size].copy(), t.alive[: t.size].copy()
        model.step()
        if y <= after:
            continue
        old = np.arange(region.size)
        came = t.alive[old] & (t.region[old] == j) & ((region != j) | ~alive) & who(t, old)
        new = np.arange(region.size, t.size)
        n += int(came.sum() + (t.alive[new] & (t.region[new] == j) & who(t, new)).sum())
    return n


def _significantly_positive(diff) -> None:
    diff = np.asarray(diff, float)
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert diff.mean() > 2.0 * se, (diff.tolist(), diff.mean(), se)


def test_industrial_real_estate_raises_small_firm_arrivals_of_cash_short_firms():
    """Cash per mu has median 30 wan while a county site costs about 15 + 40 wan/mu at once: with
    industrial real estate (a 10 % deposit) county_02 receives more small firms than with the same
    rebates and land bought outright."""
    diff = []
    for seed in range(4):
        counts = []
        for package in ("ire", "district"):
            w = texts_world(years=8, cash=30.0, growth=None)
            w["regions"] = [r if r["name"] != "county_02" else {"name": "county_02", "package": package}
                            for r in w["regions"]]
            model = ClusterModel(Scenario.model_validate(w), seed=seed)
            counts.append(_arrivals(model, "county_02", 8, lambda t, rows: t.small[rows]))
        diff.append(counts[0] - counts[1])
    _significantly_positive(diff)


def test_an_anchor_deal_raises_arrivals_of_linked_firms_in_the_following_years():
    """A materials anchor (400,000 wan) born in year 2 takes county_01's deal; components and
    assembly firms buy materials, so their supplier access near it rises. Their arrivals in
    county_01 in years 3-10 exceed those of the same runs without the anchor. Supplier access
    decays over 50 km (decay 0.02/km) so that the anchor's pull is local to its county."""
    terms = dict(capital=400000.0, year=2, land_award=100.0, award=100000.0, rebate_share=1.0, rebate_years=10)
    diff = []
    for seed in range(10):
        counts = []
        for deal in (True, False):
            model = ClusterModel(_anchor_world(terms, deal), seed=seed)
            counts.append(_arrivals(model, "county_01", 10, lambda t, rows: t.sector[rows] > 0, after=2))
        diff.append(counts[0] - counts[1])
    _significantly_positive(diff)


def test_without_land_to_grow_growing_firms_stall_or_leave():
    """Growing firms (mean 15 % a year) in counties with land for everyone (10^6 mu) versus
    counties with little room (1,200 mu main and 150 mu standard-factory land for about 1,040 and
    100 mu in use): in the tight ones more firms stall and the capital of the firms that started
    there grows less (stalled firms review their location, so some leave)."""
    stalled_diff, growth_diff = [], []
    for seed in range(4):
        out = []
        for land in (1e6, None):
            w = texts_world(years=6, cash=None, growth=0.15, initial_per_county=30, births=0.0, review_rate=0.0)
            w["firms"]["traits"]["growth_sigma"] = 0.05
            w["packages"]["focal"]["instruments"] = w["packages"]["focal"]["instruments"][:1]
            if land is not None:
                w["geography"]["county"]["land_supply"] = land
                w["geography"]["county"]["standard_factory_supply"] = land
            else:  # room for the initial firms and little more
                w["geography"]["county"]["land_supply"] = 1200.0
                w["geography"]["county"]["standard_factory_supply"] = 150.0
            model = ClusterModel(Scenario.model_validate(w), seed=seed)
            t = model.firms
            start = np.flatnonzero(t.alive[: t.size] & model.regions.is_county[np.maximum(t.region[: t.size], 0)])
            k0 = t.capital[start].copy()
            model.run(6)
            frame = model.model_frame()
            kept = t.alive[start]
            out.append((frame["stalled"].sum(), float(np.log(t.capital[start][kept] / k0[kept]).mean())))
        stalled_diff.append(out[1][0] - out[0][0])
        growth_diff.append(out[0][1] - out[1][1])
    _significantly_positive(stalled_diff)
    _significantly_positive(growth_diff)


def test_an_anchor_deal_raises_supplier_arrivals_through_market_access():
    """The demand pull (clustersim.market_access, gamma_M = 1): an assembly anchor (400,000 wan)
    born in year 2 is offered county_01's deal (an award of 400,000 wan, 100 wan/mu, all retained
    CIT for 10 years). Its suppliers, the sectors it buys from (input_output[r][assembly] > 0:
    materials and components), gain market access near it. Their arrivals in county_01 in years
    3-10 exceed those of the same runs without the anchor. The same runs with gamma_M = 0 give a
    negative mean difference (benchmarks/calibration/anchor_suppliers.py; docs/calibration.md):
    without the demand pull the anchor crowds its suppliers out (wages, land). The award is large
    so that the anchor takes the deal in most seeds: with the 100,000 wan of the test above it goes
    elsewhere in 2 of the 10 seeds and the mean difference, +19.4, is 1.7 standard errors (this
    test's terms were raised once, for that reason, and not tuned further)."""
    terms = dict(sector="assembly", capital=400000.0, year=2, land_award=100.0, award=400000.0, rebate_share=1.0,
                 rebate_years=10)
    diff = []
    for seed in range(10):
        counts = []
        for deal in (True, False):
            sc = _anchor_world(terms, deal, market=1.0)
            names = list(sc.sectors.names)
            buys = np.array(sc.sectors.input_output)[:, names.index("assembly")] > 0
            assert buys.sum() == 2
            model = ClusterModel(sc, seed=seed)
            counts.append(_arrivals(model, "county_01", 10, lambda t, rows, buys=buys: buys[t.sector[rows]], after=2))
        diff.append(counts[0] - counts[1])
    _significantly_positive(diff)


def _anchor_world(terms: dict, deal: bool, market: float = 0.0) -> Scenario:
    """A 10-year texts world with an anchor (``terms``), strong local supplier access (decay
    0.02/km), room and labour for all, county_02 offering the district package; without the
    ``deal`` county_01 offers only its first instrument."""
    w = texts_world(years=10, cash=None, growth=None, anchor=terms, coast_land=6000.0)
    w["agglomeration"]["supplier"] = 1.0
    w["agglomeration"]["market"] = market
    w["transport"]["supplier_decay_per_km"] = 0.02
    w["geography"]["county"]["land_supply"] = 10000.0
    w["geography"]["county"]["labour_pool"] = 100000.0
    w["regions"] = [r if r["name"] != "county_02" else {"name": "county_02", "package": "district"}
                    for r in w["regions"]]
    if not deal:
        w["packages"]["focal"]["instruments"] = w["packages"]["focal"]["instruments"][:1]
    return Scenario.model_validate(w)
