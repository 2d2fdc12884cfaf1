"""Moves and land capacity (ODD 3.3.6): which of the firms that chose a new region get a site.

Firms that chose a region other than their own are served first come, first served (in the
batch's random order) while their land fits the free land of the destination's pool (the
standard-factory zone for small firms in counties, the main pool otherwise). What an arrival
books (land sales and awards, rebate classes, tax-sharing bases, ...) is the instruments'
business (:meth:`clustersim.instruments.base.Instrument.arrive`).

:func:`who_moves` runs as one compiled pass (numba, cached on disk like :mod:`clustersim.kernel`);
it takes the same floating-point steps as the numpy formulation kept in
:func:`who_moves_numpy` (a running sum of land in the order of (destination, pool), a group's
use as that sum minus the sum before the group), so both admit the same firms, bit for bit.
"""

from __future__ import annotations

import numpy as np

from clustersim.choice import ChoiceSet, Deciders
from clustersim.jit import compiled


@compiled()
def _who_moves(pick, region, small, land, is_county, free_land, free_sf_land, idx, key, counts, order, fits,
               out_idx, out_dest, out_sf):
    n = pick.size
    n_keys = 2 * is_county.size
    m = 0
    for i in range(n):
        if pick[i] >= 0 and pick[i] != region[i]:
            m += 1
    k = 0
    for i in range(n):
        j = pick[i]
        if j >= 0 and j != region[i]:
            idx[k] = i
            c = 2 * j + (1 if small[i] and is_county[j] else 0)
            key[k] = c
            counts[c + 1] += 1
            k += 1
    for c in range(n_keys):  # counting sort by key, stable (np.argsort(kind="stable"))
        counts[c + 1] += counts[c]
    for k in range(m):
        c = key[k]
        order[counts[c]] = k
        counts[c] += 1
    cum = 0.0
    start_cum = 0.0
    prev = -1
    for p in range(m):
        k = order[p]
        c = key[k]
        lk = land[idx[k]]
        cum += lk
        start = cum - lk if c != prev else 0.0
        start_cum = start if p == 0 else max(start_cum, start)  # np.maximum.accumulate
        prev = c
        j = c // 2
        free = free_sf_land[j] if c % 2 else free_land[j]
        fits[k] = (cum - start_cum) <= free + 1e-9
    q = 0
    for k in range(m):
        if fits[k]:
            out_idx[q] = idx[k]
            out_dest[q] = key[k] // 2
            out_sf[q] = key[k] % 2 == 1
            q += 1
    return q


