"""Override paths everywhere: the ``focal.*``, ``focal_package.*`` and ``counties.*`` shorthands and
regions by name (``regions.county_01.fee_rate``) in ``clustersim run --set``, experiment files and
Python calls; numpy values; error messages that name where the override came from."""

from __future__ import annotations

import numpy as np
import pytest

from clustersim.cli import main
from clustersim.params import Scenario
from clustersim.scenario import ScenarioError, apply_overrides, load_scenario
from clustersim.sweep.experiment import load_experiment

from worlds import SCENARIOS

HELD = SCENARIOS / "held_package.toml"


def _cli(capsys, *sets: str) -> tuple[int, str, str]:
    argv = ["run", str(HELD), "--years", "1", "--no-figure", "--out", str(capsys.tmp)]
    for s in sets:
        argv += ["--set", s]
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def cli(capsys, tmp_path):
    capsys.tmp = tmp_path / "out"
    return lambda *sets: _cli(capsys, *sets)


def test_cli_set_accepts_the_shorthands_and_region_names(cli, tmp_path):
    import json

    code, _, err = cli("focal.subsidy_depth=2.5", "regions.county_03.fee_rate=0.04", "counties.fee_trap=true",
                       "focal_package.duration_years=3")
    assert (code, err) == (0, "")
    resolved = Scenario.model_validate(json.loads((tmp_path / "out" / "summary.json").read_text())["resolved_scenario"])
    by_name = {r.name: r for r in resolved.regions}
    assert by_name["county_01"].subsidy_depth == 2.5          # held_package's focal county
    assert by_name["county_03"].fee_rate == 0.04               # an entry created for it
    assert resolved.counties.fee_trap is True
    assert resolved.packages[by_name["county_01"].package].duration_years == 3


@pytest.mark.parametrize(("assignment", "message"), [
    ("focal.subsidy_depth=9", "--set: focal.subsidy_depth = 9: must be between 0 and 5\n"),
    ("regions.county_1.fee_rate=0.03", "--set: regions.county_1.fee_rate = 0.03: names no region; "
                                       "did you mean 'county_01'?\n"),
    ("regions.county_01.fee_rat=0.03", "--set: regions.county_01.fee_rat = 0.03: unknown key; "
                                       "did you mean 'fee_rate'?\n"),
    ("counties.fee_rat=0.03", "--set: counties.fee_rat = 0.03: unknown key (of [counties] or geography.county); "
                              "did you mean 'fee_rate'?\n"),
])
def test_cli_set_errors_name_the_path_as_written(cli, assignment, message):
    code, out, err = cli(assignment)
    assert (code, out, err) == (2, "", message)


def test_same_override_same_scenario_by_shorthand_by_name_and_by_index():
    base = load_scenario(HELD)
    i = next(k for k, r in enumerate(base.regions) if r.name == "county_01")
    by_index = apply_overrides(base, {f"regions.{i}.fee_rate": 0.03})
    assert apply_overrides(base, {"focal.fee_rate": 0.03}) == by_index
    assert apply_overrides(base, {"regions.county_01.fee_rate": 0.03}) == by_index


def test_numpy_values_are_accepted_and_python_errors_name_the_call():
    base = Scenario()
    s = apply_overrides(base, {"choice.horizon_years": np.int64(9), "counties.fee_trap": np.bool_(True),
                               "firms.review_rate": np.float32(0.25), "focal.fee_rate": np.float64(0.03)})
    assert (s.choice.horizon_years, s.counties.fee_trap, s.firms.review_rate) == (9, True, 0.25)
    assert type(s.choice.horizon_years) is int
    with pytest.raises(ScenarioError) as info:
        apply_overrides(base, {"choice.horizon_years": np.float64(9.5)})
    assert str(info.value) == "apply_overrides(): choice.horizon_years = 9.5: must be a whole number"


def test_experiment_factors_accept_region_names(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text(f"""
name = "e"
base_scenario = "{HELD.as_posix()}"
sweep_seed = 1
[levers.rival_fee]
parameter = "regions.county_02.fee_rate"
values = [0.01, 0.03]
""", encoding="utf-8")
    exp = load_experiment(path)
    s = exp.scenario_for({"rival_fee": 0.03}, seed=3)
    assert {r.name: r.fee_rate for r in s.regions}["county_02"] == 0.03
    path.write_text(path.read_text().replace("county_02", "county_2"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    assert str(info.value) == (f"{path}: levers.rival_fee.parameter = 'regions.county_2.fee_rate': "
                               "names no region; did you mean 'county_02'?")
