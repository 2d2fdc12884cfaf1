"""Reproducibility: a run is a function of (scenario, seed) and nothing else.

* same scenario and seed: identical model, region and firm frames (exact);
* different seeds: different runs;
* two models alive in one process, stepped in turn, give exactly their sequential runs;
* building and running a model touches neither numpy's global random state nor Python's
  ``random`` module state (no module-level randomness).
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from clustersim.model import ClusterModel
from clustersim.params import Scenario

YEARS = 6


def scenario(seed: int = 0) -> Scenario:
    """A small, busy model (firms move, exit, take packages, counties adapt); every relevant
    parameter explicit."""
    county = dict(land_supply=2500.0, standard_factory_supply=250.0, land_price=15.0, wage=3.0,
                  labour_pool=30000.0, infrastructure=0.4, governance=0.6, fee_rate=0.02, budget=0.0,
                  operating_spending=20000.0, transfer=1000.0, infrastructure_share=0.2, package="district",
                  subsidy_depth=1.0)
    origin = dict(land_supply=30000.0, standard_factory_supply=0.0, land_price=60.0, wage=7.0,
                  labour_pool=400000.0, infrastructure=0.9, governance=0.8, fee_rate=0.01, budget=0.0,
                  operating_spending=0.0, transfer=0.0, infrastructure_share=0.0, package="none",
                  subsidy_depth=0.0)
    return Scenario.model_validate(dict(
        name="repro", years=YEARS, seed=seed, focal_county="county_02",
        geography=dict(source="generated", origins=2, counties=4, coast_length_km=600.0,
                       inland_min_km=200.0, inland_max_km=500.0, layout_seed=11, origin=origin, county=county),
        regions=[dict(name="county_01", subsidy_depth=0.0), dict(name="county_02", subsidy_depth=2.0)],
        packages={"district": dict(
            land_tiers=[dict(min_investment=20000.0, price=5.0), dict(min_investment=5000.0, price=8.0)],
            standard_factory_price=6.0, rebate_schedule=[1.0, 1.0, 1.0, 0.5, 0.5],
            standard_factory_rebate_schedule=[1.0, 0.5], standard_factory_rebate_min_investment=2000.0,
            relocation_award=0.02, fee_waiver=0.5, fee_waiver_years=3, start_year=1, duration_years=None,
            tax_sharing=0.6)},
        sectors=dict(names=["materials", "components", "assembly"],
                     input_output=[[0.0, 0.6, 0.2], [0.0, 0.0, 0.6], [0.0, 0.0, 0.0]],
                     revenue_per_capital=[1.0, 1.1, 1.2], material_share=[0.55, 0.6, 0.65],
                     capital_per_worker=[40.0, 30.0, 20.0], investment_intensity=[300.0, 300.0, 300.0],
                     birth_share=[0.3, 0.3, 0.4]),
        firms=dict(initial=200, initial_per_county=5, births_per_year=25.0, capital_median=6000.0,
                   capital_sigma=0.8, productivity_sigma=0.4, review_rate=0.4, batches=4,
                   exit_after_loss_years=2, capital_cost_rate=0.06, small_firm_investment=5000.0,
                   small_firm_land=15.0),
        agglomeration=dict(localisation=0.2, supplier=0.05, infrastructure=0.3, epsilon=1.0, measure="firms"),
        transport=dict(supplier_decay_per_km=0.004, market_cost_per_km=0.0001),
        markets=dict(land_congestion=2.0, wage_pressure=0.5, migration_rate=0.2, public_service_effect=1.0,
                     coastal_wage_growth=0.1, coastal_land_growth=0.1),
        choice=dict(theta=0.05, utility="linear", horizon_years=10, discount_rate=0.08, moving_cost_base=0.1,
                    moving_cost_per_km=0.0002, old_site_recovery=0.4, governance_friction=0.1),
        taxes=dict(corporate_income=0.25, value_added=0.13, county_cit_share=0.4, county_vat_share=0.5),
        counties=dict(infrastructure_depreciation=0.05, infrastructure_cost=5000.0, land_per_infrastructure=0.02,
                      debt_interest=0.04, fee_trap=True, fee_step=0.01, fee_cap=0.12,
                      fee_dependence_threshold=0.25, governance_erosion=0.2, governance_reform=False,
                      reform_counties=[], reform_year=0, reform_fee=0.01, reform_governance=0.9,
                      reform_speed=0.25, strategic_competition=True, competition_speed=0.5),
        take_off=dict(threshold=0.3, hold_years=2, measure="employment"),
    ))


def frames(model: ClusterModel) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return model.model_frame(), model.region_frame(), model.firm_frame()


def assert_same_run(a: ClusterModel, b: ClusterModel) -> None:
    for fa, fb in zip(frames(a), frames(b), strict=True):
        assert_frame_equal(fa, fb, check_exact=True)


def test_the_scenario_is_busy() -> None:
    """Guard: the runs compared below exercise moves, exits and packages, or the comparisons
    would prove little."""
    m = ClusterModel(scenario(), seed=1).run()
    mf = m.model_frame()
    assert mf["moves"].sum() > 20 and mf["exits"].sum() > 0 and mf["firms_in_counties"].iloc[-1] > 20
    assert (m.firm_frame()["package"] == "district").any()


def test_same_seed_same_run() -> None:
    assert_same_run(ClusterModel(scenario(), seed=7).run(), ClusterModel(scenario(), seed=7).run())


def test_scenario_seed_is_the_default_seed() -> None:
    assert_same_run(ClusterModel(scenario(seed=7)).run(), ClusterModel(scenario(), seed=7).run())


def test_different_seeds_differ() -> None:
    a, b = ClusterModel(scenario(), seed=1).run(), ClusterModel(scenario(), seed=2).run()
    # the map comes from layout_seed, not the run seed
    assert np.array_equal(a.regions.x_km, b.regions.x_km) and np.array_equal(a.regions.y_km, b.regions.y_km)
    for fa, fb in zip(frames(a), frames(b), strict=True):
        with pytest.raises(AssertionError):
            assert_frame_equal(fa, fb)


def test_interleaved_models_do_not_disturb_each_other() -> None:
    sequential = [ClusterModel(scenario(), seed=s).run() for s in (3, 4, 3)]
    live = [ClusterModel(scenario(), seed=s) for s in (3, 4, 3)]
    for _ in range(YEARS):
        for m in live:
            m.step()
    for a, b in zip(sequential, live, strict=True):
        assert_same_run(a, b)


def test_no_global_random_state_is_touched() -> None:
    np.random.seed(12345)
    random.seed(12345)
    np_state = np.random.get_state()
    py_state = random.getstate()
    m = ClusterModel(scenario(), seed=5)
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1]) and after[2:] == np_state[2:]
    m.run()
    m.model_frame(), m.region_frame(), m.firm_frame()
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1]) and after[2:] == np_state[2:]


def test_global_random_state_does_not_leak_in() -> None:
    """Reseeding the global generators between two runs of the same seed changes nothing."""
    np.random.seed(1)
    random.seed(1)
    a = ClusterModel(scenario(), seed=9).run()
    np.random.seed(2)
    random.seed(2)
    b = ClusterModel(scenario(), seed=9).run()
    assert_same_run(a, b)
