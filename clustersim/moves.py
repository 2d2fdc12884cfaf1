"""Moves and land capacity (ODD 3.3.6): which of the firms that chose a new region get a site.

Firms that chose a region other than their own are served first come, first served (in the
batch's random order) while their land fits the free land of the destination's pool (the
standard-factory zone for small firms in counties, the main pool otherwise). What an arrival
books (land sales and awards, rebate classes, tax-sharing bases, ...) is the instruments'
business (:meth:`clustersim.instruments.base.Instrument.arrive`).
"""

from __future__ import annotations

import numpy as np

from clustersim.choice import ChoiceSet, Deciders


def who_moves(f: Deciders, pick: np.ndarray, cs: ChoiceSet, is_county: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(idx, dest, sf_pool)``: positions in ``f`` of the firms whose chosen move fits, their
    destination and whether they take land from the standard-factory pool."""
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
