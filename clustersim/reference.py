"""Per-agent reference of the location decision, written for reading, not for speed.

The same decision as :func:`clustersim.choice.firm_values` followed by
:func:`clustersim.choice.choice_probabilities` (equations in :mod:`clustersim.choice`), computed
for one firm at a time with scalar Python floats, loops over regions and ``math.exp`` /
``math.log``. Package terms (tier prices, rebate schedules, fee waivers, awards) are read
straight from the :class:`~clustersim.params.Package` objects in ``cs.book.packages``, not
from :class:`~clustersim.packages.PackageBook`'s arrays, so that the tests comparing the two
check the vectorised bookkeeping as well as the algebra.

Money in wan, land in mu, distance in km.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from clustersim.choice import ChoiceSet, Deciders
from clustersim.params import Package


@dataclass
class Decision:
    """One firm's view of every region: value (wan), feasibility, choice probability."""

    value: list[float]
    feasible: list[bool]
    probability: list[float]


def tier_price(package: Package, capital: float, small: bool) -> float | None:
    """Land price the package sets for a firm, wan/mu; ``None``: no package price (market price).

    A small firm gets the standard-factory price; otherwise the firm gets the price of the
    first tier (tiers run from the highest ``min_investment`` down) that its investment reaches.
    """
    if small:
        return package.standard_factory_price
    for tier in package.land_tiers:
        if capital >= tier.min_investment:
            return tier.price
    return None


def rebate_schedule(package: Package, capital: float, small: bool) -> list[float]:
    """Rebate shares of retained CIT by year of residence (1st year first) for this firm."""
    if not small:
        return list(package.rebate_schedule)
    if capital >= package.standard_factory_rebate_min_investment:
        return list(package.standard_factory_rebate_schedule)
    return []


def rebate_class_schedule(package: Package, rebate_class: int) -> list[float]:
    """The schedule of a locked-in rebate class (0 own plot, 1 standard factory, 2 none)."""
    return [list(package.rebate_schedule), list(package.standard_factory_rebate_schedule), []][rebate_class]


def present_value(shares: list[float], discount: list[float], years_done: int = 0) -> float:
    """Sum over the next H years t = 1..H of delta^t times the share due in year years_done + t."""
    total = 0.0
    for t in range(1, len(discount) + 1):
        k = years_done + t  # year of residence
        if k <= len(shares):
            total += discount[t - 1] * shares[k - 1]
    return total


def fee_waiver_pv(package: Package, discount: list[float], depth: float, years_done: int = 0) -> float:
    """PV of refunds per wan of annual fees, for the waiver years still ahead. The refunded share
    is depth x fee_waiver, at most all of the fees."""
    share = min(1.0, depth * package.fee_waiver)
    total = 0.0
    for t in range(1, len(discount) + 1):
        if years_done + t <= package.fee_waiver_years:
            total += discount[t - 1] * share
    return total


def decide(cs: ChoiceSet, f: Deciders, i: int) -> Decision:
    """Values, feasibility and logit probabilities of every region for firm ``i`` of ``f``."""
    n_regions = cs.n_regions
    discount = [float(x) for x in cs.discount]
    annuity = float(cs.annuity)
    sector = int(f.sector[i])
    capital = float(f.capital[i])
    land = float(f.land[i])
    small = bool(f.small[i])
    here = int(f.region[i])  # -1: newborn
    q = float(cs.revenue_per_capital[sector]) * capital * float(f.productivity[i])

    values, feasible = [], []
    for j in range(n_regions):
        revenue = q * float(cs.revenue_factor[sector, j])
        profit = (revenue * float(cs.margin[sector, j]) - float(f.employment[i]) * float(cs.wage[j])
                  - cs.capital_cost_rate * capital)
        cit = cs.cit * max(profit, 0.0)
        after_tax = annuity * (profit - cit)
        fee_rate = float(cs.fee_rate[j])
        standard_factory_zone = small and not bool(cs.is_origin[j])

        if j == here:
            # staying: no upfront cost; the locked-in package still pays what is owed
            value = after_tax
            locked = int(f.package[i])
            if locked >= 0:
                package = cs.book.packages[locked]
                years_done = int(f.years[i])
                shares = rebate_class_schedule(package, int(f.rebate_class[i]))
                depth = float(f.package_depth[i])
                value += depth * present_value(shares, discount, years_done) * cs.county_cit_share * cit
                value += fee_waiver_pv(package, discount, depth, years_done) * fee_rate * revenue
            values.append(value)
            feasible.append(True)
            continue

        package = cs.book.packages[int(cs.package[j])]
        depth = float(cs.depth_offered[j])
        rebates = depth * cs.county_cit_share * cit * present_value(rebate_schedule(package, capital, small), discount)
        refunds = fee_rate * revenue * fee_waiver_pv(package, discount, depth)

        price = float(cs.sf_price[j]) if standard_factory_zone else float(cs.price[j])
        tier = tier_price(package, capital, small)
        discount_per_mu = 0.0 if tier is None else depth * max(0.0, price - tier)
        land_cost = land * max(0.0, price - discount_per_mu)

        if here < 0:
            moving = 0.0
            resale = 0.0
        else:
            moving = capital * (cs.moving_cost_base + cs.moving_cost_per_km * float(cs.distance[here, j]))
            old_pool_sf = small and not bool(cs.is_origin[here])
            old_price = float(cs.sf_price[here]) if old_pool_sf else float(cs.price[here])
            resale = cs.old_site_recovery * land * old_price
        award = depth * package.relocation_award * capital

        values.append(after_tax + rebates + refunds - land_cost - moving + award + resale)
        free = float(cs.free_sf_land[j]) if standard_factory_zone else float(cs.free_land[j])
        feasible.append(free >= land)

    scale = annuity * q
    return Decision(values, feasible, logit(values, feasible, scale, cs.theta, cs.utility))


def logit(values: list[float], feasible: list[bool], scale: float, theta: float, utility: str) -> list[float]:
    """Choice probabilities over regions; all zero if no region is acceptable.

    ``linear``: utility ``V / (theta scale)``; ``log``: ``ln(V) / theta``, only for V > 0.
    ``theta = 0``: probability 1 on the best acceptable region (the first on ties).
    """
    utilities: list[float | None] = []
    for v, ok in zip(values, feasible, strict=True):
        if not ok or (utility == "log" and v <= 0.0):
            utilities.append(None)
            continue
        u = math.log(v) if utility == "log" else v
        if theta > 0:
            u = u / theta if utility == "log" else v / (theta * scale)
        utilities.append(u)
    acceptable = [u for u in utilities if u is not None]
    probability = [0.0] * len(values)
    if not acceptable:
        return probability
    best = max(acceptable)
    if theta == 0:
        probability[utilities.index(best)] = 1.0
        return probability
    weights = [0.0 if u is None else math.exp(u - best) for u in utilities]
    total = sum(weights)
    return [w / total for w in weights]


def reference_decisions(cs: ChoiceSet, f: Deciders) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(value, feasible, probability)`` arrays (n x R) for all firms of ``f``, firm by firm."""
    decisions = [decide(cs, f, i) for i in range(f.n)]
    shape = (f.n, cs.n_regions)
    return (np.array([d.value for d in decisions], dtype=float).reshape(shape),
            np.array([d.feasible for d in decisions], dtype=bool).reshape(shape),
            np.array([d.probability for d in decisions], dtype=float).reshape(shape))
