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
* incentives and tax bases firm by firm: rebates, relocation awards, the base tax and tax origin
  of a moved firm, loss-year counts and the exit rule, by the formulas of ``accounts.py`` /
  docs/reference_design.md written out here;
* county policy and markets after every year, by the equations of ``counties.py`` and
  ``markets.py`` written out here: fee trap (fees and governance erosion), reform, strategic
  competition, infrastructure and the land it opens, migration, congestion-priced land and wages;
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

from worlds import busy_world, keep_accounts, placed_rows

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

    # rebate = depth x schedule share of the year of residence x the county's share of CIT,
    # the schedule read from the Package (own plot, standard factory, or none)
    expected_rebate = np.zeros(acc.rows.size)
    for i, (p, cls, year) in enumerate(zip(pkg.tolist(), t.rebate_class[acc.rows].tolist(), k.tolist(),
                                           strict=True)):
        if p >= 0:
            package = book.packages[p]
            schedule = [package.rebate_schedule, package.standard_factory_rebate_schedule, []][cls]
            share = schedule[year - 1] if year <= len(schedule) else 0.0
            expected_rebate[i] = t.package_depth[acc.rows[i]] * share * tx.county_cit_share * acc.cit[i]
    assert close(acc.rebate, expected_rebate)
    # fee refund = min(1, depth x waiver) of the firm's fees in its first fee_waiver_years years
    terms = [(0.0, 0) if p < 0 else (book.packages[p].fee_waiver, book.packages[p].fee_waiver_years)
             for p in pkg.tolist()]
    waiver, waiver_years = (np.array(x) for x in zip(*terms, strict=True)) if terms else (np.zeros(0), np.zeros(0))
    expected_refund = np.where(k <= waiver_years, np.minimum(1.0, t.package_depth[acc.rows] * waiver), 0.0) * acc.fees
    assert close(acc.fee_refund, expected_refund)


def check_firm_history(model: ClusterModel, acc, before: dict[str, np.ndarray]) -> None:
    """Relocation awards, tax base and origin of this year's arrivals, loss-year counts and the
    exit rule (``before``: the firm table's columns before the year)."""
    t, n, book = model.firms, before["region"].size, model.packages
    rows = acc.rows
    was = np.where(rows < n, before["region"][np.minimum(rows, n - 1)], -1)  # rows >= n: born this year
    arrived = rows[t.region[rows] != was]
    moved, born = arrived[was[t.region[rows] != was] >= 0], arrived[was[t.region[rows] != was] < 0]
    assert moved.size == model.moves and born.size == model.entries
    # relocation award = depth x award x capital of each firm that arrived this year
    award = np.array([0.0 if p < 0 else book.packages[p].relocation_award for p in t.package[arrived].tolist()])
    awards = np.bincount(t.region[arrived], weights=t.package_depth[arrived] * award * t.capital[arrived],
                         minlength=model.regions.n)
    assert close(model.regions.flows["relocation_awards"], awards)
    # a moved firm's base is the retained tax it paid where it came from; a newborn has none
    assert np.array_equal(t.base_tax[moved], before["retained_tax"][moved])
    assert np.array_equal(t.tax_origin[moved], before["region"][moved])
    assert np.all(t.base_tax[born] == 0.0) and np.all(t.tax_origin[born] == -1)
    # a loss year adds one to the run, a profitable year ends it (newborn rows start at 0)
    old = np.where(rows < n, before["loss_years"][np.minimum(rows, n - 1)], 0)
    assert np.array_equal(t.loss_years[rows], np.where(acc.profit < 0, old + 1, 0))
    # exit exactly when the run reaches exit_after_loss_years
    assert np.array_equal(~t.alive[rows], t.loss_years[rows] >= model.config.firms.exit_after_loss_years)


def check_revenue(model: ClusterModel, acc, infrastructure: np.ndarray) -> None:
    """Each firm's revenue ``r_s K z A[s, j] (1 - tau_m d_j)`` with the agglomeration multiplier
    ``A = exp(gamma_L ln(eps + L) + gamma_S ln(1 + SA) + gamma_I I)`` of docs/reference_design.md §3, L and SA
    recomputed here from the firms that produced (``measure = "firms"`` in these worlds)."""
    cfg, r, t, rows = model.config, model.regions, model.firms, acc.rows
    ag, sec = cfg.agglomeration, cfg.sectors
    s, j = t.sector[rows], t.region[rows]
    n_s = len(sec.names)
    q = np.array(sec.revenue_per_capital)[s] * t.capital[rows] * t.productivity[rows]
    count = np.zeros((n_s, r.n))
    output = np.zeros((n_s, r.n))
    np.add.at(count, (s, j), 1.0)
    np.add.at(output, (s, j), q)
    reach = output @ np.exp(-cfg.transport.supplier_decay_per_km * r.distance)  # reach[u, j]
    reference = 100 * cfg.firms.capital_median * np.mean(sec.revenue_per_capital)  # 100 median firms
    access = np.array(sec.input_output).T @ reach / reference
    log_a = (ag.localisation * np.log(ag.epsilon + count) + ag.supplier * np.log1p(access)
             + ag.infrastructure * infrastructure[None, :])
    expected = q * np.exp(log_a[s, j]) * (1 - cfg.transport.market_cost_per_km * r.market_distance[j])
    assert close(acc.revenue, expected)


