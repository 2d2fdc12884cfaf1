"""The package lab's background runs: one process pool for the whole server, shared by every
browser tab, each tab holding its own :class:`LabJob`.

A job writes its set-up as an experiment file, lays out the design with the sweep's own
:func:`~clustersim.sweep.design.build_design` (same seeds as ``clustersim sweep``) and submits one
task per run (:func:`clustersim.sweep.runner.run_batch`) to the pool, so the page never waits on a
model: it polls :attr:`LabJob.done` and redraws. Workers start by ``forkserver`` with one BLAS
thread, as the sweep's pool does.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from clustersim.lab.form import LabSetup, write_experiment

__all__ = ["LabJob", "shared_pool", "start_job", "warm_pool"]

RUN_FN = "clustersim.sweep.runner:run_point"
_POOL: cf.ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def lab_workers() -> int:
    """Worker processes of the lab's pool: ``CLUSTERSIM_LAB_WORKERS`` or every core."""
    value = os.environ.get("CLUSTERSIM_LAB_WORKERS", "")
    return int(value) if value.isdigit() and int(value) > 0 else (os.cpu_count() or 1)


def shared_pool() -> cf.ProcessPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            from clustersim.sweep.runner import process_pool

            _POOL = process_pool(lab_workers())  # its fork server started now, on one thread
            # shut down before the interpreter tears modules down (else the executor's weakref
            # callback fails noisily at exit)
            atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)
        return _POOL


def warm_pool() -> None:
    """Start the pool's workers now (the fork server imports the model once), so that the first Run
    does not wait for them; returns at once."""
    pool = shared_pool()
    for _ in range(lab_workers()):
        pool.submit(os.getpid)


@dataclass(eq=False)  # a job is itself: the page compares jobs by identity (hook dependencies)
class LabJob:
    """One Run of the lab: its set-up, experiment, design and the runs finished so far."""

    setup: LabSetup
    folder: Path
    design: pd.DataFrame
    meta: dict[str, Any]
    started: float = field(default_factory=time.perf_counter)
    results: list[dict[str, Any]] = field(default_factory=list)
    first_result_seconds: float | None = None
    all_results_seconds: float | None = None
    error: str = ""
    _futures: list[cf.Future] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total(self) -> int:
        return len(self.design)

    @property
    def done(self) -> int:
        with self._lock:
            return len(self.results)

    @property
    def finished(self) -> bool:
        return self.done >= self.total or bool(self.error)

    def frame(self) -> pd.DataFrame:
        """Finished runs (design columns + outcomes + status), in design order."""
        with self._lock:
            rows = list(self.results)
        if not rows:
            return pd.DataFrame(columns=self.design.columns)
        order = {rid: i for i, rid in enumerate(self.design["run_id"])}
        frame = pd.DataFrame(rows)
        return frame.iloc[frame["run_id"].map(order).argsort()].reset_index(drop=True)

    def cancel(self) -> None:
        for f in self._futures:
            f.cancel()

    def _collect(self, future: cf.Future) -> None:
        if future.cancelled():
            return
        try:
            rows = future.result()
        except Exception as err:  # a dead worker: the job stops with the reason shown
            self.error = f"{type(err).__name__}: {err}"
            return
        with self._lock:
            self.results.extend(rows)
            now = time.perf_counter() - self.started
            if self.first_result_seconds is None:
                self.first_result_seconds = now
            if len(self.results) >= self.total:
                self.all_results_seconds = now


def start_job(setup: LabSetup, folder: Path | None = None) -> LabJob:
    """Lay out and submit every run of ``setup``; returns at once."""
    from clustersim.sweep.design import build_design
    from clustersim.sweep.experiment import load_experiment
    from clustersim.sweep.runner import run_batch

    folder = Path(tempfile.mkdtemp(prefix="clustersim-lab-")) if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    exp = load_experiment(write_experiment(setup, folder / "experiment.toml"))
    design = build_design(exp)
    job = LabJob(setup=setup, folder=folder, design=design.runs, meta=dict(design.meta))
    pool = shared_pool()
    for row in design.runs.to_dict("records"):
        future = pool.submit(run_batch, exp, RUN_FN, [(row, 1)])
        future.add_done_callback(job._collect)
        job._futures.append(future)
    return job
