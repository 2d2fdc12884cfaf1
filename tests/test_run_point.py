"""A sweep run's fiscal counterfactual: run only when it differs from the run itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from clustersim import scenario as scenario_module
from clustersim.counterfactual import without_focal_package
from clustersim.scenario import build_model
from clustersim.sweep.design import build_design
from clustersim.sweep.experiment import load_experiment
from clustersim.sweep.outcomes import measure
from clustersim.sweep.runner import run_point

HELD = (Path(__file__).resolve().parents[1] / "scenarios" / "held_package.toml").as_posix()

EXPERIMENT = f'''name = "cf"
base_scenario = "{HELD}"
replicates = 1
sweep_seed = 3
years = 12
fiscal_baseline = "counterfactual"
outcomes = ["jobs", "extra_revenue", "net_fiscal_return", "final_share"]

[overrides]
"geography.counties" = 3
"firms.initial" = 150

[levers.offer]
parameter = "focal.package"
values = ["none", "held_district"]
'''


@pytest.fixture()
def runs(tmp_path, monkeypatch):
    path = tmp_path / "cf.toml"
    path.write_text(EXPERIMENT, encoding="utf-8")
    exp = load_experiment(path)
    rows = build_design(exp).runs.to_dict("records")
    built = []
    real = scenario_module.build_model

    def counting(*args, **kwargs):
        built.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(scenario_module, "build_model", counting)
    return exp, rows, built


def test_a_run_without_a_focal_package_is_its_own_counterfactual(runs):
    exp, rows, built = runs
    row = next(r for r in rows if r["offer"] == "none")
    got = run_point(exp, row)
    assert len(built) == 1  # the counterfactual was not run again
    # the same outcomes as running the counterfactual separately
    scenario = exp.scenario_for({"offer": "none"}, int(row["seed"]))
    model = build_model(scenario).run()
    counterfactual = build_model(without_focal_package(scenario, exp.focal_county)).run()
    assert got == measure(model, counterfactual, outcomes=exp.outcomes)
    assert got["jobs"] == 0 and got["extra_revenue"] == 0


def test_a_run_with_a_focal_package_still_runs_its_counterfactual(runs):
    exp, rows, built = runs
    row = next(r for r in rows if r["offer"] == "held_district")
    got = run_point(exp, row)
    assert len(built) == 2
    scenario = exp.scenario_for({"offer": "held_district"}, int(row["seed"]))
    model = build_model(scenario).run()
    counterfactual = build_model(exp.counterfactual_for({"offer": "held_district"}, int(row["seed"]))).run()
    assert got == measure(model, counterfactual, outcomes=exp.outcomes)


def test_outcomes_read_the_same_values_as_from_the_whole_model_frame(runs, monkeypatch):
    import math

    from clustersim.sweep import outcomes

    exp, rows, _ = runs
    scenario = exp.scenario_for({"offer": "held_district"}, int(rows[0]["seed"]))
    model = build_model(scenario).run()
    counterfactual = build_model(without_focal_package(scenario, exp.focal_county)).run()
    for cf in (None, counterfactual):
        got = measure(model, cf)
        with monkeypatch.context() as m:
            m.setattr(outcomes, "_outcome_frame", lambda model: model.model_frame())
            want = measure(model, cf)
        assert list(got) == list(want)
        for k in want:
            assert got[k] == want[k] or (isinstance(want[k], float) and math.isnan(want[k]) and math.isnan(got[k])), k


def test_pool_workers_start_warm():
    from clustersim.sweep import runner, warm

    assert "clustersim.sweep.warm" in runner.PRELOAD
    model = warm.warm_up()
    assert model.entered > 60 and model.year == 3  # firms were born and placed: the moves ran


def test_the_labs_no_incentives_point_is_its_own_counterfactual():
    from clustersim.lab.form import BASELINE, LabSetup, experiment_document, shipped_packages
    from clustersim.sweep.experiment import experiment_from_dict

    exp = experiment_from_dict(experiment_document(LabSetup(packages=list(shipped_packages().values())[:1],
                                                            replicates=1, years=10)))
    same = {}
    for row in build_design(exp).runs.to_dict("records"):
        scenario = exp.scenario_for({f.name: row[f.name] for f in exp.factors}, int(row["seed"]))
        same[row["package"]] = without_focal_package(scenario, exp.focal_county) == scenario
    assert same.pop(BASELINE) is True and not any(same.values())
