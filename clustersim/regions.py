"""Region state: one entry per region (origins first, then counties) in numpy arrays.

=========================  ============  ================================================
array                      unit          meaning
=========================  ============  ================================================
land_supply, sf_supply     mu            industrial land; standard-factory zone land
land_used, sf_used         mu            land in use in each pool
base_price                 wan/mu        benchmark land price p0 (grows on the coast)
land_price, sf_price       wan/mu        congestion-priced land in each pool
base_wage, wage            wan/worker-yr base wage w0 and local wage w
labour_pool, employment    workers       Lp and E
infrastructure, governance [0, 1]        I and G
fee_rate                   share         fees as a share of firm revenue
package, depth             index, 1      incentive package and subsidy depth
balance                    wan           fiscal balance (negative: debt)
operations, transfer       wan/yr        fixed operating spending, upper-level transfer
infrastructure_share       share         share of a surplus invested in infrastructure
arrivals, departures       firms/yr      firms that arrived / left last year
=========================  ============  ================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from clustersim.geography import RegionLayout
from clustersim.packages import PackageBook


@dataclass
class RegionState:
    names: list[str]
    is_origin: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray
    distance: np.ndarray
    market_distance: np.ndarray
    land_supply: np.ndarray
    sf_supply: np.ndarray
    base_price: np.ndarray
    base_wage: np.ndarray
    labour_pool: np.ndarray
    infrastructure: np.ndarray
    governance: np.ndarray
    fee_rate: np.ndarray
    balance: np.ndarray
    operations: np.ndarray
    transfer: np.ndarray
    infrastructure_share: np.ndarray
    package: np.ndarray
    depth: np.ndarray
    land_used: np.ndarray = field(init=False)
    sf_used: np.ndarray = field(init=False)
    employment: np.ndarray = field(init=False)
    firms: np.ndarray = field(init=False)
    land_price: np.ndarray = field(init=False)
    sf_price: np.ndarray = field(init=False)
    wage: np.ndarray = field(init=False)
    arrivals: np.ndarray = field(init=False)
    departures: np.ndarray = field(init=False)
    incentives_cumulative: np.ndarray = field(init=False)
    flow_names: tuple[str, ...] = ()  # the fiscal flows of the ledger (accounts.ledger_columns)
    flows: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.names)
        self.is_origin = np.array(self.is_origin, dtype=bool)  # (a region's kind is fixed: read only)
        self.is_origin.setflags(write=False)
        for name in ("land_used", "sf_used", "employment", "firms", "arrivals", "departures",
                     "incentives_cumulative"):
            setattr(self, name, np.zeros(n))
        self.land_price = self.base_price.copy()
        self.sf_price = self.base_price.copy()
        self.wage = self.base_wage.copy()
        self.flows = {k: np.zeros(n) for k in self.flow_names}

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def is_county(self) -> np.ndarray:
        """``~is_origin`` (read only), made once while ``is_origin`` is the same read-only array."""
        origin = self.is_origin
        kept = self.__dict__.get("_is_county")
        if kept is not None and kept[0] is origin:
            return kept[1]
        county = ~origin
        if not origin.flags.writeable:
            county.setflags(write=False)
            self._is_county = (origin, county)
        return county

    @property
    def debt(self) -> np.ndarray:
        return np.maximum(0.0, -self.balance)

    @classmethod
    def from_layout(cls, layout: RegionLayout, book: PackageBook, flow_names: tuple[str, ...]) -> RegionState:
        t = layout.traits

        def col(name: str) -> np.ndarray:
            return np.array([getattr(x, name) for x in t], dtype=float)

        dist = layout.distances()
        return cls(
            names=list(layout.names), is_origin=layout.is_origin.copy(), x_km=layout.x_km.copy(),
            y_km=layout.y_km.copy(), distance=dist, market_distance=dist[:, layout.is_origin].min(axis=1),
            land_supply=col("land_supply"), sf_supply=col("standard_factory_supply"),
            base_price=col("land_price"), base_wage=col("wage"), labour_pool=col("labour_pool"),
            infrastructure=col("infrastructure"), governance=col("governance"), fee_rate=col("fee_rate"),
            balance=col("budget"), operations=col("operating_spending"), transfer=col("transfer"),
            infrastructure_share=col("infrastructure_share"),
            package=np.array([book.index(x.package) for x in t], dtype=np.int64),
            depth=col("subsidy_depth"), flow_names=tuple(flow_names),
        )
