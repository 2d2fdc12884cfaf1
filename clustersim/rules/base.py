"""The county-rule protocol: what a county rule sees and changes once a year.

A county rule (:class:`CountyRule`) runs after the year's accounts are closed (ODD 3.3.9), in
the declared order of :data:`clustersim.rules.BUILTIN` followed by the scenario's
``counties.rules`` plug-ins. It reads and writes the region state (fee rates, governance,
infrastructure, subsidy depths, land supply, labour pools, ...) through :class:`CountyYear`.
Rules read their switches and parameters from ``year.config`` each year, because the UI may
replace the configuration of a running model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import BaseModel

if TYPE_CHECKING:
    from clustersim.params import Scenario
    from clustersim.regions import RegionState


@dataclass
class CountyYear:
    """The year a county rule acts on: the region state (``regions.flows`` holds this year's
    fiscal flows), the configuration, the year, the focal county and the counties named to reform."""

    regions: RegionState
    config: Scenario
    year: int
    focal: int
    reform_counties: np.ndarray
    revenue_flows: tuple[str, ...] = ("land_sales",)  # the instruments' revenue flows (own revenue)

    @property
    def reforming(self) -> np.ndarray:
        """Counties reforming this year (bool per region): the reform switch is on and its year reached."""
        cp = self.config.counties
        if cp.governance_reform and self.year >= cp.reform_year:
            return self.reform_counties
        return np.zeros(self.regions.n, bool)


class CountyRule:
    """Base of a county rule. ``params`` are the validated :attr:`Params` (``None`` if none)."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel] | None] = None

    def __init__(self, params: BaseModel | None = None) -> None:
        self.params = params

    def apply(self, year: CountyYear) -> None:
        raise NotImplementedError
