"""Location choice: the value of every region to every reviewing firm, and the logit choice.

For firm i (sector s, investment K wan, land l mu, employment e, productivity z) and region j,
with ``q = r_s K z`` (revenue at A = 1, wan/year):

* revenue ``R_ij = q A[s, j] (1 - tau_m d_j^market)``
* pre-tax profit ``Pi_ij = R_ij (1 - m_s - f_j - phi (1 - G_j) - t_v (1 - m_s)) - w_j e - c K``
  (materials, fees, governance friction, VAT on value added, wages, capital cost)
* corporate income tax ``CIT_ij = t_c max(Pi_ij, 0)``
* value ``V_ij = a_H (Pi_ij - CIT_ij) + incentives_ij - upfront_ij`` with the annuity factor
  ``a_H = sum_{t=1..H} delta^t``.

Moving to (or entering) j, under the package P of county j if it is offered this year and with
the county's subsidy depth D_j:

* incentives: ``D_j lambda_c CIT_ij PV(rebate schedule) + D_j f_j R_ij PV(fee refunds)``
* upfront: land ``l p_eff`` with ``p_eff = max(0, p_j - D_j max(0, p_j - tier_price(K)))``,
  moving ``K (m_0 + m_d d(current, j))``, minus the award ``D_j award K``, minus the resale of
  the old site ``recovery l p_current``. Newborn firms pay land everywhere but no moving cost
  and have no old site.

Staying costs nothing upfront and keeps the rebates still owed under the locked-in package.
Small firms (the small-firm rule) use the county's standard-factory land pool and price.

Choice: multinomial logit over feasible regions (enough free land in the firm's pool; the
current region is always feasible): ``P_ij ∝ exp(V_ij / (theta scale_i))`` with
``scale_i = a_H q_i`` (``utility = "linear"``), or ``P_ij ∝ V_ij^(1/theta)`` for V > 0
(``utility = "log"``; with theta = 1 this is the Polya urn of MODEL_SPEC §7). ``theta = 0``
picks the best region (lowest index on ties).

:func:`firm_values` computes all of this for all firms x all regions at once;
:mod:`clustersim.reference` recomputes it firm by firm to prove it right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clustersim.packages import PackageBook


@dataclass
class ChoiceSet:
    """What a reviewing firm sees of every region this mini-batch (R regions, S sectors)."""

    revenue_factor: np.ndarray  # (S, R) A[s, j] (1 - tau_m d_j): revenue per unit of q
    margin: np.ndarray  # (S, R) share of revenue left after materials, fees, friction, VAT
    wage: np.ndarray  # (R,) wan per worker-year
    fee_rate: np.ndarray  # (R,)
    price: np.ndarray  # (R,) main-pool land price, wan/mu
    sf_price: np.ndarray  # (R,) standard-factory land price, wan/mu (origins: main price)
    free_land: np.ndarray  # (R,) free main-pool land, mu
    free_sf_land: np.ndarray  # (R,) free standard-factory land, mu (origins: main pool)
    is_origin: np.ndarray  # (R,) bool
    package: np.ndarray  # (R,) package index of each region
    depth_offered: np.ndarray  # (R,) subsidy depth if the package is offered this year, else 0
    distance: np.ndarray  # (R, R) km
    revenue_per_capital: np.ndarray  # (S,)
    annuity: float  # a_H
    discount: np.ndarray  # (H,) delta^1 .. delta^H
    cit: float
    county_cit_share: float
    capital_cost_rate: float
    moving_cost_base: float
    moving_cost_per_km: float
    old_site_recovery: float
    theta: float
    utility: str
    book: PackageBook

    @property
    def n_regions(self) -> int:
        return self.wage.size


@dataclass
class Deciders:
    """The reviewing firms (n rows). ``region = -1`` marks a newborn with no site yet."""

    sector: np.ndarray
    capital: np.ndarray
    land: np.ndarray
    employment: np.ndarray
    productivity: np.ndarray
    region: np.ndarray
    small: np.ndarray
    years: np.ndarray
    package: np.ndarray
    package_depth: np.ndarray
    rebate_class: np.ndarray

    @property
    def n(self) -> int:
        return self.sector.size

    @classmethod
    def from_table(cls, table, rows: np.ndarray, newborn: np.ndarray) -> Deciders:
        region = table.region[rows].astype(np.int64)
        region[newborn] = -1
        return cls(*(getattr(table, name)[rows] for name in (
            "sector", "capital", "land", "employment", "productivity")), region,
            *(getattr(table, name)[rows] for name in (
                "small", "years", "package", "package_depth", "rebate_class")))


def firm_values(cs: ChoiceSet, f: Deciders) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value of every region to every firm, wan: returns ``(V, feasible, scale)`` with V and
    feasible of shape (n, R) and scale (n,) = a_H q."""
    n = f.n
    book = cs.book
    q = cs.revenue_per_capital[f.sector] * f.capital * f.productivity
    revenue = q[:, None] * cs.revenue_factor[f.sector]
    profit = revenue * cs.margin[f.sector]
    profit -= f.employment[:, None] * cs.wage[None, :]
    profit -= (cs.capital_cost_rate * f.capital)[:, None]
    tax = np.maximum(profit, 0.0)
    tax *= cs.cit
    value = profit - tax
    value *= cs.annuity

    # incentives offered to arrivals, per firm x package, gathered onto regions
    pkg = cs.package
    depth = cs.depth_offered
    rebate_pv = book.rebate_pv(cs.discount)  # (P, 3)
    cls = book.rebate_class(f.capital, f.small)  # (n, P)
    firm_rebate_pv = rebate_pv[np.arange(len(book))[None, :], cls]  # (n, P)
    rebate_factor = firm_rebate_pv[:, pkg] * (cs.county_cit_share * depth)[None, :]
    value += rebate_factor * tax
    waiver = depth * book.waiver_pv(cs.discount)[pkg] * cs.fee_rate
    value += revenue * waiver[None, :]

    # upfront cost of arriving
    small_pool = f.small[:, None] & ~cs.is_origin[None, :]
    price = np.where(small_pool, cs.sf_price[None, :], cs.price[None, :])
    tier = book.tier_price(f.capital, f.small)[:, pkg]  # nan: no tier price
    gap = np.maximum(price - tier, 0.0)
    np.nan_to_num(gap, copy=False, nan=0.0)
    land_cost = np.maximum(price - depth[None, :] * gap, 0.0)
    land_cost *= f.land[:, None]
    newborn = f.region < 0
    cur = np.where(newborn, 0, f.region)
    moving = cs.moving_cost_base + cs.moving_cost_per_km * cs.distance[cur]
    moving[newborn] = 0.0
    moving -= (depth * book.award[pkg])[None, :]
    moving *= f.capital[:, None]
    rows = np.arange(n)
    resale = cs.old_site_recovery * f.land * np.where(
        f.small & ~cs.is_origin[cur], cs.sf_price[cur], cs.price[cur])
    resale[newborn] = 0.0
    value -= land_cost
    value -= moving
    value += resale[:, None]

    # staying: no upfront, keep what the locked-in package still owes
    inc = ~newborn
    r_i, c_i = rows[inc], cur[inc]
    stay = cs.annuity * (profit[r_i, c_i] - tax[r_i, c_i])
    locked = f.package[inc].astype(np.int64)
    has = locked >= 0
    still = np.zeros(r_i.size)
    if has.any():
        owed = book.remaining_rebate_pv(locked[has], f.rebate_class[inc][has].astype(np.int64),
                                        f.years[inc][has], cs.discount)
        still[has] = owed * cs.county_cit_share * tax[r_i[has], c_i[has]]
        refund = _remaining_waiver_pv(book, locked[has], f.years[inc][has], cs.discount)
        still[has] += refund * cs.fee_rate[c_i[has]] * revenue[r_i[has], c_i[has]]
        still[has] *= f.package_depth[inc][has]
    value[r_i, c_i] = stay + still

    free = np.where(small_pool, cs.free_sf_land[None, :], cs.free_land[None, :])
    feasible = free >= f.land[:, None]
    feasible[r_i, c_i] = True
    return value, feasible, cs.annuity * q


