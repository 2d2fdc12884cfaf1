"""Relocation award: ``D award K`` paid to a firm when it arrives (flow ``relocation_awards``);
in the location value a ``capital`` term ``D_j award_j``."""

from __future__ import annotations

import numpy as np

from clustersim.instruments.base import Arrival, FirmTerms, Flow, Instrument, Offer, Term


class RelocationAward(Instrument):
    name = "relocation_award"
    slot = "relocation_award"
    flows = (Flow("relocation_awards", "incentive", "awards paid to arriving firms"),)

    def __init__(self, params, book):
        super().__init__(params, book)
        self.active = bool((book.award > 0).any())  # otherwise the term is 0 everywhere: none is added

    def terms(self, offer: Offer) -> list[Term]:
        cs = offer.cs
        if not self.active or not cs.depth_offered.any():  # 0 everywhere: no term
            return []
        return [Term("capital", cs.depth_offered * self.book.award[cs.package], "untaxed")]

    def firm_terms(self, cs, f, i, j) -> FirmTerms:
        package = self.params[int(cs.package[j])]
        if package is None:
            return FirmTerms()
        return FirmTerms(untaxed=float(cs.depth_offered[j]) * package.relocation_award * float(f.capital[i]))

    def arrive(self, arrival: Arrival) -> dict[str, np.ndarray]:
        if not self.active:
            return {"relocation_awards": np.zeros(arrival.n_regions)}
        cs, dest = arrival.cs, arrival.dest
        award = cs.depth_offered[dest] * self.book.award[cs.package[dest]] * arrival.table.capital[arrival.rows]
        return {"relocation_awards": arrival.by_region(award)}
