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
(``utility = "log"``; with theta = 1 this is the Polya urn of docs/reference_design.md §7). ``theta = 0``
picks the best region (lowest index on ties).

The incentive terms (rebates, fee refunds, land price and award, relocation award, and any
plug-in's) come from the instruments (:mod:`clustersim.instruments`) as firm columns times
region rows; :func:`firm_values` lays them out generically and computes all of this for all
firms x all regions at once (the logit itself is :mod:`clustersim.decision`);
:mod:`clustersim.reference` recomputes it firm by firm to prove it right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from clustersim import kernel
from clustersim.decision import DecisionRule, Logit, choice_probabilities, draw
from clustersim.firms import COLUMNS
from clustersim.instruments import builtin_batch
from clustersim.instruments.base import TERM_COLUMNS, Offer
from clustersim.threads import decision_threads, run_split

if TYPE_CHECKING:
    from clustersim.instruments.base import Instrument
    from clustersim.packages import PackageBook

__all__ = ["ChoiceSet", "Deciders", "choice_probabilities", "choose", "draw", "firm_values"]

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
    instruments: list[Instrument] = field(default_factory=list)  # the instruments in use (their terms)
    rule: DecisionRule | None = None  # values -> probabilities -> draw (None: the logit of theta, utility)

    @property
    def n_regions(self) -> int:
        return self.wage.size

    @property
    def decision_rule(self) -> DecisionRule:
        return self.rule if self.rule is not None else Logit(self.theta, self.utility)


#: the firm-table columns a decider carries (plus any an instrument declares)
DECIDER_COLUMNS = tuple(name for name, c in COLUMNS.items() if c.decides)


class Deciders:
    """The reviewing firms (n rows): the :data:`DECIDER_COLUMNS` of the firm table (and any
    column an instrument added) as attributes. ``region = -1`` marks a newborn with no site yet."""

    def __init__(self, **columns: np.ndarray):
        self.columns = tuple(columns)
        for name, values in columns.items():
            setattr(self, name, values)

    @property
    def n(self) -> int:
        return self.region.size

    def take(self, idx) -> Deciders:
        """The deciders at positions ``idx`` (an index array or slice); a column is gathered
        when first read."""
        return _Taken(self, idx)

    @classmethod
    def from_table(cls, table, rows: np.ndarray, newborn: np.ndarray) -> Deciders:
        region = table.region[rows].astype(np.int64)
        region[newborn] = -1
        names = [*DECIDER_COLUMNS, *(c for c in getattr(table, "columns", {}) if c not in COLUMNS)]
        return cls(**{c: region if c == "region" else getattr(table, c)[rows] for c in names})


class _Taken(Deciders):
    """:meth:`Deciders.take`: the columns of ``source`` at ``idx``, each gathered on first use
    (instruments read a few columns of the profiles' first firms, not all)."""

    def __init__(self, source: Deciders, idx) -> None:
        self.columns = source.columns
        self._source, self._idx = source, idx

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in self.__dict__.get("columns", ()):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        value = getattr(self._source, name)[self._idx]
        setattr(self, name, value)
        return value


def firm_values(cs: ChoiceSet, f: Deciders) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value of every region to every firm, wan: returns ``(V, feasible, scale)`` with V and
    feasible of shape (n, R) and scale (n,) = a_H q."""
    batch = _Batch(cs, f)
    value, feasible = batch.values(0, f.n)
    return value, feasible, batch.scale


def choose(cs: ChoiceSet, f: Deciders, uniforms: np.ndarray, chunk_cells: int = CHUNK_CELLS,
           compiled: bool | None = None) -> np.ndarray:
    """The region each firm draws (-1: none acceptable).

    With the shipped logit (``compiled`` None or True), the compiled kernel
    (:func:`clustersim.kernel.logit_picks`) makes one pass over the cells. Otherwise
    (``compiled=False``, or a plug-in decision rule) the numpy path: :func:`firm_values`, then the
    rule's probabilities and draw, on blocks of about ``chunk_cells`` firm x region cells, so that
    the temporaries stay in cache. All give the same picks (see :mod:`clustersim.kernel` for the
    last bits)."""
    batch = _Batch(cs, f)
    rule = cs.decision_rule
    shipped = type(rule) is Logit
    if compiled and not shipped:
        raise ValueError(f"the compiled kernel runs only the shipped logit, not {type(rule).__name__}")
    if shipped and compiled is not False:
        return batch.logit_picks(uniforms, rule)
    pick = np.empty(f.n, dtype=np.int64)
    step = max(1, chunk_cells // max(1, cs.n_regions))
    for lo in range(0, f.n, step):
        hi = min(f.n, lo + step)
        value, feasible = batch.values(lo, hi)
        prob = rule.probabilities(value, feasible, batch.scale[lo:hi])
        pick[lo:hi] = rule.draw(prob, uniforms[lo:hi])
    return pick


def _profiles(keys: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(profile, first)``: firms with equal keys of every instrument share a profile; ``first``
    is the first firm of each profile. Keys are non-negative integer columns (n,) or (n, k),
    packed into one int64 code (re-numbered only when the next column could overflow it);
    profiles are numbered in the order of their codes. The common case (codes below 8 n + 4096,
    no re-numbering) runs compiled (:func:`clustersim.kernel.profile_index`)."""
    if keys:  # (the cast of np.asarray(k, dtype=np.int64), in the concatenation)
        stacked = np.concatenate([np.asarray(k).reshape(n, -1) for k in keys], axis=1, dtype=np.int64,
                                 casting="unsafe")
    else:
        stacked = np.zeros((n, 0), dtype=np.int64)
    profile = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    g = kernel.profile_index(stacked, profile, first)
    if g >= 0:
        return profile, first[:g].copy()
    return _profiles_numpy(keys, n)


def _profiles_numpy(keys: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_profiles` in numpy, any codes (re-numbered before they overflow; sorted when sparse)."""
    code = np.zeros(n, dtype=np.int64)
    top = 0  # largest code so far
    for key in keys:
        for col in key.reshape(n, -1).T:
            width = int(col.max(initial=0)) + 1
            if (top + 1) * width >= 2**62:
                code = np.unique(code, return_inverse=True)[1].reshape(n).astype(np.int64)
                top = int(code.max(initial=0))
            code = code * width + col
            top = top * width + width - 1
    if top < 8 * n + 4096:  # small codes: a table lookup instead of a sort (same result as np.unique)
        seen = np.zeros(top + 1, dtype=bool)
        seen[code] = True
        profile = (np.cumsum(seen) - 1)[code]
        first = np.full(int(seen.sum()), n, dtype=np.int64)
        np.minimum.at(first, profile, np.arange(n))
        return profile, first
    _, first, profile = np.unique(code, return_index=True, return_inverse=True)
    return profile.reshape(n), first


_GROUP_ORDER = {(column, per_profile): 2 * k + per_profile for k, column in enumerate(TERM_COLUMNS)
                for per_profile in (False, True)}  # the layout's column groups, in order


def _layout(terms: list[tuple[str, bool, np.ndarray]], f: Deciders, sector: np.ndarray, q: np.ndarray,
            profile: np.ndarray, n_profiles: int, n_sectors: int, n_regions: int,
            extra: tuple[np.ndarray, float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The terms ``(column, per_profile, rows)`` as firm columns times region rows, gathered:
    ``(x, at, rows)``.

    ``rows`` (k, R) holds the region rows in :data:`TERM_COLUMNS` order (plain, then per profile;
    the revenue column has one row per sector, a per-profile term one row per profile); terms on
    the same column add their rows. Each firm has one *slot* per column group: ``x`` (n, slots) its
    value of the column (q for revenue, 1 for ``one``) and ``at`` (n, slots) the row it multiplies
    (its sector's, its profile's, or the group's one row). As a dense (n, k) matrix of firm columns
    (:func:`_dense_columns`), slot s of firm i is entry ``[i, at[i, s]]`` and every other entry is
    0, so ``dense @ rows`` is the value; the compiled kernel adds the slots' rows in slot order
    without building it. ``extra``: one more slot (a firm column and its row), last."""
    summed: dict[int, np.ndarray] = {}  # group -> its rows, added in the terms' order
    for column, per_profile, y in terms:
        g = _GROUP_ORDER[column, per_profile]
        summed[g] = y if g not in summed else summed[g] + y
    groups = sorted(summed)
    widths = [n_sectors if g < 2 else (n_profiles if g & 1 else 1) for g in groups]  # groups 0, 1: revenue
    n_slots = len(groups) + (extra is not None)
    x = np.empty((f.n, n_slots))
    at = np.empty((f.n, n_slots), dtype=np.int64)
    rows = np.empty((sum(widths) + (extra is not None), n_regions))
    top = 0
    for s, (g, width) in enumerate(zip(groups, widths, strict=True)):
        rows[top:top + width] = summed[g]
        column = TERM_COLUMNS[g >> 1]
        if column == "revenue":
            x[:, s] = q
            at[:, s] = top + sector
        else:
            x[:, s] = 1.0 if column == "one" else getattr(f, column)
            at[:, s] = top + profile if g & 1 else top
        top += width
    if extra is not None:
        x[:, -1], rows[top] = extra
        at[:, -1] = top
    return x, at, rows


def _dense_columns(x: np.ndarray, at: np.ndarray, k: int) -> np.ndarray:
    """The (n, k) firm columns of a gathered layout (see :func:`_layout`): x at ``at``, 0 elsewhere."""
    cols = np.zeros((x.shape[0], k))
    cols[np.arange(x.shape[0])[:, None], at] = x
    return cols


class _Batch:
    """One batch of deciders against one choice set: everything that is per firm, not per cell.

    ``V = P - cit (1 - rf / a_H) max(P, 0) + L - m_d K d(current, .)`` where ``P = X_P @ Y_P``
    is a_H times pre-tax profit plus the instruments' taxable terms, ``L = X_L @ Y_L`` the
    untaxed terms and ``rf`` the instruments' tax refunds (one row per profile, or one row).
    The firm columns X are the :data:`~clustersim.instruments.base.TERM_COLUMNS` (revenue at
    A = 1 by sector, employment, capital, land, 1; a per-profile term's column is spread over
    one column per profile), then ``c``: the resale of the old site minus the fixed moving cost.
    X is kept gathered (:func:`_layout`: per firm, each group's value and the row it multiplies),
    never as the dense (n, k) matrix, which with G profiles has G mostly-zero columns.
    Cells where the firm stays are then overwritten with the value of staying, and cells an
    instrument refuses are infeasible.
    """

    def __init__(self, cs: ChoiceSet, f: Deciders, builtin: bool | None = None):
        """``builtin``: None (default) lays out the shipped instruments' terms in one compiled call
        where they are all there is (:mod:`clustersim.instruments.builtin_batch`: the same arrays);
        False always asks the instruments (the protocol, and the oracle of that call)."""
        self.cs, self.f = cs, f
        self.distance = cs.moving_cost_per_km * cs.distance
        self.land = np.ascontiguousarray(f.land, dtype=np.float64)
        self.small = np.ascontiguousarray(f.small, dtype=bool)
        self.refused = None
        if builtin is not False and builtin_batch.applies(cs.instruments):
            self.__dict__.update(builtin_batch.build(cs, f))
            return
        self.free = np.array([cs.free_land, np.where(cs.is_origin, cs.free_land, cs.free_sf_land)])  # by pool: [small]
        a, n_r = cs.annuity, cs.n_regions
        n, n_s = f.n, cs.revenue_factor.shape[0]
        f64 = np.float64
        sector = np.asarray(f.sector, dtype=np.int64)
        capital = np.ascontiguousarray(f.capital, dtype=f64)
        q, self.scale, const, self.distance_weight = np.empty((4, n))  # (rows of one array: one allocation)
        self.cur = np.empty(n, dtype=np.int64)
        self.incumbent = np.empty(n, dtype=bool)
        kernel.firm_setup(sector, capital, np.ascontiguousarray(f.productivity, dtype=f64),
                          np.asarray(f.region, dtype=np.int64), self.land, self.small,
                          np.ascontiguousarray(cs.revenue_per_capital, dtype=f64),
                          np.ascontiguousarray(cs.is_origin, dtype=bool), np.ascontiguousarray(cs.price, dtype=f64),
                          np.ascontiguousarray(cs.sf_price, dtype=f64), float(a), float(cs.old_site_recovery),
                          float(cs.moving_cost_base), q, self.scale, self.cur, self.incumbent, const,
                          self.distance_weight)

        instruments = cs.instruments
        keys = {id(ins): k for ins in instruments if (k := ins.profile(f)) is not None}
        self.profile, first = _profiles(list(keys.values()), n)
        offer = Offer(cs, f, self.profile, first, keys=keys)
        # the core terms (a_H times pre-tax profit), then the instruments' by kind: (column, per_profile, rows)
        taxable = [("revenue", False, a * (cs.revenue_factor * cs.margin)), ("employment", False, -a * cs.wage),
                   ("capital", False, np.full(n_r, -a * cs.capital_cost_rate))]
        untaxed, refunds = [], []
        for ins in instruments:
            for t in ins.terms(offer):
                kind = t.kind
                if kind == "tax_refund":
                    refunds.append(t.rows if t.per_profile else t.rows[None, :])
                else:
                    (taxable if kind == "taxable" else untaxed).append((t.column, t.per_profile, t.rows))
        n_g = first.size
        if len(refunds) == 1:
            rf = refunds[0]
        else:
            rf = np.zeros((1, n_r))
            for rows in refunds:
                rf = rf + rows
        self.tax_rows = np.ascontiguousarray(cs.cit * (1.0 - rf / a), dtype=f64)  # share of max(P, 0) lost to net tax
        refused = [r for ins in instruments if (r := ins.refused(offer)) is not None]
        self.refused = np.logical_or.reduce(refused) if refused else None

        self.profit_x, self.profit_at, self.profit_rows = _layout(taxable, f, sector, q, self.profile, n_g, n_s, n_r)
        self.linear_x, self.linear_at, self.linear_rows = _layout(
            untaxed, f, sector, q, self.profile, n_g, n_s, n_r, extra=(const, 1.0))
        self.stay = self._stay_values(q, sector, offer)

    def _stay_values(self, q: np.ndarray, sector: np.ndarray, offer: Offer) -> np.ndarray:
        """Value of staying for each incumbent (nan for newborns): no upfront cost, plus what
        the instruments still owe under the locked-in package."""
        cs, f, c = self.cs, self.f, self.cur
        f64 = np.float64
        revenue, profit = np.empty(f.n), np.empty(f.n)  # in the current region (compiled: kernel.stay_profit)
        kernel.stay_profit(q, sector, c, np.ascontiguousarray(cs.revenue_factor, dtype=f64),
                           np.ascontiguousarray(cs.margin, dtype=f64), np.ascontiguousarray(f.employment, dtype=f64),
                           np.ascontiguousarray(cs.wage, dtype=f64), np.ascontiguousarray(f.capital, dtype=f64),
                           float(cs.capital_cost_rate), revenue, profit)
        taxable = untaxed = refund = None  # the instruments' stay terms, added in their order
        for ins in cs.instruments:
            st = ins.stay(offer, c, self.incumbent, revenue)
            if st is not None:
                taxable, untaxed, refund = (_plus(taxable, st.taxable), _plus(untaxed, st.untaxed),
                                            _plus(refund, st.tax_refund))
        if taxable is None:
            tax = cs.cit * np.maximum(profit, 0.0)
            stay = cs.annuity * (profit - tax)
        else:  # taxable terms (present values) are taxed with the profit they add to
            pre = cs.annuity * profit + taxable
            tax = cs.cit * np.maximum(pre, 0.0) / cs.annuity
            stay = pre - cs.annuity * tax
        extra = None
        if refund is not None:
            extra = refund * tax
        if untaxed is not None:
            extra = untaxed if extra is None else extra + untaxed
        if extra is not None:
            stay += extra
        return np.where(self.incumbent, stay, np.nan)

    def logit_picks(self, uniforms: np.ndarray, rule: Logit, chunk_cells: int = CHUNK_CELLS,
                    threads: int | None = None) -> np.ndarray:
        """The picks of the shipped logit for every firm of the batch, by the compiled kernel
        (:mod:`clustersim.kernel`), on blocks of about ``chunk_cells`` cells: utilities (one
        pass over the cells), numpy's ``exp`` on the block, then the draw. A batch of at least
        two blocks per thread is split over ``threads`` threads (default
        :func:`clustersim.threads.decision_threads`); the picks are the same for any number."""
        f, n_r = self.f, self.cs.n_regions
        if n_r > kernel.MAX_REGIONS:
            raise ValueError(f"the compiled kernel takes at most {kernel.MAX_REGIONS} regions, not {n_r}")
        refused = self.refused if self.refused is not None else np.zeros((0, n_r), dtype=bool)
        args = (self.profit_x, self.profit_at, self.profit_rows, self.linear_x, self.linear_at, self.linear_rows,
                self.tax_rows, self.profile, self.cur, self.incumbent, self.distance, self.distance_weight,
                self.free, self.land, self.small, np.ascontiguousarray(refused, dtype=bool), self.stay, self.scale,
                float(rule.theta), rule.utility == "log")
        uniforms = np.ascontiguousarray(uniforms, dtype=np.float64)
        one_hot = rule.theta == 0
        pick = np.empty(f.n, dtype=np.int64)
        step = max(1, chunk_cells // max(1, n_r))
        slots = (self.profit_x.shape[1], self.linear_x.shape[1])

        def picks(first: int, stop: int) -> None:  # firms first:stop, block by block, with this thread's scratch
            u, best, arg, block_cum, *scratch = kernel.block_scratch(min(step, stop - first), n_r, slots)
            for lo in range(first, stop, step):
                m = min(step, stop - lo)
                ub, bb, ab = u[:m], best[:m], arg[:m]
                kernel.utilities(*args, lo, ub, bb, ab, *scratch)
                if not one_hot:  # numpy's exp of u - max, as choice_probabilities takes it
                    np.exp(ub, out=ub)
                kernel.draws(ub, bb, ab, one_hot, uniforms, lo, pick, block_cum)

        most = f.n // (2 * step)  # at least two blocks per thread
        parts = 1 if most < 2 else min(decision_threads() if threads is None else threads, most)
        run_split(picks, f.n, parts)
        return pick

    def values(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """``(V, feasible)`` for firms ``lo:hi`` of the batch."""
        f = self.f
        rows = slice(lo, hi)
        profit_cols = _dense_columns(self.profit_x[rows], self.profit_at[rows], self.profit_rows.shape[0])
        linear_cols = _dense_columns(self.linear_x[rows], self.linear_at[rows], self.linear_rows.shape[0])
        profit = profit_cols @ self.profit_rows  # a_H Pi (+ taxable terms)
        value = linear_cols @ self.linear_rows
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
            moving = np.take(self.distance, cur, axis=0, out=taxed)
            moving *= self.distance_weight[rows, None]
            value -= moving

        land = f.land[rows, None]
        feasible = land <= self.free[0]
        small = np.flatnonzero(f.small[rows])
        if small.size:
            feasible[small] = land[small] <= self.free[1]
        if self.refused is not None:
            feasible &= ~np.take(self.refused, profile, axis=0)
        stayers = np.flatnonzero(inc)
        value[stayers, cur[stayers]] = self.stay[rows][stayers]
        feasible[stayers, cur[stayers]] = True
        return value, feasible


def _plus(total: np.ndarray | None, x) -> np.ndarray | None:
    """``total + x`` for per-firm arrays, ``None`` standing for no term: a zero term (``None`` or
    the scalar 0) is left out."""
    if x is None or ((type(x) is not np.ndarray or x.ndim == 0) and x == 0.0):  # (np.ndim(x) == 0, cheaper)
        return total
    return x if total is None else total + x
