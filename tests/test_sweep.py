"""The sweep runner and its results folder: crash-safe resume, identical results on every
backend, failures recorded and retried, refusals with one clear line.

Every test runs a small experiment written to tmp_path: the held package on 4 counties, 150
coastal firms and 15 years (about 0.06 s a run), over a 2 x 2 grid. Results are compared
exactly: a run's outcomes depend only on its design row, so there is no tolerance to choose.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from clustersim.scenario import ScenarioError
from clustersim.sweep import store
from clustersim.sweep.experiment import load_experiment
from clustersim.sweep.runner import run_sweep
from clustersim.sweep.store import load_results, read_parts

# pytest-xdist (make test) gives the whole module to one worker, which runs the 48-run reference sweep once
pytestmark = pytest.mark.xdist_group("test_sweep")

REPO = Path(__file__).resolve().parents[1]
OUTCOMES = ["took_off", "final_share", "focal_firms", "net_fiscal_return", "leader", "hhi"]
#: columns that legitimately differ between two executions of the same run
VOLATILE = ["model_seconds", "finished_at"]

EXPERIMENT = f"""
name = "tiny"
base_scenario = "{REPO / 'scenarios' / 'held_package.toml'}"
years = 15
replicates = {{replicates}}
sweep_seed = 7
outcomes = {OUTCOMES!r}

[overrides]
"geography.counties" = 4
"firms.initial" = {{firms}}

[design]
kind = "grid"

[levers.depth]
parameter = "focal.subsidy_depth"
values = {{depths}}

