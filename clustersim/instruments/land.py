"""Land: the upfront purchase of a site at the market price, with the package's land-price
tiers paid back as a land award (slot ``land``).

A firm pays ``p_j l`` (main pool, or the standard-factory zone's price for a small firm in a
county) and gets back ``l (p_j - p_eff)`` with ``p_eff = max(0, p_j - D_j max(0, p_j -
tier_price(K)))`` (:func:`~clustersim.packages.effective_land_price`): in its location value
the term is ``-p_eff l``, per profile (small or not, the tier reached under every package).
Flows: ``land_sales`` (revenue, at the market price) and ``land_awards`` (incentive), booked on
arrival. A package whose ``land`` slot is taken by another instrument (e.g. a lease) has no
purchase and no award here.

Liquidity (only with the firm trait ``firms.traits.cash_median``): buying a county site needs
cash for land and plant at once, ``cash_per_mu >= p_j + plant_cost`` (market price of the
firm's pool; the award comes after the investment is complete); a firm short of it is refused
the site. Origins are exempt. The profile then also keys on the firm's liquidity class.
"""

from __future__ import annotations

import numpy as np

from clustersim import traits as firm_traits
from clustersim.instruments.base import Arrival, FirmTerms, Flow, Instrument, Offer, Term
from clustersim.packages import effective_land_price
from clustersim.params import Package, Traits


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
        self.uses = self.used()  # (per package; fixed for the book)
        self.all_used = bool(self.uses.all())
        scenario = getattr(book, "scenario", None)
        self.traits: Traits = scenario.firms.traits if scenario is not None else Traits()
        self.liquidity = self.traits.cash_median is not None

    def profile(self, f):
        key = self.book.tier_code(f.capital, f.small)  # the row of book.tier_code_rows: small, then the tiers
        if self.liquidity:
            key = np.column_stack([key, firm_traits.cash_class(f.cash_per_mu, self.traits)])
        return key

    def refused(self, offer: Offer):
        """Cells of county sites under this purchase whose upfront cost the profile's cash misses."""
        if not self.liquidity:
            return None
        cs, rep = offer.cs, offer.rep
        pools = np.vstack([cs.price, np.where(cs.is_origin, cs.price, cs.sf_price)])
        need = pools[rep.small.astype(np.int64)] + self.traits.plant_cost  # (G, R) wan/mu
        applies = ~cs.is_origin & self.uses[cs.package]
        return applies[None, :] & (rep.cash_per_mu[:, None] < need)

    def firm_refused(self, cs, f, i, j) -> bool:
        if not self.liquidity or bool(cs.is_origin[j]) or self.params[int(cs.package[j])] is None:
            return False
        price = float(cs.sf_price[j]) if bool(f.small[i]) else float(cs.price[j])
        return float(f.cash_per_mu[i]) < price + self.traits.plant_cost

    def terms(self, offer: Offer) -> list[Term]:
        cs, book = offer.cs, self.book
        pkg, depth = cs.package, cs.depth_offered
        code = offer.rep_key(self)
        code = code if code.ndim == 1 else code[:, 0]  # (G,) the tier code of each profile
        small_g = book.tier_code_small[code][:, None]
        price_g = np.where(small_g, np.where(cs.is_origin, cs.price, cs.sf_price), cs.price)  # (G, R)
        tier_g = book.tier_code_price[code][:, pkg]  # the tier price under each region's package (nan: none)
        p_eff = effective_land_price(price_g, tier_g, depth[None, :])
        if not self.all_used:
            p_eff[:, ~self.uses[pkg]] = 0.0
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
        from clustersim.instruments import firm_passes

        t, cs, book = arrival.table, arrival.cs, self.book
        sales, awards = np.zeros(arrival.n_regions), np.zeros(arrival.n_regions)
        firm_passes.land_arrive(arrival.rows, arrival.dest, arrival.price, t.land, t.capital, t.small,
                                np.asarray(cs.package, dtype=np.int64), cs.depth_offered, self.uses, self.all_used,
                                book.steps, book.step_tier, book.sf_tier, book.tier_table, sales, awards)
        return {"land_sales": sales, "land_awards": awards}
