"""The model-level measures collected every year (one row of ``model_frame()``).

Concentration is measured over the counties (the relocated industry): HHI, locational Gini,
the largest county's share, the Ellison–Glaeser index of each sector, and the number of sector
clusters: a county holds a cluster of a sector when it has at least :data:`CLUSTER_MIN_SHARE` of
the sector's county firms and at least :data:`CLUSTER_MIN_SIZE` of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from clustersim import metrics

if TYPE_CHECKING:
    from clustersim.model import ClusterModel

CLUSTER_MIN_SHARE = 0.2  # of the sector's firms in counties
CLUSTER_MIN_SIZE = 10  # firms


def focal_share(model: ClusterModel) -> float:
    """The focal county's share of the relocated industry (employment or firms in counties, by
    ``take_off.measure``); 0 while no firm is in a county."""
    r = model.regions
    by_employment = model.config.take_off.measure == "employment"
    own = r.employment if by_employment else r.firms
    total = own[r.is_county].sum()
    return float(own[model.focal] / total) if total > 0 else 0.0


def year_measures(model: ClusterModel, eg_sums: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[str, float]:
    """The measures of the model's current year; ``eg_sums`` are the Ellison–Glaeser sums of the
    placed firms (employment, plant Herfindahl and regional shares by sector:
    :func:`clustersim.tally.sector_tally`)."""
    r, focal = model.regions, model.focal
    county = r.is_county
    emp_c = r.employment[county]
    firms_c = r.firms[county]
    own_revenue = r.flows["taxes"][focal] + r.flows["fees"][focal]
    for f in model.flows:
        if f.kind == "revenue":
            own_revenue = own_revenue + r.flows[f.name][focal]
    out: dict[str, float] = {
        "year": model.year,
        "firms": float(r.firms.sum()),
        "firms_in_counties": float(firms_c.sum()),
        "employment": float(r.employment.sum()),
        "employment_in_counties": float(emp_c.sum()),
        "births": model.births, "entries": model.entries, "not_entered": model.unplaced, "moves": model.moves,
        "exits": model.exits,
        "entered_total": model.entered, "exited_total": model.exited,
        "origin_share": float(r.firms[r.is_origin].sum() / max(r.firms.sum(), 1.0)),
        "focal_share": focal_share(model),
        "focal_firms": float(r.firms[focal]),
        "focal_employment": float(r.employment[focal]),
        "focal_depth": float(r.depth[focal]),
        "focal_fee_rate": float(r.fee_rate[focal]),
        "focal_governance": float(r.governance[focal]),
        "focal_land_price": float(r.land_price[focal]),
        "focal_wage": float(r.wage[focal]),
        "focal_incentives": float(r.flows["incentives"][focal]),
        "focal_firm_revenue": float(own_revenue),
        "focal_balance": float(r.balance[focal]),
        # HHI 0 while no firm is in a county; the Gini of an empty industry is undefined (nan):
        # before the first arrival it is reported as 0
        **dict(zip(("hhi", "gini", "largest_share"), metrics.county_concentration(emp_c), strict=True)),
        "clusters": float(metrics.clusters(model.firms_by_sector[:, county], min_share=CLUSTER_MIN_SHARE,
                                           min_size=CLUSTER_MIN_SIZE)),
    }
    n_s = len(model.sector_names)
    if model.firms_by_sector.sum() > 0:  # some firm is placed
        total, h, s = eg_sums
        eg = metrics.ellison_glaeser_from_sums(total, h, s.reshape(n_s, r.n), r.employment / r.employment.sum())
    else:
        eg = np.full(n_s, np.nan)
    for name, g in zip(model.sector_names, eg, strict=True):
        out[f"eg_{name}"] = float(g)
    if model.config.firms.traits.growth_mean is not None:
        from clustersim import growth
        out.update(growth.measures(model))
    for ins in model.instruments:
        out.update(ins.report(model))
    return out
