"""The ``clustersim run`` command end to end: exit status, files, their columns and contents."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from clustersim import metrics
from clustersim.cli import main
from clustersim.params import Scenario
from clustersim.scenario import apply_overrides, load_scenario

from worlds import SCENARIOS

SUMMARY_KEYS = {"scenario", "seed", "years", "focal_county", "take_off", "fiscal_return", "final_shares",
                "ellison_glaeser", "timing_seconds", "versions", "resolved_scenario"}


def test_run_end_to_end(tmp_path, run_cli):
    out = tmp_path / "out"
    done = run_cli("run", SCENARIOS / "baseline.toml", "--years", "3", "--seed", "2", "--out", out,
                   "--set", "firms.initial_per_county=2")  # firms in counties from the start
    assert done.returncode == 0, done.stderr
    assert "baseline" in done.stdout and "take-off" in done.stdout and "Ellison-Glaeser" in done.stdout
    for name in ("model.parquet", "regions.parquet", "firms.parquet", "summary.json", "overview.png"):
        assert (out / name).is_file(), name
    assert (out / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    model = pd.read_parquet(out / "model.parquet")
    assert model["year"].tolist() == [0, 1, 2, 3]
    assert {"firms", "focal_share", "hhi", "moves", "entries", "exits"} <= set(model.columns)
    assert any(c.startswith("eg_") for c in model.columns)

    regions = pd.read_parquet(out / "regions.parquet")
    n_regions = regions["region"].nunique()
    assert n_regions == 9 and len(regions) == 4 * n_regions  # 1 coast + 8 counties, years 0..3
    assert {"year", "region", "kind", "firms", "employment", "land_price", "wage", "fee_rate", "governance",
            "revenue", "spending", "incentives", "balance", "debt", "x_km", "y_km", "focal"} <= set(regions.columns)
    assert regions.loc[regions["focal"], "region"].unique().tolist() == ["county_01"]
    last = regions[regions["year"] == 3]
    assert last["firms"].sum() == model["firms"].iloc[-1]

    firms = pd.read_parquet(out / "firms.parquet")
    assert len(firms) == model["firms"].iloc[-1]
    assert {"firm_id", "region", "sector", "capital", "land", "employment", "profit"} <= set(firms.columns)
    assert set(firms["region"]) <= set(regions["region"])

    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) >= SUMMARY_KEYS
    assert (summary["scenario"], summary["seed"], summary["years"]) == ("baseline", 2, 3)
    expected = apply_overrides(load_scenario(SCENARIOS / "baseline.toml"),
                               {"years": 3, "seed": 2, "firms.initial_per_county": 2})
    assert Scenario.model_validate(summary["resolved_scenario"]) == expected
    rule = expected.take_off
    again = metrics.take_off(model["year"], model["focal_share"], summary["incentives_end_year"],
                             rule.threshold, rule.hold_years)
    assert summary["take_off"] == json.loads(json.dumps(again.to_dict()).replace("NaN", "null"))
    shares = pd.DataFrame(summary["final_shares"])
    counties = shares[shares["kind"] == "county"]
    assert np.isclose(counties["share_of_county_firms"].sum(), 1.0)


def test_run_in_process_with_overrides_counterfactual_and_default_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["run", str(SCENARIOS / "district_package.toml"), "--years", "4", "--no-figure",
                 "--counterfactual", "--set", "firms.review_rate=0.5", "--set", "choice.utility=\"log\""])
    assert code == 0
    out = tmp_path / "results" / "district_package"
    assert (out / "summary.json").is_file() and not (out / "overview.png").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resolved_scenario"]["firms"]["review_rate"] == 0.5
    assert summary["resolved_scenario"]["choice"]["utility"] == "log"
    assert summary["fiscal_baseline"].startswith("counterfactual")
    assert "district_package" in capsys.readouterr().out


def test_bad_override_exits_2_with_one_line(tmp_path, capsys):
    code = main(["run", str(SCENARIOS / "baseline.toml"), "--out", str(tmp_path), "--set", "firms.review_rate=7"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == "--set: firms.review_rate = 7: must be between 0 and 1\n"


def test_bad_command_line_value_is_a_usage_error():
    with pytest.raises(SystemExit) as info:
        main(["run", str(SCENARIOS / "baseline.toml"), "--years", "0"])
    assert info.value.code == 2
