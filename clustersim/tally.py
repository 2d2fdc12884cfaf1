"""Region tallies of the placed firms in one compiled pass (the counting half of the model's
aggregates refresh), and the same tallies carried forward over a mini-batch's moves.

:func:`tally` gives what ``np.bincount`` over the placed firms gives (land in use in each pool,
employment, firms; output and localisation by sector and region), adding each firm in row order
as ``np.bincount`` does, so the sums are bit for bit the same; it replaces a dozen numpy calls
and their temporaries, which at small sizes cost more than the sums. :func:`shift` updates
those tallies for the firms of one mini-batch that changed region (subtracting each from its
old region, adding it to its new one) instead of recounting every firm: the counts of firms
stay exact (whole numbers), the sums (land, employment, output, employment-based localisation)
differ from a recount's only by rounding (within the bound for summing in another order), and a region pool or
sector that empties is set to exactly zero, as a recount gives. Compiled with numba and cached
on disk, like :mod:`clustersim.kernel`.
"""

from __future__ import annotations

import numpy as np

from clustersim.jit import compiled


@compiled(inline="always")
def _add(i, j, small, land, employment, sector, capital, productivity, is_county, revenue_per_capital, by_firms,
         land_used, sf_used, emp, firms, output, localisation, members):
    """Firm ``i`` into region ``j``'s tallies (``members``' last row: the standard-factory zone)."""
    n_s = members.shape[0] - 1
    s = sector[i]
    members[s, j] += 1.0
    if small[i] and is_county[j]:
        sf_used[j] += land[i]
        members[n_s, j] += 1.0
    else:
        land_used[j] += land[i]
    e = employment[i]
    emp[j] += e
    firms[j] += 1.0
    output[s, j] += revenue_per_capital[s] * capital[i] * productivity[i]
    localisation[s, j] += 1.0 if by_firms else e / 1000.0


@compiled()
def _tally(size, alive, region, small, land, employment, sector, capital, productivity, is_county,
           revenue_per_capital, by_firms, land_used, sf_used, emp, firms, output, localisation, members):
    for i in range(size):
        j = region[i]
        if alive[i] and j >= 0:
            _add(i, j, small, land, employment, sector, capital, productivity, is_county, revenue_per_capital,
                 by_firms, land_used, sf_used, emp, firms, output, localisation, members)


def tally(table, is_county: np.ndarray, revenue_per_capital: np.ndarray, n_sectors: int,
          by_firms: bool) -> tuple[np.ndarray, ...]:
    """``(land_used, sf_used, employment, firms, output, localisation, members)`` of the live
    placed firms of the firm table: per region (mu, mu, workers, firms), per sector and region
    (output at A = 1, wan/year; same-sector firms, or employment in thousands of workers), and
    ``members`` ((S + 1) x R: firms of each sector, then firms in the standard-factory zone), the
    counts :func:`shift` reads to set what empties to exactly zero."""
    n_r = is_county.size
    land_used, sf_used, emp, firms = np.zeros(n_r), np.zeros(n_r), np.zeros(n_r), np.zeros(n_r)
    output, localisation = np.zeros((n_sectors, n_r)), np.zeros((n_sectors, n_r))
    members = np.zeros((n_sectors + 1, n_r))
    _tally(table.size, table.alive, table.region, table.small, table.land, table.employment, table.sector,
           table.capital, table.productivity, is_county, revenue_per_capital, by_firms,
           land_used, sf_used, emp, firms, output, localisation, members)
    return land_used, sf_used, emp, firms, output, localisation, members


@compiled()
def _shift(rows, old_region, region, small, land, employment, sector, capital, productivity, is_county,
           revenue_per_capital, by_firms, land_used, sf_used, emp, firms, output, localisation, members):
    n_s = members.shape[0] - 1
    for k in range(rows.shape[0]):
        i = rows[k]
        a, b = old_region[k], region[i]
        if a == b:
            continue
        s = sector[i]
        x, e = land[i], employment[i]
        y = revenue_per_capital[s] * capital[i] * productivity[i]  # as _add adds it
        z = 1.0 if by_firms else e / 1000.0
        if a >= 0:  # out of the old region; what empties is exactly zero, as a recount gives
            members[s, a] -= 1.0
            firms[a] -= 1.0
            if small[i] and is_county[a]:
                members[n_s, a] -= 1.0
                sf_used[a] = sf_used[a] - x if members[n_s, a] > 0.0 else 0.0
            else:
                land_used[a] = land_used[a] - x if firms[a] - members[n_s, a] > 0.0 else 0.0
            emp[a] = emp[a] - e if firms[a] > 0.0 else 0.0
            output[s, a] = output[s, a] - y if members[s, a] > 0.0 else 0.0
            localisation[s, a] = localisation[s, a] - z if members[s, a] > 0.0 else 0.0
        if b >= 0:  # into the new one, as the recount adds it
            _add(i, b, small, land, employment, sector, capital, productivity, is_county, revenue_per_capital,
                 by_firms, land_used, sf_used, emp, firms, output, localisation, members)


def shift(table, rows: np.ndarray, old_region: np.ndarray, is_county: np.ndarray, revenue_per_capital: np.ndarray,
          by_firms: bool, counts: tuple[np.ndarray, ...]) -> None:
    """Carry the tallies ``counts`` (:func:`tally`'s seven arrays, updated in place) over the
    moves of the firms ``rows`` of the firm table, whose regions were ``old_region`` (-1: a
    newborn) and are now the table's: a firm whose region changed leaves its old region's sums
    and joins its new one's. Only the region may have changed since the tallies were taken (the
    firms' land, pool, size, capital and sector are those they counted)."""
    t = table
    _shift(np.asarray(rows, dtype=np.int64), np.asarray(old_region, dtype=np.int64), t.region, t.small, t.land,
           t.employment, t.sector, t.capital, t.productivity, is_county, revenue_per_capital, by_firms, *counts)


@compiled()
def _sector_tally(size, alive, region, sector, employment, n_regions, firms, emp, total, h, s):
    for i in range(size):  # firms and employment by sector and region, each sector's employment
        j = region[i]
        if not alive[i] or j < 0:
            continue
        k = sector[i]
        e = employment[i]
        firms[k, j] += 1.0
        emp[k, j] += e
        total[k] += e
    for i in range(size):  # plant shares of their sector z, their squares H and regional sums s
        j = region[i]
        if not alive[i] or j < 0:
            continue
        k = sector[i]
        z = employment[i] / total[k] if total[k] > 0 else 0.0
        h[k] += z * z
        s[k * n_regions + j] += z


def sector_tally(table, n_regions: int, n_sectors: int) -> tuple[np.ndarray, ...]:
    """``(firms, employment, total, h, s)`` of the live placed firms of the firm table: firms and
    employment (workers) by sector and region (sectors x regions), and the Ellison–Glaeser sums
    of each sector (:func:`clustersim.metrics.ellison_glaeser_from_sums`): its employment, the
    plant Herfindahl ``H`` and the sector's share in each region (flat, sector-major). The same
    sums, bit for bit, as ``np.bincount`` over the placed rows
    (:func:`clustersim.agglomeration.sector_region_totals` and the Ellison–Glaeser estimator)."""
    firms = np.zeros((n_sectors, n_regions))
    emp = np.zeros((n_sectors, n_regions))
    total, h = np.zeros(n_sectors), np.zeros(n_sectors)
    s = np.zeros(n_sectors * n_regions)
    _sector_tally(table.size, table.alive, table.region, table.sector, table.employment, n_regions,
                  firms, emp, total, h, s)
    return firms, emp, total, h, s
