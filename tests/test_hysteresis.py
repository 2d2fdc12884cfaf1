"""Lock-in experiment kinds (kind = "withdrawal" / "ramp", clustersim.sweep.kinds and
clustersim.thresholds.hysteresis).

The worlds are small and stationary (4 counties with 40 firms each and no coastal firms, no coastal
cost growth, no moving cost, full resale of the old site, supplier and infrastructure terms off), so
that what persists after a package is withdrawn, or after a lever is reversed, is the state of the
world and not a trend. Two of them:

- **no agglomeration** (``NO_AGGLOMERATION``): no localisation or urbanisation economies, but every
  county has a natural advantage (ln A + 1) that keeps its firms profitable on their own merits, the
  focal county a little more (+0.1); firms review every year with logit noise theta = 0.3, so the
  locations mix within a few years. The package (the held district package with a relocation award
  of half the investment) pulls firms in while it is offered; 10 years after it ends their location
  no longer remembers it. Survival is judged in one year (hold_years = 1) against a threshold (27 %)
  at the focal county's own share, so that some runs hold it and some do not on noise alone: survival
  is neither 0 nor 1, and a dependence on the duration would show.
- **strong agglomeration** (``STRONG``): urbanisation economies gamma_U = 0.5 (every firm of a county
  raises every firm's productivity there) and a small award (3 % of the investment): one county takes
  the whole industry, and the package decides which if it lasts long enough.

Statistical tests use fixed seeds; alpha = 0.01 for "does not depend on T" (the test fails when the
likelihood-ratio or the chi-square test rejects independence at 1 %) and for "rises with T" (the slope
test must reject at 1 % with a positive slope).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clustersim.scenario import ScenarioError
from clustersim.sweep import store
from clustersim.sweep.experiment import experiment_from_dict, load_experiment
from clustersim.sweep.report import write_report
from clustersim.sweep.runner import run_sweep
from clustersim.sweep.store import load_results
from clustersim.thresholds import hysteresis as hy

REPO = Path(__file__).resolve().parents[1]
ALPHA = 0.01
STATIONARY = {
    "geography.counties": 4,
    "firms.initial": 0,
    "firms.initial_per_county": 40,
    "firms.births_per_year": 5.0,
    "firms.review_rate": 0.3,
    "markets.coastal_wage_growth": 0.0,
    "markets.coastal_land_growth": 0.0,
    "choice.moving_cost_base": 0.0,
    "choice.moving_cost_per_km": 0.0,
    "choice.old_site_recovery": 1.0,
    "agglomeration.supplier": 0.0,
    "agglomeration.infrastructure": 0.0,
    "focal.fee_rate": 0.02,
}
SECTORS = ("materials", "components", "assembly")
NO_AGGLOMERATION = {
    **STATIONARY,
    "agglomeration.localisation": 0.0,
    "agglomeration.natural_advantage": {s: {f"county_0{i}": 1.0 + 0.1 * (i == 1) for i in range(1, 5)}
                                        for s in SECTORS},
    "firms.review_rate": 1.0,
    "choice.theta": 0.3,
    "packages.held_district.relocation_award": 0.5,
}
STRONG = {
    **STATIONARY,
    "agglomeration.localisation": 0.0,
    "agglomeration.urbanisation": 0.5,
    "packages.held_district.relocation_award": 0.03,
}


def experiment(kind: str, overrides: dict, *, threshold: float, replicates: int, hold_years: int = 5,
               **tables) -> dict:
    doc = {"kind": kind, "name": kind, "base_scenario": str(REPO / "scenarios" / "held_package.toml"),
           "replicates": replicates, "sweep_seed": 5, "take_off": {"threshold": threshold, "hold_years": hold_years},
           "overrides": overrides}
    doc.update(tables)
    return doc


def withdrawal(tmp_path: Path, overrides: dict, durations: list[int], *, threshold: float, replicates: int,
               hold_years: int = 5) -> hy.WithdrawalAnalysis:
    doc = experiment("withdrawal", overrides, threshold=threshold, replicates=replicates, hold_years=hold_years,
                     levers={"duration": {"parameter": "focal_package.duration_years", "values": durations}})
    out = tmp_path / "withdrawal"
    summary = run_sweep(experiment_from_dict(doc), out, workers=2, progress=False)
    assert summary.failed == 0
    results = load_results(out)
    assert results["observable"].all()
    return hy.withdrawal_analysis(results, "duration")


# ------------------------------------------------------------------------------ withdrawal
def test_without_agglomeration_survival_does_not_depend_on_the_duration(tmp_path):
    a = withdrawal(tmp_path, NO_AGGLOMERATION, [0, 12], threshold=0.27, replicates=20, hold_years=1)
    by = a.by_duration
    # the test has power: some runs survive and some do not at every duration ...
    assert ((by["p_survived"] > 0.1) & (by["p_survived"] < 0.9)).all(), by
    # ... and the package did pull firms in while it was offered (so T changed the state at withdrawal)
    assert by["mass_mean"].iloc[-1] > 1.5 * by["mass_mean"].iloc[0], by
    assert a.slope_p > ALPHA and a.homogeneity_p > ALPHA, (a.slope_p, a.homogeneity_p, by)


def test_with_strong_agglomeration_survival_rises_with_the_duration(tmp_path):
    a = withdrawal(tmp_path, STRONG, [0, 1, 4], threshold=0.4, replicates=12)
    by = a.by_duration
    assert a.slope > 0 and a.slope_p < ALPHA, (a.slope, a.slope_p, by)
    assert by["p_survived"].iloc[0] < 0.5 < by["p_survived"].iloc[-1], by
    # the critical duration lies between the shortest and the longest offer tried
    lo, hi = a.duration.level_range
    if a.duration.status == "separated":
        assert a.duration.bracket is not None and lo <= a.duration.bracket[0] <= a.duration.bracket[1] <= hi
    else:
        assert a.duration.x is not None and lo <= a.duration.x <= hi, a.duration


def test_withdrawal_analysis_recovers_a_known_critical_duration_and_mass():
    """Synthetic runs: P(survive | T) = expit(1.2 (T - 6)) and firms at withdrawal = 20 T + noise."""
    rng = np.random.default_rng(0)
    t = np.repeat(np.arange(0, 13, 2.0), 60)
    survived = rng.random(t.size) < 1 / (1 + np.exp(-1.2 * (t - 6)))
    frame = pd.DataFrame({"status": "ok", "observable": True, "duration": t, "survived": survived,
                          "mass_at_withdrawal": 20 * t + rng.normal(0, 5, t.size)})
    a = hy.withdrawal_analysis(frame, "duration")
    lo, hi = a.duration.ci_fieller
    assert a.duration.status == "ok" and lo < 6 < hi
    lo, hi = a.mass.ci_fieller
    assert a.mass.status == "ok" and lo < 120 < hi
    assert a.homogeneity_p < 1e-6 and a.slope_p < 1e-6 and a.slope > 0


def test_slope_test_is_calibrated_under_the_null():
    """Under independence the LR test's p-values are uniform: about 5 % of 400 fixed-seed samples fall
    below 0.05 (binomial 99.9 % range for n = 400, p = 0.05: 7 to 35)."""
    rng = np.random.default_rng(1)
    x = np.repeat([0.0, 4.0, 8.0, 16.0], 15)
    pvalues = np.array([hy.slope_test(x, rng.random(x.size) < 0.4)[1] for _ in range(400)])
    assert 7 <= (pvalues < 0.05).sum() <= 35


# ------------------------------------------------------------------------------ ramp
def ramp(tmp_path: Path, overrides: dict, name: str) -> tuple[hy.RampAnalysis, Path]:
    """A ramp of the focal fee from 0 to 20 % and back; the focal county offers no package (the fee is
    the only thing that changes over the run)."""
    doc = experiment("ramp", {**overrides, "focal.package": "none"}, threshold=0.4, replicates=10,
                     ramp={"lever": "fee_rate", "range": [0.0, 0.2], "steps": 4, "settle": 6})
    out = tmp_path / name
    exp = experiment_from_dict(doc)
    assert run_sweep(exp, out, workers=2, progress=False).failed == 0
    return hy.ramp_analysis(load_results(out), exp.study, 0.4), out


def test_ramp_finds_no_band_without_agglomeration(tmp_path):
    off, out = ramp(tmp_path, NO_AGGLOMERATION, "off")
    assert off.band is None, off.table
    # the fee does move the focal share (the ramp is not idle): lower at 20 % than at 0 on both branches
    t = off.table
    assert t["share_up_mean"].iloc[-1] < t["share_up_mean"].iloc[0] - 0.05, t
    report = write_report(out).read_text(encoding="utf-8")
    assert "**No hysteresis**" in report and "![up and down branches" in report


def test_ramp_finds_a_band_with_agglomeration(tmp_path):
    on, out = ramp(tmp_path, {**STATIONARY, "agglomeration.localisation": 0.4}, "on")
    assert on.band is not None, on.table
    assert on.band[0] == 0.0  # raised from a low fee the cluster holds; lowered from a high fee none returns
    report = write_report(out).read_text(encoding="utf-8")
    assert "**Hysteresis band**" in report and (out / "report" / "ramp.png").is_file()


# ------------------------------------------------------------------------------ the kinds, from the command line
def test_shipped_lockin_experiments_load_as_their_kinds():
    w = load_experiment(REPO / "experiments" / "withdrawal.toml")
    assert w.kind == "withdrawal" and w.study == {"after": 10, "lever": "duration"}
    assert w.outcomes == hy.WITHDRAWAL_OUTCOMES
    r = load_experiment(REPO / "experiments" / "hysteresis_ramp.toml")
    assert r.kind == "ramp" and r.study["lever"] == "fee_rate" and r.outcomes == hy.ramp_outcomes(6)
    # the kind and its settings are part of the settings fingerprint (a resume with others is refused)
    assert w.settings()["kind"] == "withdrawal" and "kind" not in load_experiment(
        REPO / "experiments" / "take_off.toml").settings()


def test_a_withdrawal_sweep_resumes_to_the_same_results_and_reports(tmp_path, run_cli):
    doc = experiment("withdrawal", STRONG, threshold=0.4, replicates=2,
                     levers={"duration": {"parameter": "focal_package.duration_years", "values": [0, 2]}})
    path = tmp_path / "w.toml"
    path.write_text(_toml(doc), encoding="utf-8")
    exp = load_experiment(path)
    whole, part = tmp_path / "whole", tmp_path / "part"
    assert run_sweep(exp, whole, workers=1, progress=False).ok == 4
    # a sweep stopped after its first run (its other parts lost), finished with --resume on two workers
    assert run_sweep(exp, part, workers=1, progress=False).ok == 4
    rows = store.read_parts(part)
    for p in store.part_paths(part):
        p.unlink()
    store.write_part(part, 1, rows.iloc[:1].to_dict("records"), list(rows.columns))
    r = run_cli("sweep", path, "--out", part, "--workers", "2", "--resume", "--no-progress")
    assert r.returncode == 0 and "3 ok" not in r.stdout and "1 already done" in r.stdout, r.stdout + r.stderr
    cols = ["run_id", *hy.WITHDRAWAL_OUTCOMES]
    a = load_results(whole)[cols].sort_values("run_id").reset_index(drop=True)
    b = load_results(part)[cols].sort_values("run_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    text = write_report(whole).read_text(encoding="utf-8")
    assert "## Withdrawal" in text and "Critical duration" in text and "Critical mass" in text
    for name in ("withdrawal_duration.png", "withdrawal_mass.png", "withdrawal_critical.csv"):
        assert (whole / "report" / name).is_file()


def test_a_ramp_gives_identical_results_in_process_on_a_local_pool_and_on_dask(tmp_path):
    doc = experiment("ramp", {**STATIONARY, "agglomeration.localisation": 0.4, "focal.package": "none"},
                     threshold=0.4, replicates=3, ramp={"lever": "fee_rate", "range": [0.0, 0.2], "steps": 3,
                                                         "settle": 3})
    exp = experiment_from_dict(doc)
    runs = {}
    for label, kw in {"in-process": {"workers": 1}, "local pool": {"workers": 2},
                      "dask": {"workers": 2, "backend": "dask"}}.items():
        assert run_sweep(exp, tmp_path / label.replace(" ", "_"), progress=False, **kw).ok == 3
        frame = load_results(tmp_path / label.replace(" ", "_"))
        runs[label] = frame[["run_id", *exp.outcomes]].sort_values("run_id").reset_index(drop=True)
    for label in ("local pool", "dask"):
        pd.testing.assert_frame_equal(runs["in-process"], runs[label])


def _toml(doc: dict) -> str:
    """A flat TOML rendering of an experiment dict (tables one level deep, JSON values are TOML values)."""
    lines, tables = [], []
    for k, v in doc.items():
        (tables if isinstance(v, dict) else lines).append((k, v))
    out = [f"{k} = {json.dumps(v)}" for k, v in lines]
    for k, v in tables:
        simple = {kk: vv for kk, vv in v.items() if not isinstance(vv, dict)}
        nested = {kk: vv for kk, vv in v.items() if isinstance(vv, dict)}
        out.append(f"[{k}]")
        out += [f"{json.dumps(kk)} = {_inline(vv)}" for kk, vv in simple.items()]
        for kk, vv in nested.items():
            out.append(f"[{k}.{kk}]" if k == "levers" else f"{json.dumps(kk)} = {_inline(vv)}")
            if k == "levers":
                out += [f"{a} = {_inline(b)}" for a, b in vv.items()]
    return "\n".join(out) + "\n"


def _inline(v) -> str:
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_inline(x)}" for k, x in v.items()) + " }"
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v)


@pytest.mark.parametrize(("edit", "field", "expected"), [
    ({"kind": "withdrawl"}, "kind = 'withdrawl'", "did you mean 'withdrawal'?"),
    ({"ramp": {"lever": "fee_rat", "range": [0, 0.2]}}, "ramp.lever = 'fee_rat'", "did you mean 'fee_rate'?"),
    ({"ramp": {"lever": "fee_rate", "range": [0, 0.2], "setle": 4}}, "ramp.setle", "did you mean 'settle'?"),
    ({"ramp": {"lever": "fee_rate", "range": [0.2, 0.1]}}, "ramp.range = [0.2, 0.1]", "low < high"),
    ({"ramp": {"lever": "fee_rate", "range": [0, 0.9]}}, "ramp.range = [0.0, 0.9]", "focal.fee_rate must be"),
    ({}, "ramp", "kind = 'ramp' needs a [ramp] table"),
    ({"outcomes": ["took_off"], "ramp": {"lever": "fee_rate", "range": [0, 0.2]}}, "outcomes = ['took_off']",
     "not used by kind = 'ramp'"),
    ({"kind": "withdrawal"}, "levers", "needs a lever on focal_package.duration_years"),
    ({"kind": "standard", "withdrawal": {"after": 10}}, "withdrawal", "needs kind = 'withdrawal'"),
    ({"kind": "withdrawal", "design": {"kind": "lhs", "samples": 4},
      "levers": {"d": {"parameter": "focal_package.duration_years", "range": [0, 10]}}}, "design.kind = 'lhs'",
     "runs a grid design"),
    ({"ramp": {"lever": "fee_rate", "range": [0, 0.2]}, "levers": {"g": {"parameter": "focal.governance",
                                                                         "values": [0.5, 0.8]}}},
     "levers.g.values = [0.5, 0.8]", "runs one world"),
    ({"ramp": {"lever": "subsidy_depth", "range": [0, 2]}, "overrides": {**STATIONARY, "focal.package": "none"}},
     "ramp.lever = 'subsidy_depth'", "offers no package"),
    ({"kind": "withdrawal", "withdrawal": {"after": 0},
      "levers": {"d": {"parameter": "focal_package.duration_years", "values": [2]}}}, "withdrawal.after = 0",
     "between 1 and 200"),
])
def test_malformed_kinds_end_with_one_line(tmp_path, edit, field, expected):
    doc = experiment("ramp", STATIONARY, threshold=0.4, replicates=1)
    doc.update(edit)
    path = tmp_path / "bad.toml"
    path.write_text(_toml(doc), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_experiment(path)
    line = str(err.value)
    assert "\n" not in line and line.startswith(f"{path}: {field}") and expected in line, line


def test_a_malformed_kind_exits_2_from_the_command_line(tmp_path, run_cli):
    doc = experiment("withdrawl", STATIONARY, threshold=0.4, replicates=1)
    path = tmp_path / "bad.toml"
    path.write_text(_toml(doc), encoding="utf-8")
    r = run_cli("sweep", path, "--out", tmp_path / "o", "--no-progress")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith(f"{path}: kind = 'withdrawl': unknown experiment kind; did you mean 'withdrawal'?")
