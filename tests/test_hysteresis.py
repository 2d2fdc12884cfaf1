"""Lock-in studies (clustersim.thresholds.hysteresis): a ramp of the focal fee up and down finds a
hysteresis band with agglomeration and none without; survival after a withdrawal does not depend
on how long the package was held when agglomeration is off; the withdrawal analysis recovers a
known critical duration.

The ramp world is stationary so that the way up and the way down differ only by the state they
start from: 4 counties with 40 firms each and no coastal firms, no coastal cost growth, no moving
cost and full resale of the old site (no sunk cost that would itself hold firms in place).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clustersim.sweep.experiment import load_experiment
from clustersim.sweep.runner import run_sweep
from clustersim.sweep.store import load_results
from clustersim.thresholds import hysteresis as hy

REPO = Path(__file__).resolve().parents[1]
STEPS, SETTLE, LOW, HIGH = 4, 6, 0.0, 0.2

WORLD = f"""
name = "{{name}}"
base_scenario = "{REPO / 'scenarios' / 'held_package.toml'}"
replicates = {{replicates}}
sweep_seed = 5

[take_off]
threshold = 0.4

[overrides]
"geography.counties" = 4
"firms.initial" = 0
"firms.initial_per_county" = 40
"firms.births_per_year" = 5.0
"firms.review_rate" = 0.3
"markets.coastal_wage_growth" = 0.0
"markets.coastal_land_growth" = 0.0
"choice.moving_cost_base" = 0.0
"choice.moving_cost_per_km" = 0.0
"choice.old_site_recovery" = 1.0
"agglomeration.localisation" = {{localisation}}
"agglomeration.supplier" = 0.0
"focal.fee_rate" = 0.02
{{extra}}
"""


def world(tmp_path: Path, name: str, localisation: float, replicates: int = 10, extra: str = "") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(WORLD.format(name=name, localisation=localisation, replicates=replicates, extra=extra),
                    encoding="utf-8")
    return path


def ramp(tmp_path: Path, localisation: float) -> hy.RampAnalysis:
    exp = load_experiment(world(tmp_path, f"ramp{int(localisation * 10)}", localisation))
    study = hy.study_experiment(exp, hy.ramp_outcomes(STEPS), {"kind": "ramp", "lever": "fee_rate", "low": LOW,
                                                               "high": HIGH, "steps": STEPS, "settle": SETTLE})
    out = tmp_path / f"out{int(localisation * 10)}"
    summary = run_sweep(study, out, workers=2, progress=False, run_fn="clustersim.thresholds.hysteresis:ramp_run_fn")
    assert summary.failed == 0
    up, _ = hy.ramp_levels(LOW, HIGH, STEPS)
    return hy.hysteresis_band(load_results(out), up, exp.base.take_off.threshold, increasing=False)


def test_ramp_finds_a_band_with_agglomeration_and_none_without(tmp_path):
    off = ramp(tmp_path, 0.0)
    assert off.band is None, off.table
    assert "No hysteresis" in hy.describe_band(off, "fee rate")
    on = ramp(tmp_path, 0.4)
    assert on.band is not None, on.table
    assert on.band[0] == LOW  # raised from a low fee the cluster holds; lowered from a high fee none returns
    assert "Hysteresis band" in hy.describe_band(on, "fee rate")


def test_without_agglomeration_survival_does_not_depend_on_the_duration(tmp_path):
    extra = "\n[levers.duration]\nparameter = \"focal_package.duration_years\"\nvalues = [2, 8]\n"
    exp = load_experiment(world(tmp_path, "withdraw", 0.0, replicates=8, extra=extra))
    study = hy.study_experiment(exp, hy.WITHDRAWAL_OUTCOMES, {"kind": "withdrawal", "after": 10})
    run_sweep(study, tmp_path / "w", workers=2, progress=False,
              run_fn="clustersim.thresholds.hysteresis:withdrawal_run_fn")
    res = load_results(tmp_path / "w")
    assert res["observable"].all()
    analysis = hy.withdrawal_analysis(res, "duration")
    assert analysis.homogeneity_p > 0.01, analysis.by_duration


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
    assert a.homogeneity_p < 1e-6


@pytest.mark.parametrize(("args", "expected"), [
    (["withdrawal"], "a withdrawal study needs a grid lever on focal_package.duration_years"),
    (["ramp"], "--range = None: ramp needs --range LOW HIGH"),
])
def test_malformed_studies_end_with_one_line_and_exit_2(tmp_path, run_cli, args, expected):
    exp = world(tmp_path, "bad", 0.0)
    r = run_cli("hysteresis", args[0], exp, *args[1:], "--out", tmp_path / "o", "--no-progress")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith(str(exp)) and expected in r.stderr
