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

from worlds import busy_world, placed_rows

REL = 1e-9  # relative slack for float round-off in sums of ~1e5..1e7 wan


def scenario(*, counties: int, years: int, initial: int, per_county: int, births: float, review: float,
             batches: int, depth: float, package: bool, tax_sharing: float | None, duration: int | None,
             operating: float,
             fee_trap: bool, competition: bool, reform: bool, localisation: float, fee_rate: float) -> Scenario:
    """The busy world with the drawn configuration: county k (of n) at subsidy depth ``depth k / n``;
    the package, if the counties offer it, from year 2."""
    return Scenario.model_validate(busy_world(
        name="accounting", years=years, counties=counties, layout_seed=3,
        depths=[depth * (k + 1) / counties for k in range(counties)],
        county_package="district" if package else "none", operating_spending=operating, fee_rate=fee_rate,
        package_start=2, package_duration=duration, tax_sharing=tax_sharing, initial=initial,
        initial_per_county=per_county, births=births, productivity_sigma=0.15, review_rate=review, batches=batches,
        localisation=localisation, fee_trap=fee_trap, fee_step=0.01, reform=reform, reform_year=2,
        competition=competition))


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
    placed = placed_rows(model)
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

    def produce_and_keep():
        captured["acc"] = produce()
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
