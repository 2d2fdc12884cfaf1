"""What the scenarios of the source texts show (docs/calibration.md, "Instruments of the source
texts"): each new scenario against its comparison, 40 years (seeds 0-4; the anchor: seeds 0-9).

* ``ire``: scenarios/industrial_real_estate.toml; ``ire_land``: the same with county_01's package
  ``district_land`` (the same rebates and entry standards, land bought outright);
* ``anchor_deal``: scenarios/anchor_firm.toml; ``anchor_declined``: the same anchor offered nothing;
  ``anchor_no_market``: the deal without market access (agglomeration.market = 0). Arrivals in
  county_01 of the anchor's suppliers (the sectors it buys from) and customers (the sectors buying
  from it) in the ten years after its birth; when it arrives and leaves (-1: never), and its
  largest shares of county_01's firm revenue and own fiscal revenue.

Prints one line of means per variant and writes every seed's values to ``texts_scenarios.json``
in the working directory. Usage: ``python benchmarks/calibration/texts_scenarios.py [variant ...]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from clustersim.model import ClusterModel
from clustersim.outputs import park_and_specialisation
from clustersim.params import Scenario
from clustersim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SEEDS = range(5)
ANCHOR_SEEDS = range(10)
YEARS = 40


def small_arrivals(m: ClusterModel, years: int, county: str) -> int:
    """Run ``years`` years, counting small firms arriving in ``county`` (newborns or movers)."""
    j = m.regions.names.index(county)
    t = m.firms
    n = 0
    for _ in range(years):
        region, alive = t.region[: t.size].copy(), t.alive[: t.size].copy()
        m.step()
        old = np.arange(region.size)
        came = t.alive[old] & (t.region[old] == j) & ((region != j) | ~alive) & t.small[old]
        new = np.arange(region.size, t.size)
        n += int(came.sum() + (t.alive[new] & (t.region[new] == j) & t.small[new]).sum())
    return n


def ire(variant: str) -> list[dict]:
    sc = load_scenario(SCENARIOS / "industrial_real_estate.toml")
    if variant == "land":
        d = sc.model_dump()
        d["regions"][0]["package"] = "district_land"
        sc = Scenario.model_validate(d)
    rows = []
    for s in SEEDS:
        m = ClusterModel(sc, seed=s)
        small = small_arrivals(m, YEARS, "county_01")
        fr, rf = m.model_frame(), m.region_frame()
        foc = rf[rf.region == "county_01"]

        def total(col, foc=foc):
            return float(foc[col].sum()) if col in foc else 0.0

        rows.append(dict(
            small_arrivals=small, arrivals=total("arrivals"), share12=float(fr.focal_share.iloc[12]),
            share40=float(fr.focal_share.iloc[YEARS]), firms40=float(fr.focal_firms.iloc[YEARS]),
            receipts=total("asset_receipts"), rents=total("asset_rents"), outlays=total("asset_outlays"),
            outstanding=float(fr["focal_asset_outstanding"].iloc[YEARS]) if "focal_asset_outstanding" in fr else 0.0,
            balance40=float(fr.focal_balance.iloc[YEARS]), not_entered=float(fr.not_entered.sum()),
            **park_and_specialisation(m)))
    return rows


def linked_arrivals(m: ClusterModel, years: int, county: str, after: int, groups: dict[str, np.ndarray]) -> dict:
    """Run ``years`` years, counting firms of each group of sectors (bool per sector) arriving in
    ``county`` (newborns or movers) in years ``after + 1 .. after + 10``."""
    j = m.regions.names.index(county)
    t = m.firms
    n = dict.fromkeys(groups, 0)
    for y in range(1, years + 1):
        region, alive = t.region[: t.size].copy(), t.alive[: t.size].copy()
        m.step()
        if not after < y <= after + 10:
            continue
        old = np.arange(region.size)
        came = t.alive[old] & (t.region[old] == j) & ((region != j) | ~alive)
        new = np.arange(region.size, t.size)
        born = t.alive[new] & (t.region[new] == j)
        for k, in_group in groups.items():
            n[k] += int((came & in_group[t.sector[old]]).sum() + (born & in_group[t.sector[new]]).sum())
    return n


def anchor(variant: str) -> list[dict]:
    d = load_scenario(SCENARIOS / "anchor_firm.toml").model_dump()
    deal = d["packages"]["district_anchor"]["instruments"][0]
    if variant == "declined":
        deal.update(land_award=0.0, award=0.0, rebate_share=0.0, rebate_years=0)
    if variant == "no_market":
        d["agglomeration"]["market"] = 0.0
    sc = Scenario.model_validate(d)
    io = np.array(sc.sectors.input_output)
    s = list(sc.sectors.names).index(deal["sector"])
    groups = {"supplier_arrivals": io[:, s] > 0, "customer_arrivals": io[s, :] > 0}
    rows = []
    for seed in ANCHOR_SEEDS:
        m = ClusterModel(sc, seed=seed)
        linked = linked_arrivals(m, YEARS, "county_01", deal["year"], groups)
        fr = m.model_frame()
        here = fr.anchor_in_focal.to_numpy() > 0
        first = int(np.argmax(here)) if here.any() else -1
        left = int(np.argmax(~here[first:]) + first) if first >= 0 and (~here[first:]).any() else -1
        revenue = fr.focal_firm_revenue
        rows.append(dict(
            **linked, years_in_focal=int(here.sum()), arrived=first, left=left,
            max_output_share=float(fr.anchor_output_share[here].max()) if here.any() else 0.0,
            max_revenue_share=float(fr.anchor_revenue_share[here].max()) if here.any() else 0.0,
            focal_firms_10=float(fr.focal_firms.iloc[10]), focal_firms_40=float(fr.focal_firms.iloc[YEARS]),
            focal_rev_before_leave=float(revenue.iloc[left - 1]) if left > 0 else float("nan"),
            focal_rev_after_leave=float(revenue.iloc[left]) if left > 0 else float("nan"),
            share40=float(fr.focal_share.iloc[YEARS]), stalled_total=float(fr.stalled.sum()),
            capital_growth=float(fr.capital.iloc[YEARS] / fr.capital.iloc[1]), **park_and_specialisation(m)))
    return rows


def main() -> None:
    out = {}
    only = sys.argv[1:]  # names of the variants to run (default: all)
    for name, fn, variant in (("ire", ire, "ire"), ("ire_land", ire, "land"), ("anchor_deal", anchor, "deal"),
                              ("anchor_declined", anchor, "declined"), ("anchor_no_market", anchor, "no_market")):
        if only and name not in only:
            continue
        rows = fn(variant)
        out[name] = {k: [r[k] for r in rows] for k in rows[0]}
        means = {k: round(float(np.nanmean(v)), 3) for k, v in out[name].items()}
        print(name, json.dumps(means), flush=True)
    with open(f"texts_scenarios{'_' + '_'.join(only) if only else ''}.json", "w") as fh:
        json.dump(out, fh, default=float, indent=1)


if __name__ == "__main__":
    main()
