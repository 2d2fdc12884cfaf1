"""The adaptive threshold search (clustersim.thresholds.search): interval coverage on a cheap
synthetic simulator with a known logistic threshold, identical answers on every backend and
after kill -9 and --resume, agreement with a dense grid on the real model, one-line refusals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from clustersim.sweep.experiment import load_experiment
from clustersim.sweep.runner import run_sweep
from clustersim.thresholds.search import SearchSpec, resolve_search, run_search, search_in_memory
from clustersim.thresholds.synthetic import logistic_simulator

REPO = Path(__file__).resolve().parents[1]
SYNTHETIC = "clustersim.thresholds.synthetic:synthetic_run"

EXPERIMENT = f"""
name = "syn"
base_scenario = "{REPO / 'scenarios' / 'held_package.toml'}"
years = 10
sweep_seed = {{seed}}
outcomes = ["took_off"]

[overrides]
"geography.counties" = 4
"firms.initial" = 150

[levers.subsidy_depth]
parameter = "focal.subsidy_depth"
values = [0, 4]

[levers.fee_rate]
parameter = "focal.fee_rate"
values = [0.01, 0.02, 0.03]
"""


def write_experiment(folder: Path, seed: int = 11) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "syn.toml"
    path.write_text(EXPERIMENT.format(seed=seed), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ coverage
@pytest.mark.parametrize(("slope", "half_width"), [(2.0, 0.25), (1.0, 0.5)])
def test_the_95_interval_covers_the_true_level_at_a_rate_consistent_with_95_percent(slope, half_width):
    """200 seeded searches on P(x) = expit(slope (x - 1.5)) over [0, 4] to the given half-width: the
    count of intervals covering 1.5 is tested against Binomial(200, 0.95) (two-sided, 1 % level)."""
    spec = SearchSpec(lever="x", low=0.0, high=4.0, precision=half_width, budget=1500, batch=16)
    sim = logistic_simulator(1.5, slope)
    covered, runs = 0, []
    for seed in range(200):
        r = search_in_memory(spec, sim, seed=seed)
        lo, hi = r.estimate.interval()
        covered += lo <= 1.5 <= hi
        runs.append(r.runs)
        assert r.stopped == "precision" and r.estimate.half_width <= half_width
    assert stats.binomtest(covered, 200, 0.95).pvalue > 0.01, f"coverage {covered}/200"
    # about n = 15.4 / (b1² h²) runs placed near the level, plus the first batch
    assert np.mean(runs) < 2 * 15.4 / (slope**2 * half_width**2) + 16


def test_the_shouldered_simulator_has_its_floor_ceiling_and_crossing():
    """The benchmark's second coverage check (a curve with flat shoulders, docs/thresholds.md) needs its
    truth right: 20000 draws at each level match 0.25 + 0.5 expit(4 (x - 1.5)) within 4 binomial SEs,
    i.e. 0.5 at 1.5, near 0.25 and 0.75 far from it."""
    from clustersim.thresholds.synthetic import shouldered_simulator

    sim, rng, n = shouldered_simulator(1.5, 4.0), np.random.default_rng(1), 20000
    for x, p in [(0.0, 0.25 + 0.5 / (1 + np.exp(6.0))), (1.5, 0.5), (4.0, 0.75 - 0.5 / (1 + np.exp(10.0)))]:
        rate = sim(np.full(n, x), rng).mean()
        assert abs(rate - p) < 4 * np.sqrt(p * (1 - p) / n), (x, rate, p)


# ------------------------------------------------------------------------------ design calculus
def test_vectorised_fieller_half_width_matches_dose_response_fieller():
    from clustersim.thresholds.dose_response import fieller
    from clustersim.thresholds.optimal_design import fieller_half_width

    rng = np.random.default_rng(5)
    for _ in range(50):
        a0, b1 = rng.normal(0, 2), rng.normal(0, 2)
        root = rng.normal(0, 0.3, (2, 2))
        cov = root @ root.T
        (lo, hi), kind = fieller(a0, b1, cov[0, 0], cov[0, 1], cov[1, 1])
        hw = float(fieller_half_width(a0, b1, cov))
        assert hw == pytest.approx((hi - lo) / 2, rel=1e-9) if kind == "bounded" else hw == np.inf


def test_runs_needed_is_what_a_fit_to_that_many_expected_runs_reports():
    """statsmodels' binomial GLM fitted to the expected counts (n share_i P_i successes of n share_i
    runs) of the number of runs runs_needed returns: its Fieller half-width is the target. (Straight
    statsmodels: dose_response refuses data a logistic curve fits exactly, as perfect prediction.)"""
    import warnings

    import statsmodels.api as sm

    from clustersim.thresholds.dose_response import fieller
    from clustersim.thresholds.optimal_design import runs_needed

    depths = np.array([0, 0.5, 1, 2, 3, 4.0])
    truth = 1 / (1 + np.exp(-(-0.8 + 0.66 * depths)))
    for levels, share in [(depths, np.ones(6) / 6), (depths[[1, 3]], np.array([0.4, 0.6]))]:
        q = truth[np.isin(depths, levels)]
        n = runs_needed(levels, share, q, 0.25)
        k = n * share * q
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            counts = np.column_stack([k, n * share - k])
            res = sm.GLM(counts, sm.add_constant(levels), family=sm.families.Binomial()).fit()
        b, v = np.asarray(res.params), np.asarray(res.cov_params())
        (lo, hi), kind = fieller(b[0], b[1], v[0, 0], v[0, 1], v[1, 1])
        assert kind == "bounded" and (hi - lo) / 2 == pytest.approx(0.25, rel=1e-6)


def test_oracle_lies_between_the_known_slope_bound_and_the_grid():
    """For a logistic truth the best two-level design needs more runs than every run at x50 with the
    slope known (Cramér–Rao: 4 z² / (b1² h²)) and fewer than the six-depth grid; its levels bracket x50."""
    from clustersim.thresholds.dose_response import Z95
    from clustersim.thresholds.optimal_design import oracle_two_point, runs_needed

    b0, b1 = -0.8, 0.66
    fine = np.linspace(0, 4, 81)
    best = oracle_two_point(fine, 1 / (1 + np.exp(-(b0 + b1 * fine))), 0.25)
    grid = np.array([0, 0.5, 1, 2, 3, 4.0])
    grid_runs = runs_needed(grid, np.ones(6), 1 / (1 + np.exp(-(b0 + b1 * grid))), 0.25)
    assert 4 * Z95**2 / (b1**2 * 0.25**2) < best.runs < grid_runs
    assert best.levels[0] < -b0 / b1 < best.levels[1] and best.x == pytest.approx(-b0 / b1)


def test_location_bound_of_a_logistic_is_the_known_slope_bound_at_x50():
    """With floor 0 and ceiling 1 the curve is the logistic expit(b (x - m)), whose information about
    its location per binary run is P'(x)² / (P (1 - P)) = b² P (1 - P), largest (b² / 4) at x = m
    (Wu 1985, "Efficient sequential designs with binary data", JASA 80: 974-984, section 2): the
    bound is 4 z² / (b² h²) runs, at m. With shoulders at 0.25 and 0.75 and the same slope the
    derivative halves and P (1 - P) at m is still 1/4, so the bound quadruples."""
    from clustersim.thresholds.dose_response import Z95
    from clustersim.thresholds.optimal_design import ShoulderedCurve, location_bound

    fine = np.linspace(0, 4, 401)
    runs, at = location_bound(ShoulderedCurve(0.0, 1.0, 2.0, 1.5), fine, 0.25)
    assert runs == pytest.approx(4 * Z95**2 / (2.0**2 * 0.25**2), rel=1e-9) and at == pytest.approx(1.5)
    runs_sh, at_sh = location_bound(ShoulderedCurve(0.25, 0.75, 2.0, 1.5), fine, 0.25)
    assert runs_sh == pytest.approx(4 * runs, rel=1e-9) and at_sh == pytest.approx(1.5)


def test_fit_shouldered_recovers_the_curve_from_its_expected_counts_and_refuses_too_few_levels():
    """Counts exactly n P(x) of a known shouldered curve (no noise): the maximum-likelihood fit is the
    curve itself, its deviance 0 and its 50 % level the curve's; four levels cannot test the fit."""
    from clustersim.thresholds.optimal_design import ShoulderedCurve, fit_shouldered

    truth = ShoulderedCurve(0.21, 0.77, 1.7, 1.64)
    x = np.array([0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4.0])
    n = np.full(x.size, 1000.0)
    fit = fit_shouldered(x, n * truth(x), n)
    got = np.array([fit.floor, fit.ceiling, fit.slope, fit.mid])
    assert got == pytest.approx([0.21, 0.77, 1.7, 1.64], abs=2e-3)
    assert fit.deviance == pytest.approx(0.0, abs=1e-4) and fit.gof_pvalue > 0.99
    assert fit.level(0.5) == pytest.approx(truth.level(0.5), abs=2e-3)
    assert np.isnan(truth.level(0.8))  # above the ceiling: never reached
    with pytest.raises(ValueError, match="5 or more levels, not 4"):
        fit_shouldered(x[:4], n[:4] * truth(x[:4]), n[:4])


