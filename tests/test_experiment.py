"""Experiment files, designs and run outcomes (clustersim.sweep.experiment, design, outcomes)."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pytest

from clustersim import outputs
from clustersim.scenario import ScenarioError, build_model
from clustersim.sweep.design import DESIGN_COLUMNS, build_design, point_id, run_seed
from clustersim.sweep.experiment import load_experiment
from clustersim.sweep.outcomes import OUTCOMES, measure, outcome_names

REPO = Path(__file__).resolve().parents[1]
EXPERIMENTS = REPO / "experiments"
HELD = (REPO / "scenarios" / "held_package.toml").as_posix()

# a small valid grid experiment; the malformed cases below each change one thing
BASE = f'''name = "small"
base_scenario = "{HELD}"
replicates = 2
sweep_seed = 7

[levers.depth]
parameter = "focal.subsidy_depth"
values = [0, 1]

[levers.fee]
parameter = "focal.fee_rate"
values = [0.01, 0.02]
'''


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ shipped experiments
@pytest.mark.parametrize(("name", "kind", "runs"), [("take_off", "grid", 6 * 6 * 20),
                                                     ("packages", "packages", 12 * 20),
                                                     ("sensitivity", "morris", 16 * (6 + 1) * 4)])
def test_shipped_experiments_load_and_build(name, kind, runs):
    exp = load_experiment(EXPERIMENTS / f"{name}.toml")
    design = build_design(exp)
    assert exp.design_kind == kind
    assert len(design.runs) == runs == design.meta["n_runs"]
    assert list(design.runs.columns) == [*DESIGN_COLUMNS, *(f.name for f in exp.factors)]
    assert design.runs["run_id"].is_unique
    seeds = design.runs["seed"].to_numpy()
    assert seeds.dtype == np.int64 and (seeds >= 0).all() and len(set(seeds.tolist())) == len(seeds)
    assert set(exp.outcomes) == set(outcome_names(exp.base))
    # every point's scenario can be built (the factor values reach the model's configuration)
    first = design.points().iloc[0]
    scenario = exp.scenario_for(first, int(first["seed"]))
    assert scenario.seed == int(first["seed"]) and scenario.years == 40


def test_take_off_levers_reach_the_focal_county():
    exp = load_experiment(EXPERIMENTS / "take_off.toml")
    scenario = exp.scenario_for({"subsidy_depth": 3.0, "fee_rate": 0.04}, 5)
    focal = next(r for r in scenario.regions if r.name == exp.focal_county == "county_01")
    assert (focal.subsidy_depth, focal.fee_rate, focal.package) == (3.0, 0.04, "held_district")


def test_packages_design_applies_each_package():
    exp = load_experiment(EXPERIMENTS / "packages.toml")
    design = build_design(exp)
    assert design.runs["package"].tolist()[::20] == list(exp.packages)
    by_name = {name: exp.scenario_for({"package": name}, 1) for name in exp.packages}
    focal = {name: next(r for r in s.regions if r.name == "county_01") for name, s in by_name.items()}
    assert focal["none"].package == "none" and focal["none"].fee_rate == 0.02
    land = by_name["land_only"].packages["held_district"]
    assert land.land_tiers and not land.rebate_schedule and not land.standard_factory_rebate_schedule
    rebates = by_name["rebates_only"].packages[focal["rebates_only"].package]
    assert rebates.rebate_schedule and not rebates.land_tiers and rebates.standard_factory_price is None
    district = by_name["district"].packages[focal["district"].package]
    assert (district.fee_waiver, district.tax_sharing, district.duration_years) == (1.0, 0.6, 12)
    assert by_name["fee_trap"].counties.fee_trap and not by_name["fee_trap"].counties.governance_reform
    assert by_name["governance_reform"].counties.governance_reform
    assert not by_name["held"].counties.fee_trap


def test_baseline_package_is_recorded_and_changes_no_run(tmp_path):
    text = (EXPERIMENTS / "packages.toml").read_text(encoding="utf-8")
    text = text.replace('"../scenarios/', f'"{(REPO / "scenarios").as_posix()}/')
    assert 'baseline = "none"' in text
    with_baseline = load_experiment(write(tmp_path, text, "with.toml"))
    without = load_experiment(write(tmp_path, text.replace('baseline = "none"', ""), "without.toml"))
    assert (with_baseline.baseline_package, without.baseline_package) == ("none", None)
    a, b = build_design(with_baseline), build_design(without)
    assert (a.meta["baseline_package"], b.meta["baseline_package"]) == ("none", None)
    # a reporting choice: same settings fingerprint, run ids and seeds as without it
    assert a.meta["fingerprint"] == b.meta["fingerprint"] == without.settings_fingerprint()
    assert a.runs.equals(b.runs)


# ------------------------------------------------------------------------------ identity and seeds
def test_design_is_deterministic_and_point_id_depends_only_on_values(tmp_path):
    exp = load_experiment(write(tmp_path, BASE))
    a, b = build_design(exp), build_design(load_experiment(write(tmp_path, BASE, "copy.toml")))
    assert a.runs.equals(b.runs)
    # the same point in an experiment that lists its factors in another order, with another
    # sweep seed and other values around it, has the same id (seeds differ with the sweep seed)
    other_text = (BASE.split("[levers.depth]")[0].replace("sweep_seed = 7", "sweep_seed = 8")
                  + '[levers.fee]\nparameter = "focal.fee_rate"\nvalues = [0.02, 0.03, 0.01]\n'
                  + '[levers.depth]\nparameter = "focal.subsidy_depth"\nvalues = [1.0, 2.0]\n')
    other = load_experiment(write(tmp_path, other_text, "other.toml"))
    c = build_design(other)
    pick = {"depth": 1, "fee": 0.02}
    pid = point_id(pick)
    assert pid == point_id({"fee": 0.02, "depth": 1.0})
    assert pid in set(a.runs["point_id"]) and pid in set(c.runs["point_id"])
    seeds_a = a.runs.loc[a.runs["point_id"] == pid, "seed"].tolist()
    seeds_c = c.runs.loc[c.runs["point_id"] == pid, "seed"].tolist()
    assert seeds_a == [run_seed(7, pid, r) for r in range(2)]
    assert seeds_a != seeds_c[:2]  # the sweep seed matters
    assert point_id({"depth": 1.0, "fee": 0.03}) != pid


def test_adding_values_and_replicates_keeps_existing_runs(tmp_path):
    small = build_design(load_experiment(write(tmp_path, BASE)))
    bigger_text = (BASE.replace("replicates = 2", "replicates = 5")
                   .replace("values = [0, 1]", "values = [0, 0.5, 1, 2]")
                   .replace("values = [0.01, 0.02]", "values = [0.005, 0.01, 0.02]"))
    bigger = build_design(load_experiment(write(tmp_path, bigger_text, "bigger.toml")))
    old = set(zip(small.runs["run_id"], small.runs["seed"], strict=True))
    new = set(zip(bigger.runs["run_id"], bigger.runs["seed"], strict=True))
    assert len(new) == 4 * 3 * 5 and old < new
    # the runs kept their factor values too
    merged = small.runs.merge(bigger.runs, on=["run_id", "seed"], suffixes=("", "_new"))
    assert len(merged) == len(small.runs)
    assert (merged["depth"] == merged["depth_new"]).all() and (merged["fee"] == merged["fee_new"]).all()
    # replicates given to load_experiment replace the file's, with the same effect
    again = build_design(load_experiment(write(tmp_path, BASE, "again.toml"), replicates=5))
    assert set(zip(again.runs["run_id"], again.runs["seed"], strict=True)) >= old


def test_range_designs(tmp_path):
    text = BASE.split("[levers.depth]")[0] + '''
[design]
kind = "lhs"
samples = 5

[uncertainties.batches]
parameter = "firms.batches"
range = [2, 8]

[uncertainties.theta]
parameter = "choice.theta"
range = [0.01, 0.05]
'''
    exp = load_experiment(write(tmp_path, text))
    runs = build_design(exp).runs
    assert len(runs) == 5 * 2
    batches = runs["batches"].to_numpy()
    assert np.array_equal(batches, np.round(batches)) and batches.min() >= 2 and batches.max() <= 8
    theta = runs["theta"].to_numpy()
    assert theta.min() >= 0.01 and theta.max() <= 0.05 and len(set(theta)) == 5
    assert exp.scenario_for(runs.iloc[0], 1).firms.batches == int(batches[0])
    # Morris with one factor on two levels revisits points: run ids must stay unique
    morris = text.replace('kind = "lhs"', 'kind = "morris"\nlevels = 2').replace("samples = 5", "samples = 4")
    morris = morris.split("[uncertainties.theta]")[0]
    design = build_design(load_experiment(write(tmp_path, morris, "morris.toml")))
    assert len(design.runs) == 4 * 2 * 2 and design.runs["run_id"].is_unique
    assert design.meta["salib_problem"]["names"] == ["batches"] and design.meta["morris_levels"] == 2


def test_experiment_pickles_and_scenario_for_is_deterministic(tmp_path):
    exp = load_experiment(write(tmp_path, BASE))
    clone = pickle.loads(pickle.dumps(exp))
    point = {"depth": 1.0, "fee": 0.01, "run_id": "ignored"}
    assert clone.scenario_for(point, 3) == exp.scenario_for(point, 3)
    assert clone.settings_fingerprint() == exp.settings_fingerprint()
    changed = load_experiment(write(tmp_path, BASE.replace("replicates = 2", 'replicates = 2\nyears = 12'), "y.toml"))
    assert changed.settings_fingerprint() != exp.settings_fingerprint()


def test_shorthand_paths(tmp_path):
    baseline = (REPO / "scenarios" / "baseline.toml").as_posix()
    text = f'''name = "short"
base_scenario = "{baseline}"
sweep_seed = 1
[overrides]
"counties.fee_trap" = true
"counties.wage" = 2.5
[levers.fee]
parameter = "focal.fee_rate"
values = [0.03]
'''
    exp = load_experiment(write(tmp_path, text))
    scenario = exp.scenario_for({"fee": 0.03}, 0)
    assert scenario.counties.fee_trap and scenario.geography.county.wage == 2.5
    assert [(r.name, r.fee_rate) for r in scenario.regions] == [("county_01", 0.03)]  # entry created


# ------------------------------------------------------------------------------ malformed files
LEVER = 'parameter = "focal.subsidy_depth"\nvalues = [0, 1]'
MALFORMED = [
    ("unknown lever parameter", BASE.replace("focal.subsidy_depth", "focal.subsidy_dept"),
     "levers.depth.parameter", "did you mean 'subsidy_depth'"),
    ("parameter outside the model", BASE.replace("focal.subsidy_depth", "choice.nothing"),
     "levers.depth.parameter", "names no model parameter"),
    ("unknown top-level key", BASE.replace("replicates = 2", "replicate = 2"), "replicate",
     "did you mean 'replicates'"),
    ("empty values", BASE.replace("values = [0, 1]", "values = []"), "levers.depth.values", "at least one value"),
    ("duplicate values", BASE.replace("values = [0, 1]", "values = [1, 1.0]"), "levers.depth.values", "twice"),
    ("range low >= high", BASE.replace(LEVER, 'parameter = "choice.theta"\nrange = [0.05, 0.05]').replace(
        "[levers.fee]\nparameter = \"focal.fee_rate\"\nvalues = [0.01, 0.02]", "")
     + '[design]\nkind = "lhs"\nsamples = 4\n', "levers.depth.range", "low < high"),
    ("replicates 0", BASE.replace("replicates = 2", "replicates = 0"), "replicates", "between 1 and"),
    ("replicates -1", BASE.replace("replicates = 2", "replicates = -1"), "replicates", "between 1 and"),
    ("bad design kind", BASE + '[design]\nkind = "factorial"\n', "design.kind", "grid, lhs, sobol, morris, packages"),
    ("missing base scenario", BASE.replace("held_package.toml", "held_pakage.toml"), "base_scenario",
     "no such file"),
    ("value out of the parameter's range", BASE.replace("values = [0, 1]", "values = [0, 6]"),
     "levers.depth.values", "between 0 and 5"),
    ("unknown outcome", BASE.replace("sweep_seed = 7", 'sweep_seed = 7\noutcomes = ["took_of"]'), "outcomes.0",
     "did you mean 'took_off'"),
    ("grid factor with range only", BASE.replace("values = [0, 1]", "range = [0, 1]"), "levers.depth.values",
     "required for design.kind = 'grid'"),
    ("bad TOML", BASE + "x = \n", "line", "invalid TOML"),
    ("lever named package", BASE.replace("[levers.depth]", "[levers.package]"), "levers.package", "reserved"),
    ("wrong value type", BASE.replace("values = [0, 1]", 'values = ["deep", "shallow"]'), "levers.depth.values",
     "must be a number"),
    ("samples on a grid", BASE + "[design]\nsamples = 4\n", "design.samples", "not used"),
    ("sobol N not a power of two", BASE.replace("values = [0, 1]", "range = [0, 1]").replace(
        "values = [0.01, 0.02]", "range = [0.01, 0.02]") + '[design]\nkind = "sobol"\nsamples = 6\n',
     "design.samples", "power of two"),
    ("bad override", BASE + '[overrides]\n"firms.review_rate" = 2.0\n', 'overrides."firms.review_rate"',
     "between 0 and 1"),
    ("packages without packages", BASE.split("[levers.depth]")[0] + '[design]\nkind = "packages"\n', "packages",
     "at least one"),
    ("baseline on a grid", BASE + '[design]\nbaseline = "none"\n', "design.baseline", "only used by kind = 'packages'"),
    ("baseline naming no package", BASE.split("[levers.depth]")[0]
     + '[design]\nkind = "packages"\nbaseline = "nothing"\n[packages.a]\noverrides = { "focal.package" = "none" }\n',
     "design.baseline", "must name one of the [packages.*] tables: a"),
    ("package naming no package", BASE.split("[levers.depth]")[0]
     + '[design]\nkind = "packages"\n[packages.a]\noverrides = { "focal.package" = "nope" }\n',
     'packages.a.overrides."focal.package"', "names no package"),
]


@pytest.mark.parametrize(("text", "field", "allowed"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_experiments_are_rejected_in_one_line(tmp_path, text, field, allowed):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    err = info.value
    message = str(err)
    assert "\n" not in message
    assert Path(err.path) == path and message.startswith(f"{path}: ")
    assert err.field.startswith(field), message
    assert allowed in message, message


def test_replicates_argument_is_checked(tmp_path):
    path = write(tmp_path, BASE)
    with pytest.raises(ScenarioError, match="at least 1"):
        load_experiment(path, replicates=0)
    assert load_experiment(path, replicates=3).replicates == 3


# ------------------------------------------------------------------------------ outcomes
def test_measure_matches_the_run_outputs():
    exp = load_experiment(EXPERIMENTS / "take_off.toml")
    # a short package (3 years; its last rebate is paid by year 7) so that take-off is observable in 14 years
    scenario = exp.scenario_for({"subsidy_depth": 2.0, "fee_rate": 0.01}, 11)
    scenario = scenario.model_copy(update={"years": 14})
    scenario.packages["held_district"].duration_years = 3
    model = build_model(scenario).run()
    counterfactual = build_model(exp.counterfactual_for({"subsidy_depth": 2.0, "fee_rate": 0.01}, 11)
                                 .model_copy(update={"years": 14})).run()
    got = measure(model)
    assert list(got) == list(OUTCOMES)
    verdict = outputs.focal_take_off(model)
    assert verdict.observable and got["take_off_observable"]
    assert got["took_off"] == verdict.took_off and got["final_share"] == verdict.final_share
    np.testing.assert_equal(got["first_year_at_threshold"], verdict.first_year_at_threshold)  # nan == nan
    fiscal = outputs.focal_fiscal_return(model)
    assert got["net_fiscal_return"] == fiscal.net_return and got["jobs"] == fiscal.jobs
    assert got["incentives_paid"] == fiscal.incentives_paid > 0
    assert math.isclose(got["net_fiscal_return"], got["extra_revenue"] - got["incentives_paid"])
    frame = model.model_frame().iloc[-1]
    assert got["focal_firms"] == frame["focal_firms"] and got["hhi"] == frame["hhi"]
    firms = {n: f for n, f, c in zip(model.regions.names, model.regions.firms, model.regions.is_county, strict=True)
             if c}
    assert firms[got["leader"]] == max(firms.values())
    assert math.isclose(got["leader_share"], max(firms.values()) / sum(firms.values()))
    # the counterfactual is the fiscal baseline when given; only the fiscal outcomes change
    with_cf = measure(model, counterfactual, outcomes=["jobs", "extra_revenue", "took_off"])
    assert list(with_cf) == ["jobs", "extra_revenue", "took_off"]
    fiscal_cf = outputs.focal_fiscal_return(model, counterfactual)
    assert (with_cf["jobs"], with_cf["extra_revenue"]) == (fiscal_cf.jobs, fiscal_cf.extra_revenue)
    assert (with_cf["jobs"], with_cf["extra_revenue"]) != (got["jobs"], got["extra_revenue"])
    assert with_cf["took_off"] == got["took_off"]
    with pytest.raises(KeyError):
        measure(model, outcomes=["nope"])
