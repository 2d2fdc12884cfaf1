"""Entry standards (Text 2): a package's land goes only to firms that invest at least
``min_intensity`` wan per mu of land (district rule 240) and build to a plot ratio of at least
``min_plot_ratio`` (1.0; multi-storey plants of ratio ``encouraged_plot_ratio`` = 1.2 are
encouraged, which the rules state without a number: it is reported, not rewarded).

A firm below either standard is **refused** the package's land: while the package is offered
(subsidy depth > 0), it cannot enter a county under that package (the cell is infeasible in its
choice; it is not silently admitted without the package). When the package is not offered the
standard does not apply. The plot ratio needs the firm trait ``firms.traits.plot_ratio_median``;
with ``min_plot_ratio = 0`` it is not checked. Investment intensity is ``K / l`` (wan/mu).

No terms in the location value and no flows: the standard only removes cells. Profile key: the
packages whose standards the firm meets (one bit per package using it).

Use it in a scenario::

    [[packages.district.instruments]]
    use = "clustersim.instruments.entry_standard:EntryStandard"
    min_intensity = 240.0
    min_plot_ratio = 1.0
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from clustersim.instruments.base import Instrument, InstrumentError, Offer, instrument_field


class EntryStandardParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    min_intensity: Annotated[float, Field(ge=0.0)] = Field(
        default=240.0, description="least fixed-asset investment per mu of land, wan/mu (district rule 240)")
    min_plot_ratio: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        default=1.0, description="least plot ratio (floor area / site area); 0: not checked")
    encouraged_plot_ratio: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        default=1.2, description="plot ratio the rules encourage (multi-storey plants); reported only")


class EntryStandard(Instrument):
    name = "entry_standard"
    Params = EntryStandardParams

    def __init__(self, params, book):
        super().__init__(params, book)
        self.min_intensity = np.array([np.inf if p is None else p.min_intensity for p in params])
        self.min_plot_ratio = np.array([0.0 if p is None else p.min_plot_ratio for p in params])
        self.checks_plot_ratio = bool((self.min_plot_ratio[self.used()] > 0).any())
        scenario = getattr(book, "scenario", None)
        if self.checks_plot_ratio and scenario is not None and scenario.firms.traits.plot_ratio_median is None:
            raise InstrumentError(instrument_field(book, type(self), "min_plot_ratio"),
                                  float(self.min_plot_ratio[self.used()].max()),
                                  "needs firms.traits.plot_ratio_median (firms' plot ratios), or 0 (not checked)")

    def meets(self, f) -> np.ndarray:
        """(n, P) bool: the firm meets package p's standards (True where p does not use them)."""
        intensity = f.capital / f.land
        ok = intensity[:, None] >= self.min_intensity[None, :]
        if self.checks_plot_ratio:
            if not hasattr(f, "plot_ratio"):
                raise ValueError("an entry standard with min_plot_ratio > 0 needs firms.traits.plot_ratio_median")
            ok &= f.plot_ratio[:, None] >= self.min_plot_ratio[None, :]
        ok[:, ~self.used()] = True
        return ok

    def profile(self, f):
        return self.meets(f)[:, self.used()].astype(np.int64)

    def refused(self, offer: Offer) -> np.ndarray:
        cs = offer.cs
        applies = self.used()[cs.package] & (cs.depth_offered > 0)
        return applies[None, :] & ~self.meets(offer.rep)[:, cs.package]

    def firm_refused(self, cs, f, i, j) -> bool:
        p = self.params[int(cs.package[j])]
        if p is None or float(cs.depth_offered[j]) <= 0:
            return False
        if float(f.capital[i]) / float(f.land[i]) < p.min_intensity:
            return True
        return p.min_plot_ratio > 0 and float(f.plot_ratio[i]) < p.min_plot_ratio