def test_shouldered_runs_needed_is_what_the_fit_to_that_many_expected_runs_reports():
    """An independent path to the same number: the maximum-likelihood fit (fit_shouldered) to the
    expected counts of that many runs, its covariance from a finite-difference Hessian of the
    binomial log-likelihood, and the delta method for x50 with a finite-difference gradient: the
    half-width is the target (to the differences' accuracy)."""
    from clustersim.thresholds.dose_response import Z95
    from clustersim.thresholds.optimal_design import ShoulderedCurve, fit_shouldered, shouldered_runs_needed

    truth = ShoulderedCurve(0.21, 0.77, 1.7, 1.64)
    x = np.array([0, 0.5, 1, 2, 3, 4.0])
    runs = shouldered_runs_needed(truth, x, np.ones(6), 0.25)
    n = np.full(6, runs / 6)
    k = n * truth(x)
    fit = fit_shouldered(x, k, n)
    th = np.array([fit.floor, fit.ceiling, fit.slope, fit.mid])
    assert th == pytest.approx([0.21, 0.77, 1.7, 1.64], abs=1e-3)

    def loglik(t):
        pr = ShoulderedCurve(*t)(x)
        return float((k * np.log(pr) + (n - k) * np.log1p(-pr)).sum())

    eps = 1e-4
    hess = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            di, dj = np.eye(4)[i] * eps, np.eye(4)[j] * eps
            hess[i, j] = (loglik(th + di + dj) - loglik(th + di - dj) - loglik(th - di + dj) + loglik(th - di - dj)) / (
                4 * eps * eps
            )
    grad = np.array(
        [(ShoulderedCurve(*(th + d)).level() - ShoulderedCurve(*(th - d)).level()) / (2 * eps) for d in np.eye(4) * eps]
    )
    se = np.sqrt(grad @ np.linalg.solve(-hess, grad))
    assert Z95 * se == pytest.approx(0.25, rel=1e-3)
    assert shouldered_runs_needed(truth, x[:3], np.ones(3), 0.25) == np.inf  # three levels, four parameters


