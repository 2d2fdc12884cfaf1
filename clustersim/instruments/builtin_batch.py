"""The built-in instruments' part of a decision batch, in one compiled call.

A decision batch (:class:`clustersim.choice._Batch`) asks every instrument for its profile keys,
its terms and what it still owes a firm that stays, then lays the terms out for the kernel. With
the shipped instruments only (:data:`clustersim.instruments.BUILTIN`, bound in that order, no
plug-in, no liquidity trait) that is about a hundred small numpy calls a batch, which at the
demo's size (about 60 firms and 9 regions) cost several times the decision itself.
:func:`build` makes the same arrays in one compiled call: the profiles (rebate class code, then
tier code), the tax rows of the rebates, the untaxed rows of the fee refunds, the relocation
award and the land price net of the land award, the layouts of the taxable and untaxed terms
(:func:`clustersim.choice._layout`) and the stay values (:meth:`clustersim.choice._Batch._stay_values`).
:func:`picks` goes further for a batch of one block of the kernel (the model's mini-batches at
the demo's size): from the firm table's rows to the shipped logit's utilities in one call, then
numpy's ``exp`` and the draw.

Every number is computed with the same floating-point operations in the same order as the
instruments' numpy code, so the arrays are equal bit for bit; the generic path stays as the
fallback for everything else and as the oracle: ``tests/test_builtin_batch.py`` compares the two
on batches from every shipped scenario. What each term means is in the instruments' modules
(:mod:`~clustersim.instruments.rebates`, :mod:`~clustersim.instruments.fee_refunds`,
:mod:`~clustersim.instruments.land`, :mod:`~clustersim.instruments.relocation_award`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from clustersim import kernel
from clustersim.instruments import are_builtin, firm_passes
from clustersim.jit import compiled

if TYPE_CHECKING:
    from clustersim.choice import ChoiceSet, Deciders
    from clustersim.instruments.base import Instrument

__all__ = ["applies", "build", "picks"]


def applies(instruments: list[Instrument]) -> bool:
    """Whether :func:`build` gives a batch of these instruments: exactly the built-ins, in their
    order (no plug-in, no subclass), and no liquidity trait (whose refusals the generic path
    computes)."""
    return are_builtin(instruments) and not instruments[2].liquidity


def _tables(cs: ChoiceSet) -> tuple:
    """The instruments' package tables :func:`_build` reads (fixed for a model), gathered once per
    discount vector and kept on the land instrument."""
    rebates, fees, land, award, _ = cs.instruments
    key = cs.discount.tobytes()
    kept = land.__dict__.get("_builtin_tables")
    if kept is not None and kept[0] == key:
        return kept[1]
    tiers, classes = land.book, rebates.book
    pv, fee_pv = classes._pv_tables(cs.discount), fees.book._pv_tables(cs.discount)
    tables = (tiers.steps, tiers._step_tier_code, tiers._small_tier_code, tiers.tier_code_small,
              tiers.tier_code_price, land.uses, land.all_used, classes.class_steps, classes._step_class_code,
              classes._own_plot_code, pv["rebate_pv_by_code"], pv["remaining"], fees.book.fee_waiver,
              fees.book.fee_waiver_years, fee_pv["waiver_pv"], fee_pv["cum"], fees.active, award.book.award)
    land._builtin_tables = (key, tables)
    return tables


def _choice_set_args(cs: ChoiceSet) -> tuple[tuple, bool, bool, bool, int]:
    """What :func:`_build` reads of the choice set, in its order (``revenue_per_capital`` to
    ``award_on``), whether any package is offered, whether fee refunds and awards are paid, and
    the number of profile codes (tier codes x rebate class codes)."""
    tables = _tables(cs)
    _, fees, _, award, _ = cs.instruments
    depth = cs.depth_offered
    offered = np.count_nonzero(depth) > 0  # (depth.any(), cheaper)
    fee_on = offered and fees.active
    award_on = offered and award.active
    args = (cs.revenue_per_capital, cs.is_origin, cs.price, cs.sf_price, cs.revenue_factor, cs.margin, cs.wage,
            cs.fee_rate, depth, np.asarray(cs.package, dtype=np.int64), cs.free_land, cs.free_sf_land,
            float(cs.annuity), float(cs.old_site_recovery), float(cs.moving_cost_base), float(cs.capital_cost_rate),
            float(cs.cit), float(cs.county_cit_share), *tables, offered, fee_on, award_on)
    return args, offered, fee_on, award_on, tables[3].size * tables[10].shape[0]


def build(cs: ChoiceSet, f: Deciders) -> dict[str, np.ndarray]:
    """The arrays of a :class:`~clustersim.choice._Batch` of ``f`` against ``cs`` for the built-in
    instruments (:func:`applies`): ``profile``, ``scale``, ``cur``, ``incumbent``,
    ``distance_weight``, ``free``, the layouts ``profit_x``, ``profit_at``, ``profit_rows``,
    ``linear_x``, ``linear_at``, ``linear_rows``, ``tax_rows`` and ``stay``."""
    args, offered, fee_on, award_on, n_codes = _choice_set_args(cs)
    n, n_r = f.n, cs.n_regions
    n_s = cs.revenue_factor.shape[0]
    most = min(n, n_codes)  # profiles at most
    n_lin = 2 + fee_on + award_on  # (fee refunds) (award) land, const
    i64 = np.int64
    per_firm = np.empty((9, n))  # q, scale, const, distance weight, stay; revenue, profit, refund, fee refund
    profile, cur = np.empty(n, i64), np.empty(n, i64)
    incumbent = np.empty(n, np.bool_)
    profit_x, profit_at = np.empty((n, 3)), np.empty((n, 3), i64)
    linear_x, linear_at = np.empty((n, n_lin)), np.empty((n, n_lin), i64)
    profit_rows = np.empty((n_s + 2, n_r))
    linear_rows = np.empty((n_s * fee_on + award_on + most + 1, n_r))
    tax_rows = np.empty((max(most, 1), n_r))
    free = np.empty((2, n_r))
    g = _build(
        f.sector, f.capital, f.productivity, f.region, f.land, f.small, f.employment, f.package, f.rebate_class,
        f.years, f.package_depth, *args, per_firm, profile, cur, incumbent, profit_x, profit_at, profit_rows,
        linear_x, linear_at, linear_rows, tax_rows, free, np.empty(n + 2 * n_codes, i64))
    return {"profile": profile, "scale": per_firm[1], "cur": cur, "incumbent": incumbent,
            "distance_weight": per_firm[3], "stay": per_firm[4], "free": free,
            "profit_x": profit_x, "profit_at": profit_at, "profit_rows": profit_rows,
            "linear_x": linear_x, "linear_at": linear_at, "linear_rows": linear_rows[:n_s * fee_on + award_on + g + 1],
            "tax_rows": tax_rows[:g if offered else 1]}


_ARRIVAL_COLUMNS = ("region", "small", "land")  # the deciders' columns the arrivals read
_NO_REFUSALS: dict[int, np.ndarray] = {}  # (0, R) bool: no refused cells, by R (read only)


def _no_refusals(n_regions: int) -> np.ndarray:
    none = _NO_REFUSALS.get(n_regions)
    if none is None:
        none = _NO_REFUSALS[n_regions] = np.zeros((0, n_regions), dtype=np.bool_)
        none.setflags(write=False)
    return none


def picks(cs: ChoiceSet, table, rows: np.ndarray, newborn: np.ndarray, uniforms: np.ndarray, theta: float,
          log_utility: bool) -> tuple[np.ndarray, Deciders]:
    """The shipped logit's picks for the firms ``rows`` of the firm table (``newborn``: no site
    yet) in one block of the kernel (``rows.size * R`` at most :data:`clustersim.choice.CHUNK_CELLS`):
    :meth:`Deciders.from_table`, :func:`build` and :func:`clustersim.kernel.utilities` in one
    compiled call, then numpy's ``exp`` and :func:`clustersim.kernel.draws`, as
    :func:`clustersim.choice.choose` takes them (the same picks). Returns the picks and the
    deciders' ``region`` (-1 for newborns), ``small`` and ``land``, the columns the arrivals read."""
    from clustersim.choice import Deciders

    args, _, fee_on, award_on, n_codes = _choice_set_args(cs)
    n, n_r = rows.size, cs.n_regions
    n_s = cs.revenue_factor.shape[0]
    most = min(n, n_codes)
    n_lin = 2 + fee_on + award_on
    i64 = np.int64
    n_rows_of = n_s + 2 + n_s * fee_on + award_on + most + 1 + max(most, 1) + 2 + n_r
    fbuf, ibuf, bbuf = _buffers((14 + 3 + n_lin) * n + n_rows_of * n_r, (7 + 3 + n_lin) * n + n + 2 * n_codes, 2 * n)
    u, best, arg, block_cum, *scratch = kernel.block_scratch(n, n_r, (3, n_lin))
    _picks_block(np.asarray(rows, dtype=i64), np.asarray(newborn, dtype=np.bool_), table.sector, table.capital,
                 table.productivity, table.region, table.land, table.small, table.employment, table.package,
                 table.rebate_class, table.years, table.package_depth, cs.distance, float(cs.moving_cost_per_km),
                 *args, float(theta), bool(log_utility), fbuf, ibuf, bbuf, _no_refusals(n_r), u, best, arg, *scratch)
    ub, bb, ab = u[:n], best[:n], arg[:n]
    one_hot = theta == 0
    if not one_hot:  # numpy's exp of u - max, as choice_probabilities takes it
        np.exp(ub, out=ub)
    pick = np.empty(n, dtype=i64)
    kernel.draws(ub, bb, ab, one_hot, np.ascontiguousarray(uniforms, dtype=np.float64), 0, pick, block_cum)
    f = Deciders.__new__(Deciders)  # (its __init__, without the keyword arguments' cost)
    # views of this thread's workspace (_picks_block's layout), read by the arrivals before the next batch
    f.__dict__.update(columns=_ARRIVAL_COLUMNS, region=ibuf[3 * n:4 * n], small=bbuf[n:2 * n], land=fbuf[11 * n:12 * n])
    return pick, f


