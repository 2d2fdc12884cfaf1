"""Third-party plug-ins named in scenario files: a county rule and a decision rule
(examples/own_rules), the worked instrument (examples/wage_subsidy, tested in
test_wage_subsidy.py) in sweeps, a plug-in replacing a built-in's slot, and malformed references.

* ``clustersim run`` and 2-worker sweeps (local pool and in-process identical) with plug-ins;
* a plug-in taking the land slot replaces the land purchase (fast path = reference with it);
* malformed references end with exit status 2 and one line naming the file, field and what is allowed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, ClassVar

import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel, ConfigDict, Field

from clustersim.choice import firm_values
from clustersim.firms import Column
from clustersim.instruments.base import FirmTerms, Flow, Instrument, Term
from clustersim.model import ClusterModel
from clustersim.params import Scenario
from clustersim.scenario import ScenarioError, load_scenario, validate_scenario
from clustersim.sweep.experiment import load_experiment
from clustersim.sweep.runner import run_sweep
from clustersim.sweep.store import load_results

from test_wage_subsidy import assert_matches_reference, model_state, wage_scenario
from worlds import keep_accounts

REPO = Path(__file__).resolve().parents[1]
WAGE = REPO / "examples" / "wage_subsidy"
OWN = REPO / "examples" / "own_rules"


# ------------------------------------------------------------------------------ through the CLI and sweeps
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
    backends = {"in-process": {"workers": 1}, "pool": {"workers": 2}}
    if base == OWN / "scenario.toml":  # every backend: Dask's workers import the plug-ins too
        backends["dask"] = {"workers": 2, "backend": "dask"}
    for label, kwargs in backends.items():
        summary = run_sweep(exp, tmp_path / label, progress=False, **kwargs)
        assert (summary.ok, summary.failed) == (4, 0), label
        frames[label] = load_results(tmp_path / label).drop(columns=["model_seconds", "finished_at"])
    for label in backends:
        pd.testing.assert_frame_equal(frames[label], frames["in-process"], check_exact=True, obj=label)


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
    assert sc.model_dump()["packages"]["district"]["instruments"][0]["per_job"] == 0.3


# ------------------------------------------------------------------------------ the browser UI
@pytest.mark.parametrize("path", [WAGE / "scenario.toml", OWN / "scenario.toml"], ids=["instrument", "rules"])
def test_the_ui_runs_a_scenario_with_plug_ins(path, monkeypatch):
    """Opened with ``clustersim ui --scenario FILE``: the session builds the model with the plug-ins
    (the same run as ``build_model``), live changes reach it and the page's components draw it."""
    from dataclasses import replace

    from clustersim.scenario import build_model
    from clustersim.ui import components, session

    monkeypatch.delenv(session.SCENARIO_ENV, raising=False)
    choices = session.scenario_choices(path)
    label = next(iter(choices))
    assert choices[label] == path.resolve()
    model = session.SessionModel(session.PendingRun(choices, label))
    assert [type(r).__name__ for r in model.county_rules] == [type(r).__name__ for r in build_model(path).county_rules]
    for _ in range(3):
        model.step()
    plain = build_model(path).run(3)
    pd.testing.assert_frame_equal(model.region_frame(), plain.region_frame())
    model.apply_live(replace(model.settings, subsidy_depth=2.0, fee_trap=True))
    model.step()
    assert model.year == 4 and model.live_changes
    assert components.png(components.map_figure(model))[:4] == b"\x89PNG"
    for panel in components.series_figure(model):
        assert components.png(panel)[:4] == b"\x89PNG"


# ------------------------------------------------------------------------------ terms that vary by firm profile
class LeaseParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    rent: Annotated[float, Field(ge=0.0)]  # wan per mu and year
    min_intensity: Annotated[float, Field(ge=0.0)]  # entry standard, wan of investment per mu


