"""Firm traits drawn at birth beyond size and productivity (``firms.traits``), each off by default.

* **cash on hand** ``cash_per_mu`` (wan per mu of the firm's land need): log-normal with median
  ``cash_median`` and spread ``cash_sigma``, rounded down to ``cash_grid`` so that firms fall into
  liquidity classes (the location decision treats the firms of one class alike). A firm can buy
  a site only if its cash covers the upfront cost of land and plant, ``l (p_j + plant_cost)``
  (:mod:`clustersim.instruments.land`); industrial real estate needs only a deposit
  (:mod:`clustersim.instruments.industrial_real_estate`). Origins are exempt (coastal firms use
  the plant they have or rent).
* **plot ratio** ``plot_ratio`` (floor area / site area of the firm's plans): log-normal, median
  ``plot_ratio_median``, spread ``plot_ratio_sigma`` (read by the entry standard).
* **investment intensity** spread: the firm's land need is ``K / (k_s exp(sigma N - sigma^2/2))``
  with ``sigma = intensity_sigma`` (0: every firm of a sector has its sector's intensity k_s).
* **growth rate** ``growth_rate`` (share of capital per year): normal with mean ``growth_mean``
  and spread ``growth_sigma``, cut to ``[-growth_max, growth_max]`` (:mod:`clustersim.growth`).

Calibration. ``cash_median`` is set from one published moment, the share of Chinese private
firms for which finance is a serious constraint: about 80 % (``CONSTRAINED_SHARE``) of the
private firms in the IFC's 1999 survey (Beijing, Chengdu, Shunde, Wenzhou), which relied mainly
on their own funds (Gregory and Tenev 2001, Finance and Development 38(1)). Mapping: that share
is read as the share of firms whose cash cannot cover the upfront cost of a county site at the
benchmark price, ``P(cash_per_mu < p0 + plant_cost) = 0.80`` with ``p0`` the benchmark land
price (``land_price``, 20 wan/mu) and the grid's rounding included; :func:`calibrated_cash_median`
solves it for the median (with ``cash_sigma = 0.6``, ``p0 + plant_cost = 80``: 48.3 wan/mu).
Caveats: "a serious constraint" is a perception of finance in general, not a measured shortfall
against the price of a site; the survey is of private firms in four cities in 1999, not of the
small manufacturers of inland counties today; and one moment pins one parameter, so
``cash_sigma``, ``cash_grid`` and ``plant_cost`` stay stated assumptions. Other figures looked at
agree in direction but map less directly: about a fifth of Chinese private firms' financing came
from banks (World Bank Investment Climate Survey 2003: Ayyagari, Demirguc-Kunt and Maksimovic
2010, Review of Financial Studies 23(8)), a share of money, not of firms.

The other parameters are stated assumptions (docs/ODD.md 3.3.2 and docs/calibration.md, "Firm
traits"). For growth, the annual growth rates of Chinese industrial firms are Laplace-distributed
with a spread falling with size and age (Zou 2019, Physica A 535, 122344, annual industrial survey
1998-2008) and high growth is hardly persistent (Moschella, Tamagni and Yu 2019, Small Business
Economics 52(3)), while ``growth_rate`` here is a trend fixed at birth, for which no published
distribution was found.

Draws use the model's generator, in the order above, only for the traits switched on, so a
scenario without traits draws exactly what it drew before.
"""

from __future__ import annotations

import math

import numpy as np

from clustersim.firms import Column, FirmTable
from clustersim.params import Traits

CONSTRAINED_SHARE = 0.80
"""Share of Chinese private firms calling finance a serious constraint (Gregory and Tenev 2001)."""


def calibrated_cash_median(share: float, upfront_cost: float, sigma: float, grid: float) -> float:
    """Median cash per mu (wan/mu) at which a share ``share`` of firms cannot pay ``upfront_cost``.

    Cash is ``grid * floor(m exp(sigma N) / grid)``, which falls short of ``upfront_cost`` exactly
    when the unrounded cash is below ``grid * ceil(upfront_cost / grid)``; the median ``m`` solves
    ``P(m exp(sigma N) < that threshold) = share`` (log-normal quantile, scipy).
    """
    if not 0.0 < share < 1.0 or upfront_cost <= 0.0 or sigma <= 0.0 or grid <= 0.0:
        raise ValueError(f"calibrated_cash_median: share in (0, 1), positive cost, sigma and grid; got "
                         f"share={share}, upfront_cost={upfront_cost}, sigma={sigma}, grid={grid}")
    from scipy import stats  # here, not at the top: scipy.stats costs a model process about 30 MB

    threshold = grid * math.ceil(upfront_cost / grid)
    return float(threshold / stats.lognorm(s=sigma).ppf(share))


def share_short(median: float, upfront_cost: float, sigma: float, grid: float) -> float:
    """Share of firms whose (rounded) cash per mu falls short of ``upfront_cost``: the inverse check."""
    from scipy import stats

    threshold = grid * math.ceil(upfront_cost / grid)
    return float(stats.lognorm(s=sigma, scale=median).cdf(threshold))


def columns(traits: Traits) -> dict[str, Column]:
    """The firm columns the traits switched on need."""
    out: dict[str, Column] = {}
    if traits.cash_median is not None:
        out["cash_per_mu"] = Column(np.float64, 0.0, public=True, decides=True)
    if traits.plot_ratio_median is not None:
        out["plot_ratio"] = Column(np.float64, 1.0, public=True, decides=True)
    if traits.growth_mean is not None:
        out["growth_rate"] = Column(np.float64, 0.0, public=True)
        out["stalled"] = Column(bool, False, public=True)
    return out


def any_on(traits: Traits) -> bool:
    return traits.cash_median is not None or traits.plot_ratio_median is not None or (
        traits.intensity_sigma > 0) or traits.growth_mean is not None


def draw(traits: Traits, table: FirmTable, rows: np.ndarray, rng: np.random.Generator) -> None:
    """Draw the traits of new firms ``rows`` (their land need is already ``K / k_s``)."""
    n = rows.size
    if traits.intensity_sigma > 0:
        s = traits.intensity_sigma
        table.land[rows] = table.land[rows] / np.exp(s * rng.standard_normal(n) - 0.5 * s * s)
    if traits.cash_median is not None:
        cash = traits.cash_median * np.exp(traits.cash_sigma * rng.standard_normal(n))
        table.cash_per_mu[rows] = np.floor(cash / traits.cash_grid) * traits.cash_grid
    if traits.plot_ratio_median is not None:
        table.plot_ratio[rows] = traits.plot_ratio_median * np.exp(traits.plot_ratio_sigma * rng.standard_normal(n))
    if traits.growth_mean is not None:
        g = traits.growth_mean + traits.growth_sigma * rng.standard_normal(n)
        table.growth_rate[rows] = np.clip(g, -traits.growth_max, traits.growth_max)


def cash_class(cash_per_mu: np.ndarray, traits: Traits) -> np.ndarray:
    """Liquidity class of each firm (an integer key: firms of one class have the same cash per mu)."""
    return np.rint(cash_per_mu / traits.cash_grid).astype(np.int64)
