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

YEARS = 5


def scenario(*, origins: int = 1, counties: int = 3, initial: int = 200, births: float = 25.0,
             coast_land: float = 30000.0, coastal_wage_growth: float = 0.1) -> Scenario:
    """A small model in which firms enter, move to counties and exit; every relevant parameter explicit."""
    county = dict(land_supply=2500.0, standard_factory_supply=250.0, land_price=15.0, wage=3.0,
                  labour_pool=30000.0, infrastructure=0.4, governance=0.6, fee_rate=0.02, budget=0.0,
                  operating_spending=1500.0, transfer=1000.0, infrastructure_share=0.2, package="district",
                  subsidy_depth=1.0)
    origin = dict(land_supply=coast_land, standard_factory_supply=0.0, land_price=60.0, wage=7.0,
                  labour_pool=400000.0, infrastructure=0.9, governance=0.8, fee_rate=0.01, budget=0.0,
                  operating_spending=0.0, transfer=0.0, infrastructure_share=0.0, package="none",
                  subsidy_depth=0.0)
    return Scenario.model_validate(dict(
        name="agents", years=YEARS, seed=0, focal_county=None,
        geography=dict(source="generated", origins=origins, counties=counties, coast_length_km=600.0,
                       inland_min_km=200.0, inland_max_km=500.0, layout_seed=5, origin=origin, county=county),
        regions=[],
        packages={"district": dict(
            land_tiers=[dict(min_investment=20000.0, price=5.0), dict(min_investment=5000.0, price=8.0)],
            standard_factory_price=6.0, rebate_schedule=[1.0, 1.0, 1.0, 0.5, 0.5],
            standard_factory_rebate_schedule=[1.0, 0.5], standard_factory_rebate_min_investment=2000.0,
            relocation_award=0.02, fee_waiver=0.5, fee_waiver_years=3, start_year=1, duration_years=None,
            tax_sharing=None)},
        sectors=dict(names=["materials", "components", "assembly"],
                     input_output=[[0.0, 0.6, 0.2], [0.0, 0.0, 0.6], [0.0, 0.0, 0.0]],
                     revenue_per_capital=[1.0, 1.1, 1.2], material_share=[0.55, 0.6, 0.65],
                     capital_per_worker=[40.0, 30.0, 20.0], investment_intensity=[300.0, 300.0, 300.0],
                     birth_share=[0.3, 0.3, 0.4]),
        firms=dict(initial=initial, initial_per_county=5, births_per_year=births, capital_median=6000.0,
                   capital_sigma=0.8, productivity_sigma=0.4, review_rate=0.4, batches=4,
                   exit_after_loss_years=2, capital_cost_rate=0.06, small_firm_investment=5000.0,
                   small_firm_land=15.0),
        agglomeration=dict(localisation=0.2, supplier=0.05, infrastructure=0.3, epsilon=1.0, measure="firms"),
        transport=dict(supplier_decay_per_km=0.004, market_cost_per_km=0.0001),
        markets=dict(land_congestion=2.0, wage_pressure=0.5, migration_rate=0.2, public_service_effect=1.0,
                     coastal_wage_growth=coastal_wage_growth, coastal_land_growth=0.1),
        choice=dict(theta=0.05, utility="linear", horizon_years=10, discount_rate=0.08, moving_cost_base=0.1,
                    moving_cost_per_km=0.0002, old_site_recovery=0.4, governance_friction=0.1),
        taxes=dict(corporate_income=0.25, value_added=0.13, county_cit_share=0.4, county_vat_share=0.5),
        counties=dict(infrastructure_depreciation=0.05, infrastructure_cost=5000.0, land_per_infrastructure=0.02,
                      debt_interest=0.04, fee_trap=False, fee_step=0.005, fee_cap=0.12,
                      fee_dependence_threshold=0.25, governance_erosion=0.2, governance_reform=False,
                      reform_counties=[], reform_year=0, reform_fee=0.01, reform_governance=0.9,
                      reform_speed=0.25, strategic_competition=False, competition_speed=0.5),
        take_off=dict(threshold=0.3, hold_years=2, measure="employment"),
    ))


def placed_rows(model: ClusterModel) -> np.ndarray:
    t = model.firms
    return np.flatnonzero(t.alive[: t.size] & (t.region[: t.size] >= 0))


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
    # firms and employment by sector (MODEL_SPEC §7) agree with the firm table at the end
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