def check_policy(model: ClusterModel, before: dict[str, np.ndarray]) -> None:
    """Governance, subsidy depth, infrastructure, land supply, labour pools, land prices and
    wages after a year, by the equations of ``counties.py`` / ``markets.py`` written out here."""
    r, cp, mk = model.regions, model.config.counties, model.config.markets
    f, county = r.flows, r.is_county
    reforming = model.reforming & cp.governance_reform & (model.year >= cp.reform_year)
    g = before["governance"]
    if cp.fee_trap:  # erosion by the excess of fees over the threshold share of own revenue
        own = f["taxes"] + f["fees"] + f["land_sales"]
        dependence = np.divide(f["fees"], own, out=np.zeros(r.n), where=own > 0)
        eroded = np.clip(g - cp.governance_erosion * np.maximum(0.0, dependence - cp.fee_dependence_threshold), 0, 1)
        g = np.where(county & ~reforming, eroded, g)
    g = np.where(reforming, g + cp.reform_speed * (cp.reform_governance - g), g)
    assert close(r.governance, g), (before["governance"], r.governance)
    depth = before["depth"]
    won = np.where(county, r.arrivals, -1)
    if cp.strategic_competition and won.max() > 0:  # toward the depth of the county that won most arrivals
        leader = int(np.argmax(won))
        depth = np.where(county, depth + cp.competition_speed * (depth[leader] - depth), depth)
    assert close(r.depth, depth), (before["depth"], r.depth)
    inv = np.where(county, f["infrastructure_spending"], 0.0)
    i0 = before["infrastructure"]
    gain = inv / (inv + cp.infrastructure_cost)
    infra = np.where(county, i0 * (1 - cp.infrastructure_depreciation) + (1 - i0) * gain, i0)
    assert close(r.infrastructure, infra)
    assert close(r.land_supply, before["land_supply"] + cp.land_per_infrastructure * inv)
    # migration toward employment / 0.8 workers, faster with public services S = P / (P + c_P)
    services = f["public_services"] / (f["public_services"] + mk.public_service_cost)
    gap = np.maximum(0.0, r.employment / 0.8 - before["labour_pool"])
    pool = before["labour_pool"] + np.minimum(1.0, mk.migration_rate * (1 + mk.public_service_effect * services)) * gap
    assert close(r.labour_pool, pool)
    # congestion: p = p0 (1 + eta (U / S)^2) per land pool, w = w0 (1 + omega E / Lp)
    assert close(r.land_price, r.base_price * (1 + mk.land_congestion * (r.land_used / r.land_supply) ** 2))
    sf = np.divide(r.sf_used, r.sf_supply, out=np.zeros(r.n), where=r.sf_supply > 0)
    assert close(r.sf_price[county], (r.base_price * (1 + mk.land_congestion * sf**2))[county])
    assert close(r.wage, r.base_wage * (1 + mk.wage_pressure * r.employment / r.labour_pool))


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
    captured = keep_accounts(model)  # observe each year's firm accounts
    for _ in range(config["years"]):
        balance = model.regions.balance.copy()
        not_entered = model.not_entered
        fee_before = model.regions.fee_rate.copy()
        firms_before = model.regions.firms.copy()
        r, t = model.regions, model.firms
        before = {name: getattr(r, name).copy() for name in ("governance", "depth", "infrastructure",
                                                               "land_supply", "labour_pool")}
        before |= {name: getattr(t, name)[: t.size].copy() for name in ("region", "retained_tax", "loss_years")}
        model.step()
        check_year(model, captured["acc"], balance, not_entered, firms_before)
        check_firm_history(model, captured["acc"], before)
        check_revenue(model, captured["acc"], before["infrastructure"])
        check_fees(model, fee_before)
        check_policy(model, before)

    mf = model.model_frame()
    rf = model.region_frame()
    assert len(mf) == config["years"] + 1
    assert len(rf) == (config["years"] + 1) * model.regions.n
    eg_cols = [c for c in mf.columns if c.startswith("eg_")]
    # incentives_end_year is inf for a package whose incentives never end
    assert not mf["incentives_end_year"].isna().any()
    assert np.isfinite(mf.drop(columns=[*eg_cols, "incentives_end_year"]).to_numpy(float)).all()
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
