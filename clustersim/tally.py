"""Region tallies of the placed firms in one compiled pass (the counting half of the model's
aggregates refresh).

:func:`tally` gives what ``np.bincount`` over the placed firms gives (land in use in each pool,
employment, firms; output and localisation by sector and region), adding each firm in row order
as ``np.bincount`` does, so the sums are bit for bit the same; it replaces a dozen numpy calls
and their temporaries, which at small sizes cost more than the sums. Compiled with numba and
cached on disk, like :mod:`clustersim.kernel`.
"""

from __future__ import annotations

import numpy as np

from clustersim.jit import compiled


@compiled()
def _tally(size, alive, region, small, land, employment, sector, capital, productivity, is_county,
           revenue_per_capital, by_firms, land_used, sf_used, emp, firms, output, localisation):
    for i in range(size):
        j = region[i]
        if not alive[i] or j < 0:
            continue
        s = sector[i]
        if small[i] and is_county[j]:
            sf_used[j] += land[i]
        else:
            land_used[j] += land[i]
        e = employment[i]
        emp[j] += e
        firms[j] += 1.0
        output[s, j] += revenue_per_capital[s] * capital[i] * productivity[i]
        localisation[s, j] += 1.0 if by_firms else e / 1000.0


def tally(table, is_county: np.ndarray, revenue_per_capital: np.ndarray, n_sectors: int,
          by_firms: bool) -> tuple[np.ndarray, ...]:
    """``(land_used, sf_used, employment, firms, output, localisation)`` of the live placed firms
    of the firm table: per region (mu, mu, workers, firms) and per sector and region (output at
    A = 1, wan/year; same-sector firms, or employment in thousands of workers)."""
    n_r = is_county.size
    land_used, sf_used, emp, firms = np.zeros(n_r), np.zeros(n_r), np.zeros(n_r), np.zeros(n_r)
    output, localisation = np.zeros((n_sectors, n_r)), np.zeros((n_sectors, n_r))
    _tally(table.size, table.alive, table.region, table.small, table.land, table.employment, table.sector,
           table.capital, table.productivity, is_county, revenue_per_capital, by_firms,
           land_used, sf_used, emp, firms, output, localisation)
    return land_used, sf_used, emp, firms, output, localisation


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
