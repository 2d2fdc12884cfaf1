"""ClusterModel as Mesa's tools expect a model: keyword parameters, seed=None as fresh entropy,
``running`` that stops at the configured years, Mesa's own ``scenario`` left to Mesa (SolaraViz's
Reset), and take-off among the DataCollector's variables."""

from __future__ import annotations

import warnings

import pytest
from mesa.visualization import Slider
from mesa.visualization.solara_viz import _build_model_init_kwargs, _check_model_params

from clustersim import outputs
from clustersim.model import ClusterModel
from clustersim.params import Scenario
from clustersim.scenario import ScenarioError, build_model, load_scenario

from worlds import SCENARIOS

HELD = SCENARIOS / "held_package.toml"


def test_running_turns_false_at_the_configured_years():
    m = ClusterModel(Scenario(years=3), seed=1)
    steps = 0
    while m.running and steps < 100:
        m.step()
        steps += 1
    assert (steps, m.year, m.running) == (3, 3, False)
    assert m.run(2).year == 5  # run() is told its years and ignores running


def test_keyword_parameters_are_overrides_with_shorthands_and_region_names():
    m = ClusterModel("held_package", seed=2, years=4, focal__subsidy_depth=3.0, regions__county_03__fee_rate=0.05,
                     firms__review_rate=0.3)
    expected = load_scenario(HELD)
    assert m.config.years == 4 and m.config.firms.review_rate == 0.3
    assert m.regions.depth[m.focal] == 3.0 and m.focal_name == "county_01" != expected.name
    assert m.regions.fee_rate[m.regions.names.index("county_03")] == 0.05
    with pytest.raises(ScenarioError) as info:
        ClusterModel("held_package", focal__subsidy_depth=9)
    assert str(info.value) == "ClusterModel(): focal__subsidy_depth = 9: must be between 0 and 5"
    with pytest.raises(ScenarioError) as info:
        ClusterModel("held_package", subsidy_depth=2.0)  # the name the slider used
    assert str(info.value) == ("ClusterModel(): subsidy_depth = 2.0: unknown key; a county's trait: write "
                               "focal.subsidy_depth (the focal county), regions.<name>.subsidy_depth or "
                               "counties.subsidy_depth (every county); as a keyword, focal__subsidy_depth")
    with pytest.raises(ScenarioError) as info:
        ClusterModel("held_packag")
    assert str(info.value) == ("ClusterModel(): scenario = 'held_packag': neither a scenario file nor the name of a "
                               "shipped scenario; did you mean 'held_package'?")


def test_the_configuration_as_scenario_keyword_still_works_with_a_deprecation_warning():
    s = Scenario(years=2)
    with pytest.warns(DeprecationWarning, match=r"ClusterModel\(scenario=\.\.\.\) is deprecated"):
        old = ClusterModel(scenario=s, seed=3).run()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = ClusterModel(s, seed=3).run()
    assert old.model_frame().equals(new.model_frame())


def test_solaraviz_reset_rebuilds_the_model_with_mesa_scenario_and_slider_values():
    """What Mesa 3.5's SolaraViz does on Reset: check the parameters against the signature, then
    call the model class with them plus a Mesa Scenario object as ``scenario``."""
    params = {"config": "held_package", "years": 5,
              "focal__subsidy_depth": Slider("subsidy depth", 2.0, 0.0, 5.0, 0.25)}
    model = ClusterModel(config="held_package", years=5, focal__subsidy_depth=2.0)
    _check_model_params(model, params)  # raised "Invalid model parameter" before
    chosen = {"config": "held_package", "years": 5, "focal__subsidy_depth": 3.25}
    kwargs = _build_model_init_kwargs(model, chosen, add_scenario_when_empty=True, require_model_accepts_scenario=True)
    assert type(kwargs["scenario"]).__module__.startswith("mesa")
    again = type(model)(**kwargs)
    assert again.regions.depth[again.focal] == 3.25 and again.seed != model.seed  # Reset: a new run
    while again.running:
        again.step()
    assert again.year == 5


def test_take_off_is_collected_every_year_and_agrees_with_the_run_verdict():
    m = build_model(HELD).run(30)  # the focal county takes off in this run (from year 21)
    frame = m.model_frame()
    verdict = outputs.focal_take_off(m, frame)
    assert verdict.took_off
    last = frame.iloc[-1]
    assert (bool(last["took_off"]), bool(last["take_off_observable"])) == (verdict.took_off, verdict.observable)
    assert (frame["incentives_end_year"] == m.incentives_end_year()).all() and (frame["seed"] == m.seed).all()
    rule = m.config.take_off
    for year in (10, 20, 21, 25):  # the verdict of a run that had stopped at that year
        upto = frame[frame["year"] <= year]
        from clustersim import metrics

        then = metrics.take_off(upto["year"], upto["focal_share"], m.incentives_end_year(), rule.threshold,
                                rule.hold_years)
        row = frame[frame["year"] == year].iloc[0]
        assert (bool(row["took_off"]), bool(row["take_off_observable"])) == (then.took_off, then.observable), year
    assert not frame["took_off"].iloc[:20].any() and frame["took_off"].iloc[21:].all()


def test_without_region_data_the_collector_holds_model_variables_only():
    m = ClusterModel(Scenario(years=2), seed=1, region_data=False).run()
    assert len(m.model_frame()) == 3 and not m.datacollector.agenttype_reporters
    with pytest.raises(ValueError, match="region_data=False"):
        m.region_frame()


BATCH = """
import json, sys
from mesa.batchrunner import batch_run
from clustersim import ClusterModel

if __name__ == "__main__":
    rows = batch_run(ClusterModel, {"config": "held_package", "years": 6, "focal__subsidy_depth": [0.0, 2.0],
                                    "region_data": False},
                     iterations=3, number_processes=2, display_progress=False)
    with open(sys.argv[1], "w") as fh:
        json.dump(rows, fh)
"""


def test_mesa_batch_run_gives_distinct_runs_with_their_parameters_and_take_off(tmp_path):
    """Run in a subprocess: batch_run switches the whole process to the "spawn" start method."""
    import json
    import subprocess
    import sys

    script, out = tmp_path / "batch.py", tmp_path / "rows.json"
    script.write_text(BATCH, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True, timeout=300,
                          check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(out.read_text())
    assert len(rows) == 6  # 2 lever values x 3 iterations, one row each (the last year; no region rows)
    assert sorted(r["RunId"] for r in rows) == list(range(6))
    assert sorted(r["focal__subsidy_depth"] for r in rows) == [0.0, 0.0, 0.0, 2.0, 2.0, 2.0]
    assert {r["Step"] for r in rows} == {6} and {r["year"] for r in rows} == {6}  # running stopped at years
    assert {"took_off", "take_off_observable", "incentives_end_year", "seed"} <= set(rows[0])
    assert len({r["seed"] for r in rows}) == 6  # seed=None: fresh entropy per run, recorded
    for depth in (0.0, 2.0):
        runs = {(r["firms"], r["moves"], r["focal_firms"]) for r in rows if r["focal__subsidy_depth"] == depth}
        assert len(runs) == 3  # three different runs, not one run three times
    for r in rows[:2]:  # the recorded seed and parameters repeat the run
        again = ClusterModel("held_package", years=6, focal__subsidy_depth=r["focal__subsidy_depth"], seed=r["seed"],
                             region_data=False).run()
        last = again.model_frame().iloc[-1]
        assert (last["firms"], last["focal_share"], bool(last["took_off"])) == (r["firms"], r["focal_share"],
                                                                                r["took_off"])
        assert again.regions.depth[again.focal] == r["focal__subsidy_depth"]
