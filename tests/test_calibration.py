"""Calibration by simulated moments (``clustersim calibrate``): parameter recovery with interval
coverage over several seeds, resume and backends giving the same estimate, and bad targets files
exiting with status 2 and one line.

Recovery world: 3 generated counties, 150 coastal firms, 10 years (a run takes about 0.1 s).
Two parameters in ranges where the moments respond smoothly: coastal wage growth [0.03, 0.07]
(true 0.05) and the localisation strength [0.08, 0.14] (true 0.11). Moments: the inland share of
firms in years 4, 7 and 10 and the largest county's employment share in year 10. The "observed"
moments are one run at the true values with a seed outside the calibration's seeds. Coverage over
many more data sets (40, 95 % with the current estimator) is measured by
benchmarks/bench_calibration_coverage.py, not here (docs/calibration.md, "Checks and measured figures").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from clustersim.calibration.commands import calibrate
from clustersim.calibration.moments import measure
from clustersim.cli import main
from clustersim.scenario import apply_overrides, build_model, load_scenario

# pytest-xdist (make test) gives the whole module to one worker, which calibrates the recovery data sets once
pytestmark = pytest.mark.xdist_group("test_calibration")

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"
WORLD = {"geography.counties": 3, "firms.initial": 150, "years": 10}
TRUE = {"markets.coastal_wage_growth": 0.05, "agglomeration.localisation": 0.11}
MOMENTS = ["inland_share@4", "inland_share@7", "inland_share@10", "largest_share@10"]
SEEDS = 8  # data sets, each calibrated with its own common random numbers
POINTS, REPLICATES = 20, 3


def observed(seed: int) -> dict[str, float]:
    model = build_model(apply_overrides(load_scenario(BASELINE), {**WORLD, **TRUE}), seed=seed)
    model.run()
    return measure(model, MOMENTS)


def targets_text(values: dict[str, float], sweep_seed: int, points: int = POINTS, replicates: int = REPLICATES) -> str:
    lines = ['name = "recovery"', f'scenario = "{BASELINE.as_posix()}"', "years = 10", f"sweep_seed = {sweep_seed}",
             "[overrides]", '"geography.counties" = 3', '"firms.initial" = 150',
             "[estimation]", f"design_points = {points}", f"replicates = {replicates}", "stages = 1",
             "[parameters.wage_growth]", 'parameter = "markets.coastal_wage_growth"', "range = [0.03, 0.07]",
             "[parameters.localisation]", 'parameter = "agglomeration.localisation"', "range = [0.08, 0.14]"]
    for name, value in values.items():
        stat, year = name.split("@")
        lines += ["[[moments]]", f'statistic = "{stat}"', f"year = {year}", f"value = {value!r}",
                  'source = "simulated at known parameters (this test)"']
    return "\n".join(lines) + "\n"


def _calibrate(tmp_path: Path, k: int, **kwargs):
    folder = tmp_path / f"data{k}"
    folder.mkdir()
    (folder / "targets.toml").write_text(targets_text(observed(90_000 + k), 1_000 + k), encoding="utf-8")
    return calibrate(folder / "targets.toml", folder / "out", progress=False, **kwargs)


@pytest.fixture(scope="module")
def recovered(tmp_path_factory) -> list:
    """The SEEDS data sets, each calibrated in process (workers=1): (folder, result) per data set.
    The recovery test reads their estimates; the resume test resumes data set 0 in its folder."""
    root = tmp_path_factory.mktemp("recovery")
    return [(root / f"data{k}", _calibrate(root, k, workers=1)) for k in range(SEEDS)]


def test_parameters_are_recovered_at_the_nominal_coverage(recovered) -> None:
    truth = np.array(list(TRUE.values()))
    hits, rows = [], []
    for _, result in recovered:
        est = result.estimate
        hits.append((est.low <= truth) & (truth <= est.high))
        rows.append((est.theta, est.se))
    misses = int((~np.array(hits)).sum())
    n = hits.__len__() * len(truth)
    # 95 % intervals: misses ~ Binomial(n, 0.05) if the intervals are right (the two parameters of one data
    # set are treated as independent). Allowed: the largest count with P(X >= count + 1) above 1 %.
    allowed = int(stats.binom.ppf(0.99, n, 0.05))
    estimates = np.array([r[0] for r in rows])
    print("recovered (estimate, se) per data set:", [(e.round(4).tolist(), s.round(4).tolist()) for e, s in rows])
    assert misses <= allowed, f"{misses} of {n} intervals miss the true values (allowed {allowed})"
    # and the estimates centre on the truth: the mean over data sets within 3 standard errors of that mean
    se_mean = estimates.std(axis=0, ddof=1) / np.sqrt(SEEDS)
    assert np.all(np.abs(estimates.mean(axis=0) - truth) < 3 * se_mean + 1e-12), (estimates.mean(axis=0), se_mean)


def test_resume_and_dask_give_the_same_estimate(recovered, tmp_path) -> None:
    folder, first = recovered[0]  # data set 0, calibrated in process by the fixture
    again = calibrate(folder / "targets.toml", folder / "out", resume=True, workers=1, progress=False)
    assert again.stages[0]["ran_now"] == 0  # every run was found in the store
    np.testing.assert_array_equal(again.estimate.theta, first.estimate.theta)
    dask = calibrate(folder / "targets.toml", tmp_path / "dask", backend="dask", workers=2, progress=False)
    np.testing.assert_array_equal(dask.estimate.theta, first.estimate.theta)
    report = (folder / "out" / "report.md").read_text(encoding="utf-8")
    assert "## Identification" in report and "inland_share@10" in report


def test_calibrate_command_writes_its_results(tmp_path, capsys) -> None:
    (tmp_path / "t.toml").write_text(targets_text(observed(90_000), 7, points=12, replicates=2), encoding="utf-8")
    assert main(["calibrate", str(tmp_path / "t.toml"), "--out", str(tmp_path / "out"), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "wage_growth" in out and "inland_share@4" in out
    for name in ("report.md", "estimates.csv", "fit.csv", "sensitivity.csv", "calibration.json"):
        assert (tmp_path / "out" / name).is_file()


@pytest.mark.parametrize(("edit", "field", "allowed"), [
    (("stages = 1", "stages = 1\nsamples = 3"), "estimation.samples", "unknown key"),
    (('source = "simulated at known parameters (this test)"', 'source = "none found: nothing"'),
     "moments.0", "a value needs its published source"),
    (('value = ', 'value_ = '), "moments.0.value_", "unknown key; did you mean 'value'?"),
    (('"markets.coastal_wage_growth"', '"markets.coastal_wage_grow"'), "parameters.wage_growth.parameter",
     "names no model parameter"),
    (('statistic = "inland_share"', 'statistic = "inland_shares"'), "moments.0.statistic", "did you mean"),
])
def test_a_bad_targets_file_exits_2_with_one_line(edit, field, allowed, tmp_path, capsys) -> None:
    text = targets_text(dict.fromkeys(MOMENTS, 0.5), 7).replace(*edit, 1)
    (tmp_path / "t.toml").write_text(text, encoding="utf-8")
    assert main(["calibrate", str(tmp_path / "t.toml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"{tmp_path / 't.toml'}: {field}") and allowed in err, err
