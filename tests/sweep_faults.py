"""Run functions that fail on purpose, for the sweep runner's tests: ``run_fn="sweep_faults:..."``
(pytest puts tests/ on sys.path, and worker processes inherit it).

They are importable by name, so pool and Dask workers can run them. Which run fails is chosen
by the design row (point 0, replicate 1), never at random.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clustersim.sweep.runner import run_point


def _is_victim(row: Mapping[str, Any]) -> bool:
    return row["sample_index"] == 0 and row["replicate"] == 1


def raise_for_one(exp: Any, row: Mapping[str, Any]) -> dict[str, Any]:
    """Every attempt of run (point 0, replicate 1) raises; the others run normally."""
    if _is_victim(row):
        raise ValueError(f"injected failure in {row['run_id']}")
    return run_point(exp, row)


def die_for_one(exp: Any, row: Mapping[str, Any]) -> dict[str, Any]:
    """Every attempt of run (point 0, replicate 1) kills its worker process."""
    if _is_victim(row):
        os._exit(3)
    return run_point(exp, row)


def die_once_for_one(exp: Any, row: Mapping[str, Any]) -> dict[str, Any]:
    """The first attempt of run (point 0, replicate 1) kills its worker; the retry succeeds.
    A marker file next to the experiment file remembers the first death across processes."""
    marker = Path(exp.path).parent / f"died-{row['run_id']}"
    if _is_victim(row) and not marker.exists():
        marker.touch()
        os._exit(3)
    return run_point(exp, row)


def one_thread_or_fail(exp: Any, row: Mapping[str, Any]) -> dict[str, Any]:
    """Raises unless the worker's decisions run on one thread (its pool is one worker per core)."""
    from clustersim.threads import decision_threads

    if decision_threads() != 1:
        raise RuntimeError(f"a sweep worker would use {decision_threads()} decision threads")
    return run_point(exp, row)
