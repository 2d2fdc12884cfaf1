"""Tax rebates: a share of the county's retained corporate income tax paid back by year of
residence (``rebate_schedule``; the standard-factory schedule for small firms investing at
least ``standard_factory_rebate_min_investment``), scaled by the subsidy depth.

In the location value the rebate is a ``tax_refund`` term per profile (the rebate class under
every package): ``D lambda_c PV(schedule)`` per wan of annual CIT. A firm locks its rebate class
in on arrival; each year it is paid ``D share_k lambda_c CIT`` (flow ``rebates``).

Rebate classes: 0 own plot (``rebate_schedule``), 1 standard-factory zone at or above the
threshold (``standard_factory_rebate_schedule``), 2 standard-factory zone below it (none).
"""

from __future__ import annotations

import numpy as np

from clustersim.instruments.base import Arrival, FirmTerms, FirmYear, Flow, Instrument, Offer, Term
from clustersim.params import Package


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


class TaxRebates(Instrument):
    name = "rebates"
    slot = "rebates"
    flows = (Flow("rebates", "incentive", "rebates of retained corporate income tax"),)

    def profile(self, f):
        return self.book.class_code(f.capital, f.small)  # the row of book.class_code_rows

    def terms(self, offer: Offer) -> list[Term]:
        cs, book = offer.cs, self.book
        pkg, depth = cs.package, cs.depth_offered
        if not depth.any():  # no package offered: the refund is 0 everywhere (depth 0), no term
            return []
        pv = book.rebate_pv_by_code(cs.discount)[offer.rep_key(self)]  # (G, P): each profile's PV under every package
        rf = pv[:, pkg] * (cs.county_cit_share * depth)[None, :]
        return [Term("tax", rf, "tax_refund", per_profile=True)]

    def stay(self, offer, cur, staying, revenue):
        from clustersim.instruments import firm_passes

        cs, f = offer.cs, offer.f
        refund = np.empty(f.n)  # = depth * book.remaining_rebate_pv(...) * lambda_c where a package is locked in
        remaining = self.book.remaining_rebate_table(cs.discount)
        if not firm_passes.rebates_owed(f.package, f.rebate_class, f.years, f.package_depth, staying, remaining,
                                        float(cs.county_cit_share), refund):
            return None
        return FirmTerms(tax_refund=refund)

    def firm_terms(self, cs, f, i, j) -> FirmTerms:
        package = self.params[int(cs.package[j])]
        if package is None:
            return FirmTerms()
        shares = rebate_schedule(package, float(f.capital[i]), bool(f.small[i]))
        pv = present_value(shares, [float(x) for x in cs.discount])
        return FirmTerms(tax_refund=float(cs.depth_offered[j]) * cs.county_cit_share * pv)

    def firm_stay(self, cs, f, i) -> FirmTerms:
        locked = int(f.package[i])
        if locked < 0 or self.params[locked] is None:
            return FirmTerms()
        shares = rebate_class_schedule(self.params[locked], int(f.rebate_class[i]))
        pv = present_value(shares, [float(x) for x in cs.discount], int(f.years[i]))
        return FirmTerms(tax_refund=float(f.package_depth[i]) * pv * cs.county_cit_share)

    def arrive(self, arrival: Arrival) -> dict[str, np.ndarray]:
        from clustersim.instruments import firm_passes

        t, book = arrival.table, self.book  # the class under the destination's package (book.rebate_class_under)
        firm_passes.rebate_class_arrive(arrival.rows, np.asarray(arrival.cs.package, dtype=np.int64)[arrival.dest],
                                        t.capital, t.small, book.class_steps, book.step_class, t.rebate_class)
        return {}

    def payments(self, year: FirmYear) -> dict[str, np.ndarray]:
        from clustersim.instruments import firm_passes

        t, out = year.table, np.empty(year.rows.size)  # = depth * book.rebate_share(...) * lambda_c * CIT
        firm_passes.rebate_payments(year.rows, t.package, t.rebate_class, t.years, t.package_depth, self.book.schedule,
                                    float(year.county_cit_share), year.cit, out)
        return {"rebates": out}

    def payment_years(self, package: int) -> int:
        p = self.params[package]
        return 0 if p is None else max(len(p.rebate_schedule), len(p.standard_factory_rebate_schedule))
