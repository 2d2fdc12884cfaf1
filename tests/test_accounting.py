"""Accounting identities of the whole model, checked after every year on random configurations.

Property-based (hypothesis): the number of counties, subsidy depth, the package, the fee trap,
strategic competition, governance reform, tax sharing, the review rate, births and the seed are
drawn at random; every parameter that matters is set explicitly (never a default), so that
tuning the defaults in ``params.py`` cannot change what these tests exercise.

Identities (exact up to float round-off):

* firms: ``entered - exited`` = live placed firms = Firm agents = sum of region firm counts;
  births = entries + newborns that found no site; firm ids are unique;
* land: land in use <= supply in every region and pool (main and standard-factory), and the
  land in use recomputed from the firm table equals the region state;
* budgets: ``balance_t - balance_{t-1} = revenue - spending`` with ``revenue = taxes + fees +
  land_sales + transfers``, ``spending = operations + incentives + interest + infrastructure +
  public services``
  and ``incentives = rebates + fee_refunds + land_awards + relocation_awards``;
* taxes: the retained tax booked by all regions together equals
  ``sum_firms (county_cit_share CIT + county_vat_share VAT)``, and each region's share is what
  the tax-sharing rule gives it;
* outputs: no NaN or inf in the model and region frames (EG only where it is documented
  undefined).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from clustersim.agents import Firm
from clustersim.model import ClusterModel
from clustersim.params import Scenario

REL = 1e-9  # relative slack for float round-off in sums of ~1e5..1e7 wan


def county_traits(**changes: object) -> dict:
    traits = dict(land_supply=2500.0, standard_factory_supply=250.0, land_price=15.0, wage=3.0,
                  labour_pool=30000.0, infrastructure=0.4, governance=0.6, fee_rate=0.02, budget=0.0,
                  operating_spending=1500.0, transfer=1000.0, infrastructure_share=0.2, package="none",
                  subsidy_depth=1.0)
    return {**traits, **changes}


def origin_traits() -> dict:
    return dict(land_supply=30000.0, standard_factory_supply=0.0, land_price=60.0, wage=7.0,
                labour_pool=400000.0, infrastructure=0.9, governance=0.8, fee_rate=0.01, budget=0.0,
                operating_spending=0.0, transfer=0.0, infrastructure_share=0.0, package="none",
                subsidy_depth=0.0)


def district_package(tax_sharing: float | None, duration: int | None) -> dict:
    """A district-like package (MODEL_SPEC §3, POLICY_NOTES): tiered land prices, a
    standard-factory price, CIT rebates 1, 1, 1, 0.5, 0.5, an award, a fee waiver."""
    return dict(land_tiers=[dict(min_investment=20000.0, price=5.0), dict(min_investment=5000.0, price=8.0)],
                standard_factory_price=6.0, rebate_schedule=[1.0, 1.0, 1.0, 0.5, 0.5],
                standard_factory_rebate_schedule=[1.0, 0.5], standard_factory_rebate_min_investment=2000.0,
                relocation_award=0.02, fee_waiver=0.5, fee_waiver_years=3, start_year=2, duration_years=duration,
                tax_sharing=tax_sharing)


def scenario(*, counties: int, years: int, initial: int, per_county: int, births: float, review: float,
             batches: int, depth: float, package: bool, tax_sharing: float | None, duration: int | None,
             operating: float,
             fee_trap: bool, competition: bool, reform: bool, localisation: float, fee_rate: float) -> Scenario:
    """Every field that matters for the identities is explicit."""
    pkg_name = "district" if package else "none"
    regions = [dict(name=f"county_{k + 1:02d}", subsidy_depth=depth * (k + 1) / counties) for k in range(counties)]
    return Scenario.model_validate(dict(
        name="accounting", years=years, seed=0, focal_county=None,
        geography=dict(source="generated", origins=1, counties=counties, coast_length_km=600.0,
                       inland_min_km=200.0, inland_max_km=500.0, layout_seed=3, origin=origin_traits(),
                       county=county_traits(package=pkg_name, operating_spending=operating, fee_rate=fee_rate)),
        regions=regions,
        packages={"district": district_package(tax_sharing, duration)},
        sectors=dict(names=["materials", "components", "assembly"],
                     input_output=[[0.0, 0.6, 0.2], [0.0, 0.0, 0.6], [0.0, 0.0, 0.0]],
                     revenue_per_capital=[1.0, 1.1, 1.2], material_share=[0.55, 0.6, 0.65],
                     capital_per_worker=[40.0, 30.0, 20.0], investment_intensity=[300.0, 300.0, 300.0],
                     birth_share=[0.3, 0.3, 0.4]),
        firms=dict(initial=initial, initial_per_county=per_county, births_per_year=births, capital_median=6000.0,
                   capital_sigma=0.8, productivity_sigma=0.15, review_rate=review, batches=batches,
                   exit_after_loss_years=2, capital_cost_rate=0.06, small_firm_investment=5000.0,
                   small_firm_land=15.0),
        agglomeration=dict(localisation=localisation, supplier=0.05, infrastructure=0.3, epsilon=1.0,
                           measure="firms"),
        transport=dict(supplier_decay_per_km=0.004, market_cost_per_km=0.0001),
        markets=dict(land_congestion=2.0, wage_pressure=0.5, migration_rate=0.2, public_service_effect=1.0,
                     coastal_wage_growth=0.1, coastal_land_growth=0.1),
        choice=dict(theta=0.05, utility="linear", horizon_years=10, discount_rate=0.08, moving_cost_base=0.1,
                    moving_cost_per_km=0.0002, old_site_recovery=0.4, governance_friction=0.1),
        taxes=dict(corporate_income=0.25, value_added=0.13, county_cit_share=0.4, county_vat_share=0.5),
        counties=dict(infrastructure_depreciation=0.05, infrastructure_cost=5000.0, land_per_infrastructure=0.02,
                      debt_interest=0.04, fee_trap=fee_trap, fee_step=0.01, fee_cap=0.12,
                      fee_dependence_threshold=0.25, governance_erosion=0.2, governance_reform=reform,
                      reform_counties=[], reform_year=2, reform_fee=0.01, reform_governance=0.9, reform_speed=0.25,
                      strategic_competition=competition, competition_speed=0.5),
        take_off=dict(threshold=0.3, hold_years=2, measure="employment"),
    ))


configs = st.fixed_dictionaries(dict(
    counties=st.integers(1, 5),
    years=st.integers(5, 8),
    initial=st.integers(80, 220),
    per_county=st.integers(0, 12),
    births=st.floats(0.0, 40.0),
    review=st.floats(0.0, 1.0),
    batches=st.integers(1, 6),
    depth=st.floats(0.0, 2.0),
    package=st.booleans(),
    tax_sharing=st.one_of(st.none(), st.floats(0.0, 1.0)),
    duration=st.one_of(st.none(), st.integers(0, 4)),  # years the package is offered from year 2
    operating=st.sampled_from([500.0, 20000.0, 200000.0]),  # large spending puts counties in deficit
    fee_trap=st.booleans(),
    competition=st.booleans(),
    reform=st.booleans(),
    localisation=st.sampled_from([0.0, 0.1, 0.5]),
    fee_rate=st.sampled_from([0.0, 0.02, 0.06, 0.15]),  # 0.15: above the fee trap's cap of 0.12
))


def close(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return bool(np.all(np.abs(a - b) <= REL * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))))


def expected_region_taxes(model: ClusterModel, acc) -> np.ndarray:
    """Retained tax of each region by the tax-sharing rule, recomputed firm by firm."""
    tx, t = model.config.taxes, model.firms
    out = np.zeros(model.regions.n)
    for i, row in enumerate(acc.rows.tolist()):
        retained = tx.county_cit_share * acc.cit[i] + tx.county_vat_share * acc.vat[i]
        host = int(t.region[row])
        pkg = int(t.package[row])
        origin = int(t.tax_origin[row])
        sigma = model.packages.packages[pkg].tax_sharing if pkg >= 0 else None
        if sigma is None or origin < 0:
            out[host] += retained
        else:
            kept = sigma * max(0.0, retained - float(t.base_tax[row]))
            out[host] += kept
            out[origin] += retained - kept
    return out


def check_year(model: ClusterModel, acc, balance_before: np.ndarray, not_entered_before: int,
               firms_before: np.ndarray) -> None:
    r, t, cfg = model.regions, model.firms, model.config
    placed = np.flatnonzero(t.alive[: t.size] & (t.region[: t.size] >= 0))
    firm_agents = model.agents_by_type.get(Firm, [])
    # the models here are too small for the table to be compacted (rows keep their index)
    assert t.size == model.entered + model.not_entered
    exited = acc.rows[~t.alive[acc.rows]]
    exits_by_region = np.bincount(t.region[exited], minlength=r.n)

    # firms are never lost or duplicated
    assert model.entered - model.exited == placed.size == len(firm_agents) == round(r.firms.sum())
    assert np.array_equal(np.bincount(t.region[placed], minlength=r.n), r.firms)
    assert model.births == model.entries + (model.not_entered - not_entered_before)
    assert exited.size == model.exits
    # each region: firms now = firms a year ago + arrivals - departures - exits
    assert np.array_equal(r.firms, firms_before + r.arrivals - r.departures - exits_by_region)
    assert r.arrivals.sum() == model.entries + model.moves == r.departures.sum() + model.entries
    rows = sorted(a.row for a in firm_agents)
    assert rows == placed.tolist(), "every live placed row has exactly one Firm agent"
    ids = [a.unique_id for a in model.agents]
    assert len(ids) == len(set(ids))

    # land in use never exceeds supply, in either pool
    in_sf = t.small[placed] & r.is_county[t.region[placed]]
    main = np.bincount(t.region[placed][~in_sf], weights=t.land[placed][~in_sf], minlength=r.n)
    sf = np.bincount(t.region[placed][in_sf], weights=t.land[placed][in_sf], minlength=r.n)
    assert close(main, r.land_used) and close(sf, r.sf_used)
    assert np.all(main <= r.land_supply * (1 + REL) + REL), (main, r.land_supply)
    assert np.all(sf[r.is_county] <= r.sf_supply[r.is_county] * (1 + REL) + REL), (sf, r.sf_supply)
    assert np.all(sf[r.is_origin] == 0.0)

    # budgets: change = revenue - spending, and the parts add up
    f = r.flows
    assert close(f["revenue"], f["taxes"] + f["fees"] + f["land_sales"] + f["transfers"])
    assert close(f["incentives"], f["rebates"] + f["fee_refunds"] + f["land_awards"] + f["relocation_awards"])
    assert close(f["spending"], f["operations"] + f["incentives"] + f["interest"] + f["infrastructure_spending"]
                 + f["public_services"])
    assert close(r.balance - balance_before, f["revenue"] - f["spending"])
    for name, values in f.items():
        assert np.all(np.isfinite(values)), name
        if name != "balance":
            assert np.all(values >= -REL * np.maximum(1.0, np.abs(values))), (name, values)

    # EG is documented nan for a sector with fewer than 2 plants and where all aggregate
    # employment is in one region (sum x^2 = 1); anywhere else it must be a number
    report = model.model_frame().iloc[-1]
    plants = np.bincount(t.sector[placed], minlength=len(model.sector_names))
    one_region = np.count_nonzero(r.employment) <= 1
    for k, name in enumerate(model.sector_names):
        eg = report[f"eg_{name}"]
        assert np.isfinite(eg) or (np.isnan(eg) and (plants[k] < 2 or one_region)), (name, eg, plants)

    # incentives only inside the package's windows: a firm holds a package only if it arrived
    # while the package was offered; rebates and fee refunds stop after their schedules
    book = model.packages
    k = t.years[acc.rows]  # production years in the current region, this one included
    pkg = t.package[acc.rows].astype(np.int64)
    has = pkg >= 0
    arrival = model.year - k + 1
    assert np.all(book.start[pkg[has]] <= arrival[has]) and np.all(arrival[has] < book.end[pkg[has]])
    schedule_years = np.array([len(p.rebate_schedule) for p in book.packages])
    paid = acc.rebate > 0
    assert np.all(has[paid]) and np.all(k[paid] <= schedule_years[pkg[paid]])
    refunded = acc.fee_refund > 0
    assert np.all(has[refunded]) and np.all(k[refunded] <= book.fee_waiver_years[pkg[refunded]])

    # taxes: sharing moves retained tax between regions, never creates or loses it
    tx = cfg.taxes
    retained_by_firms = float(np.sum(tx.county_cit_share * acc.cit + tx.county_vat_share * acc.vat))
    assert close(f["taxes"].sum(), retained_by_firms)
    assert close(f["taxes"], expected_region_taxes(model, acc))


def check_fees(model: ClusterModel, before: np.ndarray) -> None:
    """Fees move only by the county rules: the fee trap raises a county's fee by fee_step in a
    deficit year up to the cap and never lowers it (a county already above the cap keeps its
    rate); reforming counties set reform_fee; otherwise fees do not change."""
    r, cp = model.regions, model.config.counties
    reforming = model.reforming & cp.governance_reform & (model.year >= cp.reform_year)
    after = r.fee_rate
    assert np.allclose(after[reforming], cp.reform_fee)
    rest = ~reforming
    if cp.fee_trap:
        f = r.flows
        deficit = f["revenue"] < f["spending"]
        raised = np.maximum(before, np.minimum(cp.fee_cap, before + cp.fee_step))
        expected = np.where(deficit & r.is_county, raised, before)
        assert np.allclose(after[rest], expected[rest], rtol=0, atol=1e-12), (before, after, deficit)
    else:
        assert np.array_equal(after[rest], before[rest])


@settings(max_examples=20, deadline=None, derandomize=True)
@given(config=configs, seed=st.integers(0, 2**31 - 1))
def test_accounting_identities_every_year(config: dict, seed: int) -> None:
    model = ClusterModel(scenario(**config), seed=seed)
    captured = {}
    produce = model._produce

    def produce_and_keep(cfg):
        captured["acc"] = produce(cfg)
        return captured["acc"]

    model._produce = produce_and_keep  # observe each year's firm accounts
    for _ in range(config["years"]):
        balance = model.regions.balance.copy()
        not_entered = model.not_entered
        fee_before = model.regions.fee_rate.copy()
        firms_before = model.regions.firms.copy()
        model.step()
        check_year(model, captured["acc"], balance, not_entered, firms_before)
        check_fees(model, fee_before)

    mf = model.model_frame()
    rf = model.region_frame()
    assert len(mf) == config["years"] + 1
    assert len(rf) == (config["years"] + 1) * model.regions.n
    eg_cols = [c for c in mf.columns if c.startswith("eg_")]
    assert np.isfinite(mf.drop(columns=eg_cols).to_numpy(float)).all()
    assert np.isfinite(rf.select_dtypes("number").to_numpy(float)).all()

    # the region frame carries the same identities year over year
    for _, g in rf.groupby("region"):
        g = g.sort_values("year")
        assert close(np.diff(g["balance"].to_numpy()), (g["revenue"] - g["spending"]).to_numpy()[1:])
        assert close(np.diff(g["incentives_cumulative"].to_numpy()), g["incentives"].to_numpy()[1:])
        assert close(g["debt"], np.maximum(0.0, -g["balance"]))
    for what in ("firms", "employment"):  # by-sector columns add up to the region totals
        assert close(rf[[f"{what}_{s}" for s in model.sector_names]].sum(axis=1), rf[what])
    by_year = rf.groupby("year")[["firms", "employment"]].sum()
    assert close(by_year["firms"], mf["firms"]) and close(by_year["employment"], mf["employment"])
