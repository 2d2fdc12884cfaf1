"""Sweeps: run a scenario over a design of policy levers and uncertainties, store every run's
outcomes crash-safely, and report where agglomeration takes off.

``experiment`` reads and validates experiment files, ``design`` lays out the runs and their seeds,
``outcomes`` measures one finished run, ``runner`` executes a design on a backend, ``store`` writes
and reads the results folder, ``report`` turns it into figures and a Markdown summary.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_design", "load_experiment", "load_results", "run_sweep"]


def __getattr__(name: str) -> Any:  # lazy, so that `clustersim --help` stays fast
    if name == "load_experiment":
        from clustersim.sweep.experiment import load_experiment

        return load_experiment
    if name == "build_design":
        from clustersim.sweep.design import build_design

        return build_design
    if name == "load_results":
        from clustersim.sweep.store import load_results

        return load_results
    if name == "run_sweep":
        from clustersim.sweep.runner import run_sweep

        return run_sweep
    raise AttributeError(name)
