"""The compiled tallies (clustersim.tally) and prices (clustersim.markets.prices) give numpy's
results bit for bit, and the yearly measures built on them equal the validated metrics functions."""

from __future__ import annotations

import numpy as np

from clustersim import markets, metrics
from clustersim.agglomeration import sector_region_totals
from clustersim.model import ClusterModel
from clustersim.scenario import load_scenario
from clustersim.tally import sector_tally, tally

from digest_outputs import SCENARIOS


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


def test_the_counts_a_step_carries_over_are_a_fresh_recount():
    """step() recounts the firms at its start only when the model changed firms after its last
    recount: whenever a refresh keeps the counts (recount=False: at the start of a year, and after
    the county rules), the region counts, output and localisation must equal a recount of the firm
    table bit for bit, in every year of every shipped scenario; and some years must start so."""
    carried = 0
    for path in sorted(SCENARIOS.glob("*.toml")):
        model = ClusterModel(load_scenario(path), base_dir=SCENARIOS, seed=3)
        r, n_s = model.regions, len(model.sector_names)
        by_firms = model.config.agglomeration.measure == "firms"
        refresh = model._refresh

        def checked(recount=True, margins=True, model=model, r=r, n_s=n_s, by_firms=by_firms, refresh=refresh):
            nonlocal carried
            if not recount:
                fresh = tally(model.firms, r.is_county, model.revenue_per_capital, n_s, by_firms)
                now = (r.land_used, r.sf_used, r.employment, r.firms, model.output, model.localisation)
                assert all(np.array_equal(a, b) for a, b in zip(now, fresh, strict=True)), (model.year, margins)
                carried += margins  # the start of a year
            refresh(recount, margins)

        model._refresh = checked
        model.run(12)
    assert carried > 0
