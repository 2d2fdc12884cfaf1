"""The built-in instruments' per-firm passes, compiled (:func:`clustersim.jit.compiled`): the
yearly rebates and fee refunds, what a staying firm is still owed, the split of retained tax
under tax sharing. Each reads the firm table's (or the deciders') columns in place, instead of
gathering them, and takes numpy's floating-point steps in numpy's order, so the results are the
numpy formulations' bit for bit (``tests/test_digests.py``). The instruments import this module
when they first run, not when they are imported: validating a scenario loads no numba."""

from __future__ import annotations

import numpy as np

from clustersim.jit import compiled


@compiled()
def rebate_payments(rows, package, rebate_class, years, depth, schedule, county_cit_share, cit, out):
    """The yearly rebates of firms ``rows`` (their table columns read in place): the share of
    :meth:`~clustersim.packages.PackageBook.rebate_share` for year of residence ``years + 1``,
    then ``depth * share * county_cit_share * cit`` in numpy's order."""
    longest = schedule.shape[2]
    for k in range(rows.size):
        i = rows[k]
        p, y = package[i], years[i]
        share = schedule[p, rebate_class[i], y] if p >= 0 and 0 <= y < longest else 0.0
        out[k] = depth[i] * share * county_cit_share * cit[k]


@compiled()
def rebates_owed(package, rebate_class, years, depth, staying, remaining, county_cit_share, out):
    """What staying firms are still owed per wan of annual CIT, ``depth * remaining[p, class,
    min(years, last)] * county_cit_share`` in numpy's order
    (:meth:`~clustersim.packages.PackageBook.remaining_rebate_pv`), 0 for firms not staying or
    holding no package; False if no firm holds one."""
    last = remaining.shape[2] - 1
    owed = False
    for i in range(package.size):
        p = package[i]
        if p >= 0 and staying[i]:
            out[i] = depth[i] * remaining[p, rebate_class[i], min(years[i], last)] * county_cit_share
            owed = True
        else:
            out[i] = 0.0
    return owed


@compiled()
def fee_refunds(rows, package, depth, years, fee_waiver, fee_waiver_years, fees, out):
    """The yearly fee refunds of firms ``rows`` (their table columns read in place):
    ``min(1, depth * fee_waiver) * fees`` (:meth:`~clustersim.packages.PackageBook.refund_share`)
    in the waiver years of their package, 0 elsewhere."""
    for k in range(rows.size):
        i = rows[k]
        p = package[i]
        if p >= 0 and years[i] + 1 <= fee_waiver_years[p]:
            share = depth[i] * fee_waiver[p]
            if share > 1.0:  # np.minimum(1.0, share), nan kept
                share = 1.0
            out[k] = share * fees[k]
        else:
            out[k] = 0.0


@compiled()
def fee_refunds_owed(package, depth, years, staying, cur, fee_waiver, fee_waiver_years, cum, fee_rate, revenue, out):
    """What staying firms are still owed in fee refunds (wan, present value):
    ``refund_share * remaining_waiver_years_pv * fee_rate[cur] * revenue`` in numpy's order
    (:meth:`~clustersim.packages.PackageBook.refund_share`,
    :meth:`~clustersim.packages.PackageBook.remaining_waiver_years_pv`), 0 for firms not staying
    or holding no package; False if no firm holds one."""
    horizon = cum.size - 1
    owed = False
    for i in range(package.size):
        p = package[i]
        if p >= 0 and staying[i]:
            left = min(max(fee_waiver_years[p] - years[i], 0), horizon)  # np.clip
            share = depth[i] * fee_waiver[p]
            if share > 1.0:  # np.minimum(1.0, share), nan kept
                share = 1.0
            out[i] = share * cum[left] * fee_rate[cur[i]] * revenue[i]
            owed = True
        else:
            out[i] = 0.0
    return owed


