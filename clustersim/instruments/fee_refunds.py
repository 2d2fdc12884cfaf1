"""Fee refunds: a share ``min(1, D fee_waiver)`` of the fees a firm pays, refunded in its first
``fee_waiver_years`` years of residence (flow ``fee_refunds``).

In the location value: ``min(1, D waiver) PV(waiver years) f_j R_ij``, a ``revenue`` term
(rows: sectors x regions); a staying firm keeps what is left of its waiver years.
"""

from __future__ import annotations

import numpy as np

from clustersim.instruments.base import FirmTerms, FirmYear, Flow, Instrument, Offer, Term
from clustersim.params import Package


def fee_waiver_pv(package: Package, discount: list[float], depth: float, years_done: int = 0) -> float:
    """PV of refunds per wan of annual fees, for the waiver years still ahead. The refunded share
    is depth x fee_waiver, at most all of the fees."""
    share = min(1.0, depth * package.fee_waiver)
    total = 0.0
    for t in range(1, len(discount) + 1):
        if years_done + t <= package.fee_waiver_years:
            total += discount[t - 1] * share
    return total


class FeeRefunds(Instrument):
    name = "fee_refunds"
    slot = "fee_refunds"
    flows = (Flow("fee_refunds", "incentive", "fees refunded to firms"),)

    def __init__(self, params, book):
        super().__init__(params, book)
        #: whether any package refunds anything (a share and years): otherwise every term and stay
        #: value is 0 and the instrument adds none to the location value
        self.active = bool(((book.fee_waiver > 0) & (book.fee_waiver_years > 0)).any())

    def terms(self, offer: Offer) -> list[Term]:
        cs, book = offer.cs, self.book
        pkg, depth = cs.package, cs.depth_offered
        if not self.active or not depth.any():  # nothing refunded anywhere (no share, or depth 0): no term
            return []
        waiver = book.refund_share(pkg, depth) * book.waiver_years_pv(cs.discount)[pkg] * cs.fee_rate
        return [Term("revenue", cs.revenue_factor * waiver[None, :], "untaxed")]

    def stay(self, offer, cur, staying, revenue):
        from clustersim.instruments import firm_passes

        if not self.active:
            return None
        cs, f, book = offer.cs, offer.f, self.book
        out = np.empty(f.n)
        if not firm_passes.fee_refunds_owed(f.package, f.package_depth, f.years, staying, cur, book.fee_waiver,
                                            book.fee_waiver_years, book.cumulative_discount(cs.discount), cs.fee_rate,
                                            revenue, out):
            return None
        return FirmTerms(untaxed=out)

    def _revenue(self, cs, f, i, j) -> float:
        q = float(cs.revenue_per_capital[int(f.sector[i])]) * float(f.capital[i]) * float(f.productivity[i])
        return q * float(cs.revenue_factor[int(f.sector[i]), j])

    def firm_terms(self, cs, f, i, j) -> FirmTerms:
        package = self.params[int(cs.package[j])]
        if package is None:
            return FirmTerms()
        pv = fee_waiver_pv(package, [float(x) for x in cs.discount], float(cs.depth_offered[j]))
        return FirmTerms(untaxed=float(cs.fee_rate[j]) * self._revenue(cs, f, i, j) * pv)

    def firm_stay(self, cs, f, i) -> FirmTerms:
        locked, j = int(f.package[i]), int(f.region[i])
        if locked < 0 or self.params[locked] is None:
            return FirmTerms()
        pv = fee_waiver_pv(self.params[locked], [float(x) for x in cs.discount], float(f.package_depth[i]),
                           int(f.years[i]))
        return FirmTerms(untaxed=pv * float(cs.fee_rate[j]) * self._revenue(cs, f, i, j))

    def payments(self, year: FirmYear) -> dict[str, np.ndarray]:
        from clustersim.instruments import firm_passes

        if not self.active:
            return {"fee_refunds": np.zeros(year.rows.size)}
        t, book, refund = year.table, self.book, np.empty(year.rows.size)
        firm_passes.fee_refunds(year.rows, t.package, t.package_depth, t.years, book.fee_waiver, book.fee_waiver_years,
                                year.fees, refund)
        return {"fee_refunds": refund}

    def payment_years(self, package: int) -> int:
        p = self.params[package]
        return p.fee_waiver_years if p is not None and p.fee_waiver > 0 else 0