def who_moves(f: Deciders, pick: np.ndarray, cs: ChoiceSet, is_county: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(idx, dest, sf_pool)``: positions in ``f`` of the firms whose chosen move fits, their
    destination and whether they take land from the standard-factory pool."""
    i64 = np.int64
    pick = np.asarray(pick, dtype=i64)
    n = pick.size
    idx, dest, sf_pool = np.empty(n, i64), np.empty(n, i64), np.empty(n, np.bool_)
    n_fit = _who_moves(pick, np.asarray(f.region, dtype=i64),
                       np.asarray(f.small, dtype=np.bool_), np.asarray(f.land, dtype=np.float64),
                       np.asarray(is_county, dtype=np.bool_), np.asarray(cs.free_land, dtype=np.float64),
                       np.asarray(cs.free_sf_land, dtype=np.float64),
                       np.empty(n, i64), np.empty(n, i64), np.zeros(2 * len(is_county) + 1, i64), np.empty(n, i64),
                       np.zeros(n, np.bool_), idx, dest, sf_pool)
    return idx[:n_fit], dest[:n_fit], sf_pool[:n_fit]


@compiled()
def _lock_in(moved, dest, sf_pool, depth_offered, package, price, sf_price, t_package, t_depth, market):
    for k in range(moved.size):
        j, row = dest[k], moved[k]
        d = depth_offered[j]
        if d > 0:
            t_package[row] = package[j]
            t_depth[row] = d
        else:
            t_package[row] = -1
            t_depth[row] = 0.0
        market[k] = sf_price[j] if sf_pool[k] else price[j]


def lock_in(table, moved: np.ndarray, dest: np.ndarray, sf_pool: np.ndarray, cs: ChoiceSet) -> np.ndarray:
    """Arriving firms (rows ``moved`` of the firm table) lock in the package their destination
    offers this year (column ``package``, -1 where none is offered, and ``package_depth``);
    returns the market price of the land each buys, wan/mu (standard-factory or main pool)."""
    market = np.empty(moved.size)
    _lock_in(moved, dest, sf_pool, cs.depth_offered, np.asarray(cs.package, dtype=np.int64),
             cs.price, cs.sf_price, table.package, table.package_depth, market)
    return market


@compiled()
def _settle(moved, dest, old, t_years, t_moves, t_region, arrivals, departures):
    entries = 0
    for k in range(moved.size):
        row, j, o = moved[k], dest[k], old[k]
        arrivals[j] += 1.0
        if o >= 0:
            departures[o] += 1.0
            t_moves[row] += 1
        else:
            entries += 1
        t_years[row] = 0
        t_region[row] = j
    return entries


def settle(table, moved: np.ndarray, dest: np.ndarray, old: np.ndarray, arrivals: np.ndarray,
           departures: np.ndarray) -> int:
    """Arriving firms take their sites: region ``dest``, no years there yet, one more move for a
    relocation (``old`` >= 0); ``arrivals`` / ``departures`` (firms per region, float) count
    them in place. Returns the number of entries (newborns placed, ``old`` -1)."""
    return _settle(moved, dest, np.asarray(old, dtype=np.int64), table.years, table.moves, table.region,
                   arrivals, departures)


@compiled()
def _free_land(land_supply, land_used, sf_supply, sf_used, is_county, free, free_sf):
    for j in range(free.shape[0]):
        x = land_supply[j] - land_used[j]
        free[j] = 0.0 if x < 0.0 else x  # np.maximum(0.0, x): nan and -0.0 kept
        if is_county[j]:
            y = sf_supply[j] - sf_used[j]
            free_sf[j] = 0.0 if y < 0.0 else y
        else:
            free_sf[j] = free[j]


def free_land(land_supply: np.ndarray, land_used: np.ndarray, sf_supply: np.ndarray, sf_used: np.ndarray,
              is_county: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(free, free_sf)``: each region's free land of the main pool and of the standard-factory
    zone, mu (an origin's: its main pool's), in one compiled pass: ``np.maximum(0.0, supply - used)``
    (and ``np.where(is_county, ..., free)``), the same bits."""
    free, free_sf = np.empty(land_supply.size), np.empty(land_supply.size)
    _free_land(land_supply, land_used, sf_supply, sf_used, is_county, free, free_sf)
    return free, free_sf


def who_moves_numpy(f: Deciders, pick: np.ndarray, cs: ChoiceSet, is_county: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`who_moves` in numpy (the reference the compiled pass is tested against)."""
    go = (pick >= 0) & (pick != f.region)
    idx = np.flatnonzero(go)
    if idx.size == 0:
        return idx, idx, np.zeros(0, bool)
    dest = pick[idx]
    sf_pool = f.small[idx] & is_county[dest]
    free = np.where(sf_pool, cs.free_sf_land[dest], cs.free_land[dest])
    key = dest * 2 + sf_pool
    order = np.argsort(key, kind="stable")
    land = f.land[idx][order]
    cum = np.cumsum(land)
    k_sorted = key[order]
    starts = np.r_[True, k_sorted[1:] != k_sorted[:-1]]
    start_cum = np.maximum.accumulate(np.where(starts, cum - land, 0.0))
    fits = np.empty(idx.size, bool)
    fits[order] = (cum - start_cum) <= free[order] + 1e-9
    return idx[fits], dest[fits], sf_pool[fits]