[levers.fee]
parameter = "focal.fee_rate"
values = [0.01, 0.03]
"""


def write_experiment(folder: Path, *, replicates: int = 2, firms: int = 150, depths: str = "[1.0, 2.0]",
                     name: str = "tiny.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(EXPERIMENT.format(replicates=replicates, firms=firms, depths=depths), encoding="utf-8")
    return path


def stable(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=VOLATILE).reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    """The 8-run tiny sweep with 12 replicates (48 runs), in this process: the uninterrupted
    reference. Seeds depend on (point, replicate) only, so its replicates 0-1 are the 2-replicate sweep."""
    folder = tmp_path_factory.mktemp("reference")
    exp = load_experiment(write_experiment(folder, replicates=12))
    summary = run_sweep(exp, folder / "out", workers=1, progress=False)
    assert (summary.ok, summary.failed) == (48, 0)
    return load_results(folder / "out")


def rows_of(reference: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    return reference.set_index("run_id").loc[results["run_id"]].reset_index()


# ------------------------------------------------------------------------------ crash safety
def test_sigkill_part_way_then_resume_gives_the_uninterrupted_results(tmp_path, reference):
    exp_path = write_experiment(tmp_path, replicates=12)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "clustersim", "sweep", str(exp_path), "--out", str(out), "--workers", "2",
           "--no-progress", "--flush-seconds", "0.2"]
    # own session: killing its process group takes the fork server and the workers too
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not store.part_paths(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    finished_early = proc.poll() is not None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert not finished_early, f"the sweep ended before it could be killed: {proc.stderr.read().decode()}"
    killed = load_results(out)
    assert 0 < len(killed) < len(reference), "the kill must fall part-way through the sweep"

    resumed = subprocess.run([*cmd[:-2], "--resume"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"ran {len(reference) - len(killed)} now" in resumed.stdout

    results = load_results(out)
    pd.testing.assert_frame_equal(stable(results), stable(reference), check_exact=True)
    parts = read_parts(out)
    ok_ids = parts.loc[parts["status"] == "ok", "run_id"]
    assert not ok_ids.duplicated().any(), "a run finished before the kill was run again"
    assert set(ok_ids) == set(reference["run_id"]), "runs missing"
    assert not list((out / "runs").glob(".*")), "a temporary file was left in runs/"


# ------------------------------------------------------------------------------ backends
def test_in_process_local_pool_and_dask_give_identical_results(tmp_path, reference):
    exp = load_experiment(write_experiment(tmp_path))
    results = {}
    for label, kwargs in {"in-process": {"workers": 1}, "local pool": {"workers": 2},
                          "dask": {"workers": 2, "backend": "dask"}}.items():
        summary = run_sweep(exp, tmp_path / label, progress=False, **kwargs)
        assert (summary.ok, summary.failed, summary.exit_status) == (8, 0, 0), label
        results[label] = stable(load_results(tmp_path / label))
    assert len(results["in-process"]) == 8
    for label in ("local pool", "dask"):
        pd.testing.assert_frame_equal(results[label], results["in-process"], check_exact=True, obj=label)
    # ... and equal to the same runs in the 12-replicate reference (adding replicates changes no run)
    pd.testing.assert_frame_equal(results["in-process"], stable(rows_of(reference, results["in-process"])),
                                  check_exact=True)
    assert results["in-process"]["took_off"].dtype == bool


# ------------------------------------------------------------------------------ failures
def test_a_run_that_raises_is_recorded_retried_and_resumed(tmp_path, reference):
    exp = load_experiment(write_experiment(tmp_path))
    out = tmp_path / "out"
    summary = run_sweep(exp, out, workers=2, progress=False, run_fn="sweep_faults:raise_for_one", max_attempts=2)
    assert (summary.ok, summary.failed, summary.attempts, summary.exit_status) == (7, 1, 9, 1)
    everything = load_results(out, include_failed=True)
    assert len(everything) == 8
    failed = everything[everything["status"] == "failed"]
    assert list(failed["run_id"]) == [everything.loc[(everything["sample_index"] == 0)
                                                     & (everything["replicate"] == 1), "run_id"].item()]
    assert failed["error"].item().startswith("ValueError: injected failure in ")
    assert failed["attempt"].item() == 2
    assert failed[OUTCOMES].isna().all(axis=None)
    ok = load_results(out)
    assert len(ok) == 7
    pd.testing.assert_frame_equal(stable(ok), stable(rows_of(reference, ok)), check_exact=True)

    # resume retries only the failed run, numbering its attempts on from the last one
    again = run_sweep(exp, out, workers=1, progress=False, resume=True)
    assert (again.ran, again.ok, again.failed, again.exit_status) == (1, 8, 0, 0)
    assert load_results(out).set_index("run_id").loc[failed["run_id"].item(), "attempt"] == 3
    pd.testing.assert_frame_equal(stable(load_results(out)).drop(columns="attempt"),
                                  stable(rows_of(reference, everything)).drop(columns="attempt"), check_exact=True)


def test_a_run_that_kills_its_worker_is_isolated_recorded_and_the_sweep_finishes(tmp_path, reference):
    exp = load_experiment(write_experiment(tmp_path))
    summary = run_sweep(exp, tmp_path / "out", workers=2, progress=False, run_fn="sweep_faults:die_for_one")
    assert (summary.ok, summary.failed, summary.exit_status) == (7, 1, 1)
    assert summary.worker_deaths >= 2  # at least the two attempts run alone
    everything = load_results(tmp_path / "out", include_failed=True)
    failed = everything[everything["status"] == "failed"]
    assert list(zip(failed["sample_index"], failed["replicate"], strict=True)) == [(0, 1)]
    assert failed["error"].item().startswith("worker died: ")
    assert failed["attempt"].item() == 2
    parts = read_parts(tmp_path / "out")
    assert sorted(parts.loc[parts["status"] == "failed", "attempt"]) == [1, 2]  # innocent runs were not charged
    ok = load_results(tmp_path / "out")
    pd.testing.assert_frame_equal(stable(ok), stable(rows_of(reference, ok)), check_exact=True)


def test_a_worker_that_dies_once_is_replaced_and_the_run_retried(tmp_path, reference):
    exp = load_experiment(write_experiment(tmp_path))
    summary = run_sweep(exp, tmp_path / "out", workers=2, progress=False, run_fn="sweep_faults:die_once_for_one")
    assert (summary.ok, summary.failed, summary.worker_deaths, summary.exit_status) == (8, 0, 1, 0)
    assert len(list(tmp_path.glob("died-*"))) == 1
    results = load_results(tmp_path / "out")
    pd.testing.assert_frame_equal(stable(results), stable(rows_of(reference, results)), check_exact=True)
    # the death hit a batch of several runs: none is blamed, all were re-run alone at the same attempt
    parts = read_parts(tmp_path / "out")
    assert (parts["status"] == "ok").all() and (parts["attempt"] == 1).all() and len(parts) == 8


def test_pool_workers_decide_on_one_thread_whatever_the_parent_uses(tmp_path, monkeypatch):
    """Workers are one per core: each runs its decisions on one thread (CLUSTERSIM_THREADS=1 in
    the processes the pool starts), even where the sweep's own process would use several."""
    monkeypatch.setenv("CLUSTERSIM_THREADS", "2")
    exp = load_experiment(write_experiment(tmp_path))
    summary = run_sweep(exp, tmp_path / "out", workers=2, progress=False, run_fn="sweep_faults:one_thread_or_fail")
    assert (summary.ok, summary.failed) == (8, 0)


