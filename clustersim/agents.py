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
import numpy as np

from clustersim.firms import PUBLIC_COLUMNS, placed

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


class FirmViews:
    """The model's Firm agents, created when first asked for.

    A run creates and removes thousands of firms a year; making a Mesa agent for each costs more
    than the location decision at small sizes. So a placed firm gets its ``unique_id`` at once
    (the model's ``agent_id_counter`` advances as if its agent were made, and the firm table keeps
    the id in column ``firm_id``), but its :class:`Firm` object is made only when ``model.agents``,
    ``agents_by_type`` or ``agent_types`` is read (:meth:`materialise`, in id order, through
    Mesa's own registration), so AgentSet queries see every live firm with the id it would have
    had. Firms that exit before anyone looked never become objects.
    """

    def __init__(self, model: ClusterModel) -> None:
        self.model = model
        # the agents made so far, by table row (a dict, not a list over all rows: a run that never
        # asks for its agents holds none, and the rows of 100,000 firms would take 0.8 MB)
        self.of_row: dict[int, Firm] = {}
        self.pending = 0  # admitted firms without an agent (an upper bound: some may have exited)

    def admit(self, rows) -> None:
        """Give newly placed firms their ids (their agents are made on first use)."""
        m = self.model
        start = m.agent_id_counter
        m.firms.firm_id[rows] = np.arange(start, start + len(rows))
        m.agent_id_counter = start + len(rows)
        self.pending += len(rows)

    def materialise(self) -> None:
        """Make the Firm agents of every live placed firm that has none, in id order."""
        if not self.pending:
            return
        m = self.model
        t = m.firms
        rows = placed(t)
        missing = [r for r in rows.tolist() if r not in self.of_row]
        missing.sort(key=lambda r: t.firm_id[r])
        counter = m.agent_id_counter
        try:
            for row in missing:
                m.agent_id_counter = int(t.firm_id[row])  # Mesa's registration gives it this id
                self.of_row[row] = Firm(m, row)
        finally:
            m.agent_id_counter = counter
        self.pending = 0

    def remove(self, rows) -> None:
        """Firms that exit: remove their agents (those that were made)."""
        for row in rows:
            agent = self.of_row.pop(row, None)
            if agent is not None:
                agent.remove()

    def compact(self, keep) -> None:
        """The table dropped its dead rows (``keep``: old index of each kept row): re-point."""
        agents = {}
        if self.of_row:
            for new_row, old_row in enumerate(keep):
                agent = self.of_row.get(old_row)
                if agent is not None:
                    agent.row = new_row
                    agents[new_row] = agent
        self.of_row = agents
