"""Per-year overheads cut without changing what Mesa users see.

* The region tables of ``RegionCollector`` (values read as arrays) equal what Mesa's own
  ``DataCollector`` collects with the same reporters, one call per region and field.
* Firm agents made on first use (``agents.FirmViews``) are the agents an eager model makes: the
  same ``unique_id`` for the same firm, whenever the agents are first asked for.
"""

from __future__ import annotations

import mesa
import pandas as pd

from clustersim.agents import Coast, County, Firm
from clustersim.model import ClusterModel
from clustersim.params import Scenario

from worlds import busy_world

YEARS = 18  # more than the collector's first allocation (16 steps): its growth is covered


def scenario() -> Scenario:
    return Scenario.model_validate(busy_world(name="collect", years=YEARS, origins=2, counties=3))


def test_region_tables_equal_mesas_own_collection() -> None:
    m = ClusterModel(scenario(), seed=5)
    dc = m.datacollector
    mesas = mesa.DataCollector(model_reporters=dc.model_reporters, agenttype_reporters=dc.agenttype_reporters)
    mesas.collect(m)
    for _ in range(YEARS):
        m.step()
        mesas.collect(m)
    pd.testing.assert_frame_equal(dc.get_model_vars_dataframe(), mesas.get_model_vars_dataframe())
    for kind in (Coast, County):
        mine, theirs = dc.get_agenttype_vars_dataframe(kind), mesas.get_agenttype_vars_dataframe(kind)
        assert len(mine) == (YEARS + 1) * len(m.agents_by_type[kind])
        pd.testing.assert_frame_equal(mine, theirs)


def firm_ids(m: ClusterModel) -> dict[int, tuple]:
    """unique_id -> (row, sector, capital, region) of every Firm agent."""
    return {a.unique_id: (a.row, a.sector, a.capital, a.region) for a in m.agents_by_type[Firm]}


def test_firm_agents_made_on_first_use_are_the_eager_ones() -> None:
    eager = ClusterModel(scenario(), seed=3)
    lazy = ClusterModel(scenario(), seed=3)
    seen: dict[int, tuple] = {}
    for _ in range(YEARS):
        seen |= firm_ids(eager)  # made every year, as an eager model would
        eager.step()
        lazy.step()
    assert lazy.exited > 0 and lazy.entered > 0, "firms enter and exit: ids must skip exited firms"
    final = firm_ids(eager)
    assert firm_ids(lazy) == final
    # an agent keeps its id from its first year to the last
    for uid, (_, sector, capital, _) in final.items():
        if uid in seen:
            assert seen[uid][1:3] == (sector, capital)
    assert [a.unique_id for a in lazy.agents][: 5] == [a.unique_id for a in eager.agents][: 5]
    assert sorted(a.unique_id for a in lazy.agents) == sorted(a.unique_id for a in eager.agents)
    assert list(lazy.firm_frame()["firm_id"]) == list(eager.firm_frame()["firm_id"])


def test_a_region_reporter_added_later_is_collected_per_region() -> None:
    m = ClusterModel(scenario(), seed=2)
    m.datacollector.agenttype_reporters[County]["land_left"] = lambda a: a.land_supply - a.land_used
    mesas = mesa.DataCollector(agenttype_reporters=m.datacollector.agenttype_reporters)
    for _ in range(3):
        m.step()
        mesas.collect(m)
    mine = m.datacollector.get_agenttype_vars_dataframe(County)
    later = mine[mine.index.get_level_values("Step") > 0]
    pd.testing.assert_frame_equal(later, mesas.get_agenttype_vars_dataframe(County))
    assert mine.loc[0, "land_left"].isna().all(), "not declared when year 0 was collected"


def test_region_values_are_concatenated_into_the_years_array_and_a_changed_region_count_refused() -> None:
    """The collector concatenates the field-major region arrays into its array (grown past its first
    16 steps), reads them back per region and field, and refuses a step with another region count."""
    import numpy as np
    import pytest

    from clustersim.collect import RegionCollector

    class Stub:
        time = 0

    rng = np.random.default_rng(1)
    steps = [rng.random((3, 4)) for _ in range(20)]  # fields x regions
    dc = RegionCollector({}, {}, values=lambda m: (m.v[0], m.v[1:].ravel()), fields=("a", "b", "c"), agents={})
    stub = Stub()
    for t, v in enumerate(steps):
        stub.time, stub.v = t, v
        dc.collect(stub)
    assert np.array_equal(dc._blocks, np.stack([v.T for v in steps]))
    stub.v = rng.random((3, 5))
    with pytest.raises(ValueError, match="earlier steps had"):
        dc.collect(stub)
