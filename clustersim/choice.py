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

from clustersim.packages import PackageBook, effective_land_price

CHUNK_CELLS = 32768  # firm x region cells per block in choose(): the temporaries stay in cache


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
        return cls(sector=table.sector[rows], capital=table.capital[rows], land=table.land[rows],
                   employment=table.employment[rows], productivity=table.productivity[rows], region=region,
                   small=table.small[rows], years=table.years[rows], package=table.package[rows],
                   package_depth=table.package_depth[rows], rebate_class=table.rebate_class[rows])


def firm_values(cs: ChoiceSet, f: Deciders) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value of every region to every firm, wan: returns ``(V, feasible, scale)`` with V and
    feasible of shape (n, R) and scale (n,) = a_H q."""
    batch = _Batch(cs, f)
    value, feasible = batch.values(0, f.n)
    return value, feasible, batch.scale


def choose(cs: ChoiceSet, f: Deciders, uniforms: np.ndarray, chunk_cells: int = CHUNK_CELLS) -> np.ndarray:
    """The region each firm draws (-1: none acceptable): :func:`firm_values`,
    :func:`choice_probabilities` and :func:`draw` on blocks of about ``chunk_cells`` firm x region
    cells, so that the temporaries stay in cache. Same picks as the three on the whole batch."""
    batch = _Batch(cs, f)
    pick = np.empty(f.n, dtype=np.int64)
    step = max(1, chunk_cells // max(1, cs.n_regions))
    for lo in range(0, f.n, step):
        hi = min(f.n, lo + step)
        value, feasible = batch.values(lo, hi)
        prob = choice_probabilities(value, feasible, batch.scale[lo:hi], cs.theta, cs.utility)
        pick[lo:hi] = draw(prob, uniforms[lo:hi])
    return pick


class _RegionTerms:
    """The per-region rows of the value, computed once per choice set.

    With the firm's attributes in a few columns X and the regions' terms in rows Y, most of V
    is a matrix product (see :class:`_Batch`)."""

    def __init__(self, cs: ChoiceSet):
        book, a, depth, pkg = cs.book, cs.annuity, cs.depth_offered, cs.package
        n_s = cs.revenue_factor.shape[0]
        # a_H * pre-tax profit = [q 1{s}, e, K] @ profit_rows
        self.profit_rows = np.vstack([a * (cs.revenue_factor * cs.margin), -a * cs.wage[None, :],
                                      np.full((1, cs.n_regions), -a * cs.capital_cost_rate)])
        # fee refunds per unit of q (by sector) and relocation award per unit of K
        waiver = book.refund_share(pkg, depth) * book.waiver_years_pv(cs.discount)[pkg] * cs.fee_rate
        self.linear_rows = np.vstack([cs.revenue_factor * waiver[None, :], (depth * book.award[pkg])[None, :]])
        self.n_sectors = n_s
        # land pools: small firms use the standard-factory zone in counties
        self.price = np.vstack([cs.price, np.where(cs.is_origin, cs.price, cs.sf_price)])  # [small]
        self.free = np.vstack([cs.free_land, np.where(cs.is_origin, cs.free_land, cs.free_sf_land)])
        self.rebate_pv = book.rebate_pv(cs.discount)  # (P, 3)
        self.distance = cs.moving_cost_per_km * cs.distance


class _Batch:
    """One batch of deciders against one choice set: everything that is per firm, not per cell.

    ``V = P - cit (1 - rf / a_H) max(P, 0) + L - m_d K d(current, .)`` with ``P = a_H Pi`` and the
    part linear in the firm's attributes ``L = [q 1{s}, K, l 1{g}, c] @ [fee refunds; award;
    -p_eff[g]; 1]``. Firms with the same package profile ``g`` (small or not, the tier reached
    and the rebate class under every package) share the effective land price row
    ``p_eff[g]`` and the rebate share row ``rf[g]``; ``c`` is the resale of the old site minus
    the fixed moving cost. Cells where the firm stays are then overwritten with the value of
    staying.
    """

    def __init__(self, cs: ChoiceSet, f: Deciders):
        rt = _RegionTerms(cs)
        self.cs, self.f, self.rt = cs, f, rt
        book, a = cs.book, cs.annuity
        n, n_s = f.n, rt.n_sectors
        sector = f.sector.astype(np.int64)
        q = cs.revenue_per_capital[sector] * f.capital * f.productivity
        self.scale = a * q
        by_sector = np.zeros((n, n_s))
        by_sector[np.arange(n), sector] = q

        # package profiles of the firms and their rows of p_eff and rebate share
        tier = book.tier_index(f.capital, f.small)  # (n, P)
        cls = book.rebate_class(f.capital, f.small).astype(np.int64)  # (n, P)
        code = f.small.astype(np.int64)
        for p in range(len(book)):
            code = (code * (book.sf_tier + 1) + tier[:, p]) * 3 + cls[:, p]
            if p + 1 < len(book):  # re-number so the code stays below n x 3 (sf_tier + 1): no overflow
                code = np.unique(code, return_inverse=True)[1].astype(np.int64)
        _, first, self.profile = np.unique(code, return_index=True, return_inverse=True)
        pkg, depth = cs.package, cs.depth_offered
        small_g = f.small[first].astype(np.int64)
        price_g = rt.price[small_g]  # (G, R)
        tier_g = book.tier_table[pkg[None, :], tier[first][:, pkg]]
        p_eff = effective_land_price(price_g, tier_g, depth[None, :])
        rf = rt.rebate_pv[pkg[None, :], cls[first][:, pkg]] * (cs.county_cit_share * depth)[None, :]
        self.tax_rows = cs.cit * (1.0 - rf / a)  # share of max(P, 0) lost to net tax, (G, R)
        n_g = first.size
        by_profile = np.zeros((n, n_g))
        by_profile[np.arange(n), self.profile] = f.land

        newborn = f.region < 0
        cur = np.where(newborn, 0, f.region)
        resale = cs.old_site_recovery * f.land * np.where(f.small & ~cs.is_origin[cur], cs.sf_price[cur],
                                                          cs.price[cur])
        const = np.where(newborn, 0.0, resale - cs.moving_cost_base * f.capital)
        self.profit_cols = np.column_stack([by_sector, f.employment, f.capital])
        self.linear_cols = np.column_stack([by_sector, f.capital, by_profile, const])
        self.linear_rows = np.vstack([rt.linear_rows, -p_eff, np.ones((1, cs.n_regions))])
        self.cur, self.incumbent = cur, ~newborn
        self.distance_weight = np.where(newborn, 0.0, f.capital)
        self.stay = self._stay_values(q, sector)

    def _stay_values(self, q: np.ndarray, sector: np.ndarray) -> np.ndarray:
        """Value of staying for each incumbent (nan for newborns): no upfront cost, plus what
        the locked-in package still owes."""
        cs, f, book = self.cs, self.f, self.cs.book
        c = self.cur
        revenue = q * cs.revenue_factor[sector, c]
        profit = revenue * cs.margin[sector, c] - f.employment * cs.wage[c] - cs.capital_cost_rate * f.capital
        tax = cs.cit * np.maximum(profit, 0.0)
        stay = cs.annuity * (profit - tax)
        locked = f.package.astype(np.int64)
        has = (locked >= 0) & self.incumbent
        if has.any():
            p, years = locked[has], f.years[has]
            owed = book.remaining_rebate_pv(p, f.rebate_class[has].astype(np.int64), years, cs.discount)
            refund = book.remaining_waiver_years_pv(p, years, cs.discount)
            depth = f.package_depth[has]
            stay[has] += (depth * owed * cs.county_cit_share * tax[has]
                          + book.refund_share(p, depth) * refund * cs.fee_rate[c[has]] * revenue[has])
        return np.where(self.incumbent, stay, np.nan)

    def values(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """``(V, feasible)`` for firms ``lo:hi`` of the batch."""
        rt, f = self.rt, self.f
        rows = slice(lo, hi)
        profit = self.profit_cols[rows] @ rt.profit_rows  # a_H Pi
        value = self.linear_cols[rows] @ self.linear_rows
        value += profit
        taxed = np.maximum(profit, 0.0, out=profit)
        profile = self.profile[rows]
        if self.tax_rows.shape[0] == 1:
            taxed *= self.tax_rows[0]
        else:
            taxed *= np.take(self.tax_rows, profile, axis=0)
        value -= taxed
        cur, inc = self.cur[rows], self.incumbent[rows]
        if inc.any():
            moving = np.take(rt.distance, cur, axis=0, out=taxed)
            moving *= self.distance_weight[rows, None]
            value -= moving

        land = f.land[rows, None]
        feasible = land <= rt.free[0]
        small = np.flatnonzero(f.small[rows])
        if small.size:
            feasible[small] = land[small] <= rt.free[1]
        stayers = np.flatnonzero(inc)
        value[stayers, cur[stayers]] = self.stay[rows][stayers]
        feasible[stayers, cur[stayers]] = True
        return value, feasible


def choice_probabilities(value: np.ndarray, feasible: np.ndarray, scale: np.ndarray,
                         theta: float, utility: str) -> np.ndarray:
    """Logit choice probabilities (n, R); rows with no acceptable region are all zero."""
    if utility == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.log(np.maximum(value, 1e-300))
        if theta > 0:
            u /= theta
        u = np.where(feasible & (value > 0), u, -np.inf)
    else:
        u = value / (theta * scale[:, None]) if theta > 0 else value.copy()
        u = np.where(feasible, u, -np.inf)
    best = u.max(axis=1)
    ok = np.isfinite(best)
    if theta == 0:
        prob = np.zeros_like(u)
        pick = np.argmax(u, axis=1)
        prob[np.flatnonzero(ok), pick[ok]] = 1.0
        return prob
    best[~ok] = 0.0  # rows of -inf stay -inf and get probability 0
    u -= best[:, None]
    prob = np.exp(u, out=u)
    total = prob.sum(axis=1)
    total[~ok] = 1.0
    prob /= total[:, None]
    return prob


DRAW_BLOCK = 16  # regions per block of the two-level inverse CDF


def draw(prob: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """One region per row by inverse CDF with the given U(0,1) draws; -1 for all-zero rows.

    Rows need not sum to 1: row i picks the first region whose cumulative weight exceeds
    ``uniforms[i]`` times the row total. The cumulative sum is taken in two levels (blocks of
    ``DRAW_BLOCK`` regions, then within the chosen block) because a row-wise cumsum over all
    regions is several times slower than the rest of the decision.
    """
    n, n_r = prob.shape
    starts = np.arange(0, n_r, DRAW_BLOCK)
    block_cum = np.cumsum(np.add.reduceat(prob, starts, axis=1), axis=1)  # (n, blocks)
    target = uniforms * block_cum[:, -1]
    block = np.minimum((block_cum < target[:, None]).sum(axis=1), starts.size - 1)
    rows = np.arange(n)
    before = np.where(block > 0, block_cum[rows, block - 1], 0.0)
    first = starts[block]
    cols = first[:, None] + np.arange(DRAW_BLOCK)[None, :]
    last = np.minimum(first + DRAW_BLOCK, n_r) - 1  # last region of each row's block
    inside = np.take_along_axis(prob, np.minimum(cols, last[:, None]), axis=1)
    within = np.cumsum(inside, axis=1)
    within += before[:, None]
    # columns past the block's end only repeat its last region; clipping to ``last`` also keeps
    # the pick in the block when rounding leaves its running total a hair below the target
    pick = np.minimum(first + (within < target[:, None]).sum(axis=1), last)
    pick[block_cum[:, -1] <= 0] = -1
    return pick
