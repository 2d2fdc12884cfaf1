"""The EMA Workbench adapter (clustersim.ema_model): levers, uncertainties and outcomes from an
experiment, replicates aggregated into EMA's scalar outcomes, seeds from the sweep seed (so the
evaluator does not matter), and PRIM on the results."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import clustersim
from clustersim.sweep.design import build_design
from clustersim.sweep.runner import run_point

from worlds import SCENARIOS

REPO = SCENARIOS.parent

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # "ipyparallel not installed": an evaluator we do not use
    from ema_workbench import (
        CategoricalParameter,
        IntegerParameter,
        MultiprocessingEvaluator,
        RealParameter,
        ScalarOutcome,
        SequentialEvaluator,
    )
    from ema_workbench.analysis import prim

RANGES = {
    "name": "ema-small", "base_scenario": "held_package", "years": 8, "replicates": 2, "sweep_seed": 3,
    "overrides": {"geography.counties": 4, "firms.initial": 200},
    "outcomes": ["took_off", "final_share", "focal_firms", "net_fiscal_return", "leader"],
    "design": {"kind": "lhs", "samples": 4},
    "levers": {"depth": {"parameter": "focal.subsidy_depth", "range": [0, 4]}},
    "uncertainties": {
        "agglomeration": {"parameters": ["agglomeration.localisation", "agglomeration.supplier"], "range": [0.1, 0.4]},
        "horizon": {"parameter": "choice.horizon_years", "range": [5, 15]},
    },
}


def test_parameters_and_outcomes_come_from_the_experiment():
    m = clustersim.ema_model(RANGES)
    assert m.name == "ema_small"
    (depth,) = m.levers
    assert isinstance(depth, RealParameter) and (depth.lower_bound, depth.upper_bound) == (0.0, 4.0)
    unc = {u.name: u for u in m.uncertainties}
    assert isinstance(unc["agglomeration"], RealParameter)
    assert (unc["agglomeration"].lower_bound, unc["agglomeration"].upper_bound) == (0.1, 0.4)
    assert isinstance(unc["horizon"], IntegerParameter)  # choice.horizon_years takes whole numbers
    assert (unc["horizon"].lower_bound, unc["horizon"].upper_bound) == (5, 15)
    assert [o.name for o in m.outcomes] == ["took_off", "final_share", "focal_firms", "net_fiscal_return"]
    assert all(isinstance(o, ScalarOutcome) for o in m.outcomes)  # 'leader' (a name) is no scalar: left out
    assert len(m.replications) == 2
    grid = clustersim.ema_model(REPO / "experiments" / "take_off.toml", replicates=3)
    levers = {p.name: p for p in grid.levers}
    assert all(isinstance(p, CategoricalParameter) for p in levers.values())
    assert [c.value for c in levers["fee_rate"].categories] == [0.005, 0.01, 0.02, 0.03, 0.04, 0.06]
    assert len(grid.replications) == 3
    packages = clustersim.ema_model(REPO / "experiments" / "packages.toml")
    (package,) = packages.levers
    assert package.name == "package" and "governance_reform" in [c.value for c in package.categories]


def test_a_point_on_the_design_gets_the_runs_of_its_sweep():
    exp = clustersim.experiment(RANGES)
    runner = clustersim.ema_model(exp).function
    row = build_design(exp).runs.iloc[1]  # replicate 1 of the first point
    point = {f.name: row[f.name] for f in exp.factors}
    assert runner(replicate=int(row["replicate"]), **point) == run_point(exp, row.to_dict())


@pytest.fixture
def forkserver():
    """EMA's MultiprocessingEvaluator uses the default start method; forking this multi-threaded test
    process could deadlock a child, so start its workers from a clean fork server here."""
    import multiprocessing

    before = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method("forkserver", force=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def test_sequential_and_multiprocessing_evaluators_agree_and_prim_runs(forkserver):
    model = clustersim.ema_model(RANGES)
    kwargs = {"scenarios": 4, "policies": 2, "uncertainty_sampling_kwargs": {"rng": 1},
              "lever_sampling_kwargs": {"rng": 2}}
    with SequentialEvaluator(model) as ev:
        experiments, outcomes = ev.perform_experiments(**kwargs)
    with MultiprocessingEvaluator(model, n_processes=2) as ev:
        experiments_mp, outcomes_mp = ev.perform_experiments(**kwargs)
    factors = ["agglomeration", "horizon", "depth"]
    assert experiments[factors].equals(experiments_mp[factors])
    assert set(outcomes) == {"took_off", "final_share", "focal_firms", "net_fiscal_return"}
    for name, values in outcomes.items():
        assert values.shape == (8,)
        assert np.array_equal(values, outcomes_mp[name], equal_nan=True), name
    assert np.all((outcomes["took_off"] >= 0) & (outcomes["took_off"] <= 1))
    share = outcomes["final_share"]
    assert np.unique(share).size > 2  # the runs differ, so PRIM has something to separate
    x = experiments[factors]
    box = prim.Prim(x, share > np.median(share)).find_box()
    assert box is not None and len(box.peeling_trajectory) >= 1
    assert 0 < box.coverage <= 1 and 0 < box.density <= 1


def test_aggregate_per_outcome_and_unknown_outcomes_are_refused():
    m = clustersim.ema_model(RANGES, aggregate={"final_share": np.median})
    functions = {o.name: o.function for o in m.outcomes}
    assert functions["final_share"] is np.median and functions["took_off"] is np.mean
    with pytest.raises(clustersim.ScenarioError, match="names no numeric outcome"):
        clustersim.ema_model(RANGES, aggregate={"leader": np.max})
