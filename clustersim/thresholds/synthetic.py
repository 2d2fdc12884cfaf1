"""Cheap simulators with a known threshold, for testing and benchmarking the search.

``P(success | x) = 1 / (1 + exp(-slope (x - level)))``: the critical level for p = 1/2 is ``level``.
:func:`shouldered_simulator` is a curve that is *not* logistic, shaped like the demo world's take-off
by subsidy depth (docs/thresholds.md): flat shoulders at ``floor`` and ``ceiling`` with a steep rise
between, ``P = floor + (ceiling - floor) / (1 + exp(-slope (x - level)))``; for
``floor + ceiling = 1`` it crosses 1/2 at ``level`` too. Both draw outcomes in memory;
:func:`synthetic_run` is a sweep run function
(``run_fn="clustersim.thresholds.synthetic:synthetic_run"``) that draws one outcome from the run's
seed at the value of the experiment's first factor, so the search can be driven through the sweep
store (crash-safety tests) without running the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["TRUE_LEVEL", "TRUE_SLOPE", "logistic_simulator", "shouldered_simulator", "synthetic_run"]

#: the truth of :func:`synthetic_run` (lever units; slope per lever unit)
TRUE_LEVEL = 1.5
TRUE_SLOPE = 2.0


def probability(x: np.ndarray, level: float, slope: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-slope * (np.asarray(x, float) - level)))


def logistic_simulator(level: float, slope: float) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """``simulate(levels, rng)`` -> 0/1 outcomes with the logistic probability."""

    def simulate(levels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return (rng.random(np.size(levels)) < probability(levels, level, slope)).astype(float)

    return simulate


def shouldered_simulator(
    level: float, slope: float, floor: float = 0.25, ceiling: float = 0.75
) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """``simulate(levels, rng)`` -> 0/1 outcomes with P = floor + (ceiling - floor) expit(slope (x - level))
    (the :class:`~clustersim.thresholds.optimal_design.ShoulderedCurve` of those parameters)."""
    from clustersim.thresholds.optimal_design import ShoulderedCurve

    curve = ShoulderedCurve(floor, ceiling, slope, level)

    def simulate(levels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return (rng.random(np.size(levels)) < curve(levels)).astype(float)

    return simulate


def synthetic_run(exp: Any, row: Mapping[str, Any]) -> dict[str, Any]:
    """One synthetic run: ``took_off`` drawn from the row's seed at its first factor's value."""
    x = float(row[exp.factors[0].name])
    u = np.random.default_rng(int(row["seed"])).random()
    return {"took_off": bool(u < probability(x, TRUE_LEVEL, TRUE_SLOPE))}


def synthetic_slow_run(exp: Any, row: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`synthetic_run` taking 20 ms, so that a test can kill a search part-way through."""
    import time

    time.sleep(0.02)
    return synthetic_run(exp, row)
