"""Warnings for packages that give land away free or refund more tax than the county collects
(clustersim.package_checks), in ``run`` and in a sweep's report; and the docs' worked example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clustersim.cli import main
from clustersim.package_checks import model_warnings, package_warnings
from clustersim.packages import effective_land_price
from clustersim.params import LandTier, Package
from clustersim.scenario import apply_overrides, build_model, load_scenario

REPO = Path(__file__).resolve().parents[1]
TIERS = [LandTier(min_investment=20000, price=12.5), LandTier(min_investment=10000, price=13.5)]


def test_free_land_is_flagged_exactly_where_the_model_charges_nothing():
    import numpy as np

    package = Package(land_tiers=TIERS)
    for depth in (1.0, 2.0, 2.9, 3.0, 20 / 7.5, 4.0):
        charged = effective_land_price(np.array([20.0, 20.0]), np.array([12.5, 13.5]), np.array([depth, depth]))
        warned = package_warnings("p", package, depth, 20.0)
        # the warning names the tiers the model's own price function makes free at the benchmark price
        free = [f"the tier from {m:,} wan" for m, c in zip((20000, 10000), charged, strict=True) if c == 0.0]
        assert bool(free) == any("gives land away free" in w for w in warned), (depth, charged, warned)
        for tier in free:
            assert tier in warned[0]


def test_rebates_above_the_tax_are_flagged_and_the_capped_fee_refund_is_not():
    assert package_warnings("p", Package(rebate_schedule=[1.0, 0.5], fee_waiver=1.0, fee_waiver_years=5), 1.0,
                            20.0) == []
    [warning] = package_warnings("p", Package(rebate_schedule=[1.0, 0.5, 0.4]), 2.5, 20.0)
    assert warning == ("package 'p' at depth 2.5 refunds more than the county collects: depth × rebate share "
                       "reaches 250% of the county's retained corporate income tax (rebate_schedule years 1 and 2)")
    assert package_warnings("p", Package(rebate_schedule=[1.0]), 0.0, 20.0) == []  # depth 0 offers nothing


def test_run_prints_the_warning_for_the_shipped_held_package(tmp_path, capsys):
    assert main(["run", str(REPO / "scenarios" / "held_package.toml"), "--years", "2", "--out", str(tmp_path),
                 "--no-figure"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == (
        "warning   county_01: package 'held_district' at depth 2 refunds more than the county collects: depth × "
        "rebate share reaches 200% of the county's retained corporate income tax (rebate_schedule years 1, 2 and "
        "3; standard_factory_rebate_schedule years 1 and 2)")
    import json

    assert json.loads((tmp_path / "summary.json").read_text())["package_warnings"] == [lines[1][10:]]


def test_the_district_package_at_face_value_gives_no_warning():
    assert model_warnings(build_model(load_scenario(REPO / "scenarios" / "district_package.toml"))) == []


def test_free_land_at_depth_4_in_run_and_in_the_sweep_report(tmp_path, capsys):
    scenario = apply_overrides(load_scenario(REPO / "scenarios" / "district_package.toml"),
                               {"regions.0.subsidy_depth": 4.0})
    [land, rebate] = model_warnings(build_model(scenario))
    assert land.startswith("county_01: package 'district' at depth 4 gives land away free in the tier from 20,000 "
                           "wan, the tier from 10,000 wan, the tier from 5,000 wan and the standard-factory zone")
    assert "reaches 400%" in rebate
    experiment = tmp_path / "exp.toml"
    experiment.write_text(f'''name = "deep"
base_scenario = "{(REPO / "scenarios" / "district_package.toml").as_posix()}"
years = 2
replicates = 1
sweep_seed = 3
[levers.depth]
parameter = "focal.subsidy_depth"
values = [1, 4]
''', encoding="utf-8")
    assert main(["sweep", str(experiment), "--out", str(tmp_path / "out"), "--workers", "1", "--no-progress"]) == 0
    printed = [x for x in capsys.readouterr().out.splitlines() if x.startswith("warning")]
    assert len(printed) == 2 and all(x.endswith("[1 of 2 points; e.g. depth = 4]") for x in printed)
    assert main(["report", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "report" / "report.md").read_text(encoding="utf-8")
    assert "## Package warnings" in text and f"- {land} [1 of 2 points; e.g. depth = 4]" in text


def test_docs_worked_example_matches_the_model():
    import numpy as np

    text = (REPO / "docs" / "packages.md").read_text(encoding="utf-8")
    # "At D = 1 it pays 13.5; at D = 2 it pays 20 − 13 = 7; at D = 3 it pays max(0, 20 − 19.5) = 0.5; at D = 4 it
    # pays nothing"
    paid = effective_land_price(np.full(4, 20.0), np.full(4, 13.5), np.array([1.0, 2.0, 3.0, 4.0]))
    assert paid.tolist() == [13.5, 7.0, 0.5, 0.0]
    assert "At D = 1 it pays 13.5; at D = 2 it pays 20 − 13 = 7; at\nD = 3 it pays max(0, 20 − 19.5) = 0.5" in text


@pytest.mark.parametrize("block", [1, 2])
def test_docs_toml_examples_are_valid_scenarios(tmp_path, block):
    text = (REPO / "docs" / "packages.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, re.S)
    path = tmp_path / "s.toml"
    path.write_text('name = "doc"\nfocal_county = "county_01"\n' + blocks[block - 1], encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.regions[0].package in scenario.packages


def test_docs_experiment_example_is_a_valid_experiment(tmp_path):
    from clustersim.sweep.experiment import load_experiment

    text = (REPO / "docs" / "packages.md").read_text(encoding="utf-8")
    block = re.findall(r"```toml\n(.*?)```", text, re.S)[2]
    path = tmp_path / "e.toml"
    path.write_text(f'''name = "doc"
base_scenario = "{(REPO / "scenarios" / "held_package.toml").as_posix()}"
sweep_seed = 1
[design]
kind = "packages"
''' + block, encoding="utf-8")
    exp = load_experiment(path)
    assert "deep_land" in exp.packages
