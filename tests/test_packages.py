"""The district package of Text 2 of docs/policy.md, firm by firm at its boundaries, and what it
does to land prices and county accounts in a model run."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from clustersim.model import ClusterModel
from clustersim.packages import NO_REBATE, OWN_PLOT, STANDARD_FACTORY, PackageBook
from clustersim.params import Firms, Package, Scenario

from worlds import SCENARIOS

DISTRICT_TOML = """
[packages.district]
land_tiers = [ {min_investment = 20000, price = 12.5}, {min_investment = 10000, price = 13.5}, {min_investment = 5000, price = 14.0} ]
standard_factory_price = 14.5
rebate_schedule = [1.0, 1.0, 1.0, 0.5, 0.5]
standard_factory_rebate_schedule = [1.0, 1.0, 0.5, 0.5]
standard_factory_rebate_min_investment = 2025
fee_waiver = 1.0
fee_waiver_years = 5
tax_sharing = 0.6
start_year = 1
duration_years = 2
"""  # noqa: E501
SCENARIO_FILE = SCENARIOS / "district_package.toml"


def district_package() -> Package:
    return Scenario.model_validate(tomllib.loads(DISTRICT_TOML)).packages["district"]


def test_scenario_file_encodes_the_same_package():
    with SCENARIO_FILE.open("rb") as fh:
        from_file = Scenario.model_validate(tomllib.load(fh)).packages["district"]
    assert from_file.model_dump(exclude={"description"}) == district_package().model_dump(exclude={"description"})


@pytest.fixture(scope="module")
def book() -> PackageBook:
    return PackageBook(Scenario.model_validate(tomllib.loads(DISTRICT_TOML)))


def small_rule(capital: float, land: float) -> bool:
    """The small-firm rule of Text 2 (model defaults): investment < 5,000 wan or land < 15 mu."""
    rule = Firms()
    return capital < rule.small_firm_investment or land < rule.small_firm_land


# investment (wan), land (mu), land price (wan/mu) the Text 2 table gives
TIER_CASES = [
    (20000.0, 80.0, 12.5),
    (19999.99, 80.0, 13.5),
    (10000.0, 40.0, 13.5),
    (9999.99, 40.0, 14.0),
    (5000.0, 20.0, 14.0),
    (4999.99, 20.0, 14.5),  # below 5,000 wan: standard-factory zone
    (5000.0, 14.99, 14.5),  # enough investment but under 15 mu: standard-factory zone
    (30000.0, 14.99, 14.5),
    (5000.0, 15.0, 14.0),
]


@pytest.mark.parametrize(("capital", "land", "price"), TIER_CASES)
def test_land_price_by_investment(book, capital, land, price):
    small = np.array([small_rule(capital, land)])
    got = book.tier_price(np.array([capital]), small)
    assert got[0, book.index("district")] == price
    assert np.isnan(got[0, book.index("none")])  # no package: market price


def test_tier_prices_all_firms_at_once(book):
    """The same table, as one vectorised call (the way the model uses it)."""
    capital = np.array([c for c, _, _ in TIER_CASES])
    small = np.array([small_rule(c, land) for c, land, _ in TIER_CASES])
    got = book.tier_price(capital, small)[:, book.index("district")]
    np.testing.assert_array_equal(got, [p for _, _, p in TIER_CASES])


# investment, land, rebate share in years of residence 1..7
REBATE_CASES = [
    (6000.0, 20.0, [1.0, 1.0, 1.0, 0.5, 0.5, 0.0, 0.0]),  # own plot
    (50000.0, 150.0, [1.0, 1.0, 1.0, 0.5, 0.5, 0.0, 0.0]),
    (3000.0, 10.0, [1.0, 1.0, 0.5, 0.5, 0.0, 0.0, 0.0]),  # standard factory, >= 2,025 wan
    (2025.0, 7.0, [1.0, 1.0, 0.5, 0.5, 0.0, 0.0, 0.0]),  # 2,025 exactly: rebated
    (2024.99, 7.0, [0.0] * 7),  # standard factory below 2,025 wan: nothing
    (1000.0, 4.0, [0.0] * 7),
    (8000.0, 12.0, [1.0, 1.0, 0.5, 0.5, 0.0, 0.0, 0.0]),  # small by land only: standard-factory schedule
]


@pytest.mark.parametrize(("capital", "land", "shares"), REBATE_CASES)
def test_rebate_schedule_by_year_of_residence(book, capital, land, shares):
    small = np.array([small_rule(capital, land)])
    d = book.index("district")
    cls = book.rebate_class(np.array([capital]), small)[:, d]
    expected_class = OWN_PLOT if not small[0] else (STANDARD_FACTORY if capital >= 2025 else NO_REBATE)
    assert cls[0] == expected_class
    years = np.arange(1, 8)
    got = book.rebate_share(np.full(7, d), np.repeat(cls.astype(np.int64), 7), years)
    np.testing.assert_array_equal(got, shares)
    # no package, no rebate
    none = book.rebate_share(np.full(7, -1), np.repeat(cls.astype(np.int64), 7), years)
    np.testing.assert_array_equal(none, 0.0)


def test_offered_two_years_from_year_1(book):
    d = book.index("district")
    assert [bool(book.offered(y)[d]) for y in range(1, 5)] == [True, True, False, False]


def test_present_values_of_schedules(book):
    """PV factors with delta = 0.9 over a 4-year horizon (rebates beyond the horizon do not count):
    own plot 0.9 + 0.81 + 0.729 + 0.5 * 0.6561; standard factory 0.9 + 0.81 + 0.5 * (0.729 + 0.6561)."""
    discount = 0.9 ** np.arange(1, 5)
    d = book.index("district")
    pv = book.rebate_pv(discount)[d]
    assert pv[OWN_PLOT] == pytest.approx(0.9 + 0.81 + 0.729 + 0.5 * 0.6561, rel=1e-14)
    assert pv[STANDARD_FACTORY] == pytest.approx(0.9 + 0.81 + 0.5 * (0.729 + 0.6561), rel=1e-14)
    assert pv[NO_REBATE] == 0.0
    # after 3 years on an own plot: 0.5 in years 4 and 5, i.e. 1 and 2 years ahead
    owed = book.remaining_rebate_pv(np.array([d]), np.array([OWN_PLOT]), np.array([3]), discount)
    assert owed[0] == pytest.approx(0.5 * 0.9 + 0.5 * 0.81, rel=1e-14)


# ---------------------------------------------------------------------------- in a model run
def run_scenario(depth: float, batches: int = 1) -> Scenario:
    """Three counties, county_01 offers the district package; a dear coast so firms leave early.
    One mini-batch a year, so every decision of a year sees the land prices of its start."""
    data = tomllib.loads(DISTRICT_TOML)
    data.update({
        "geography": {"counties": 3, "origin": {"wage": 10.0, "land_price": 80.0, "land_supply": 200000.0}},
        "regions": [{"name": "county_01", "package": "district", "subsidy_depth": depth,
                     "infrastructure": 0.9, "governance": 0.9}],
        "firms": {"initial": 500, "births_per_year": 150, "batches": batches, "capital_sigma": 1.0},
    })
    return Scenario.model_validate(data)


def expected_land_flows(m: ClusterModel, county: int, region_before: np.ndarray, size_before: int,
                        price: float, sf_price: float, depth: float) -> tuple[float, float, int]:
    """Hand computation of a year's land sales and land awards in ``county`` from the firms that
    arrived there, with the Text 2 table written out here (not PackageBook)."""
    t = m.firms
    rows = np.arange(t.size)
    was = np.r_[region_before, np.full(t.size - size_before, -1)]
    arrived = rows[(t.region[: t.size] == county) & (was != county)]
    sales = awards = 0.0
    for row in arrived.tolist():
        capital, land = float(t.capital[row]), float(t.land[row])
        if bool(t.small[row]):
            p, tier = sf_price, 14.5
        else:
            p = price
            tier = 12.5 if capital >= 20000 else 13.5 if capital >= 10000 else 14.0 if capital >= 5000 else None
        gap = 0.0 if tier is None else max(0.0, p - tier)
        sales += land * p
        awards += land * min(p, depth * gap)  # the firm pays land * p_eff = sales - awards
    return sales, awards, arrived.size


@pytest.mark.parametrize("depth", [0.0, 1.0, 2.0])
def test_land_sales_and_awards_of_arrivals(depth):
    m = ClusterModel(run_scenario(depth), seed=11)
    c = m.regions.names.index("county_01")
    d = m.packages.index("district")
    arrivals_by_year = []
    for year in (1, 2, 3):
        t = m.firms
        size_before = t.size
        region_before = t.region[:size_before].copy()
        price, sf_price = float(m.regions.land_price[c]), float(m.regions.sf_price[c])
        m.step()
        assert m.year == year and m.firms.size >= size_before, "rows must not be compacted mid-test"
        sales, awards, n_arrived = expected_land_flows(m, c, region_before, size_before, price, sf_price,
                                                       depth if year <= 2 else 0.0)
        arrivals_by_year.append(n_arrived)
        flows = m.regions.flows
        assert flows["land_sales"][c] == pytest.approx(sales, rel=1e-12, abs=1e-9)
        assert flows["land_awards"][c] == pytest.approx(awards, rel=1e-12, abs=1e-9)
        arrived = (m.firms.region[: m.firms.size] == c) & (m.firms.years[: m.firms.size] == 1) \
            & m.firms.alive[: m.firms.size]
        granted = m.firms.package[: m.firms.size][arrived]
        if year <= 2 and depth > 0:
            assert (granted == d).all()
            assert awards > 0, "the district county's price is above some tier price"
        else:
            assert (granted == -1).all()  # year 3: the offer has closed; depth 0: nothing granted
            assert flows["land_awards"][c] == 0.0
            assert flows["relocation_awards"][c] == 0.0
    assert min(arrivals_by_year) > 0, "firms arrived in the district county every year"



@pytest.mark.parametrize("depth", [0.5, 1.0, 3.0])
def test_fee_refunds_never_exceed_the_fees_of_the_refunded_firms(depth):
    # The district package refunds all fees for 5 years; at depth 3 an uncapped refund would be 3x the
    # fees. In years 1 and 2 every firm in county_01 arrived under the package (no firm starts there),
    # so its refunds are exactly min(1, depth) x its fees; in year 3 newcomers get nothing.
    m = ClusterModel(run_scenario(depth), seed=11)
    c = m.regions.names.index("county_01")
    for year in (1, 2, 3):
        m.step()
        fees, refunds = m.regions.flows["fees"][c], m.regions.flows["fee_refunds"][c]
        assert fees > 0
        if year <= 2:
            assert refunds == pytest.approx(min(1.0, depth) * fees, rel=1e-12)
        else:
            assert refunds <= min(1.0, depth) * fees * (1 + 1e-12)


def test_vectorised_tiers_and_classes_match_the_package_firm_by_firm():
    """The book's vectorised tier columns (a search over every package's thresholds), rebate
    classes and owed rebates, for every package at once and under each firm's own package, equal
    what each package's fields give firm by firm (the per-firm readers of the instruments), on
    packages with different tiers, at and around every threshold."""
    from clustersim.instruments.land import tier_price
    from clustersim.instruments.rebates import present_value, rebate_class_schedule, rebate_schedule

    packages = {
        "district": tomllib.loads(DISTRICT_TOML)["packages"]["district"],
        "two_tiers": {"land_tiers": [{"min_investment": 8000, "price": 9.0}, {"min_investment": 3000, "price": 11.0}],
                      "rebate_schedule": [0.5, 0.5], "standard_factory_rebate_schedule": [0.3],
                      "standard_factory_rebate_min_investment": 4000},
        "one_tier": {"land_tiers": [{"min_investment": 12000, "price": 6.0}], "standard_factory_price": 7.0},
        "plain": {"rebate_schedule": [1.0]},
    }
    book = PackageBook(Scenario.model_validate({"packages": packages}))
    thresholds = [20000, 10000, 5000, 8000, 3000, 12000, 2025, 4000]
    capital = np.array([x + d for x in thresholds for d in (-0.01, 0.0, 0.01)] + [1.0, 1e6])
    capital = np.concatenate([capital, capital])
    small = np.repeat([False, True], capital.size // 2)
    n, n_p = capital.size, len(book)
    prices, classes = book.tier_price(capital, small), book.rebate_class(capital, small)
    key = book.tier_key(capital, small)
    np.testing.assert_array_equal(key[:, 0], small)
    np.testing.assert_array_equal(key[:, 1:], book.tier_index(capital, small))
    # the one-column codes the instruments key profiles on stand for exactly these rows, in their order
    tier_code, class_code = book.tier_code(capital, small), book.class_code(capital, small)
    np.testing.assert_array_equal(book.tier_code_rows[tier_code], key)
    np.testing.assert_array_equal(book.class_code_rows[class_code], classes)
    np.testing.assert_array_equal(book.tier_code_small[tier_code], small)
    np.testing.assert_array_equal(book.tier_code_price[tier_code], prices)  # nan where no tier price, as there
    pv = book.rebate_pv(0.9 ** np.arange(1, 11))
    np.testing.assert_array_equal(book.rebate_pv_by_code(0.9 ** np.arange(1, 11))[class_code],
                                  pv[np.arange(n_p)[None, :], classes])
    for codes, rows in ((tier_code, key), (class_code, classes)):
        _, by_rows = np.unique(rows, axis=0, return_inverse=True)
        assert np.array_equal(np.unique(codes, return_inverse=True)[1], by_rows)  # same profiles, same order
    rng = np.random.default_rng(3)
    own = rng.integers(0, n_p, n)
    discount = 0.9 ** np.arange(1, 11)
    years = rng.integers(0, 8, n)
    owed = book.remaining_rebate_pv(own, classes[np.arange(n), own].astype(np.int64), years, discount)
    for i in range(n):
        for p, package in enumerate(book.packages):
            want = tier_price(package, float(capital[i]), bool(small[i]))
            got = float(prices[i, p])
            assert (np.isnan(got) and want is None) or got == want, (capital[i], small[i], book.names[p])
            assert rebate_class_schedule(package, int(classes[i, p])) == rebate_schedule(
                package, float(capital[i]), bool(small[i]))
    np.testing.assert_array_equal(book.tier_price_under(capital, small, own), prices[np.arange(n), own])
    np.testing.assert_array_equal(book.rebate_class_under(capital, small, own), classes[np.arange(n), own])
    for i in range(n):
        p = int(own[i])
        shares = rebate_class_schedule(book.packages[p], int(classes[i, p]))
        assert owed[i] == pytest.approx(present_value(shares, list(discount), int(years[i])), rel=1e-12, abs=1e-15)