@compiled()
def split_tax(rows, tax_origin, package, base_tax, sigma_of, retained, kept, sent, to):
    """Each firm's retained tax split between its host (``kept``) and the region it came from
    (``sent`` to ``to``; -1 and 0 for firms that share nothing): a moved firm under a package
    with a finite ``sigma`` keeps ``sigma * max(0, retained - base)`` with the host (numpy's
    ``np.maximum(0.0, x)``: -0.0 and nan as it gives them) and sends the rest."""
    for k in range(rows.size):
        i = rows[k]
        o, p, r = tax_origin[i], package[i], retained[k]
        if o >= 0 and p >= 0 and np.isfinite(sigma_of[p]):
            x = r - base_tax[i]
            h = sigma_of[p] * (0.0 if x < 0.0 else x)
            kept[k], sent[k], to[k] = h, r - h, o
        else:
            kept[k], sent[k], to[k] = r, 0.0, -1



@compiled()
def tax_sharing_arrive(rows, old, retained_tax, base_tax, tax_origin):
    """Arriving firms ``rows`` record their tax-sharing base and origin: a moved firm (``old`` >= 0)
    its retained tax and the region it came from, a newborn 0 and -1."""
    for k in range(rows.size):
        i = rows[k]
        if old[k] < 0:
            base_tax[i] = 0.0
            tax_origin[i] = -1
        else:
            base_tax[i] = retained_tax[i]
            tax_origin[i] = old[k]


@compiled()
def rebate_class_arrive(rows, package, capital, small, class_steps, step_class, rebate_class):
    """Arriving firms ``rows`` lock in their rebate class under the package of their destination
    (``package``, per arriving firm): :meth:`~clustersim.packages.PackageBook.rebate_class_under`,
    the step of their capital (``np.searchsorted(class_steps, capital, side="right")``, nan last)
    in ``step_class``, 0 (own plot) for firms that are not small."""
    n_steps = class_steps.size
    for k in range(rows.size):
        i = rows[k]
        if not small[i]:
            rebate_class[i] = 0
            continue
        x = capital[i]
        b = n_steps
        if x == x:  # the steps at or below x (nan: past every step, as numpy sorts it)
            b = 0
            while b < n_steps and class_steps[b] <= x:
                b += 1
        rebate_class[i] = step_class[b, package[k]]


@compiled()
def land_arrive(rows, dest, price, land, capital, small, region_package, region_depth, used, all_used, steps,
                step_tier, sf_tier, tier_table, sales, awards):
    """Arriving firms ``rows`` (destination ``dest``, market price ``price`` wan/mu, per arriving
    firm) buy their land: ``sales`` and ``awards`` (per region, zero on entry) add up ``l p`` and
    the award ``l (p - p_eff)`` by destination, in the order of the arrivals (np.bincount's).
    ``p_eff`` is :func:`~clustersim.packages.effective_land_price` of the tier price under the
    destination's package (:meth:`~clustersim.packages.PackageBook.tier_price_under`: the step of
    the capital in ``steps``, nan last, or ``sf_tier`` for a small firm); packages that do not use
    the purchase (``used`` False) book neither. With no depth offered at any destination every
    award is 0 and ``awards`` stays zero. The maxima take numpy's steps on arrays: a nan gap gives
    no discount, a nan price stays nan, a signed zero gives +0.0."""
    n_steps = steps.size
    any_depth = False
    for k in range(rows.size):
        if region_depth[dest[k]] != 0.0:
            any_depth = True
    for k in range(rows.size):
        i, j = rows[k], dest[k]
        p = region_package[j]
        here = all_used or used[p]
        sales[j] += land[i] * price[k] if here else 0.0
        if not any_depth:
            continue
        if small[i]:
            col = sf_tier
        else:
            x = capital[i]
            b = n_steps
            if x == x:
                b = 0
                while b < n_steps and steps[b] <= x:
                    b += 1
            col = step_tier[b, p]
        gap = price[k] - tier_table[p, col]
        gap = gap if gap > 0.0 else 0.0  # np.fmax(gap, 0.0): nan (no tier price) gives 0
        p_eff = price[k] - region_depth[j] * gap
        p_eff = p_eff if (p_eff > 0.0 or p_eff != p_eff) else 0.0  # np.maximum(p_eff, 0.0)
        awards[j] += land[i] * (price[k] - p_eff) if here else 0.0
