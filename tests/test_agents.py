"""Mesa conventions: agents, AgentSet queries and the DataCollector behave as Mesa users expect.

Firms and regions are Mesa agents that view rows of the model's column tables; these tests
check that the views stay true to the tables while firms enter, move, exit and the table is
compacted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clustersim.agents import FIRM_FIELDS, REGION_FIELDS, Coast, County, Firm
from clustersim.model import ClusterModel
from clustersim.params import Scenario

from worlds import busy_world, placed_rows

YEARS = 5


def scenario(**changes: object) -> Scenario:
    """The busy world (firms enter, move to counties and exit), with ``changes``."""
    return Scenario.model_validate(busy_world(name="agents", years=YEARS, **changes))


def assert_views_match_table(model: ClusterModel) -> None:
    """Every Firm agent reads its own live row, every live row has one agent, and the
    attributes equal the table and the firm frame."""
    t = model.firms
    firms = model.agents_by_type[Firm]
    assert sorted(f.row for f in firms) == placed_rows(model).tolist()
    frame = model.firm_frame().set_index("firm_id")
    assert sorted(frame.index) == sorted(f.unique_id for f in firms)
    for f in firms:
        for name in FIRM_FIELDS:
            assert getattr(f, name) == getattr(t, name)[f.row].item(), name
        row = frame.loc[f.unique_id]
        for name in ("capital", "land", "employment", "productivity", "years", "package_depth", "base_tax",
                     "loss_years", "born", "moves", "profit"):
            assert row[name] == getattr(f, name), name
        assert bool(row["small"]) == f.small
        assert row["sector"] == model.sector_names[f.sector]
        assert row["region"] == f.region_name == model.regions.names[f.region]
        assert row["package"] == ("" if f.package < 0 else model.packages.names[f.package])


def test_agent_types_and_counts() -> None:
    m = ClusterModel(scenario(origins=2, counties=3), seed=1).run()
    assert {type(a) for a in m.agents} == {Firm, Coast, County}
    assert len(m.agents_by_type[Coast]) == 2 and len(m.agents_by_type[County]) == 3
    assert len(m.agents_by_type[Firm]) == m.entered - m.exited == placed_rows(m).size
    assert len(m.agents) == 5 + len(m.agents_by_type[Firm])
    assert [c.name for c in m.agents_by_type[Coast]] == ["coast_1", "coast_2"]
    assert all(c.kind == "county" for c in m.agents_by_type[County])
    assert all(c.package_name == "district" for c in m.agents_by_type[County])


def test_agentset_queries() -> None:
    m = ClusterModel(scenario(), seed=2).run()
    t = m.firms
    rows = placed_rows(m)
    big = m.agents_by_type[Firm].select(lambda f: f.capital >= 20000)
    expected = int((t.capital[rows] >= 20000).sum())
    assert expected > 0 and len(big) == expected
    assert all(f.capital >= 20000 for f in big)
    counties = m.agents_by_type[County]
    assert counties.agg("firms", max) == m.regions.firms[m.regions.is_county].max() > 0
    assert counties.agg("employment", sum) == pytest.approx(m.regions.employment[m.regions.is_county].sum())
    for region in [*m.agents_by_type[Coast], *counties]:
        for name in REGION_FIELDS:
            assert getattr(region, name) == float(getattr(m.regions, name)[region.index]), name
    # AgentSet groupby over a view attribute
    by_region = m.agents_by_type[Firm].groupby("region").count()
    assert by_region == {j: int(n) for j, n in enumerate(m.regions.firms) if n > 0}


def test_firm_attributes_equal_table_rows_every_year() -> None:
    m = ClusterModel(scenario(), seed=3)
    assert_views_match_table(m)
    for _ in range(YEARS):
        m.step()
        assert_views_match_table(m)


def test_agents_removed_on_exit_and_created_on_entry() -> None:
    m = ClusterModel(scenario(coastal_wage_growth=0.3), seed=4)
    exited = 0
    for _ in range(YEARS):
        before = {f.unique_id for f in m.agents_by_type[Firm]}
        m.step()
        after = {f.unique_id for f in m.agents_by_type[Firm]}
        assert len(before - after) == m.exits
        assert len(after - before) == m.entries
        exited += m.exits
    assert exited == m.exited > 0


def test_views_survive_table_compaction() -> None:
    """Many newborns that find no site (coast land nearly full, counties small) leave dead rows:
    the table is compacted and every agent must be re-pointed to its firm's new row."""
    m = ClusterModel(scenario(initial=2500, births=4000.0, coast_land=72000.0), seed=6)
    ids_and_capital = {f.unique_id: f.capital for f in m.agents_by_type[Firm]}
    m.step()
    assert m.not_entered > 1000
    assert m.firms.size == placed_rows(m).size, "the table was compacted (no dead rows left)"
    assert_views_match_table(m)
    for f in m.agents_by_type[Firm]:
        if f.unique_id in ids_and_capital:
            assert f.capital == ids_and_capital[f.unique_id]


def test_datacollector_frames() -> None:
    m = ClusterModel(scenario(origins=2, counties=3), seed=5).run()
    mf = m.model_frame()
    assert mf["year"].tolist() == list(range(YEARS + 1))
    raw = m.datacollector.get_model_vars_dataframe()
    assert len(raw) == YEARS + 1
    for kind, n in ((Coast, 2), (County, 3)):
        df = m.datacollector.get_agenttype_vars_dataframe(kind).reset_index()
        assert len(df) == (YEARS + 1) * n
        assert df.groupby("Step").size().tolist() == [n] * (YEARS + 1)
    rf = m.region_frame()
    assert len(rf) == (YEARS + 1) * 5
    assert not rf.duplicated(["year", "region"]).any()
    last = rf[rf["year"] == YEARS].set_index("region")
    for region in list(m.agents_by_type[Coast]) + list(m.agents_by_type[County]):
        assert last.loc[region.name, "firms"] == region.firms
        assert last.loc[region.name, "balance"] == region.balance
    # firms and employment by sector (docs/reference_design.md §7) agree with the firm table at the end
    t, rows = m.firms, placed_rows(m)
    for k, sector in enumerate(m.sector_names):
        mine = rows[t.sector[rows] == k]
        firms = np.bincount(t.region[mine], minlength=5)
        employment = np.bincount(t.region[mine], weights=t.employment[mine], minlength=5)
        for j, name in enumerate(m.regions.names):
            assert last.loc[name, f"firms_{sector}"] == firms[j]
            assert last.loc[name, f"employment_{sector}"] == pytest.approx(employment[j])
    # the model frame and the region frame tell the same story
    counties = rf[rf["kind"] == "county"].groupby("year")["firms"].sum()
    pd.testing.assert_series_equal(counties.reset_index(drop=True), mf["firms_in_counties"], check_names=False)
    # concentration measures of the model frame are over county employment only (the coast
    # excluded), the focal share that of the focal county: sum of squared shares, largest share
    emp = rf[rf["kind"] == "county"].pivot(index="year", columns="region", values="employment")
    share = emp.div(emp.sum(axis=1), axis=0).fillna(0.0)
    np.testing.assert_allclose(mf["hhi"], (share**2).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(mf["largest_share"], share.max(axis=1), rtol=1e-12)
    np.testing.assert_allclose(mf["focal_share"], share[m.focal_name], rtol=1e-12)
    assert mf["hhi"].iloc[-1] < 1.0 and mf["focal_share"].iloc[-1] > 0  # several counties hold firms
