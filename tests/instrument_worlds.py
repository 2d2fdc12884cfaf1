"""Worlds with the instruments of the source texts active (a plain module the tests import):
entry standards, industrial real estate, an anchor deal, liquidity and growth traits.

:func:`texts_world` is :func:`worlds.busy_world` (every parameter written out) with

* the firm traits on: cash per mu (median ``cash``), plot ratio, intensity spread, growth;
* ``county_01`` (the focal county): the district package with an entry standard (240 wan/mu,
  plot ratio 1.0) and an anchor deal for a components firm born in year ``anchor_year``;
* ``county_02``: package ``ire``: industrial real estate and the district's rebates;
* ``county_03``: the district package.
"""

from __future__ import annotations

from clustersim.params import Scenario

from worlds import busy_world

ENTRY = "clustersim.instruments.entry_standard:EntryStandard"
IRE = "clustersim.instruments.industrial_real_estate:IndustrialRealEstate"
ANCHOR = "clustersim.instruments.anchor:AnchorDeal"


def anchor_ref(**terms) -> dict:
    ref = {"use": ANCHOR, "sector": "materials", "capital": 150000.0, "year": 2, "land_award": 10.0,
           "award": 3000.0, "rebate_share": 1.0, "rebate_years": 5}
    ref.update(terms)
    return ref


def texts_world(*, years: int = 6, cash: float | None = 40.0, growth: float | None = 0.06, ire: dict | None = None,
                entry: dict | None = None, anchor: dict | None = None, ire_county: str = "county_02",
                **kw) -> dict:
    w = busy_world(years=years, counties=3, **kw)
    w["firms"]["traits"] = {"cash_median": cash, "cash_sigma": 0.7, "cash_grid": 5.0, "plant_cost": 40.0,
                            "plot_ratio_median": 1.1, "plot_ratio_sigma": 0.2, "intensity_sigma": 0.15,
                            "growth_mean": growth, "growth_sigma": 0.05, "growth_max": 0.3}
    w["packages"]["district"]["instruments"] = [
        {"use": ENTRY, "min_intensity": 240.0, "min_plot_ratio": 1.0, **(entry or {})}]
    w["packages"]["focal"] = {**w["packages"]["district"], "instruments": [
        *w["packages"]["district"]["instruments"], anchor_ref(**(anchor or {}))]}
    w["packages"]["ire"] = {"rebate_schedule": [1.0, 1.0, 1.0, 0.5, 0.5],
                            "start_year": w["packages"]["district"]["start_year"],
                            "duration_years": w["packages"]["district"]["duration_years"],
                            "instruments": [{"use": IRE, **(ire or {})}]}
    w["regions"] = [r for r in w["regions"] if r["name"] not in ("county_01", ire_county)]
    w["regions"] += [{"name": "county_01", "package": "focal"}, {"name": ire_county, "package": "ire"}]
    return w


def texts_scenario(**kw) -> Scenario:
    return Scenario.model_validate(texts_world(**kw))
