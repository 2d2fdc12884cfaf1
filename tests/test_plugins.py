"""Third-party plug-ins: the worked wage-subsidy instrument (examples/wage_subsidy), a county rule
and a decision rule (examples/own_rules), named in scenario files.

* the wage subsidy in the location decision: fast path = per-firm reference (the reference reads
  the instrument's parameters in plain loops, the fast path its arrays through the generic kernel);
* the wage subsidy in the accounts, every year of random configurations (hypothesis): budgets,
  incentives including the new flow, the subsidy firm by firm, profit and CIT with the subsidy taxed;
* ``clustersim run`` and 2-worker sweeps (local pool and in-process identical) with plug-ins;
* a plug-in taking a built-in's slot replaces it;
* malformed references end with exit status 2 and one line naming the file, field and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clustersim.choice import Deciders, firm_values
from clustersim.decision import choice_probabilities
from clustersim.instruments.base import Instrument
from clustersim.model import ClusterModel
from clustersim.params import Scenario
from clustersim.reference import reference_decisions
from clustersim.scenario import ScenarioError, load_scenario, validate_scenario
from clustersim.sweep.experiment import load_experiment
from clustersim.sweep.runner import run_sweep
from clustersim.sweep.store import load_results

from worlds import busy_world, district_package, placed_rows

REPO = Path(__file__).resolve().parents[1]
WAGE = REPO / "examples" / "wage_subsidy"
OWN = REPO / "examples" / "own_rules"
REL = 1e-9


def wage_scenario(*, theta: float = 0.3, utility: str = "linear", per_job: float = 0.4, years: int = 3,
                  depth: float = 1.0, rival_depth: float = 2.0, horizon: int = 10) -> Scenario:
    """Four counties and a coast firms want to leave: county_01 offers the district package with a
    wage subsidy, county_02 a rival package that is only a wage subsidy, county_03 nothing."""
    ref = {"use": "wage_subsidy:WageSubsidy", "folder": str(WAGE), "per_job": per_job, "years": years}
    return Scenario.model_validate({
        "geography": {"counties": 4, "origin": {"wage": 9.0, "land_price": 60.0, "land_supply": 400000.0}},
        "regions": [{"name": "county_01", "package": "district", "subsidy_depth": depth},
                    {"name": "county_02", "package": "jobs", "subsidy_depth": rival_depth},
                    {"name": "county_04", "package": "district", "subsidy_depth": 0.5 * depth}],
        "packages": {"district": {**district_package(), "duration_years": None, "instruments": [ref]},
                     "jobs": {"instruments": [{**ref, "per_job": 2 * per_job, "years": years + 2}]}},
        "firms": {"initial": 300, "births_per_year": 100, "review_rate": 0.3, "capital_sigma": 1.0},
        "choice": {"theta": theta, "utility": utility, "horizon_years": horizon},
    })


def model_state(sc: Scenario, years: int, seed: int, n_incumbents: int = 100, n_newborns: int = 30):
    """A choice set and deciders from a real run (incumbents, many holding the subsidy, and newborns)."""
    m = ClusterModel(sc, seed=seed)
    m.run(years)
    m.year = years + 1
    placed = placed_rows(m)
    rng = np.random.default_rng(seed)
    locked = placed[m.firms.package[placed] >= 0]
    rest = placed[m.firms.package[placed] < 0]
    k = min(locked.size, n_incumbents // 2)
    incumbents = np.concatenate([rng.choice(locked, k, replace=False),
                                 rng.choice(rest, min(rest.size, n_incumbents - k), replace=False)])
    newborns = m._new_firms(n_newborns)
    rows = np.concatenate([incumbents, newborns])
    is_new = np.r_[np.zeros(incumbents.size, bool), np.ones(newborns.size, bool)]
    return m, m.choice_set(), Deciders.from_table(m.firms, rows, is_new)


def assert_matches_reference(cs, f) -> None:
    value, feasible, scale = firm_values(cs, f)
    ref_value, ref_feasible, ref_prob = reference_decisions(cs, f)
    np.testing.assert_array_equal(feasible, ref_feasible)
    np.testing.assert_allclose(value, ref_value, rtol=1e-10, atol=1e-10 * scale.max())
    if cs.theta > 0:
        prob = choice_probabilities(value, feasible, scale, cs.theta, cs.utility)
        np.testing.assert_allclose(prob, ref_prob, rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------ the decision
def test_state_holds_subsidised_incumbents():
    m, cs, f = model_state(wage_scenario(), years=2, seed=3)
    jobs = m.packages.index("jobs")
    assert ((f.package == jobs) & (f.years < 5) & (f.region >= 0)).any(), "incumbents still owed the subsidy"
    assert (f.region < 0).any() and (cs.depth_offered[cs.package == jobs] > 0).all()


@pytest.mark.parametrize("utility", ["linear", "log"])
@pytest.mark.parametrize("theta", [0.0, 0.05, 1.0])
def test_wage_subsidy_fast_path_equals_reference(utility, theta):
    _, cs, f = model_state(wage_scenario(theta=theta, utility=utility), years=2, seed=3)
    assert_matches_reference(cs, f)


def test_the_subsidy_is_worth_its_taxed_present_value():
    """In one model state, newborn firms' value of county_02 (package 'jobs': only the subsidy, of
    2 per_job for years + 2 years) with and without the instrument differs by
    ``D 2 per_job e sum_{t <= years + 2} delta^t``, less the CIT
    on it where the firm has taxable profit there: between (1 - cit) and 1 times it, and exactly
    (1 - cit) for the firms that are taxed with or without it."""
    per_job, years, depth = 0.5, 3, 2.0
    m, cs, f = model_state(wage_scenario(per_job=per_job, years=years, rival_depth=depth), years=1, seed=4)
    without = dataclasses.replace(cs, instruments=[i for i in cs.instruments if i.name != "wage_subsidy"])
    j = m.regions.names.index("county_02")
    v1, _, _ = firm_values(cs, f)
    v0, _, _ = firm_values(without, f)
    newborn = f.region < 0
    subsidy = depth * 2 * per_job * float(np.sum(cs.discount[:years + 2])) * f.employment[newborn]
    gain = v1[newborn, j] - v0[newborn, j]
    tol = 1e-9 * np.abs(v1[newborn, j]).max()
    assert np.all(gain >= (1 - cs.cit) * subsidy - tol) and np.all(gain <= subsidy + tol)
    taxed = np.isclose(gain, (1 - cs.cit) * subsidy, rtol=1e-9)
    untaxed = np.isclose(gain, subsidy, rtol=1e-9)
    assert taxed.any() and untaxed.any()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(per_job=st.floats(0.0, 3.0), years=st.integers(0, 14), depth=st.floats(0.0, 3.0),
       rival_depth=st.floats(0.0, 3.0), horizon=st.integers(1, 12), theta=st.floats(0.02, 2.0),
       utility=st.sampled_from(["linear", "log"]), seed=st.integers(0, 2**31))
def test_wage_subsidy_fast_path_equals_reference_randomised(per_job, years, depth, rival_depth, horizon, theta,
                                                            utility, seed):
    sc = wage_scenario(theta=theta, utility=utility, per_job=per_job, years=years, depth=depth,
                       rival_depth=rival_depth, horizon=horizon)
    _, cs, f = model_state(sc, years=2, seed=seed, n_incumbents=50, n_newborns=15)
    assert_matches_reference(cs, f)


# ------------------------------------------------------------------------------ the accounts
def close(a, b) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return bool(np.all(np.abs(a - b) <= REL * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))))


configs = st.fixed_dictionaries(dict(
    counties=st.integers(1, 4), years=st.integers(4, 7), review=st.floats(0.0, 1.0), batches=st.integers(1, 4),
    depth=st.floats(0.0, 2.0), per_job=st.floats(0.0, 2.0), subsidy_years=st.integers(0, 6),
    tax_sharing=st.one_of(st.none(), st.floats(0.0, 1.0)), fee_trap=st.booleans(),
    fee_rate=st.sampled_from([0.0, 0.02, 0.06]),
))


@settings(max_examples=12, deadline=None, derandomize=True)
@given(config=configs, seed=st.integers(0, 2**31 - 1))
def test_wage_subsidy_accounting_identities_every_year(config, seed):
    world = busy_world(name="wage", years=config["years"], counties=config["counties"], layout_seed=3,
                       depths=[config["depth"] * (k + 1) / config["counties"] for k in range(config["counties"])],
                       package_start=2, tax_sharing=config["tax_sharing"], review_rate=config["review"],
                       batches=config["batches"], fee_trap=config["fee_trap"], fee_rate=config["fee_rate"])
    world["packages"]["district"]["instruments"] = [{"use": "wage_subsidy:WageSubsidy", "folder": str(WAGE),
                                                     "per_job": config["per_job"], "years": config["subsidy_years"]}]
    model = ClusterModel(Scenario.model_validate(world), seed=seed)
    captured = {}
    produce = model._produce

    def produce_and_keep():
        captured["acc"] = produce()
        return captured["acc"]

    model._produce = produce_and_keep
    tx, t, r = model.config.taxes, model.firms, model.regions
    paid_any = False
    for _ in range(config["years"]):
        balance = r.balance.copy()
        model.step()
        acc, f = captured["acc"], r.flows
        # the region accounts, with the new flow among the incentives
        assert close(r.balance - balance, f["revenue"] - f["spending"])
        assert close(f["revenue"], f["taxes"] + f["fees"] + f["land_sales"] + f["transfers"])
        assert close(f["incentives"], f["rebates"] + f["fee_refunds"] + f["land_awards"] + f["relocation_awards"]
                     + f["wage_subsidies"])
        assert close(f["spending"], f["operations"] + f["incentives"] + f["interest"]
                     + f["infrastructure_spending"] + f["public_services"])
        # the subsidy firm by firm: D per_job e in the years of residence 1..years under the package
        rows = acc.rows
        pkg = t.package[rows].astype(int)
        k = t.years[rows]  # year of residence just produced
        package = model.packages.packages
        expected = np.array([t.package_depth[row] * package[p].instruments[0].params["per_job"] * t.employment[row]
                             if p >= 0 and package[p].instruments and k[i] <= package[p].instruments[0].params["years"]
                             else 0.0 for i, (row, p) in enumerate(zip(rows.tolist(), pkg.tolist(), strict=True))])
        subsidy = acc.payments["wage_subsidies"]
        assert close(subsidy, expected)
        assert close(f["wage_subsidies"], np.bincount(t.region[rows], weights=expected, minlength=r.n))
        paid_any |= bool(subsidy.sum() > 0)
        # the subsidy is taxable: it is in pre-tax profit, CIT is levied on it, rebates follow CIT
        assert close(acc.cit, tx.corporate_income * np.maximum(acc.pretax, 0.0))
        assert close(acc.profit, acc.pretax - acc.cit + acc.rebate + acc.fee_refund)
        assert close(acc.retained, tx.county_cit_share * acc.cit + tx.county_vat_share * acc.vat)
    if config["per_job"] > 0.1 and config["subsidy_years"] > 0 and config["depth"] > 0.2 and config["review"] > 0.3:
        assert paid_any or r.firms[r.is_county].sum() == 0


def test_wage_subsidy_is_in_pretax_profit():
    """Pre-tax profit of subsidised firms exceeds production profit (recomputed from the markets
    the year's accounts saw) by exactly the subsidy."""
    model = ClusterModel(wage_scenario(per_job=0.8, years=5), seed=2)
    captured = {}
    produce = model._produce
    r = model.regions

    def produce_and_keep():
        captured["markets"] = (r.wage.copy(), r.fee_rate.copy(), r.governance.copy())
        captured["acc"] = produce()
        return captured["acc"]

    model._produce = produce_and_keep
    for _ in range(3):
        model.step()
    acc, t = captured["acc"], model.firms
    wage, fee, governance = captured["markets"]
    rows, cfg = acc.rows, model.config
    j, s = t.region[rows], t.sector[rows]
    production = (acc.revenue * (1 - model.material[s] - fee[j] - cfg.choice.governance_friction
                                 * (1 - governance[j])) - acc.vat - wage[j] * t.employment[rows]
                  - cfg.firms.capital_cost_rate * t.capital[rows])
    subsidy = acc.payments["wage_subsidies"]
    assert (subsidy > 0).sum() >= 10
    np.testing.assert_allclose(acc.pretax - production, subsidy, rtol=1e-9, atol=1e-6)


def test_example_script_runs():
    import runpy

    module = runpy.run_path(str(WAGE / "run.py"))
    out = module["main"](6)
    assert out["years"] == 6 and out["wage_subsidies"] > 0 and out["incentives"] >= out["wage_subsidies"]


# ------------------------------------------------------------------------------ through the CLI and sweeps
def test_clustersim_run_with_the_wage_subsidy(tmp_path, run_cli):
    done = run_cli("run", WAGE / "scenario.toml", "--years", "6", "--out", tmp_path, "--no-figure")
    assert done.returncode == 0, done.stderr
    regions = pd.read_parquet(tmp_path / "regions.parquet")
    focal = regions[regions["region"] == "county_01"]
    assert focal["wage_subsidies"].sum() > 0
    cols = list(regions.columns)
    assert cols.index("relocation_awards") < cols.index("wage_subsidies") < cols.index("incentives")


def test_clustersim_run_with_own_rules(tmp_path, run_cli):
    done = run_cli("run", OWN / "scenario.toml", "--years", "8", "--out", tmp_path, "--no-figure")
    assert done.returncode == 0, done.stderr
    regions = pd.read_parquet(tmp_path / "regions.parquet")
    counties = regions[regions["kind"] == "county"]
    # the ceiling acts at the end of year 5: from the year-5 row on no county charges more
    assert counties.loc[counties["year"] >= 5, "fee_rate"].max() <= 0.015 + 1e-12
    assert counties.loc[(counties["year"] < 5) & (counties["region"] == "county_02"), "fee_rate"].min() == 0.04


def test_own_rules_change_the_run():
    """The plug-ins are really used: without them the same seed gives another run."""
    plug = ClusterModel(load_scenario(OWN / "scenario.toml")).run(8)
    plain = load_scenario(OWN / "scenario.toml").model_copy(update={"choice": Scenario().choice,
                                                                    "counties": Scenario().counties})
    other = ClusterModel(plain).run(8)
    assert not plug.model_frame().equals(other.model_frame())


SWEEP = """
name = "plugins"
base_scenario = "{base}"
years = 10
replicates = 2
sweep_seed = 11
outcomes = ["final_share", "focal_firms", "hhi", "leader"]

[overrides]
"firms.initial" = 150

[design]
kind = "grid"

[levers.fee]
parameter = "focal.fee_rate"
values = [0.01, 0.05]
"""


@pytest.mark.parametrize("base", [OWN / "scenario.toml", WAGE / "scenario.toml"], ids=["rules", "instrument"])
def test_two_worker_sweep_equals_in_process(tmp_path, base):
    # the experiment sits elsewhere: the plug-ins are found through the scenario's folder
    path = tmp_path / "plugins.toml"
    path.write_text(SWEEP.format(base=base.as_posix()), encoding="utf-8")
    exp = load_experiment(path)
    frames = {}
    for label, workers in (("in-process", 1), ("pool", 2)):
        summary = run_sweep(exp, tmp_path / label, workers=workers, progress=False)
        assert (summary.ok, summary.failed) == (4, 0), label
        frames[label] = load_results(tmp_path / label).drop(columns=["model_seconds", "finished_at"])
    pd.testing.assert_frame_equal(frames["pool"], frames["in-process"], check_exact=True)


# ------------------------------------------------------------------------------ replacing a built-in
class FreeLand(Instrument):
    """Test plug-in: takes the land slot and gives the land away (no purchase, no award)."""

    name = "free_land"
    slot = "land"


def test_a_plug_in_taking_the_land_slot_replaces_the_land_purchase():
    sc = wage_scenario()
    data = sc.model_dump()
    data["packages"]["jobs"]["instruments"].append({"use": "test_plugins:FreeLand",
                                                    "folder": str(Path(__file__).parent)})
    sc = Scenario.model_validate(data)
    m, cs, f = model_state(sc, years=2, seed=5)
    assert_matches_reference(cs, f)
    jobs = cs.package == m.packages.index("jobs")
    district = cs.package == m.packages.index("district")
    value, _, _ = firm_values(cs, f)
    m.run(3)
    frame = m.region_frame()
    free = frame[frame["region"].isin(np.array(m.regions.names)[jobs])]
    assert free["land_sales"].sum() == 0 and free["land_awards"].sum() == 0 and free["arrivals"].sum() > 0
    assert frame[frame["region"].isin(np.array(m.regions.names)[district])]["land_sales"].sum() > 0
    assert np.isfinite(value).all()


# ------------------------------------------------------------------------------ malformed references
BAD = [
    ('use = "no_such_module_xyz:Thing"', "counties.rules.0.use", "no module named 'no_such_module_xyz'"),
    ('use = "own_rules:NOT_THERE"', "counties.rules.0.use", "has no 'NOT_THERE'"),
    ('use = "own_rules:CLUSTER_NOTE"', "counties.rules.0.use", "not callable"),
    ('use = "own_rules:ShortlistLogit"\nshortlist = 2\ntheta = 0.1', "counties.rules.0.use",
     "derived from clustersim.rules.base.CountyRule"),
    ('use = "own_rules"', "counties.rules.0.use", "write 'module:callable'"),
    ('use = "own_rules:FeeCeiling"\nmax_fee = 0.9', "counties.rules.0.max_fee", "must be between 0 and 0.5"),
    ('use = "own_rules:FeeCeiling"\nmax_fee = 0.01\nfrom_yaer = 3', "counties.rules.0.from_yaer",
     "did you mean 'from_year'"),
    ('use = "own_rules:FeeCeiling"', "counties.rules.0.max_fee", "required but missing"),
]


@pytest.mark.parametrize(("body", "field", "expected"), BAD)
def test_a_malformed_plug_in_reference_is_one_line_and_exit_2(tmp_path, run_cli, body, field, expected):
    shutil.copy(OWN / "own_rules.py", tmp_path / "own_rules.py")
    (tmp_path / "own_rules.py").write_text((OWN / "own_rules.py").read_text() + '\nCLUSTER_NOTE = "a string"\n')
    path = tmp_path / "bad.toml"
    path.write_text(f'name = "bad"\nyears = 2\n\n[[counties.rules]]\n{body}\n', encoding="utf-8")
    done = run_cli("run", path, "--out", tmp_path / "out")
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(path) in lines[0] and field in lines[0] and expected in lines[0], lines[0]
    assert "Traceback" not in done.stderr
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.field == field


def test_bad_instrument_parameters_name_the_package():
    raw = {"packages": {"p": {"instruments": [{"use": "wage_subsidy:WageSubsidy", "folder": str(WAGE),
                                               "per_job": -1.0, "years": 2}]}}}
    with pytest.raises(ScenarioError) as err:
        validate_scenario(raw, source="x.toml")
    assert err.value.field == "packages.p.instruments.0.per_job"
    assert str(err.value) == "x.toml: packages.p.instruments.0.per_job = -1.0: must be at least 0"


def test_a_plug_in_module_is_looked_up_beside_the_scenario_only_when_not_importable():
    sc = load_scenario(WAGE / "scenario.toml")
    ref = sc.packages["district"].instruments[0]
    assert ref.folder == WAGE and ref.params == {"per_job": 0.3, "years": 3}
    assert math.isclose(sc.model_dump()["packages"]["district"]["instruments"][0]["per_job"], 0.3)
