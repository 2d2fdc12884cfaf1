"""Reproducibility: a run is a function of (scenario, seed) and nothing else.

* same scenario and seed: identical model, region and firm frames (exact);
* different seeds: different runs;
* two models alive in one process, stepped in turn, give exactly their sequential runs;
* building and running a model touches neither numpy's global random state nor Python's
  ``random`` module state (no module-level randomness).
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from clustersim.model import ClusterModel
from clustersim.params import Scenario

from worlds import busy_world

YEARS = 6


def scenario(seed: int = 0) -> Scenario:
    """The busy world with the fee trap and strategic competition on, tax sharing, and a focal
    county with twice the subsidy depth next to one with none."""
    return Scenario.model_validate(busy_world(
        name="repro", years=YEARS, seed=seed, focal_county="county_02", origins=2, counties=4, layout_seed=11,
        depths=[0.0, 2.0], operating_spending=20000.0, tax_sharing=0.6, fee_trap=True, fee_step=0.01,
        competition=True))


def frames(model: ClusterModel) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return model.model_frame(), model.region_frame(), model.firm_frame()


def assert_same_run(a: ClusterModel, b: ClusterModel) -> None:
    for fa, fb in zip(frames(a), frames(b), strict=True):
        assert_frame_equal(fa, fb, check_exact=True)


def test_the_scenario_is_busy() -> None:
    """Guard: the runs compared below exercise moves, exits and packages, or the comparisons
    would prove little."""
    m = ClusterModel(scenario(), seed=1).run()
    mf = m.model_frame()
    assert mf["moves"].sum() > 20 and mf["exits"].sum() > 0 and mf["firms_in_counties"].iloc[-1] > 20
    assert (m.firm_frame()["package"] == "district").any()


def test_same_seed_same_run() -> None:
    assert_same_run(ClusterModel(scenario(), seed=7).run(), ClusterModel(scenario(), seed=7).run())


def test_scenario_seed_is_the_default_seed_of_build_model() -> None:
    from clustersim.scenario import build_model

    assert_same_run(build_model(scenario(seed=7)).run(), ClusterModel(scenario(), seed=7).run())


def test_no_seed_means_fresh_entropy_recorded_on_the_model() -> None:
    """As in Mesa: ClusterModel(seed=None) draws a new seed each time; the seed drawn is kept in
    ``model.seed`` and ``model.config.seed`` and repeats the run."""
    a, b = ClusterModel(scenario(seed=7)), ClusterModel(scenario(seed=7))
    assert a.seed != b.seed  # two draws of 63 bits: equal with probability 2**-63
    assert a.config.seed == a.seed and 0 <= a.seed < 2**63
    a.run()
    assert_same_run(a, ClusterModel(scenario(), seed=a.seed).run())
    assert ClusterModel(a.config).seed != a.seed


def test_different_seeds_differ() -> None:
    a, b = ClusterModel(scenario(), seed=1).run(), ClusterModel(scenario(), seed=2).run()
    # the map comes from layout_seed, not the run seed
    assert np.array_equal(a.regions.x_km, b.regions.x_km) and np.array_equal(a.regions.y_km, b.regions.y_km)
    for fa, fb in zip(frames(a), frames(b), strict=True):
        with pytest.raises(AssertionError):
            assert_frame_equal(fa, fb)


def test_interleaved_models_do_not_disturb_each_other() -> None:
    sequential = [ClusterModel(scenario(), seed=s).run() for s in (3, 4, 3)]
    live = [ClusterModel(scenario(), seed=s) for s in (3, 4, 3)]
    for _ in range(YEARS):
        for m in live:
            m.step()
    for a, b in zip(sequential, live, strict=True):
        assert_same_run(a, b)


def test_no_global_random_state_is_touched() -> None:
    np.random.seed(12345)
    random.seed(12345)
    np_state = np.random.get_state()
    py_state = random.getstate()
    m = ClusterModel(scenario(), seed=5)
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1]) and after[2:] == np_state[2:]
    m.run()
    m.model_frame(), m.region_frame(), m.firm_frame()
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1]) and after[2:] == np_state[2:]


def test_global_random_state_does_not_leak_in() -> None:
    """Reseeding the global generators between two runs of the same seed changes nothing."""
    np.random.seed(1)
    random.seed(1)
    a = ClusterModel(scenario(), seed=9).run()
    np.random.seed(2)
    random.seed(2)
    b = ClusterModel(scenario(), seed=9).run()
    assert_same_run(a, b)
