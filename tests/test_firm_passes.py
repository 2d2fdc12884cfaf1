"""The compiled per-firm passes of the built-in instruments (``clustersim.instruments.firm_passes``)
give what the numpy formulations of :class:`clustersim.packages.PackageBook` give, bit for bit
(``np.array_equal`` and equal signs of zeros), on random firms that include the edge cases: no
package, years of residence past the schedule and the waiver, refund shares capped at 1, tax
below the base, packages without tax sharing, rows not in table order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clustersim.instruments import firm_passes
from clustersim.packages import PackageBook
from clustersim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "district_package.toml"


@pytest.fixture(scope="module")
def book() -> PackageBook:
    sc = load_scenario(SCENARIO)
    # a second package that shares no tax, refunds more than all fees at depth 2, and one without schedule
    extra = {**sc.packages["district"].model_dump(), "tax_sharing": None, "fee_waiver": 0.8,
             "fee_waiver_years": 3}
    bare = {"rebate_schedule": [], "standard_factory_rebate_schedule": []}
    sc = sc.model_copy(update={"packages": {**sc.packages, "wide": type(sc.packages["district"])(**extra),
                                            "bare": type(sc.packages["district"])(**bare)}})
    return PackageBook(sc)


def _table(book: PackageBook, n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {"package": rng.integers(-1, len(book), n).astype(np.int16),
            "rebate_class": rng.integers(0, 3, n).astype(np.int8),
            "years": rng.integers(0, book.schedule.shape[2] + 4, n).astype(np.int32),
            "package_depth": rng.choice([0.0, 0.5, 1.0, 1.5, 2.0], n),
            "tax_origin": rng.integers(-1, 5, n).astype(np.int32),
            "base_tax": rng.gamma(2.0, 50.0, n) * rng.integers(0, 2, n)}


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_yearly_rebates_and_fee_refunds_are_the_numpy_formulas(book, seed):
    t = _table(book, 3000, seed)
    rng = np.random.default_rng(100 + seed)
    rows = np.sort(rng.choice(3000, 2000, replace=False))
    cit, fees = rng.gamma(2.0, 30.0, rows.size), rng.gamma(2.0, 10.0, rows.size)
    cit[::7] = 0.0
    pkg = t["package"][rows].astype(np.int64)

    got = np.empty(rows.size)
    firm_passes.rebate_payments(rows, t["package"], t["rebate_class"], t["years"], t["package_depth"], book.schedule,
                                0.4, cit, got)
    share = book.rebate_share(pkg, t["rebate_class"][rows].astype(np.int64), t["years"][rows] + 1)
    assert _same(got, t["package_depth"][rows] * share * 0.4 * cit)

    got = np.empty(rows.size)
    firm_passes.fee_refunds(rows, t["package"], t["package_depth"], t["years"], book.fee_waiver,
                            book.fee_waiver_years, fees, got)
    want = np.zeros(rows.size)
    waive = (pkg >= 0) & (t["years"][rows] + 1 <= book.fee_waiver_years[np.maximum(pkg, 0)])
    want[waive] = book.refund_share(pkg[waive], t["package_depth"][rows][waive]) * fees[waive]
    assert waive.any() and (book.refund_share(pkg[waive], t["package_depth"][rows][waive]) == 1.0).any()
    assert _same(got, want)


@pytest.mark.parametrize("seed", [0, 1])
def test_what_staying_firms_are_still_owed_is_the_numpy_formulas(book, seed):
    t = _table(book, 1500, seed)
    rng = np.random.default_rng(200 + seed)
    staying = rng.random(1500) < 0.8
    cur = rng.integers(0, 6, 1500)
    fee_rate, revenue = rng.uniform(0.0, 0.05, 6), rng.gamma(2.0, 100.0, 1500)
    discount = 0.95 ** np.arange(1, 11)
    has = (t["package"] >= 0) & staying
    p = t["package"][has].astype(np.int64)

    got = np.empty(1500)
    assert firm_passes.rebates_owed(t["package"], t["rebate_class"], t["years"], t["package_depth"], staying,
                                    book.remaining_rebate_table(discount), 0.4, got)
    want = np.zeros(1500)
    owed = book.remaining_rebate_pv(p, t["rebate_class"][has].astype(np.int64), t["years"][has], discount)
    want[has] = t["package_depth"][has] * owed * 0.4
    assert _same(got, want)

    got = np.empty(1500)
    assert firm_passes.fee_refunds_owed(t["package"], t["package_depth"], t["years"], staying, cur, book.fee_waiver,
                                        book.fee_waiver_years, book.cumulative_discount(discount), fee_rate,
                                        revenue, got)
    want = np.zeros(1500)
    refund = book.remaining_waiver_years_pv(p, t["years"][has], discount)
    want[has] = book.refund_share(p, t["package_depth"][has]) * refund * fee_rate[cur[has]] * revenue[has]
    assert _same(got, want)

    nobody = np.zeros(1500, bool)
    assert not firm_passes.rebates_owed(t["package"], t["rebate_class"], t["years"], t["package_depth"], nobody,
                                        book.remaining_rebate_table(discount), 0.4, got)
    assert not got.any()


@pytest.mark.parametrize("seed", [0, 1])
def test_the_tax_split_is_the_numpy_formula(book, seed):
    t = _table(book, 3000, seed)
    rng = np.random.default_rng(300 + seed)
    rows = np.sort(rng.choice(3000, 2500, replace=False))
    retained = rng.gamma(2.0, 40.0, rows.size)
    retained[::11] = 0.0
    kept, sent, to = np.empty(rows.size), np.empty(rows.size), np.empty(rows.size, dtype=np.int64)
    firm_passes.split_tax(rows, t["tax_origin"], t["package"], t["base_tax"], book.tax_sharing, retained,
                          kept, sent, to)

    # the numpy formulation (tax_sharing.split_tax before it was compiled)
    origin, pkg = t["tax_origin"][rows], t["package"][rows]
    at = np.flatnonzero((origin >= 0) & (pkg >= 0))
    sigma = book.tax_sharing[pkg[at]]
    shares = np.isfinite(sigma)
    at, sigma = at[shares], sigma[shares]
    want_kept, want_sent = retained.copy(), np.zeros(rows.size)
    growth = np.maximum(0.0, retained[at] - t["base_tax"][rows[at]])
    want_kept[at] = sigma * growth
    want_sent[at] = retained[at] - want_kept[at]
    want_to = np.full(rows.size, -1, dtype=np.int64)
    want_to[at] = origin[at]
    assert at.size and (~shares).any() and (growth == 0.0).any()
    assert _same(kept, want_kept) and _same(sent, want_sent) and np.array_equal(to, want_to)


def test_per_region_sums_are_np_bincount_bit_for_bit():
    from clustersim.accounts import by_region

    rng = np.random.default_rng(11)
    where = np.repeat(rng.integers(-1, 40, 900), rng.integers(1, 30, 900))  # runs of rows in one region
    values = rng.standard_normal(where.size) * 10.0 ** rng.integers(-3, 4, where.size)
    got = by_region(values, where, 40)
    keep = where >= 0
    assert np.array_equal(got, np.bincount(where[keep], weights=values[keep], minlength=40))
    with pytest.raises(IndexError):
        by_region(values, where, 39)


def test_corporate_income_tax_and_profit_are_the_numpy_formulas():
    from clustersim.accounts import _after_tax, _host_tax

    rng = np.random.default_rng(12)
    pretax = np.concatenate([rng.standard_normal(500) * 100.0, [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-300]])
    cit, profit = np.empty(pretax.size), np.empty(pretax.size)
    _after_tax(pretax, 0.25, cit, profit)
    want = 0.25 * np.maximum(pretax, 0.0)
    with np.errstate(invalid="ignore"):  # inf - inf: nan, as in the pass
        assert _same(cit, want) and _same(profit, pretax - want)
    vat = np.abs(rng.standard_normal(pretax.size)) * 30.0
    host = np.empty(pretax.size)
    _host_tax(cit, vat, 0.4, 0.5, host)
    assert _same(host, 0.4 * cit + 0.5 * vat)


def test_arrivals_lock_in_what_the_numpy_formulations_give():
    """firm_passes.tax_sharing_arrive and rebate_class_arrive against the numpy expressions they
    replace (TaxSharing.arrive, TaxRebates.arrive with PackageBook.rebate_class_under), on random
    arrivals of newborns and moved firms, small and not, at and around every threshold."""
    from clustersim.instruments import firm_passes
    from clustersim.packages import PackageBook
    from clustersim.params import Scenario

    book = PackageBook(Scenario.model_validate({"packages": {
        "a": {"standard_factory_rebate_min_investment": 4000, "standard_factory_rebate_schedule": [0.3]},
        "b": {"standard_factory_rebate_min_investment": 2000, "rebate_schedule": [1.0]},
        "c": {}}}))
    rng = np.random.default_rng(21)
    n, size = 300, 120
    capital = np.concatenate([rng.choice([1999.0, 2000.0, 2001.0, 3999.0, 4000.0, 4001.0, 0.0, np.nan], 40),
                              rng.uniform(0, 9000, n - 40)])
    small = rng.random(n) < 0.6
    retained = rng.normal(100.0, 50.0, n)
    rows = rng.choice(n, size, replace=False)
    old = np.where(rng.random(size) < 0.3, -1, rng.integers(0, 9, size))
    package = rng.integers(0, len(book), size)

    base, origin = np.full(n, 7.0), np.full(n, -5, dtype=np.int32)
    firm_passes.tax_sharing_arrive(rows, old, retained, base, origin)
    want_base, want_origin = np.full(n, 7.0), np.full(n, -5, dtype=np.int32)
    want_base[rows] = np.where(old < 0, 0.0, retained[rows])
    want_origin[rows] = np.where(old < 0, -1, old)
    assert base.tobytes() == want_base.tobytes() and np.array_equal(origin, want_origin)

    cls = np.full(n, 9, dtype=np.int8)
    firm_passes.rebate_class_arrive(rows, package, capital, small, book.class_steps, book.step_class, cls)
    want = np.full(n, 9, dtype=np.int8)
    want[rows] = book.rebate_class_under(capital[rows], small[rows], package)
    assert np.array_equal(cls, want) and set(np.unique(want[rows])) == {0, 1, 2}


def _land_arrive_numpy(book, used, rows, dest, price, land, capital, small, region_package, region_depth, n_r):
    """LandPurchase.arrive as numpy expressions (the oracle of firm_passes.land_arrive)."""
    from clustersim.packages import effective_land_price

    pkg, depth = region_package[dest], region_depth[dest]
    sales = land[rows] * price
    awards = None
    if depth.any():
        tier = book.tier_price_under(capital[rows], small[rows], pkg)
        awards = land[rows] * (price - effective_land_price(price, tier, depth))
    if not used.all():
        here = used[pkg]
        sales = np.where(here, sales, 0.0)
        awards = None if awards is None else np.where(here, awards, 0.0)
    return (np.bincount(dest, weights=sales, minlength=n_r),
            np.zeros(n_r) if awards is None else np.bincount(dest, weights=awards, minlength=n_r))


@pytest.mark.parametrize("depths", ["none", "some"])
@pytest.mark.parametrize("used", [(True, True, True, True), (False, True, False, True)])
def test_land_purchases_book_what_the_numpy_formulation_gives(depths, used):
    """firm_passes.land_arrive against LandPurchase.arrive's numpy expressions: sales and awards by
    destination, every tier threshold, small firms, a nan capital, packages without the purchase,
    destinations without depth; bit for bit."""
    from clustersim.instruments import firm_passes
    from clustersim.packages import PackageBook
    from clustersim.params import Scenario

    book = PackageBook(Scenario.model_validate({"packages": {
        "a": {"land_tiers": [{"min_investment": 8000, "price": 9.0}, {"min_investment": 3000, "price": 11.0}],
              "standard_factory_price": 7.0},
        "b": {"land_tiers": [{"min_investment": 12000, "price": 6.0}]},
        "c": {}}}))
    rng = np.random.default_rng(23)
    n, size, n_r = 400, 150, 9
    capital = np.concatenate([rng.choice([2999.0, 3000.0, 7999.0, 8000.0, 12000.0, 0.0, np.nan], 60),
                              rng.uniform(0, 20000, n - 60)])
    small, land = rng.random(n) < 0.4, rng.uniform(5, 60, n)
    rows, dest = rng.choice(n, size, replace=False), rng.integers(0, n_r, size)
    price = rng.uniform(5, 25, size)
    region_package = rng.integers(0, len(book), n_r)
    region_depth = np.zeros(n_r) if depths == "none" else np.where(rng.random(n_r) < 0.7, rng.uniform(0, 3, n_r), 0.0)
    used = np.array(used)
    sales, awards = np.zeros(n_r), np.zeros(n_r)
    firm_passes.land_arrive(rows, dest, price, land, capital, small, region_package, region_depth, used,
                            bool(used.all()), book.steps, book.step_tier, book.sf_tier, book.tier_table, sales, awards)
    want_sales, want_awards = _land_arrive_numpy(book, used, rows, dest, price, land, capital, small,
                                                 region_package, region_depth, n_r)
    assert sales.tobytes() == want_sales.tobytes() and awards.tobytes() == want_awards.tobytes()
    assert (awards > 0).any() == (depths == "some")
