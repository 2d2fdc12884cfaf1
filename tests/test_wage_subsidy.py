"""The worked third-party instrument, a wage subsidy per job (examples/wage_subsidy; docs/extending.md).

* in the location decision: fast path = per-firm reference (the reference reads the instrument's
  parameters in plain loops, the fast path its arrays through the generic kernel), and the
  subsidy is worth its taxed present value;
* in the accounts, every year of random configurations (hypothesis): budgets, incentives
  including the new flow, the subsidy firm by firm, profit and CIT with the subsidy taxed;
* the example's script and ``clustersim run`` with its scenario.

Adding the instrument touched no file of ``clustersim/``: its module, scenario and script in
``examples/wage_subsidy/`` and this test are all of it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clustersim.choice import Deciders, firm_values
from clustersim.decision import choice_probabilities
from clustersim.model import ClusterModel
from clustersim.params import Scenario
from clustersim.reference import reference_decisions

from worlds import busy_world, district_package, keep_accounts, placed_rows

REPO = Path(__file__).resolve().parents[1]
WAGE = REPO / "examples" / "wage_subsidy"
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
    captured = keep_accounts(model)
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



# ------------------------------------------------------------------------------ the command line
def test_clustersim_run_with_the_wage_subsidy(tmp_path, run_cli):
    done = run_cli("run", WAGE / "scenario.toml", "--years", "6", "--out", tmp_path, "--no-figure")
    assert done.returncode == 0, done.stderr
    regions = pd.read_parquet(tmp_path / "regions.parquet")
    focal = regions[regions["region"] == "county_01"]
    assert focal["wage_subsidies"].sum() > 0
    cols = list(regions.columns)
    assert cols.index("relocation_awards") < cols.index("wage_subsidies") < cols.index("incentives")


def test_incentives_end_after_the_last_subsidy_year():
    """A package that is only a wage subsidy, offered in years 2..6 and paying 4 years: a firm
    arriving in year 6 is paid in years 6..9, so the county's incentives end in year 10."""
    ref = {"use": "wage_subsidy:WageSubsidy", "folder": str(WAGE), "per_job": 0.5, "years": 4}
    sc = Scenario.model_validate({"geography": {"counties": 2},
                                  "regions": [{"name": "county_01", "package": "jobs"}],
                                  "packages": {"jobs": {"instruments": [ref], "start_year": 2, "duration_years": 5}}})
    assert ClusterModel(sc).incentives_end_year() == 10.0
    ref["per_job"] = 0.0  # named but paying nothing: no payment tail, the incentives end when the offer closes
    assert ClusterModel(Scenario.model_validate(sc.model_dump() | {"packages": {"jobs": {
        "instruments": [ref], "start_year": 2, "duration_years": 5}}})).incentives_end_year() == 7.0