_LAB_POOL_FIRST = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from clustersim.lab.runner import shared_pool
from clustersim.sweep.experiment import load_experiment
from clustersim.sweep.runner import run_sweep
from clustersim.threads import decision_threads
from test_sweep import write_experiment

if __name__ == "__main__":
    lab_threads = shared_pool().submit(decision_threads).result()
    exp = load_experiment(write_experiment(Path({folder!r})))
    s = run_sweep(exp, Path({folder!r}) / "out", workers=2, progress=False, run_fn="sweep_faults:one_thread_or_fail")
    print(lab_threads, s.ok, s.failed)
"""


def test_workers_decide_on_one_thread_when_the_lab_pool_started_the_fork_server(tmp_path):
    """The lab's pool and the sweep's share the process's fork server, which passes the
    environment it started with to every worker: in a fresh process whose decisions would use two
    threads, the lab's first task starts the server, then a sweep runs on it; the lab's worker and
    every sweep worker decide on one thread (a server started by the first task, outside the
    one-thread environment, gave every run two: all eight failed)."""
    script = tmp_path / "lab_first.py"
    script.write_text(_LAB_POOL_FIRST.format(tests=str(Path(__file__).parent), folder=str(tmp_path)),
                      encoding="utf-8")
    env = {**os.environ, "CLUSTERSIM_THREADS": "2"}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-3:] == ["1", "8", "0"], proc.stdout


# ------------------------------------------------------------------------------ resume and refusals
def test_resume_of_a_finished_sweep_runs_nothing(tmp_path):
    exp = load_experiment(write_experiment(tmp_path))
    run_sweep(exp, tmp_path / "out", workers=1, progress=False)
    parts = store.part_paths(tmp_path / "out")
    summary = run_sweep(exp, tmp_path / "out", workers=2, progress=False, resume=True)
    assert (summary.ran, summary.skipped, summary.attempts, summary.ok) == (0, 8, 0, 8)
    assert store.part_paths(tmp_path / "out") == parts


def test_resume_refuses_a_changed_design_and_a_used_folder_without_resume(tmp_path, run_cli):
    exp_path = write_experiment(tmp_path)
    out = tmp_path / "out"
    run_sweep(load_experiment(exp_path), out, workers=1, progress=False)

    cases = [  # (what changed, experiment as rewritten, extra flags, expected in the message)
        ("nothing, but no --resume", {}, [], "add --resume"),
        ("a third depth: 2 fees x 2 replicates more", {"depths": "[1.0, 2.0, 3.0]"}, ["--resume"], "4 runs added"),
        ("the base scenario", {"firms": 160}, ["--resume"], "fingerprint"),
        ("the replicates", {}, ["--resume", "--replicates", "3"], "4 runs added"),
    ]
    for label, settings, flags, expected in cases:
        write_experiment(tmp_path, **settings)
        proc = run_cli("sweep", exp_path, "--out", out, "--workers", "1", "--no-progress", *flags)
        assert proc.returncode == 2, (label, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (label, proc.stderr)
    assert len(load_results(out)) == 8  # nothing was run or removed


def test_load_results_refuses_a_folder_that_is_no_sweep(tmp_path):
    with pytest.raises(ScenarioError, match="not a folder written by `clustersim sweep`"):
        load_results(tmp_path)


@pytest.mark.parametrize(("extra", "expected"), [
    ('[levers.nothing]\nparameter = "firms.no_such_field"\nvalues = [1.0]\n', "levers.nothing.parameter"),
    ("", "no such file"),
])
def test_a_malformed_experiment_is_one_line_and_exit_2(tmp_path, run_cli, extra, expected):
    path = write_experiment(tmp_path)
    if extra:
        path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    else:
        path = tmp_path / "missing.toml"
    proc = run_cli("sweep", path, "--out", tmp_path / "out", "--no-progress")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], proc.stderr
    assert not (tmp_path / "out").exists()
