"""Region tallies of the placed firms in one compiled pass (the counting half of the model's
aggregates refresh).

:func:`tally` gives what ``np.bincount`` over the placed firms gives (land in use in each pool,
employment, firms; output and localisation by sector and region), adding each firm in row order
as ``np.bincount`` does, so the sums are bit for bit the same; it replaces a dozen numpy calls
and their temporaries, which at small sizes cost more than the sums. Compiled with numba and
cached on disk, like :mod:`clustersim.kernel`.
"""

from __future__ import annotations

import numba
import numpy as np

import clustersim.kernel  # noqa: F401  (sets numba's cache folder where the package's is read-only)


@numba.njit(cache=True, nogil=True)
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
    land_used, sf_used, emp, firms = (np.zeros(n_r) for _ in range(4))
    output = np.zeros((n_sectors, n_r))
    localisation = np.zeros((n_sectors, n_r))
    _tally(table.size, table.alive, table.region, table.small, table.land, table.employment, table.sector,
           table.capital, table.productivity, is_county, revenue_per_capital, by_firms,
           land_used, sf_used, emp, firms, output, localisation)
    return land_used, sf_used, emp, firms, output, localisation
