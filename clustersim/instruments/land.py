"""Land: the upfront purchase of a site at the market price, with the package's land-price
tiers paid back as a land award (slot ``land``).

A firm pays ``p_j l`` (main pool, or the standard-factory zone's price for a small firm in a
county) and gets back ``l (p_j - p_eff)`` with ``p_eff = max(0, p_j - D_j max(0, p_j -
tier_price(K)))`` (:func:`~clustersim.packages.effective_land_price`): in its location value
the term is ``-p_eff l``, per profile (small or not, the tier reached under every package).
Flows: ``land_sales`` (revenue, at the market price) and ``land_awards`` (incentive), booked on
arrival. A package whose ``land`` slot is taken by another instrument (e.g. a lease) has no
purchase and no award here.
"""

from __future__ import annotations

import numpy as np

from clustersim.instruments.base import Arrival, FirmTerms, Flow, Instrument, Offer, Term
from clustersim.packages import effective_land_price
from clustersim.params import Package


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


class LandPurchase(Instrument):
    name = "land"
    slot = "land"
    flows = (Flow("land_sales", "revenue", "land sold to arriving firms at the market price"),
             Flow("land_awards", "incentive", "land-price discounts paid back to arriving firms"))

    def __init__(self, params, book):
        super().__init__(params, book)
        self.all_used = bool(self.used().all())

    def profile(self, f):
        return np.column_stack([f.small.astype(np.int64), self.book.tier_index(f.capital, f.small)])

    def terms(self, offer: Offer) -> list[Term]:
        cs, rep, book = offer.cs, offer.rep, self.book
        pkg, depth = cs.package, cs.depth_offered
        small_g = rep.small.astype(np.int64)
        pools = np.vstack([cs.price, np.where(cs.is_origin, cs.price, cs.sf_price)])  # [small]
        price_g = pools[small_g]  # (G, R)
        tier = book.tier_index(rep.capital, rep.small)
        tier_g = book.tier_table[pkg[None, :], tier[:, pkg]]
        p_eff = effective_land_price(price_g, tier_g, depth[None, :])
        if not self.all_used:
            p_eff[:, ~self.used()[pkg]] = 0.0
        return [Term("land", -p_eff, "untaxed", per_profile=True)]

    def firm_terms(self, cs, f, i, j) -> FirmTerms:
        package = self.params[int(cs.package[j])]
        if package is None:
            return FirmTerms()
        capital, land, small = float(f.capital[i]), float(f.land[i]), bool(f.small[i])
        price = float(cs.sf_price[j]) if small and not bool(cs.is_origin[j]) else float(cs.price[j])
        tier = tier_price(package, capital, small)
        discount_per_mu = 0.0 if tier is None else float(cs.depth_offered[j]) * max(0.0, price - tier)
        return FirmTerms(untaxed=-land * max(0.0, price - discount_per_mu))

    def arrive(self, arrival: Arrival) -> dict[str, np.ndarray]:
        t, rows, dest, cs = arrival.table, arrival.rows, arrival.dest, arrival.cs
        price, land = arrival.price, t.land[rows]
        pkg = cs.package[dest]
        tier = self.book.tier_price(t.capital[rows], t.small[rows])[np.arange(rows.size), pkg]
        discount = price - effective_land_price(price, tier, cs.depth_offered[dest])
        sales, awards = land * price, land * discount
        if not self.all_used:
            here = self.used()[pkg]
            sales, awards = np.where(here, sales, 0.0), np.where(here, awards, 0.0)
        return {"land_sales": arrival.by_region(sales), "land_awards": arrival.by_region(awards)}
