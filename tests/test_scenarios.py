"""Scenario files: every shipped scenario loads and runs; malformed files are rejected with
one line naming the file, the field, the value and what is allowed (exit status 2)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from clustersim.params import Scenario
from clustersim.scenario import ScenarioError, apply_overrides, build_model, load_scenario

from worlds import SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.toml"))


def test_the_expected_scenarios_are_shipped():
    assert {p.stem for p in SHIPPED} >= {"baseline", "district_package", "fee_trap", "governance_reform",
                                         "strategic_race", "regions_csv", "polya"}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_loads_and_runs(path: Path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert len(scenario.description) > 40
    short = apply_overrides(scenario, {"years": 5})
    model = build_model(short, source=path).run()
    frame = model.model_frame()
    assert frame["year"].tolist() == list(range(6))
    assert frame["firms"].iloc[-1] > 0
    first_county = model.regions.names[int(np.flatnonzero(model.regions.is_county)[0])]
    assert model.focal_name == (scenario.focal_county or first_county)  # default: the first county


# ------------------------------------------------------------------------------ scenario content
def test_district_package_is_text_2_exactly():
    s = load_scenario(SCENARIOS / "district_package.toml")
    p = s.packages["district"]
    # Text 2 of docs/policy.md, line by line
    assert [(t.min_investment, t.price) for t in p.land_tiers] == [(20000, 12.5), (10000, 13.5), (5000, 14.0)]
    assert p.standard_factory_price == 14.5
    assert p.rebate_schedule == [1.0, 1.0, 1.0, 0.5, 0.5]
    assert p.standard_factory_rebate_schedule == [1.0, 1.0, 0.5, 0.5]
    assert p.standard_factory_rebate_min_investment == 2025
    assert (p.fee_waiver, p.fee_waiver_years) == (1.0, 5)
    assert p.tax_sharing == 0.6
    assert (p.start_year, p.duration_years) == (1, 2)
    assert (s.firms.small_firm_investment, s.firms.small_firm_land) == (5000, 15)
    assert 0.3 <= s.choice.old_site_recovery <= 0.5
    assert min(s.sectors.investment_intensity) >= 240  # entry standard
    focal = next(r for r in s.regions if r.name == s.focal_county)
    assert (focal.package, focal.subsidy_depth) == ("district", 1.0)
    others = [r for r in s.regions if r.name != s.focal_county]
    assert s.geography.county.package == "none" and all(r.package in (None, "none") for r in others)


def test_governance_reform_is_the_fee_trap_world_plus_reform():
    trap = load_scenario(SCENARIOS / "fee_trap.toml").model_dump()
    reform = load_scenario(SCENARIOS / "governance_reform.toml").model_dump()
    assert trap["counties"]["fee_trap"] and not trap["counties"]["governance_reform"]
    assert reform["counties"]["governance_reform"] and reform["counties"]["reform_year"] > 0
    for d in (trap, reform):
        for key in ("name", "description"):
            d.pop(key)
        for key in ("governance_reform", "reform_year", "reform_counties"):
            d["counties"].pop(key)
    assert trap == reform


def test_strategic_race_every_county_offers_the_package_at_different_depths():
    s = load_scenario(SCENARIOS / "strategic_race.toml")
    model = build_model(s)
    county = model.regions.is_county
    assert s.counties.strategic_competition
    assert np.all(model.regions.package[county] == model.packages.index("district"))
    assert len(set(model.regions.depth[county].tolist())) > 1
    assert s.packages["district"].duration_years > 2


def test_regions_csv_reads_one_coast_and_six_counties():
    model = build_model(SCENARIOS / "regions_csv.toml")
    assert int(model.regions.is_origin.sum()) == 1 and int(model.regions.is_county.sum()) == 6
    assert model.focal_name == "hilltown"


def test_regions_csv_path_is_resolved_against_the_scenario_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nowhere near scenarios/
    scenario = load_scenario(SCENARIOS / "regions_csv.toml")
    assert scenario.geography.csv == (SCENARIOS / "regions_example.csv").resolve()
    build_model(scenario)


def test_polya_scenario_is_a_polya_urn():
    """Two counties start with one firm each; each newborn joins county j with probability
    n_j / (n_1 + n_2). Then, given N arrivals, county 1's newcomers k are uniform on 0..N, so
    the fraction k / N has variance (N + 2) / (12 N): 0.092 for N ~ Poisson(20) (using
    E[1/N] ~ 1/19). Independent 50:50 choices would give 0.25 / N ~ 0.013 and a
    winner-takes-all rule ~ 0.25. Over 120 seeds the sample variance of a near-uniform variable
    has sd sqrt((1/80 - 1/144) / 120) ~ 0.0068; the band 0.092 +- 0.027 is 4 sd wide each way
    and excludes both alternatives."""
    s = apply_overrides(load_scenario(SCENARIOS / "polya.toml"), {"years": 1, "firms.births_per_year": 20.0})
    fractions = []
    for seed in range(120):
        firms = build_model(s, seed=seed).run().regions.firms
        n = firms[1] + firms[2] - 2
        if n > 0:
            fractions.append((firms[1] - 1) / n)
    fractions = np.array(fractions)
    assert abs(fractions.mean() - 0.5) < 4 * np.sqrt(0.092 / fractions.size)
    assert 0.065 < fractions.var(ddof=1) < 0.119


# ------------------------------------------------------------------------------ malformed files
def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rejection(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        build_model(path)
    message = str(info.value)
    assert "\n" not in message
    return info.value


MALFORMED = [  # id, file text, field, value as shown, what the message must say is allowed
    ("unknown-key", "[firms]\nreveiw_rate = 0.1\n", "firms.reveiw_rate", "0.1", "did you mean 'review_rate'?"),
    ("out-of-range", "[firms]\nreview_rate = 1.5\n", "firms.review_rate", "1.5", "must be between 0 and 1"),
    ("wrong-type", "[firms]\nreview_rate = \"often\"\n", "firms.review_rate", "'often'", "must be a number"),
    ("int-range", "[geography]\ncounties = 0\n", "geography.counties", "0", "must be between 1 and 2000"),
    ("bad-choice", "[choice]\nutility = \"cubic\"\n", "choice.utility", "'cubic'", "'linear' or 'log'"),
    ("list-item", "[packages.district]\nrebate_schedule = [1.0, 1.0, 1.0, 2.0]\n",
     "packages.district.rebate_schedule.3", "2.0", "must be between 0 and 1"),
    ("unknown-package", "[[regions]]\nname = \"county_01\"\npackage = \"distrct\"\n[packages.district]\n",
     "regions.0.package", "'distrct'", "did you mean 'district'?"),
    ("unknown-default-package", "[geography.county]\npackage = \"gold\"\n", "geography.county.package", "'gold'",
     "known: none"),
    ("unknown-table-close", "[frims]\nreview_rate = 0.1\n", "frims", "{review_rate = 0.1}",
     "unknown table; did you mean 'firms'?"),
    ("unknown-table", "[outputs]\nformat = 1\n", "outputs", "{format = 1}",
     "unknown table; allowed: name, description"),
    ("unknown-key-far", "[firms]\nzzz = 1\n", "firms.zzz", "1", "unknown key; allowed: initial, initial_per_county"),
    ("cross-field", "[geography]\nsource = \"csv\"\n", "geography.csv", None, "needs csv"),
    ("unknown-focal", "focal_county = \"county_1\"\n", "focal_county", "'county_1'", "did you mean 'county_01'?"),
    ("unknown-region", "[[regions]]\nname = \"county_99\"\nfee_rate = 0.1\n", "regions.0.name", "'county_99'",
     "no region"),
    ("initial-land", "[firms]\ninitial_per_county = 1000\n", "firms.initial_per_county", "1000", "more land"),
]


@pytest.mark.parametrize(("text", "field", "value", "allowed"), [pytest.param(*c[1:], id=c[0]) for c in MALFORMED])
def test_malformed_scenario_is_rejected_with_one_line(tmp_path, text, field, value, allowed):
    path = write(tmp_path, text)
    err = rejection(path)
    message = str(err)
    assert message.startswith(f"{path}: {field}")
    assert err.field == field
    if value is not None:
        assert f"{field} = {value}" in message
    assert allowed in message


def test_toml_syntax_error_names_line_and_column(tmp_path):
    path = write(tmp_path, "name = \"x\"\n[firms\nreview_rate = 0.1\n")
    message = str(rejection(path))
    assert message.startswith(f"{path}: line 2, column ")
    assert "invalid TOML" in message


def test_missing_file(tmp_path):
    message = str(rejection(tmp_path / "nowhere.toml"))
    assert message.startswith(f"{tmp_path / 'nowhere.toml'}: file: no such file")


@pytest.mark.parametrize(("csv", "field", "allowed"), [
    pytest.param("name,kind,x\ncoast,origin,0\n", "columns", "a column named 'x_km' is required", id="missing-column"),
    pytest.param("name,kind,x_km,y_km\ncoast,origin,0,0\nfoo,city,300,10\n", "line 3: kind", "'origin' or 'county'",
                 id="unknown-kind"),
    pytest.param("name,kind,x_km,y_km,fee_rate\ncoast,origin,0,0,\nfoo,county,300,10,0.9\n", "line 3: fee_rate",
                 "less than or equal to 0.5", id="out-of-range"),
])
def test_bad_regions_csv_is_rejected_naming_the_csv(tmp_path, csv, field, allowed):
    (tmp_path / "regions.csv").write_text(csv, encoding="utf-8")
    path = write(tmp_path, "[geography]\nsource = \"csv\"\ncsv = \"regions.csv\"\n")
    err = rejection(path)
    assert str(err).startswith(f"{tmp_path / 'regions.csv'}: {field}")
    assert allowed in str(err)


def test_scenario_error_survives_pickling():  # sweeps raise it in worker processes
    for err in (ScenarioError("a.toml", "firms.review_rate", 1.5, "must be between 0 and 1"),
                ScenarioError("a.toml", "file", allowed="no such file")):
        again = pickle.loads(pickle.dumps(err))
        assert (str(again), again.field, again.value) == (str(err), err.field, err.value)


def test_overrides_are_validated_like_the_file():
    base = Scenario()
    assert apply_overrides(base, {"firms.review_rate": 0.1}).firms.review_rate == 0.1
    assert base == Scenario()  # the original is untouched
    # called from Python, the message names the call, not the command line
    with pytest.raises(ScenarioError, match=r"^apply_overrides\(\): firms.review_rate = 2: must be between 0 and 1$"):
        apply_overrides(base, {"firms.review_rate": 2})
    with pytest.raises(ScenarioError, match=r"^--set: firms.review_rate = 2: must be between 0 and 1$"):
        apply_overrides(base, {"firms.review_rate": 2}, source="--set")
    with pytest.raises(ScenarioError, match="did you mean 'firms'"):
        apply_overrides(base, {"frims.review_rate": 0.1})
    with pytest.raises(ScenarioError, match="regions has items"):
        apply_overrides(base, {"regions.0.fee_rate": 0.1})


# ------------------------------------------------------------------------------ through the CLI
@pytest.mark.parametrize(("text", "csv", "needle"), [
    pytest.param("[firms]\nreveiw_rate = 0.1\n", None,
                 "bad.toml: firms.reveiw_rate = 0.1: unknown key; did you mean 'review_rate'?", id="unknown-key"),
    pytest.param("[geography]\nsource = \"csv\"\ncsv = \"r.csv\"\n", "name,kind,x_km,y_km\ncoast,harbour,0,0\n",
                 "r.csv: line 2: kind = 'harbour': 'origin' or 'county'", id="bad-csv"),
])
def test_cli_exits_2_with_one_line_and_no_traceback(tmp_path, run_cli, text, csv, needle):
    if csv is not None:
        (tmp_path / "r.csv").write_text(csv, encoding="utf-8")
    path = write(tmp_path, text)
    done = run_cli("run", path, "--years", "1", "--out", tmp_path / "out")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not (tmp_path / "out").exists()


def test_cli_missing_file_exits_2(tmp_path, run_cli):
    done = run_cli("run", tmp_path / "nope.toml")
    assert done.returncode == 2
    assert done.stderr.strip() == f"{tmp_path / 'nope.toml'}: file: no such file ({tmp_path / 'nope.toml'})"
