"""New firms' attributes from their random draws, in few calls (the arithmetic of
:meth:`clustersim.model.ClusterModel._new_firms`).

A newborn's sector is drawn from the birth shares, its capital ``K = K_med exp(sigma_K z1)``
(wan), its productivity ``exp(sigma_z z2 - sigma_z^2 / 2)``; land need ``K / k_s`` (mu) and
employment ``K / (K per worker)_s`` follow, and it is small (the standard-factory rule) when
``K`` or its land is below the thresholds. Written as numpy expressions on slices of the firm
table these are a dozen calls per year, each costing more than its arithmetic for the few dozen
firms born. Here: the same draws from the same generator in the same order, numpy's ``exp``
(whose last bits differ from the C library's), and the rest in one compiled pass, the same
operations in the same order, so the same bits (``tests/test_births.py`` compares the two).
"""

from __future__ import annotations

import math

import numpy as np

from clustersim.jit import compiled


def kahan_sum(p: np.ndarray) -> float:
    """numpy's ``kahan_sum`` of a probability vector (``Generator.choice`` checks it)."""
    total, c = float(p[0]), 0.0
    for x in p[1:].tolist():
        y = x - c
        t = total + y
        c = (t - total) - y
        total = t
    return total


class SectorDraw:
    """``rng.choice(len(p), size=n, p=p)`` without its per-call checks: the same uniforms from the
    generator and the same search of the same normalised cumulative sums (numpy's ``choice``:
    ``cdf = p.cumsum(); cdf /= cdf[-1]; cdf.searchsorted(rng.random(n), side="right")``), so the
    same sectors and the same generator state after. The checks ``choice`` makes (a 1-D vector of
    finite non-negative probabilities whose Kahan sum is 1 within ``sqrt(eps)``) are made once per
    vector (the last one seen: models may share a draw, also across threads); a vector failing them
    goes to ``rng.choice``, for its error."""

    def __init__(self) -> None:
        self._cached: tuple[bytes, np.ndarray | None] | None = None  # (p's bytes, its cdf); one assignment

    def __call__(self, rng: np.random.Generator, k: int, p: np.ndarray, n: int) -> np.ndarray:
        """``rng.choice(k, size=n, p=p)``."""
        p = np.asarray(p, dtype=np.float64)
        key = p.tobytes()
        cached = self._cached
        if cached is None or cached[0] != key:
            cached = self._cached = (key, self._checked_cdf(p))
        cdf = cached[1]
        if cdf is None or p.size != k:
            return rng.choice(k, size=n, p=p)
        return cdf.searchsorted(rng.random(n), side="right")

    @staticmethod
    def _checked_cdf(p: np.ndarray) -> np.ndarray | None:
        if p.ndim != 1 or p.size == 0 or np.isnan(p).any() or (p < 0).any():
            return None
        total = kahan_sum(p)
        if math.isnan(total) or abs(total - 1.0) > math.sqrt(np.finfo(np.float64).eps):
            return None
        cdf = p.cumsum()
        cdf /= cdf[-1]
        return cdf


@compiled()
def _scale(z, n, capital_sigma, productivity_sigma, shift):
    """``capital_sigma * z`` on the first ``n`` of ``z`` and ``productivity_sigma * z - shift`` on the
    rest, in place (as ``factor * z - 0.0`` on the first: x - 0.0 is x, so the bits of ``factor * z``)."""
    for k in range(n):
        z[k] = capital_sigma * z[k] - 0.0
    for k in range(n, z.size):
        z[k] = productivity_sigma * z[k] - shift


@compiled()
def _write(start, sector, capital_factor, productivity, capital_median, intensity, capital_per_worker, t_sector,
           t_capital, t_land, t_employment, t_productivity):
    """Rows ``start ..`` of the table: sector, capital ``K_med * capital_factor``, land ``K / k_s``,
    employment ``K / (K per worker)_s`` and productivity."""
    for k in range(sector.size):
        i = start + k
        s = sector[k]
        cap = capital_median * capital_factor[k]
        t_sector[i] = s
        t_capital[i] = cap
        t_land[i] = cap / intensity[s]
        t_employment[i] = cap / capital_per_worker[s]
        t_productivity[i] = productivity[k]


@compiled()
def _finish(start, n, year, small_investment, small_land, t_capital, t_land, t_small, t_region, t_born):
    """Rows ``start .. start + n``: small (capital or land below the thresholds), no region, born."""
    for i in range(start, start + n):
        t_small[i] = (t_capital[i] < small_investment) | (t_land[i] < small_land)
        t_region[i] = -1
        t_born[i] = year


def lognormal_factors(rng: np.random.Generator, n: int, capital_sigma: float,
                      productivity_sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """``(exp(sigma_K z1), exp(sigma_z z2 - sigma_z^2 / 2))`` of two standard-normal draws of n,
    in this order, as numpy computes them. Both are drawn in one call of 2n: numpy fills the
    array one normal after the other from the bit generator, keeping nothing between calls, so
    the same numbers and the same generator state after as two calls of n (``tests/test_births.py``)."""
    z = rng.standard_normal(2 * n)
    sig = productivity_sigma
    _scale(z, n, float(capital_sigma), float(sig), 0.5 * sig * sig)
    np.exp(z, out=z)
    return z[:n], z[n:]


def write(table, start: int, sector: np.ndarray, capital_factor: np.ndarray, productivity: np.ndarray,
          capital_median: float, intensity: np.ndarray, capital_per_worker: np.ndarray) -> None:
    """The new rows' sector, capital, land, employment and productivity."""
    _write(start, np.ascontiguousarray(sector), capital_factor, productivity, float(capital_median), intensity,
           capital_per_worker, table.sector, table.capital, table.land, table.employment, table.productivity)


def finish(table, start: int, n: int, year: int, small_investment: float, small_land: float) -> None:
    """The new rows' small-firm flag (from their capital and land, after any trait), region (none)
    and year of birth."""
    _finish(start, n, year, float(small_investment), float(small_land), table.capital, table.land, table.small,
            table.region, table.born)
