"""Mesa agents: firms and regions (the coast and the counties).

The state lives in column tables (:class:`~clustersim.firms.FirmTable`,
:class:`~clustersim.regions.RegionState`) so that decisions run on whole columns; each agent
is a view onto its row, so ``model.agents``, ``AgentSet`` queries and the
``DataCollector`` work as Mesa users expect::

    big = model.agents_by_type[Firm].select(lambda f: f.capital >= 20_000)
    model.agents_by_type[County].agg("firms", max)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from clustersim.firms import PUBLIC_COLUMNS

if TYPE_CHECKING:
    from clustersim.model import ClusterModel

#: the firm table's public columns (:data:`clustersim.firms.PUBLIC_COLUMNS`)
FIRM_FIELDS = PUBLIC_COLUMNS

REGION_FIELDS = ("land_supply", "sf_supply", "land_used", "sf_used", "land_price", "sf_price", "wage",
                 "labour_pool", "employment", "firms", "infrastructure", "governance", "fee_rate",
                 "depth", "balance", "debt", "arrivals", "departures", "incentives_cumulative")


class Firm(mesa.Agent):
    """A firm: one row of the model's firm table. Attributes (read-only views):
    sector, capital (wan), land (mu), employment (workers), productivity, region (index),
    small, years (in region), package, package_depth, base_tax (wan/yr), loss_years, born,
    moves, profit (wan/yr)."""

    def __init__(self, model: ClusterModel, row: int):
        super().__init__(model)
        self.row = row

    @property
    def region_name(self) -> str:
        return self.model.regions.names[self.region]

    def __getattr__(self, name: str):
        """A column an instrument added to the firm table (e.g. a lease locked in on arrival)."""
        model = self.__dict__.get("model")
        if model is not None and name in getattr(model.firms, "columns", {}) and not name.startswith("_"):
            return getattr(model.firms, name)[self.row].item()
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        return f"Firm({self.unique_id}, sector={self.sector}, region={self.region_name!r})"


def _firm_property(name: str) -> property:
    def get(self: Firm):
        return getattr(self.model.firms, name)[self.row].item()
    return property(get, doc=f"firm table column {name!r}")


for _name in FIRM_FIELDS:
    setattr(Firm, _name, _firm_property(_name))


class Region(mesa.Agent):
    """A region: one entry of the model's region state (see :mod:`clustersim.regions`)."""

    is_origin = False

    def __init__(self, model: ClusterModel, index: int):
        super().__init__(model)
        self.index = index

    @property
    def name(self) -> str:
        return self.model.regions.names[self.index]

    @property
    def kind(self) -> str:
        return "origin" if self.is_origin else "county"

    @property
    def package_name(self) -> str:
        return self.model.packages.names[int(self.model.regions.package[self.index])]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def _region_property(name: str) -> property:
    def get(self: Region):
        return float(getattr(self.model.regions, name)[self.index])
    return property(get, doc=f"region state {name!r}")


for _name in REGION_FIELDS:
    setattr(Region, _name, _region_property(_name))


class Coast(Region):
    """An origin region on the coast: big market, high and rising costs."""

    is_origin = True


class County(Region):
    """An inland county competing for firms with its package, fees and governance."""
