"""When a sweep starts its local pool's fork server: before the sweep's own set-up (so that the
server's imports overlap the design's build), only for the local backend with several workers, and
not for a finished sweep that has nothing left to run."""

from __future__ import annotations

from pathlib import Path

from clustersim.sweep import design as design_module
from clustersim.sweep import runner
from clustersim.sweep.experiment import experiment_from_dict

HELD = (Path(__file__).resolve().parents[1] / "scenarios" / "held_package.toml").as_posix()


def _tiny():
    return experiment_from_dict({"name": "tiny", "base_scenario": HELD, "years": 2, "replicates": 1, "sweep_seed": 1,
                                 "outcomes": ["final_share"],
                                 "overrides": {"geography.counties": 3, "firms.initial": 30},
                                 "design": {"kind": "grid"},
                                 "levers": {"fee": {"parameter": "focal.fee_rate", "values": [0.01]}}})


def test_only_a_local_pool_of_several_workers_starts_a_fork_server(monkeypatch):
    started = []
    monkeypatch.setattr(runner, "fork_server_context", lambda: started.append(True))
    assert runner.start_local_workers("dask", 4) is False
    assert runner.start_local_workers("local", 1) is False
    assert started == []
    assert runner.start_local_workers("local", 2) is True
    assert started == [True]


def test_the_fork_server_starts_before_the_design_is_built_and_not_for_a_finished_sweep(tmp_path, monkeypatch):
    calls = []
    real_build = design_module.build_design
    monkeypatch.setattr(runner, "start_local_workers", lambda backend, workers: calls.append(("start", backend,
                                                                                               workers)))
    monkeypatch.setattr(design_module, "build_design", lambda exp: calls.append(("design",)) or real_build(exp))
    exp = _tiny()
    summary = runner.run_sweep(exp, tmp_path / "out", workers=1, progress=False)  # runs in this process
    assert summary.ok == 1
    assert calls[:2] == [("start", "local", 1), ("design",)]
    calls.clear()
    again = runner.run_sweep(exp, tmp_path / "out", workers=1, progress=False, resume=True)
    assert again.skipped == 1 and again.ran == 0
    assert all(c[0] != "start" for c in calls), calls  # nothing left to run: no server