class LandLease(Instrument):
    """Test plug-in of the kind issues 12 and 14 need: a land lease replacing the purchase (slot
    ``land``), with an entry standard refusing it to firms below an investment intensity. Its
    terms vary by firm profile and are taxable (the rent is deductible); the rent is locked in
    on arrival in a firm column of its own and collected yearly as a revenue flow."""

    name = "land_lease"
    slot = "land"
    Params = LeaseParams
    flows = (Flow("lease_rents", "revenue", "land rents collected from leasing firms"),)
    firm_columns: ClassVar = {"lease_rent": Column(np.float64, 0.0)}

    def __init__(self, params, book):
        super().__init__(params, book)
        self.rent = np.array([0.0 if p is None else p.rent for p in params])
        self.minimum = np.array([np.inf if p is None else p.min_intensity for p in params])

    def _meets(self, f):  # (n, P): the firm meets package p's entry standard
        return (f.capital / f.land)[:, None] >= self.minimum[None, :]

    def profile(self, f):
        return self._meets(f).astype(np.int64)

    def terms(self, offer):
        cs, pkg = offer.cs, offer.cs.package
        meets = self._meets(offer.rep)[:, pkg]  # (G, R)
        rows = np.where(meets, -self.rent[pkg] * cs.discount.sum(), 0.0)
        return [Term("land", rows, "taxable", per_profile=True)]

    def refused(self, offer):
        used = self.used()[offer.cs.package]
        return used[None, :] & ~self._meets(offer.rep)[:, offer.cs.package]

    def stay(self, offer, cur, staying, revenue):
        f = offer.f
        return FirmTerms(taxable=np.where(staying, -f.lease_rent * f.land * offer.cs.discount.sum(), 0.0))

    def firm_terms(self, cs, f, i, j):
        p = self.params[int(cs.package[j])]
        if p is None or self.firm_refused(cs, f, i, j):
            return FirmTerms()
        return FirmTerms(taxable=-p.rent * float(f.land[i]) * sum(float(d) for d in cs.discount))

    def firm_refused(self, cs, f, i, j):
        p = self.params[int(cs.package[j])]
        return p is not None and float(f.capital[i]) / float(f.land[i]) < p.min_intensity

    def firm_stay(self, cs, f, i):
        return FirmTerms(taxable=-float(f.lease_rent[i]) * float(f.land[i]) * sum(float(d) for d in cs.discount))

    def arrive(self, arrival):
        pkg = arrival.cs.package[arrival.dest]
        arrival.table.lease_rent[arrival.rows] = self.rent[pkg]
        return {}

    def taxable_payments(self, year):
        return {"lease_rents": year.column("lease_rent") * year.column("land")}


def lease_scenario(min_intensity: float = 270.0, rent: float = 0.4) -> Scenario:
    data = wage_scenario(theta=0.3).model_dump()
    lease = {"use": "test_plugins:LandLease", "folder": str(Path(__file__).parent), "rent": rent,
             "min_intensity": min_intensity}
    data["packages"]["jobs"]["instruments"].append(lease)
    return Scenario.model_validate(data)


@pytest.mark.parametrize("theta", [0.0, 0.3])
def test_a_lease_with_an_entry_standard_fast_path_equals_reference(theta):
    sc = lease_scenario().model_copy(update={"choice": lease_scenario().choice.model_copy(update={"theta": theta})})
    m, cs, f = model_state(sc, years=2, seed=6)
    jobs = np.flatnonzero(cs.package == m.packages.index("jobs"))
    _, feasible, _ = firm_values(cs, f)
    newborn = f.region < 0
    low = f.capital / f.land < 270.0
    assert (newborn & low).any() and (newborn & ~low).any()
    assert not feasible[newborn & low][:, jobs].any(), "the entry standard refuses low-intensity firms"
    assert (f.lease_rent > 0).any(), "incumbents pay a locked-in rent"
    assert_matches_reference(cs, f)


def test_lease_rents_are_county_revenue_and_deductible():
    model = ClusterModel(lease_scenario(), seed=4)
    captured = keep_accounts(model)
    r, t = model.regions, model.firms
    for _ in range(4):
        model.step()
        f, acc = r.flows, captured["acc"]
        rent = t.lease_rent[acc.rows] * t.land[acc.rows]
        np.testing.assert_allclose(acc.payments["lease_rents"], rent)
        np.testing.assert_allclose(f["lease_rents"], np.bincount(t.region[acc.rows], weights=rent, minlength=r.n))
        np.testing.assert_allclose(f["revenue"], f["taxes"] + f["fees"] + f["land_sales"] + f["lease_rents"]
                                   + f["transfers"], rtol=1e-12)
    jobs = np.array(model.regions.names)[model.regions.package == model.packages.index("jobs")]
    frame = model.region_frame()
    leased = frame[frame["region"].isin(jobs)]
    assert leased["lease_rents"].sum() > 0 and leased["land_sales"].sum() == 0
    cols = list(frame.columns)
    assert cols.index("land_sales") < cols.index("lease_rents") < cols.index("transfers")
