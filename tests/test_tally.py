"""The compiled tallies (clustersim.tally) and prices (clustersim.markets.prices) give numpy's
results bit for bit, the counts carried over moves (tally.shift) match a recount (counts exactly,
sums within their rounding bound), and the yearly measures built on them equal the validated
metrics functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clustersim import markets, metrics
from clustersim.agglomeration import sector_region_totals
from clustersim.model import ClusterModel
from clustersim.scenario import load_scenario
from clustersim.tally import sector_tally, shift, tally

from digest_outputs import SCENARIOS
from rounding import reorder_bound


def models():
    for name in ("held_package", "polya", "strategic_race"):
        model = ClusterModel(load_scenario(SCENARIOS / f"{name}.toml"), base_dir=SCENARIOS, seed=2)
        for _ in range(8):
            model.step()
            yield model


def test_tallies_equal_numpy_bincounts():
    for model in models():
        t, r = model.firms, model.regions
        rows = model._placed()
        n_s = len(model.sector_names)
        sec, reg, emp = t.sector[rows], t.region[rows], t.employment[rows]
        firms, employment, total, h, s = sector_tally(t, r.n, n_s)
        assert np.array_equal(firms, sector_region_totals(sec, reg, None, n_s, r.n))
        assert np.array_equal(employment, sector_region_totals(sec, reg, emp, n_s, r.n))
        want_total = np.bincount(sec, weights=emp, minlength=n_s)
        assert np.array_equal(total, want_total)
        z = np.divide(emp, want_total[sec], out=np.zeros_like(emp), where=want_total[sec] > 0)
        assert np.array_equal(h, np.bincount(sec, weights=z * z, minlength=n_s))
        assert np.array_equal(s, np.bincount(sec.astype(np.int64) * r.n + reg, weights=z, minlength=n_s * r.n))
        _, _, employment_r, firms_r, *_ = tally(t, r.is_county, model.revenue_per_capital, n_s, False)
        assert np.array_equal(employment_r, np.bincount(reg, weights=emp, minlength=r.n))
        assert np.array_equal(firms_r, np.bincount(reg, minlength=r.n).astype(float))
        # the yearly measures from these sums are the validated functions' values, bit for bit
        share = r.employment / r.employment.sum()
        np.testing.assert_array_equal(metrics.ellison_glaeser_from_sums(total, h, s.reshape(n_s, r.n), share),
                                      metrics.ellison_glaeser_by_sector(emp, reg, sec, r.n, n_s, share))
        emp_c = r.employment[r.is_county]
        hhi, gini, largest = metrics.county_concentration(emp_c)
        assert hhi == metrics.hhi(emp_c) and largest == metrics.largest_share(emp_c)[1]
        assert gini == (metrics.locational_gini(emp_c) if emp_c.sum() > 0 else 0.0)


def test_county_concentration_of_an_empty_economy_and_bad_input():
    assert metrics.county_concentration([0.0, 0.0, 0.0]) == (0.0, 0.0, 0.0)
    for bad in ([], [1.0, -1.0], [np.nan, 1.0], [[1.0, 2.0]]):
        try:
            metrics.county_concentration(bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad!r}")


def test_prices_equal_the_numpy_formulas():
    rng = np.random.default_rng(4)
    for _ in range(50):
        n = int(rng.integers(1, 40))
        supply = rng.choice([0.0, 1.0, 50.0, 1e4], n) * rng.random(n)
        sf_supply = rng.choice([0.0, 3.0, 800.0], n) * rng.random(n)
        used, sf_used = supply * rng.random(n) * 1.3, sf_supply * rng.random(n)
        base, base_wage = rng.random(n) * 30, rng.random(n) * 8
        emp, pool = rng.random(n) * 1e4, 1e3 + rng.random(n) * 1e4
        county = rng.random(n) < 0.8
        eta, omega = float(rng.random() * 3), float(rng.random())
        land, sf, wage = markets.prices(base, used, supply, sf_used, sf_supply, county, eta,
                                        base_wage, emp, pool, omega)
        main = markets.land_price(base, used, supply, eta)
        assert np.array_equal(land, main)
        assert np.array_equal(sf, np.where(county, markets.land_price(base, sf_used, sf_supply, eta), main))
        assert np.array_equal(wage, markets.wage(base_wage, emp, pool, omega))


def test_production_equals_the_numpy_accounts():
    from clustersim.accounts import firm_accounts, pretax_shares

    for model in models():
        t, r = model.firms, model.regions
        rows = model._placed()
        acc = firm_accounts(t, rows, model.revenue_factor, model.material, r.fee_rate, r.governance, r.wage,
                            model.revenue_per_capital, [], vat_rate=0.13, cit_rate=0.25, county_cit_share=0.4,
                            county_vat_share=0.5, friction=0.1, capital_cost_rate=0.08)
        s, j, cap = t.sector[rows], t.region[rows], t.capital[rows]
        revenue = model.revenue_per_capital[s] * cap * t.productivity[rows] * model.revenue_factor[s, j]
        kept, vat_share = pretax_shares(model.material[s], r.fee_rate[j], r.governance[j], 0.1, 0.13)
        vat = vat_share * revenue
        assert np.array_equal(acc.revenue, revenue) and np.array_equal(acc.vat, vat)
        assert np.array_equal(acc.fees, r.fee_rate[j] * revenue)
        assert np.array_equal(acc.pretax, revenue * kept - vat - r.wage[j] * t.employment[rows] - 0.08 * cap)


def _assert_counts_match_a_recount(model, where) -> None:
    """The model's counts against a recount of its firm table: the counts of firms (per region,
    per sector and pool, and localisation by firms) exactly; the sums within the rounding bound of
    adding their terms in another order (``rounding.reorder_bound``): since the
    year's recount every live firm was added once and, moving, subtracted and added at most once
    more (each firm reviews once a year), so at most 3N additions of terms whose absolute values
    sum to at most the total over all N live placed firms. Where the recount is zero, exactly zero."""
    r, n_s = model.regions, len(model.sector_names)
    by_firms = model.config.agglomeration.measure == "firms"
    fresh = tally(model.firms, r.is_county, model.revenue_per_capital, n_s, by_firms)
    now = (r.land_used, r.sf_used, r.employment, r.firms, model.output, model.localisation, model._members)
    t, rows = model.firms, model._placed()
    land, emp = np.abs(t.land[rows]).sum(), np.abs(t.employment[rows]).sum()
    out = np.abs(model.revenue_per_capital[t.sector[rows]] * t.capital[rows] * t.productivity[rows]).sum()
    terms = {"land_used": land, "sf_used": land, "employment": emp, "output": out,
             "localisation": None if by_firms else emp / 1000.0}
    adds = 3 * rows.size
    for name, a, b in zip(("land_used", "sf_used", "employment", "firms", "output", "localisation", "members"),
                          now, fresh, strict=True):
        assert a.shape == b.shape, (where, name)
        assert np.array_equal(a == 0, b == 0), (where, name)
        if terms.get(name) is None:  # counts of firms: whole numbers, exact in any order
            assert np.array_equal(a, b), (where, name)
        else:
            assert np.all(np.abs(a - b) <= reorder_bound(terms[name], adds)), (where, name, np.abs(a - b).max())


def test_the_counts_a_step_carries_over_match_a_fresh_recount():
    """step() recounts the firms only when the model changed them otherwise than by moving (at the
    start of a year, after production's hooks; after exits and growth) and carries the counts over
    each mini-batch's moves (clustersim.tally.shift): whenever the counts stand for the firm table
    (every refresh), they must match a recount (_assert_counts_match_a_recount), in every year of
    every shipped scenario; and counts must be carried over moves, and kept by refreshes, in some."""
    shifted = carried = 0
    for path in sorted(SCENARIOS.glob("*.toml")):
        model = ClusterModel(load_scenario(path), base_dir=SCENARIOS, seed=3)
        refresh = model._refresh

        def checked(recount=True, margins=True, model=model, refresh=refresh):
            nonlocal shifted, carried
            if not model._recount_due:
                _assert_counts_match_a_recount(model, (model.year, recount, margins))
                shifted += model._shifted
                carried += not model._shifted  # counts kept from an earlier refresh, neither recounted nor shifted
            refresh(recount, margins)

        model._refresh = checked
        model.run(12)
    assert shifted > 0 and carried > 0


def test_a_shift_over_moves_matches_a_recount_and_empties_to_zero():
    """shift() directly: firms of one sector moved out of the region holding most of them, then
    every firm out of a region: the counts match a recount (above), and the emptied region's and
    sector's sums are exactly zero."""
    model = ClusterModel("held_package", seed=4)
    model.run(6)
    t, r, n_s = model.firms, model.regions, len(model.sector_names)
    by_firms = model.config.agglomeration.measure == "firms"
    model._refresh()
    counts = tally(t, r.is_county, model.revenue_per_capital, n_s, by_firms)
    r.land_used, r.sf_used, r.employment, r.firms, model.output, model.localisation, model._members = counts
    rows = model._placed()
    j = int(np.argmax(r.firms))
    moving = rows[(t.region[rows] == j) & (t.sector[rows] == 0)]
    target = (j + 1) % r.n
    old = t.region[moving].copy()
    t.region[moving] = target
    shift(t, moving, old, r.is_county, model.revenue_per_capital, by_firms, counts)
    _assert_counts_match_a_recount(model, "sector 0 moved")
    assert model.output[0, j] == 0.0 and model.localisation[0, j] == 0.0
    everyone = rows[t.region[rows] == j]
    old = t.region[everyone].copy()
    t.region[everyone] = target
    shift(t, everyone, old, r.is_county, model.revenue_per_capital, by_firms, counts)
    _assert_counts_match_a_recount(model, "region emptied")
    assert r.firms[j] == 0 and r.land_used[j] == 0 and r.sf_used[j] == 0 and r.employment[j] == 0
    assert not model.output[:, j].any() and not model.localisation[:, j].any()


@pytest.mark.parametrize("scenario", ["held_package", "hunan", "polya"])
def test_a_run_that_carries_its_counts_over_moves_decides_as_one_that_recounts(scenario):
    """The reference: the same model recounting the firm table after every mini-batch (as a
    model with a plug-in instrument does). Every decision is the same: the firm table's regions,
    survival, moves and packages, and the yearly counts of births, entries, moves and exits (the
    sums differ only by rounding: the test above)."""
    carried = ClusterModel(scenario, seed=5)
    recounted = ClusterModel(scenario, seed=5)
    recounted._shifts_counts = False
    carried.run(25)
    recounted.run(25)
    a, b = carried.firms, recounted.firms
    for name in ("region", "alive", "moves", "package", "sector", "years"):
        np.testing.assert_array_equal(getattr(a, name)[:a.size], getattr(b, name)[:b.size], err_msg=name)
    counts = ["firms", "births", "entries", "moves", "exits", "not_entered", "focal_firms"]
    pd.testing.assert_frame_equal(carried.model_frame()[counts], recounted.model_frame()[counts])
