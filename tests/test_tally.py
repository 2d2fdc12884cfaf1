"""The compiled tallies (clustersim.tally) give numpy's sums bit for bit, and the yearly
measures built on them equal the validated metrics functions."""

from __future__ import annotations

import numpy as np

from clustersim import metrics
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