def _remaining_waiver_pv(book: PackageBook, package: np.ndarray, years_done: np.ndarray,
                         discount: np.ndarray) -> np.ndarray:
    left = np.clip(book.fee_waiver_years[package] - years_done, 0, discount.size)
    cum = np.concatenate([[0.0], np.cumsum(discount)])
    return book.fee_waiver[package] * cum[left]


def choice_probabilities(value: np.ndarray, feasible: np.ndarray, scale: np.ndarray,
                         theta: float, utility: str) -> np.ndarray:
    """Logit choice probabilities (n, R); rows with no acceptable region are all zero."""
    if utility == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(value > 0, np.log(np.maximum(value, 1e-300)), -np.inf)
        if theta > 0:
            u /= theta
    else:
        u = value / (theta * scale[:, None]) if theta > 0 else value.copy()
    u[~feasible] = -np.inf
    best = u.max(axis=1)
    ok = np.isfinite(best)
    prob = np.zeros_like(u)
    if theta == 0:
        pick = np.argmax(u, axis=1)
        prob[np.flatnonzero(ok), pick[ok]] = 1.0
        return prob
    u[ok] -= best[ok, None]
    prob[ok] = np.exp(u[ok])
    prob[ok] /= prob[ok].sum(axis=1, keepdims=True)
    return prob


def draw(prob: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """One region per row by inverse CDF with the given U(0,1) draws; -1 for all-zero rows."""
    cum = np.cumsum(prob, axis=1)
    total = cum[:, -1]
    pick = (cum < (uniforms * total)[:, None]).sum(axis=1)
    pick = np.minimum(pick, prob.shape[1] - 1)
    pick[total <= 0] = -1
    return pick