_workspace = threading.local()


def _buffers(floats: int, ints: int, flags: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """This thread's workspace for :func:`_picks_block`: at least ``floats`` float64, ``ints``
    int64 and ``flags`` bool entries, kept between batches (grown when a batch needs more)."""
    kept = getattr(_workspace, "kept", None)
    if kept is None or kept[0].size < floats or kept[1].size < ints or kept[2].size < flags:
        if kept is not None:
            floats, ints, flags = max(floats, kept[0].size), max(ints, kept[1].size), max(flags, kept[2].size)
        kept = _workspace.kept = (np.empty(floats), np.empty(ints, dtype=np.int64), np.empty(flags, dtype=np.bool_))
    return kept


@compiled(links=(kernel,))
def _picks_block(rows, newborn, t_sector, t_capital, t_productivity, t_region, t_land, t_small, t_employment,
                 t_package, t_rebate_class, t_years, t_package_depth, distance, moving_cost_per_km,
                 revenue_per_capital, is_origin, price, sf_price, revenue_factor, margin, wage, fee_rate, depth, pkg,
                 free_land, free_sf_land, annuity, old_site_recovery, moving_cost_base,
                 capital_cost_rate, cit, county_cit_share, steps, step_tier_code, small_tier_code, tier_code_small,
                 tier_code_price, uses, all_used, class_steps, step_class_code, own_plot_code, rebate_pv_by_code,
                 remaining, fee_waiver, fee_waiver_years, waiver_pv, cum, fees_active, award, offered, fee_on,
                 award_on, theta, log_utility, fbuf, ibuf, bbuf, refused, u, best, arg, prof, allowed, zero, pv, lv,
                 pk, lk):
    """:func:`picks`' compiled part: the deciders' columns gathered (``Deciders.from_table``), the
    batch (:func:`_build`), the moving costs (``moving_cost_per_km * distance``) and the
    utilities (:func:`clustersim.kernel.utilities`) of every firm, into ``u``, ``best``, ``arg``.
    Its per-firm arrays are laid out in the workspace ``fbuf``, ``ibuf``, ``bbuf`` (:func:`_buffers`)."""
    n = rows.shape[0]
    n_s, n_r = revenue_factor.shape
    n_lin = 2 + fee_on + award_on
    n_codes = tier_code_small.shape[0] * rebate_pv_by_code.shape[0]
    # floats: per firm build's 9, then capital, productivity, land, employment, package depth
    floats = fbuf[:14 * n].reshape((14, n))
    profit_x = fbuf[14 * n:17 * n].reshape((n, 3))
    linear_x = fbuf[17 * n:(17 + n_lin) * n].reshape((n, n_lin))
    top = (17 + n_lin) * n
    rows_of = fbuf[top:top + (fbuf.shape[0] - top) // n_r * n_r].reshape((-1, n_r))
    ints = ibuf[:7 * n].reshape((7, n))  # profile, cur, sector, region, package, rebate class, years
    profit_at = ibuf[7 * n:10 * n].reshape((n, 3))
    linear_at = ibuf[10 * n:(10 + n_lin) * n].reshape((n, n_lin))
    top = (10 + n_lin) * n
    scratch = ibuf[top:top + n + 2 * n_codes]
    flags = bbuf[:2 * n].reshape((2, n))  # incumbent, small
    capital, productivity, land, employment, package_depth = floats[9], floats[10], floats[11], floats[12], floats[13]
    profile, cur, sector, region, package, rebate_class, years = (ints[0], ints[1], ints[2], ints[3], ints[4],
                                                                  ints[5], ints[6])
    incumbent, small = flags[0], flags[1]
    for k in range(n):
        i = rows[k]
        sector[k] = t_sector[i]
        capital[k] = t_capital[i]
        land[k] = t_land[i]
        employment[k] = t_employment[i]
        productivity[k] = t_productivity[i]
        region[k] = -1 if newborn[k] else t_region[i]
        small[k] = t_small[i]
        years[k] = t_years[i]
        package[k] = t_package[i]
        package_depth[k] = t_package_depth[i]
        rebate_class[k] = t_rebate_class[i]
    most = min(n, n_codes)
    n_lin_rows = n_s * fee_on + award_on + most + 1
    top = n_s + 2
    profit_rows = rows_of[:top]
    linear_rows = rows_of[top:top + n_lin_rows]
    top += n_lin_rows
    tax_rows = rows_of[top:top + max(most, 1)]
    top += max(most, 1)
    free = rows_of[top:top + 2]
    moving = rows_of[top + 2:top + 2 + n_r]
    per_firm = floats[:9]
    g = _build(sector, capital, productivity, region, land, small, employment, package, rebate_class, years,
               package_depth, revenue_per_capital, is_origin, price, sf_price, revenue_factor, margin, wage, fee_rate,
               depth, pkg, free_land, free_sf_land, annuity, old_site_recovery, moving_cost_base, capital_cost_rate,
               cit, county_cit_share, steps, step_tier_code, small_tier_code, tier_code_small, tier_code_price, uses,
               all_used, class_steps, step_class_code, own_plot_code, rebate_pv_by_code, remaining, fee_waiver,
               fee_waiver_years, waiver_pv, cum, fees_active, award, offered, fee_on, award_on,
               per_firm, profile, cur, incumbent, profit_x, profit_at, profit_rows, linear_x, linear_at, linear_rows,
               tax_rows, free, scratch)
    for a in range(n_r):
        for b in range(n_r):
            moving[a, b] = moving_cost_per_km * distance[a, b]
    n_tax = g if offered else 1
    linear_used = linear_rows[:n_s * fee_on + award_on + g + 1]
    tax_used = tax_rows[:n_tax]
    distance_weight, stay, scale = floats[3], floats[4], floats[1]
    ub, bb, ab = u[:n], best[:n], arg[:n]
    kernel.utilities(profit_x, profit_at, profit_rows, linear_x, linear_at, linear_used, tax_used, profile, cur,
                     incumbent, moving, distance_weight, free, land, small, refused, stay, scale,
                     theta, log_utility, 0, ub, bb, ab, prof, allowed, zero, pv, lv, pk, lk)


@compiled()
def _count_at_or_below(steps, x):
    """np.searchsorted(steps, x, side="right") for ascending ``steps`` (nan sorts last)."""
    if x != x:
        return steps.shape[0]
    lo, hi = 0, steps.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if steps[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@compiled(links=(kernel, firm_passes))
def _build(sector, capital, productivity, region, land, small, employment, package, rebate_class, years,
           package_depth, revenue_per_capital, is_origin, price, sf_price, revenue_factor, margin, wage, fee_rate,
           depth, pkg, free_land, free_sf_land, annuity, old_site_recovery, moving_cost_base, capital_cost_rate, cit,
           county_cit_share, steps, step_tier_code, small_tier_code, tier_code_small, tier_code_price, uses, all_used,
           class_steps, step_class_code, own_plot_code, rebate_pv_by_code, remaining, fee_waiver, fee_waiver_years,
           waiver_pv, cum, fees_active, award, offered, fee_on, award_on,
           per_firm, profile, cur, incumbent, profit_x, profit_at, profit_rows, linear_x, linear_at, linear_rows,
           tax_rows, free, scratch):
    n = sector.shape[0]
    n_s, n_r = revenue_factor.shape
    n_tier = tier_code_small.shape[0]
    a = annuity
    q, scale, const, distance_weight, stay = per_firm[0], per_firm[1], per_firm[2], per_firm[3], per_firm[4]
    revenue, profit, refund, fee_refund = per_firm[5], per_firm[6], per_firm[7], per_firm[8]
    for j in range(n_r):  # free land by pool: main, and small firms' (origins: main)
        free[0, j] = free_land[j]
        free[1, j] = free_land[j] if is_origin[j] else free_sf_land[j]
    kernel.firm_setup(sector, capital, productivity, region, land, small, revenue_per_capital, is_origin, price,
                      sf_price, a, old_site_recovery, moving_cost_base, q, scale, cur, incumbent, const,
                      distance_weight)

    # profiles: rebate class code, then tier code (the instruments' order), numbered by the pair
    # in ascending order, as clustersim.choice._profiles numbers their packed codes
    m = (scratch.shape[0] - n) // 2  # tier codes x class codes
    code, rank, rep = scratch[:n], scratch[n:n + m], scratch[n + m:]
    for c in range(rank.shape[0]):
        rank[c] = 0
    for i in range(n):
        if small[i]:
            cls = step_class_code[_count_at_or_below(class_steps, capital[i])]
            tier = small_tier_code
        else:
            cls = own_plot_code
            tier = step_tier_code[_count_at_or_below(steps, capital[i])]
        c = cls * n_tier + tier
        code[i] = c
        rank[c] = 1
    g = 0
    for c in range(rank.shape[0]):
        if rank[c]:
            rank[c] = g
            rep[g] = c
            g += 1
    for i in range(n):
        profile[i] = rank[code[i]]

    # the taxable terms: a_H times pre-tax profit (revenue by sector, employment, capital)
    for s in range(n_s):
        for j in range(n_r):
            profit_rows[s, j] = a * (revenue_factor[s, j] * margin[s, j])
    for j in range(n_r):
        profit_rows[n_s, j] = -a * wage[j]
        profit_rows[n_s + 1, j] = -a * capital_cost_rate
    for i in range(n):
        profit_x[i, 0] = q[i]
        profit_at[i, 0] = sector[i]
        profit_x[i, 1] = employment[i]
        profit_at[i, 1] = n_s
        profit_x[i, 2] = capital[i]
        profit_at[i, 2] = n_s + 1

    # the rebates' tax rows: cit (1 - D lambda_c PV / a_H) per profile; without an offer, one row
    if offered:
        for p in range(g):
            cls = rep[p] // n_tier
            for j in range(n_r):
                rf = rebate_pv_by_code[cls, pkg[j]] * (county_cit_share * depth[j])
                tax_rows[p, j] = cit * (1.0 - rf / a)
    else:
        for j in range(n_r):
            tax_rows[0, j] = cit * (1.0 - 0.0 / a)

    # the untaxed terms in layout order: fee refunds (revenue), award (capital), land (per profile), const
    top = 0
    slot = 0
    if fee_on:
        for s in range(n_s):
            for j in range(n_r):
                share = depth[j] * fee_waiver[pkg[j]]
                if share > 1.0:  # np.minimum(1.0, share), nan kept
                    share = 1.0
                linear_rows[s, j] = revenue_factor[s, j] * ((share * waiver_pv[pkg[j]]) * fee_rate[j])
        for i in range(n):
            linear_x[i, slot] = q[i]
            linear_at[i, slot] = sector[i]
        top += n_s
        slot += 1
    if award_on:
        for j in range(n_r):
            linear_rows[top, j] = depth[j] * award[pkg[j]]
        for i in range(n):
            linear_x[i, slot] = capital[i]
            linear_at[i, slot] = top
        top += 1
        slot += 1
    for p in range(g):
        tier = rep[p] % n_tier
        for j in range(n_r):
            x = price[j]
            if tier_code_small[tier] and not is_origin[j]:
                x = sf_price[j]
            gap = x - tier_code_price[tier, pkg[j]]
            if not gap >= 0.0:  # np.fmax(gap, 0.0): a nan gap (no tier price) gives 0
                gap = 0.0
            p_eff = x - depth[j] * gap
            if not (p_eff > 0.0 or p_eff != p_eff):  # np.maximum(p_eff, 0.0): nan kept, -0.0 gives 0.0
                p_eff = 0.0
            if not all_used and not uses[pkg[j]]:
                p_eff = 0.0
            linear_rows[top + p, j] = -p_eff
    for i in range(n):
        linear_x[i, slot] = land[i]
        linear_at[i, slot] = top + profile[i]
        linear_x[i, slot + 1] = const[i]
        linear_at[i, slot + 1] = top + g
    for j in range(n_r):
        linear_rows[top + g, j] = 1.0

    # staying: profit in the current region, plus the rebates and fee refunds still owed
    kernel.stay_profit(q, sector, cur, revenue_factor, margin, employment, wage, capital, capital_cost_rate,
                       revenue, profit)
    rebates_owed = firm_passes.rebates_owed(package, rebate_class, years, package_depth, incumbent, remaining,
                                            county_cit_share, refund)
    fees_owed = fees_active and firm_passes.fee_refunds_owed(package, package_depth, years, incumbent, cur,
                                                             fee_waiver, fee_waiver_years, cum, fee_rate, revenue,
                                                             fee_refund)
    for i in range(n):
        if not incumbent[i]:
            stay[i] = np.nan
            continue
        pi = profit[i]
        tax = cit * (pi if (pi > 0.0 or pi != pi) else 0.0)  # np.maximum(profit, 0.0)
        v = a * (pi - tax)
        if rebates_owed and fees_owed:
            v += refund[i] * tax + fee_refund[i]
        elif rebates_owed:
            v += refund[i] * tax
        elif fees_owed:
            v += fee_refund[i]
        stay[i] = v
    return g
