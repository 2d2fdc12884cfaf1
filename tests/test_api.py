"""The one-call Python API (clustersim.run, experiment, run_experiment, salib_problem, evaluate):
the same results as the command line, experiments from dicts, sweeps as DataFrames."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import clustersim
from clustersim.cli import main
from clustersim.scenario import ScenarioError
from clustersim.sweep.runner import run_sweep
from clustersim.sweep.store import load_results

from worlds import SCENARIOS

HELD = SCENARIOS / "held_package.toml"

SMALL = {
    "name": "small",
    "base_scenario": "held_package",
    "years": 8,
    "replicates": 2,
    "sweep_seed": 11,
    "outcomes": ["took_off", "final_share", "focal_firms", "net_fiscal_return"],
    # constant coastal growth: in 8 years of this 200-firm world the coast's land never binds, so only the
    # coastal push moves firms, and with the default fading push none reaches county_01 in any cell
    "overrides": {"geography.counties": 4, "firms.initial": 200, "markets.coastal_growth_half_life": float("inf")},
    "design": {"kind": "grid"},
    "levers": {"depth": {"parameter": "focal.subsidy_depth", "values": [0.0, 2.0]},
               "fee": {"parameter": "focal.fee_rate", "values": [0.01, 0.03]}},
}


def test_one_call_run_equals_clustersim_run_table_for_table(tmp_path, capsys):
    code = main(["run", str(HELD), "--years", "24", "--seed", "5", "--counterfactual", "--no-figure",
                 "--set", "focal.subsidy_depth=2.5", "--out", str(tmp_path / "cli")])
    assert code == 0, capsys.readouterr().err
    result = clustersim.run(HELD, years=24, seed=5, counterfactual=True, focal__subsidy_depth=2.5)
    result.write(tmp_path / "api")
    for table in ("model", "regions", "firms"):
        cli = pd.read_parquet(tmp_path / "cli" / f"{table}.parquet")
        assert_frame_equal(cli, pd.read_parquet(tmp_path / "api" / f"{table}.parquet"), check_exact=True)
        assert_frame_equal(cli, result.tables[table], check_exact=True, check_dtype=False)
    summary = json.loads((tmp_path / "cli" / "summary.json").read_text())
    api = json.loads((tmp_path / "api" / "summary.json").read_text())
    for key in ("seed", "years", "take_off", "fiscal_return", "final_shares", "resolved_scenario", "fiscal_baseline"):
        assert summary[key] == api[key], key
    assert result.outcomes["took_off"] == summary["take_off"]["took_off"]
    assert result.outcomes["net_fiscal_return"] == pytest.approx(summary["fiscal_return"]["net_return"], rel=1e-12)
    # the same by name, with overrides as a dict
    again = clustersim.run("held_package", overrides={"focal.subsidy_depth": 2.5}, years=24, seed=5,
                           counterfactual=True, outcomes=["took_off", "net_fiscal_return"])
    assert again.outcomes == {k: result.outcomes[k] for k in ("took_off", "net_fiscal_return")}


def test_run_accepts_numpy_values_and_its_errors_name_the_call():
    r = clustersim.run("held_package", years=np.int64(2), seed=np.uint32(1), choice__horizon_years=np.int64(9),
                       counties__fee_trap=np.bool_(True))
    assert (r.model.config.years, r.model.config.choice.horizon_years, r.model.config.counties.fee_trap) == (2, 9, True)
    with pytest.raises(ScenarioError) as info:
        clustersim.run("held_package", choice__horizon_years=np.float64(9.5))
    assert str(info.value) == "clustersim.run(): choice.horizon_years = 9.5: must be a whole number"
    with pytest.raises(ScenarioError) as info:
        clustersim.run("held_package", years=1, outcomes=["took_of"])
    assert str(info.value).startswith("clustersim.run(): outcomes = 'took_of': unknown outcome; "
                                      "did you mean 'took_off'?")


def _as_toml(doc: dict, base: str) -> str:
    lines = [f'name = "{doc["name"]}"', f'base_scenario = "{base}"', f"years = {doc['years']}",
             f"replicates = {doc['replicates']}", f"sweep_seed = {doc['sweep_seed']}",
             f"outcomes = {json.dumps(doc['outcomes'])}", "[overrides]",
             *(f'"{k}" = {v}' for k, v in doc["overrides"].items()), "[design]", 'kind = "grid"']
    for name, f in doc["levers"].items():
        lines += [f"[levers.{name}]", f'parameter = "{f["parameter"]}"', f"values = {f['values']}"]
    return "\n".join(lines) + "\n"


def test_an_experiment_from_a_dict_is_the_experiment_from_its_file(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(_as_toml(SMALL, HELD.as_posix()), encoding="utf-8")
    from_file = clustersim.experiment(path)
    from_dict = clustersim.experiment(SMALL)
    assert from_dict.settings() == from_file.settings()
    assert from_dict.settings_fingerprint() == from_file.settings_fingerprint()
    bad = {**SMALL, "levers": {"depth": {"parameter": "focal.subsidy_depth", "values": [0.0, 9.0]}}}
    with pytest.raises(ScenarioError) as info:
        clustersim.experiment(bad)
    assert str(info.value) == ("clustersim.experiment(): levers.depth.values = 9.0: focal.subsidy_depth must be "
                               "between 0 and 5")


def test_run_experiment_returns_the_sweep_as_a_dataframe_with_or_without_a_folder(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(_as_toml(SMALL, HELD.as_posix()), encoding="utf-8")
    run_sweep(clustersim.experiment(path), tmp_path / "cli", workers=1, progress=False)
    expected = load_results(tmp_path / "cli").drop(columns=["model_seconds", "finished_at"])
    in_memory = clustersim.run_experiment(SMALL, workers=1)
    assert in_memory.attrs["sweep"]["ok"] == 8 and len(in_memory.attrs["failed"]) == 0
    assert_frame_equal(in_memory.drop(columns=["model_seconds", "finished_at"]), expected)
    folder = tmp_path / "api"
    on_disk = clustersim.run_experiment(SMALL, folder, workers=1)
    assert_frame_equal(on_disk.drop(columns=["model_seconds", "finished_at"]), expected)
    assert json.loads((folder / "experiment.json").read_text())["levers"] == SMALL["levers"]
    assert_frame_equal(load_results(folder).drop(columns=["model_seconds", "finished_at"]), expected)


def test_evaluate_gives_each_sample_rows_mean_over_replicates_with_the_sweeps_seeds():
    exp = clustersim.experiment(SMALL)
    sweep = clustersim.run_experiment(exp, workers=1)
    X = np.array([[2.0, 0.03], [0.0, 0.01], [2.0, 0.03]])
    y = clustersim.evaluate(exp, X, "final_share")
    means = sweep.groupby(["depth", "fee"])["final_share"].mean()
    assert y[0] == means[(2.0, 0.03)] and y[1] == means[(0.0, 0.01)]
    assert y[2] != y[0]  # a repeated row is a new sample (its own seeds), as in a Morris trajectory
    with pytest.raises(ScenarioError, match="needs every lever and uncertainty to have a range"):
        clustersim.salib_problem(exp)
    with pytest.raises(ScenarioError, match="must be a numeric outcome"):
        clustersim.evaluate(exp, X, "leader")
