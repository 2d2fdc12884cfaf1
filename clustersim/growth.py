"""Firm growth (Text 4: firms differ in how fast they grow; growth needs land), ODD 3.3.8a.

Each year after the accounts and exits, every placed firm with a profit wants to grow its
capital by its growth rate ``g`` (``firms.traits.growth_*``; a negative rate shrinks it whatever
its profit): ``K' = K (1 + g)``, with employment and land need in proportion (``e/K`` and
``l/K`` stay). Growth needs ``g l`` more land in the firm's pool of its region (the
standard-factory zone for small firms in counties, the main pool otherwise): the free land of a
pool goes to the growing firms first come, first served in a random order; a firm whose
extension does not fit does not grow that year and is **stalled**. A stalled firm reviews its
location in the next year (besides the ordinary ``review_rate``), so a growing firm without land
either stalls or leaves. A firm keeps its small-firm status (and its pool) as it grows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from clustersim.moves import free_land

if TYPE_CHECKING:
    from clustersim.accounts import FirmAccounts
    from clustersim.model import ClusterModel


def fits_in_order(key: np.ndarray, need: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Whether each claim fits, served in the given order within each pool ``key``: claim i fits
    when the claims of its pool up to and including it need at most the pool's ``free`` land."""
    if key.size == 0:
        return np.zeros(0, bool)
    order = np.argsort(key, kind="stable")
    k = key[order]
    cum = np.cumsum(need[order])
    starts = np.r_[True, k[1:] != k[:-1]]
    start_cum = np.maximum.accumulate(np.where(starts, cum - need[order], 0.0))
    out = np.empty(key.size, bool)
    out[order] = (cum - start_cum) <= free[order] + 1e-9
    return out


def grow(model: ClusterModel, acc: FirmAccounts) -> None:
    """Grow (or shrink) the placed firms by their growth rates where their land allows; sets
    ``firms.stalled`` and the year's counts ``model.grown`` and ``model.stalled_firms``."""
    t, r = model.firms, model.regions
    rows = model._placed()
    t.stalled[rows] = False
    g = t.growth_rate[rows]
    profit = np.zeros(t.capacity)
    profit[acc.rows] = acc.profit
    wants = (g > 0) & (profit[rows] > 0)
    shrinks = g < 0
    grow_rows = rows[wants][model.rng.permutation(int(wants.sum()))]
    reg = t.region[grow_rows]
    sf = t.small[grow_rows] & r.is_county[reg]
    need = t.land[grow_rows] * t.growth_rate[grow_rows]
    free_main, free_sf = free_land(r.land_supply, r.land_used, r.sf_supply, r.sf_used, r.is_county)
    free = np.where(sf, free_sf[reg], free_main[reg])
    fits = fits_in_order(reg * 2 + sf, need, free)
    go = np.concatenate([grow_rows[fits], rows[shrinks]])
    factor = 1.0 + t.growth_rate[go]
    t.capital[go] *= factor
    t.land[go] *= factor
    t.employment[go] *= factor
    t.stalled[grow_rows[~fits]] = True
    model.grown = int(fits.sum())
    model.stalled_firms = int((~fits).sum())


def measures(model: ClusterModel) -> dict[str, float]:
    """The year's growth measures (in ``model_frame()`` when growth is on)."""
    rows = model._placed()
    return {"grown": float(getattr(model, "grown", 0)), "stalled": float(getattr(model, "stalled_firms", 0)),
            "capital": float(model.firms.capital[rows].sum())}
