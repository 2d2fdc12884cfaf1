"""Scenario builders shared by the tests (a plain module: tests import it as ``worlds``).

:func:`busy_world` is the small, busy model of the agent, reproducibility and accounting tests:
firms enter, move, exit and take packages, and counties adapt. Every parameter is written out
(never a default of ``params.py``), so that calibrating the defaults cannot change what the
tests exercise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from clustersim.model import ClusterModel
from clustersim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def busy_world(*, name: str = "busy", years: int = 5, seed: int = 0, focal_county: str | None = None,
               origins: int = 1, counties: int = 3, layout_seed: int = 5, depths: Sequence[float] = (),
               coast_land: float = 30000.0, county_package: str = "district", operating_spending: float = 1500.0,
               fee_rate: float = 0.02, package_start: int = 1, package_duration: int | None = None,
               tax_sharing: float | None = None, initial: int = 200, initial_per_county: int = 5,
               births: float = 25.0, productivity_sigma: float = 0.4, review_rate: float = 0.4, batches: int = 4,
               localisation: float = 0.2, coastal_wage_growth: float = 0.1, fee_trap: bool = False,
               fee_step: float = 0.005, reform: bool = False, reform_year: int = 0,
               competition: bool = False) -> dict:
    """The fully explicit scenario dict (for ``Scenario.model_validate``) of a small busy world:
    ``origins`` coasts (``coast_land`` mu each) and ``counties`` identical counties 200-500 km
    inland, all offering ``county_package`` at subsidy depth 1 except that county k + 1 gets
    ``depths[k]``; three sectors in a supply chain; a district-like package (tiered land
    prices, CIT rebates 1, 1, 1, 0.5, 0.5, an award, a fee waiver) offered from
    ``package_start`` for ``package_duration`` years (None: to the end of the run).

    ``counties.public_services_share`` (0.7) and ``markets.public_service_cost`` (30,000 wan) are
    the ``params.py`` defaults at the time they were written out here."""
    county = dict(land_supply=2500.0, standard_factory_supply=250.0, land_price=15.0, wage=3.0,
                  labour_pool=30000.0, infrastructure=0.4, governance=0.6, fee_rate=fee_rate, budget=0.0,
                  operating_spending=operating_spending, transfer=1000.0, infrastructure_share=0.2,
                  package=county_package, subsidy_depth=1.0)
    origin = dict(land_supply=coast_land, standard_factory_supply=0.0, land_price=60.0, wage=7.0,
                  labour_pool=400000.0, infrastructure=0.9, governance=0.8, fee_rate=0.01, budget=0.0,
                  operating_spending=0.0, transfer=0.0, infrastructure_share=0.0, package="none",
                  subsidy_depth=0.0)
    return dict(
        name=name, years=years, seed=seed, focal_county=focal_county,
        geography=dict(source="generated", origins=origins, counties=counties, coast_length_km=600.0,
                       inland_min_km=200.0, inland_max_km=500.0, layout_seed=layout_seed, origin=origin,
                       county=county),
        regions=[dict(name=f"county_{k + 1:02d}", subsidy_depth=d) for k, d in enumerate(depths)],
        packages={"district": dict(
            land_tiers=[dict(min_investment=20000.0, price=5.0), dict(min_investment=5000.0, price=8.0)],
            standard_factory_price=6.0, rebate_schedule=[1.0, 1.0, 1.0, 0.5, 0.5],
            standard_factory_rebate_schedule=[1.0, 0.5], standard_factory_rebate_min_investment=2000.0,
            relocation_award=0.02, fee_waiver=0.5, fee_waiver_years=3, start_year=package_start,
            duration_years=package_duration, tax_sharing=tax_sharing)},
        sectors=dict(names=["materials", "components", "assembly"],
                     input_output=[[0.0, 0.6, 0.2], [0.0, 0.0, 0.6], [0.0, 0.0, 0.0]],
                     revenue_per_capital=[1.0, 1.1, 1.2], material_share=[0.55, 0.6, 0.65],
                     capital_per_worker=[40.0, 30.0, 20.0], investment_intensity=[300.0, 300.0, 300.0],
                     birth_share=[0.3, 0.3, 0.4]),
        firms=dict(initial=initial, initial_per_county=initial_per_county, births_per_year=births,
                   capital_median=6000.0, capital_sigma=0.8, productivity_sigma=productivity_sigma,
                   review_rate=review_rate, batches=batches, exit_after_loss_years=2, capital_cost_rate=0.06,
                   small_firm_investment=5000.0, small_firm_land=15.0),
        agglomeration=dict(localisation=localisation, supplier=0.05, infrastructure=0.3, epsilon=1.0,
                           measure="firms"),
        transport=dict(supplier_decay_per_km=0.004, market_cost_per_km=0.0001),
        markets=dict(land_congestion=2.0, wage_pressure=0.5, migration_rate=0.2, public_service_effect=1.0,
                     public_service_cost=30000.0, coastal_wage_growth=coastal_wage_growth, coastal_land_growth=0.1,
                     coastal_growth_half_life=float("inf")),
        choice=dict(theta=0.05, utility="linear", horizon_years=10, discount_rate=0.08, moving_cost_base=0.1,
                    moving_cost_per_km=0.0002, old_site_recovery=0.4, governance_friction=0.1),
        taxes=dict(corporate_income=0.25, value_added=0.13, county_cit_share=0.4, county_vat_share=0.5),
        counties=dict(infrastructure_depreciation=0.05, infrastructure_cost=5000.0, land_per_infrastructure=0.02,
                      debt_interest=0.04, public_services_share=0.7, fee_trap=fee_trap, fee_step=fee_step,
                      fee_cap=0.12, fee_dependence_threshold=0.25, governance_erosion=0.2, governance_reform=reform,
                      reform_counties=[], reform_year=reform_year, reform_fee=0.01, reform_governance=0.9,
                      reform_speed=0.25, strategic_competition=competition, competition_speed=0.5),
        take_off=dict(threshold=0.3, hold_years=2, measure="employment"),
    )


def district_package() -> dict:
    """The district package of Text 2 of docs/policy.md as ``scenarios/district_package.toml`` encodes
    it (``[packages.district]``), every field written out."""
    return load_scenario(SCENARIOS / "district_package.toml").packages["district"].model_dump()


def placed_rows(model: ClusterModel) -> np.ndarray:
    """Rows of the firm table holding a live firm with a site, recomputed from the table."""
    t = model.firms
    return np.flatnonzero(t.alive[: t.size] & (t.region[: t.size] >= 0))


def keep_accounts(model: ClusterModel) -> dict:
    """Wrap ``model._produce`` so that every year's firm accounts (what it returns) are kept in
    the returned dict under ``"acc"``: a test reads the accounts the model booked."""
    captured: dict = {}
    produce = model._produce

    def produce_and_keep():
        captured["acc"] = produce()
        return captured["acc"]

    model._produce = produce_and_keep
    return captured
