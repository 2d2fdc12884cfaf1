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


# ------------------------------------------------------------------------------ the store
def _search(tmp_path: Path, label: str, **kwargs) -> dict:
    exp = load_experiment(write_experiment(tmp_path))
    spec = resolve_search(exp, "subsidy_depth", at={"fee_rate": 0.02}, precision=0.3, budget=160, batch=8)
    run_search(exp, spec, tmp_path / label, progress=False, run_fn=SYNTHETIC, **kwargs)
    return json.loads((tmp_path / label / "tipping.json").read_text())


def test_every_backend_gives_the_same_answer(tmp_path):
    answers = {label: _search(tmp_path, label, **kw) for label, kw in {
        "in-process": {"workers": 1}, "local pool": {"workers": 2}, "dask": {"workers": 2, "backend": "dask"}}.items()}
    first = answers["in-process"]
    assert first["status"] == "ok" and first["ci_fieller"][0] < first["critical_level"] < first["ci_fieller"][1]
    for label, answer in answers.items():
        assert answer == first, label


def test_kill_9_part_way_then_resume_gives_the_uninterrupted_answer(tmp_path):
    exp_path = write_experiment(tmp_path)
    reference = _search(tmp_path, "reference", workers=1)
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
