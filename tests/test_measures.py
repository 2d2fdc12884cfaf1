"""The yearly measures' compiled pass (clustersim.measures.year_measures) equals their numpy
formulation on the validated metrics functions (year_measures_numpy) bit for bit: same keys in
the same order, same types, same values (nan where nan), in real runs of every shipped scenario
and on random region states, and raises the metrics functions' errors on invalid amounts."""

from __future__ import annotations

import numpy as np
import pytest

from clustersim import measures
from clustersim.model import ClusterModel
from clustersim.scenario import load_scenario
from clustersim.tally import sector_tally

from digest_outputs import SCENARIOS


def same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for k in a:
        assert type(a[k]) is type(b[k]), k
        if isinstance(a[k], float):
            assert np.array(a[k]).tobytes() == np.array(b[k]).tobytes(), (k, a[k], b[k])
        else:
            assert a[k] == b[k], k


def both(model: ClusterModel) -> tuple[dict, dict]:
    _, _, *eg = sector_tally(model.firms, model.regions.n, len(model.sector_names))
    return measures.year_measures(model, tuple(eg)), measures.year_measures_numpy(model, tuple(eg))


def random_take_off_histories(seed: int, count: int = 3000):
    """Short random share histories with ends, thresholds and holds that reach every verdict."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(1, 8))
        years = (int(rng.integers(0, 30)) + np.cumsum(rng.integers(1, 3, n))).tolist()
        shares = rng.choice([0.0, 0.1, 0.15, 0.1500001, 0.3, 1.0], n).tolist()
        end = float(rng.choice([0.0, 5.0, float(years[n // 2]), 40.0, np.inf]))
        yield years, shares, end, float(rng.choice([0.15, 0.0, 1.0])), int(rng.integers(1, 6))


#: inputs the take-off verdict refuses (repeated years, nan share, nan end, hold 0, no years, ragged)
BAD_TAKE_OFF_INPUTS = (([1, 1], [0.2, 0.2], 0.0, 0.15, 1), ([1, 2], [np.nan, 0.2], 0.0, 0.15, 1),
                       ([1], [0.2], np.nan, 0.15, 1), ([1], [0.2], 0.0, 0.15, 0), ([], [], 0.0, 0.15, 1),
                       ([1, 2], [0.2], 0.0, 0.15, 1), ([1, 2], [np.inf, 0.2], 0.0, 0.15, 1),
                       ([1, np.inf], [0.2, 0.2], 0.0, 0.15, 1), ([2, 1], [0.2, 0.2], 0.0, 0.15, 1))


def assert_same_refusals(fn, oracle) -> None:
    """``fn`` refuses every one of :data:`BAD_TAKE_OFF_INPUTS` with the oracle's ValueError message."""
    for bad in BAD_TAKE_OFF_INPUTS:
        with pytest.raises(ValueError) as oracle_error:
            oracle(*bad)
        with pytest.raises(ValueError) as error:
            fn(*bad)
        assert str(error.value) == str(oracle_error.value)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_year_of_a_shipped_scenario(path):
    model = ClusterModel(load_scenario(path), base_dir=SCENARIOS, seed=6)
    for _ in range(12):
        same(*both(model))
        model.step()


def test_random_region_states():
    rng = np.random.default_rng(12)
    model = ClusterModel(load_scenario(SCENARIOS / "held_package.toml"), base_dir=SCENARIOS, seed=1).run(3)
    r = model.regions
    n_s = len(model.sector_names)
    by_firms = model.config
    employment = by_firms.take_off.model_copy(update={"measure": "employment"})
    by_employment = by_firms.model_copy(update={"take_off": employment})
    for trial in range(400):
        model.config = by_employment if trial % 8 < 4 else by_firms  # the focal share's two measures
        kind = trial % 4
        counts = rng.integers(0, 60, (n_s, r.n)).astype(float)
        counts[:, rng.random(r.n) < 0.3] = 0.0  # empty regions
        if kind == 0:
            counts[:] = 0.0  # an empty economy
        emp = counts * rng.random((n_s, r.n)) * 10.0 ** rng.integers(0, 4)
        if kind == 1:
            emp = np.round(emp / 50.0) * 50.0  # ties in shares (the Gini's order, the largest share)
        model.firms_by_sector, model.employment_by_sector = counts, emp
        r.firms, r.employment = counts.sum(axis=0), emp.sum(axis=0)
        total = emp.sum(axis=1)
        h = rng.random(n_s) * (1.0 if kind != 2 else 1e-13) + (0.0 if kind != 2 else 1.0 - 1e-13)
        s = rng.random(n_s * r.n)
        a = measures.year_measures(model, (total, h, s))
        b = measures.year_measures_numpy(model, (total, h, s))
        same(a, b)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -1.0])
def test_invalid_amounts_raise_as_the_metrics_functions_do(bad):
    model = ClusterModel(load_scenario(SCENARIOS / "held_package.toml"), base_dir=SCENARIOS, seed=1).run(2)
    r = model.regions
    r.employment = r.employment.copy()
    r.employment[np.flatnonzero(r.is_county)[1]] = bad
    _, _, *eg = sector_tally(model.firms, r.n, len(model.sector_names))
    with pytest.raises(ValueError) as numpy_error:
        measures.year_measures_numpy(model, tuple(eg))
    with pytest.raises(ValueError) as error:
        measures.year_measures(model, tuple(eg))
    assert str(error.value) == str(numpy_error.value)


def test_take_off_flags_equal_take_off_of_lists():
    """The model's take-off reporters' two flags (metrics.take_off_flags) are those of
    take_off_of_lists (the oracle), on random short histories and on refused inputs (same error)."""
    from clustersim.metrics import take_off_flags, take_off_of_lists

    seen = set()
    for years, shares, end, threshold, hold in random_take_off_histories(17):
        verdict = take_off_of_lists(years, shares, end, threshold, hold)
        flags = take_off_flags(years, shares, end, threshold, hold)
        assert flags == (verdict.took_off, verdict.observable) and all(type(f) is bool for f in flags)
        seen.add(flags)
    assert seen == {(False, False), (False, True), (True, True)}, "every verdict is covered"
    assert_same_refusals(take_off_flags, take_off_of_lists)


def test_take_off_of_lists_equals_take_off():
    from clustersim.metrics import take_off, take_off_of_lists

    for years, shares, end, threshold, hold in random_take_off_histories(13):
        assert take_off_of_lists(years, shares, end, threshold, hold) == take_off(years, shares, end, threshold, hold)
    assert_same_refusals(take_off_of_lists, take_off)