def test_next_batch_spreads_while_the_slope_is_uncertain_and_concentrates_once_it_is_known():
    """Runs so far evenly over [0, 4], the fit at the truth (x50 = 1.5, slope 2) with the covariance
    those runs give: after 16 runs the batch reaches out to measure the slope; after 1600 it sits
    near x50 (where a run says most about it), within the levels where P is 0.18-0.82."""
    from clustersim.thresholds.optimal_design import information, next_batch

    coef = (-3.0, 2.0)
    spread = {}
    for n in (16, 1600):
        old = np.linspace(0, 4, n)
        cov = np.linalg.inv(information(old, np.ones(n), np.array(coef[0]), np.array(coef[1])))
        batch = next_batch(coef, cov, old, 16, 0.0, 4.0)
        assert np.array_equal(batch, next_batch(coef, cov, old, 16, 0.0, 4.0))  # deterministic
        assert batch.min() >= 0 and batch.max() <= 4
        spread[n] = np.abs(batch - 1.5)
    assert spread[16].mean() > 0.5 and spread[1600].max() < 1.5 / 2.0


# ------------------------------------------------------------------------------ the store
def _search(tmp_path: Path, label: str, **kwargs) -> dict:
    exp = load_experiment(write_experiment(tmp_path))
    spec = resolve_search(exp, "subsidy_depth", at={"fee_rate": 0.02}, precision=0.3, budget=160, batch=8)
    run_search(exp, spec, tmp_path / label, progress=False, run_fn=SYNTHETIC, **kwargs)
    return json.loads((tmp_path / label / "tipping.json").read_text())


