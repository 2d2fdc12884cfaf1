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

Calibration: the parameters are stated assumptions, not estimates (docs/ODD.md 3.3.2 and
docs/calibration.md, "Firm traits"). Published figures were looked for and do not pin them down:
for liquidity, the shares of Chinese private firms' financing from banks (about a fifth, World
Bank Investment Climate Survey 2003: Ayyagari, Demirguc-Kunt and Maksimovic 2010, Review of
Financial Studies 23(8)) and of firms calling finance a serious constraint (about 80 %, IFC 1999
survey: Gregory and Tenev 2001, Finance and Development 38(1)) say that small firms pay from their
own funds, not how much cash they hold per mu of a site; for growth, the annual growth rates of
Chinese industrial firms are Laplace-distributed with a spread falling with size and age (Zou
2019, Physica A 535, 122344, annual industrial survey 1998-2008) and high growth is hardly
persistent (Moschella, Tamagni and Yu 2019, Small Business Economics 52(3)), while ``growth_rate``
here is a trend fixed at birth, for which no published distribution was found.

Draws use the model's generator, in the order above, only for the traits switched on, so a
scenario without traits draws exactly what it drew before.
"""

from __future__ import annotations

import numpy as np

from clustersim.firms import Column, FirmTable
from clustersim.params import Traits


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