@pytest.fixture(scope="module")
def in_process(tmp_path_factory) -> dict:
    """The synthetic search's answer, run in process: the reference of the backend and kill -9 tests."""
    return _search(tmp_path_factory.mktemp("in_process"), "in-process", workers=1)


@pytest.mark.xdist_group("tipping_in_process")  # pytest-xdist: one worker runs the in_process fixture once
def test_every_backend_gives_the_same_answer(tmp_path, in_process):
    answers = {"in-process": in_process} | {label: _search(tmp_path, label, **kw) for label, kw in {
        "local pool": {"workers": 2}, "dask": {"workers": 2, "backend": "dask"}}.items()}
    first = answers["in-process"]
    assert first["status"] == "ok" and first["ci_fieller"][0] < first["critical_level"] < first["ci_fieller"][1]
    for label, answer in answers.items():
        assert answer == first, label


@pytest.mark.xdist_group("tipping_in_process")
def test_kill_9_part_way_then_resume_gives_the_uninterrupted_answer(tmp_path, in_process):
    exp_path = write_experiment(tmp_path)
    reference = in_process
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "clustersim", "tipping", str(exp_path), "--lever", "focal.subsidy_depth",
           "--at", "fee_rate=0.02", "--precision", "0.3", "--budget", "160", "--batch", "8", "--out", str(out),
           "--workers", "2", "--no-progress", "--flush-seconds", "0.1",
           "--run-fn", "clustersim.thresholds.synthetic:synthetic_slow_run"]
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(out.glob("batch-0001/runs/part-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    finished_early = proc.poll() is not None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert not finished_early, proc.stderr.read().decode()
    assert not (out / "tipping.json").exists(), "the kill must fall part-way through the search"
    resumed = subprocess.run([*cmd[:-2], "--run-fn", SYNTHETIC, "--resume"], cwd=REPO, capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "tipping.json").read_text()) == reference
    # nothing run twice: one ok row per run across the batches
    from clustersim.sweep.store import read_parts

    for batch in sorted(out.glob("batch-*")):
        parts = read_parts(batch)
        assert not parts.loc[parts["status"] == "ok", "run_id"].duplicated().any(), batch.name


# ------------------------------------------------------------------------------ refusals
@pytest.mark.parametrize(("args", "expected"), [
    (["--lever", "depth"], "--lever = 'depth': must name a factor"),
    (["--lever", "subsidy_depth"], "--at = 'fee_rate': factor fee_rate takes several values"),
    (["--lever", "subsidy_depth", "--at", "fee=0.02"], "--at = 'fee=0.02': must name another factor"),
    (["--lever", "subsidy_depth", "--at", "fee_rate=0.9"], "--at = 'fee_rate=0.9':"),
    (["--lever", "subsidy_depth", "--at", "fee_rate=0.02", "--target", "1.5"], "--target = 1.5: a probability"),
    (["--lever", "subsidy_depth", "--at", "fee_rate=0.02", "--range", "3", "1"], "--range = [3.0, 1.0]"),
    (["--lever", "subsidy_depth", "--at", "fee_rate=0.02", "--range", "0", "9"], "--range = 'subsidy_depth=9.0'"),
    (["--lever", "subsidy_depth", "--at", "fee_rate=0.02", "--budget", "20"], "--budget = 20: at least two batches"),
    (["--lever", "subsidy_depth", "--at", "fee_rate=0.02", "--precision", "0"], "--precision = 0.0"),
    (["--lever", "subsidy_depth", "--at", "fee_rate=0.02", "--outcome", "jobs"], "--outcome = 'jobs'"),
])
def test_malformed_options_end_with_one_line_and_exit_2(tmp_path, run_cli, args, expected):
    exp = write_experiment(tmp_path)
    r = run_cli("tipping", exp, *args, "--out", tmp_path / "out", "--no-progress")
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert lines[0].startswith(str(exp)) and expected in lines[0], lines[0]


def test_resume_refuses_changed_search_options(tmp_path, run_cli):
    exp = write_experiment(tmp_path)
    base = ["tipping", exp, "--lever", "subsidy_depth", "--at", "fee_rate=0.02", "--budget", "32", "--batch", "8",
            "--out", tmp_path / "out", "--no-progress", "--workers", "1", "--run-fn", SYNTHETIC]
    assert run_cli(*base).returncode == 0
    r = run_cli(*base[:-2], "--run-fn", SYNTHETIC, "--resume", "--precision", "0.1")
    assert r.returncode == 2 and "search changed since it started (precision)" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------------------ the real model
REAL = f"""
name = "real"
base_scenario = "{REPO / 'scenarios' / 'held_package.toml'}"
years = 25
replicates = {{replicates}}
sweep_seed = 3
outcomes = ["took_off"]

[overrides]
"geography.counties" = 4
"firms.initial" = 150
"focal_package.duration_years" = 4

[take_off]
threshold = 0.25

[levers.fee_rate]
parameter = "focal.fee_rate"
values = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05]
"""


def test_on_the_real_model_a_search_and_a_dense_grid_agree_within_their_intervals(tmp_path):
    """A small world (4 counties, 150 firms, 25 years, about 0.1 s a run) in which the focal fee
    decides take-off: the critical fee from a 6-level x 24-replicate grid and from an adaptive
    search (half-width 0.01) must have overlapping 95 % Fieller intervals."""
    from clustersim.sweep.store import load_results
    from clustersim.thresholds.dose_response import dose_response

    path = tmp_path / "real.toml"
    path.write_text(REAL.format(replicates=24), encoding="utf-8")
    exp = load_experiment(path)
    run_sweep(exp, tmp_path / "grid", workers=2, progress=False)
    res = load_results(tmp_path / "grid")
    g = res.groupby("fee_rate")["took_off"].agg(["sum", "count"])
    grid = dose_response(g.index.to_numpy(float), g["sum"], g["count"])
    spec = resolve_search(exp, "fee_rate", precision=0.01, budget=240, batch=16)
    search = run_search(exp, spec, tmp_path / "search", workers=2, progress=False).estimate
    assert grid.fieller_kind == "bounded" and search.fieller_kind == "bounded", (grid.message, search.message)
    assert grid.coef[1] < 0 and search.coef[1] < 0  # a higher fee makes take-off less likely
    (glo, ghi), (slo, shi) = grid.ci_fieller, search.ci_fieller
    assert max(glo, slo) <= min(ghi, shi), f"grid {grid.text('{:.4f}')} vs search {search.text('{:.4f}')}"
