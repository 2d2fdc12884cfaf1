"""Search for the cheapest package that works, with optuna.

**Rule.** A package *works* when its take-off probability reaches ``target`` at the ``quantile``
(default 25 %) of the uncertainty sample: the package is tried in ``K`` worlds (a Latin hypercube over
the uncertainties, the same worlds for every package), each ``R`` times; ``p_k`` is the share of the
``R`` runs of world ``k`` that took off, and the robust probability is the ``quantile`` of the
``p_k`` (numpy's ``lower`` method, so it is the share of one world). Among packages that work, the
cheapest has the lowest mean present value of incentives paid (wan, discounted at
:data:`clustersim.optimise.world.DISCOUNT_RATE`).

**Search.** Levers live on a grid (depth in steps, duration in whole years, fee in steps, each
instrument on or off). Optuna's TPE sampler with a constraint (``target - robust probability <= 0``)
proposes packages; every trial is stored in an SQLite study in the output folder as it finishes, so
an interrupted search loses at most the trials in flight and ``resume`` continues where it stopped
(completed trials are never re-run). The search ends with a local check: the chosen package's
one-step-cheaper neighbours (depth one step lower, one year shorter, each instrument off) are
evaluated, and a cheaper neighbour that works replaces it until none does. The reported
``tolerance`` is the largest cost gap between the chosen package and those neighbours: the true
optimum on the continuous levers lies within it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Evaluation", "Levers", "SearchResult", "cheapest_package"]

INSTRUMENTS = ("land", "rebates", "fee_refund", "award")


@dataclass(frozen=True)
class Levers:
    """The grid of packages searched. Depth × face value; duration in years; fee as a share of revenue."""

    depth: tuple[float, float, float] = (0.25, 4.0, 0.25)        # low, high, step
    duration: tuple[int, int] = (4, 16)                           # low, high (years)
    fee: tuple[float, float, float] | None = None                 # low, high, step; None: the county's fee kept
    instruments: tuple[str, ...] = ()                             # instruments the search may switch off

    def __post_init__(self) -> None:
        lo, hi, step = self.depth
        if not (0 <= lo <= hi and step > 0):
            raise ValueError(f"depth = {self.depth}: need 0 <= low <= high and step > 0")
        if not (1 <= self.duration[0] <= self.duration[1]):
            raise ValueError(f"duration = {self.duration}: need 1 <= low <= high")
        unknown = set(self.instruments) - set(INSTRUMENTS)
        if unknown:
            raise ValueError(f"instruments: {sorted(unknown)} unknown; allowed {', '.join(INSTRUMENTS)}")


@dataclass
class Evaluation:
    """What a package yields: per-world take-off shares and the runs' costs (PV of incentives, wan)."""

    params: dict[str, Any]
    world_shares: list[float]
    runs_per_world: int
    costs: list[float]
    robust_p: float = math.nan
    robust_world: int = -1
    pooled_p: float = math.nan
    cost: float = math.nan
    cost_low: float = math.nan
    cost_high: float = math.nan

    def finish(self, quantile: float) -> Evaluation:
        from clustersim.sweep.report import bootstrap_interval

        shares = np.asarray(self.world_shares, float)
        self.robust_p = float(np.quantile(shares, quantile, method="lower"))
        self.robust_world = int(np.flatnonzero(shares == self.robust_p)[0])
        self.pooled_p = float(shares.mean())
        # the report's interval of a mean (bootstrap percentile: never below 0 for a cost)
        self.cost, self.cost_low, self.cost_high, _n = bootstrap_interval(np.asarray(self.costs, float))
        if len(self.costs) == 1:  # a deterministic evaluator: one exact cost
            self.cost_low = self.cost_high = self.cost
        return self


Evaluator = Callable[[Mapping[str, Any]], Evaluation]


@dataclass
class SearchResult:
    target: float
    quantile: float
    best: Evaluation | None
    tolerance: float
    trials: list[Evaluation] = field(default_factory=list)
    neighbours: list[Evaluation] = field(default_factory=list)
    critical_depth: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "quantile": self.quantile, "tolerance": self.tolerance,
                "critical_depth": self.critical_depth,
                "best": None if self.best is None else asdict(self.best),
                "trials": [asdict(t) for t in self.trials], "neighbours": [asdict(t) for t in self.neighbours]}


def _suggest(trial, levers: Levers) -> dict[str, Any]:
    lo, hi, step = levers.depth
    params: dict[str, Any] = {"depth": trial.suggest_float("depth", lo, hi, step=step),
                              "duration": trial.suggest_int("duration", *levers.duration)}
    if levers.fee is not None:
        flo, fhi, fstep = levers.fee
        params["fee"] = trial.suggest_float("fee", flo, fhi, step=fstep)
    for name in levers.instruments:
        params[f"use_{name}"] = trial.suggest_categorical(f"use_{name}", [True, False])
    return params


def _cheaper_neighbours(params: Mapping[str, Any], levers: Levers) -> list[dict[str, Any]]:
    out = []
    if params["depth"] - levers.depth[2] >= levers.depth[0] - 1e-9:
        out.append({**params, "depth": round(params["depth"] - levers.depth[2], 10)})
    if params["duration"] - 1 >= levers.duration[0]:
        out.append({**params, "duration": params["duration"] - 1})
    for name in levers.instruments:
        if params.get(f"use_{name}"):
            out.append({**params, f"use_{name}": False})
    return out


def cheapest_package(evaluate: Evaluator, levers: Levers, *, target: float, quantile: float = 0.25,
                     trials: int = 40, out: Path | None = None, seed: int = 0,
                     progress: Callable[[int, int], None] | None = None) -> SearchResult:
    """Search ``levers`` for the cheapest package whose robust take-off probability reaches ``target``
    (module docstring). ``out``: folder of the SQLite study (resumable); None keeps it in memory."""
    import optuna

    if not 0 < target <= 1 or not 0 <= quantile <= 1:
        raise ValueError(f"target = {target}, quantile = {quantile}: need 0 < target <= 1, 0 <= quantile <= 1")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        storage = f"sqlite:///{out / 'study.db'}"
    # optuna >= 5: constraints set on the trial (Trial.set_constraint) steer the TPE sampler
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(8, trials))
    study = optuna.create_study(study_name="cheapest_package", storage=storage, sampler=sampler,
                                direction="minimize", load_if_exists=True)
    cache: dict[str, Evaluation] = {}
    for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        cache[_key(t.params)] = Evaluation(**t.user_attrs["evaluation"])

    def measure(params: Mapping[str, Any]) -> Evaluation:
        key = _key(params)
        if key not in cache:
            cache[key] = evaluate(params).finish(quantile)
        return cache[key]

    def objective(trial) -> float:
        ev = measure(_suggest(trial, levers))
        trial.set_user_attr("evaluation", asdict(ev))
        trial.set_constraint("take_off", target - ev.robust_p)  # feasible when <= 0
        return ev.cost

    done = len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)))
    for i in range(max(trials - done, 0)):
        study.optimize(objective, n_trials=1)
        if progress is not None:
            progress(done + i + 1, trials)
    evaluated = list(cache.values())
    feasible = [e for e in evaluated if e.robust_p >= target]
    best = min(feasible, key=lambda e: e.cost) if feasible else None
    neighbours: list[Evaluation] = []
    while best is not None:
        near = [measure(p) for p in _cheaper_neighbours(best.params, levers)]
        neighbours = near
        better = [e for e in near if e.robust_p >= target and e.cost < best.cost]
        if not better:
            break
        best = min(better, key=lambda e: e.cost)
    tolerance = max((abs(best.cost - e.cost) for e in neighbours), default=0.0) if best is not None else math.nan
    result = SearchResult(target=target, quantile=quantile, best=best, tolerance=tolerance,
                          trials=list(cache.values()), neighbours=neighbours)
    result.critical_depth = critical_depth(result)
    return result


def critical_depth(result: SearchResult) -> dict[str, Any] | None:
    """The depth at which the chosen package's robust world reaches the target, from the threshold
    tools' dose-response fit (:func:`clustersim.thresholds.dose_response`, Fieller interval) over
    every evaluated package that differs from the chosen one only in depth. None without run counts
    (an exact evaluator) or without a chosen package."""
    from clustersim.thresholds import dose_response

    best = result.best
    if best is None or best.runs_per_world <= 0:
        return None
    others = {k: v for k, v in best.params.items() if k != "depth"}
    same = [e for e in result.trials if {k: v for k, v in e.params.items() if k != "depth"} == others]
    world = best.robust_world
    levels = [e.params["depth"] for e in same]
    k = [round(e.world_shares[world] * e.runs_per_world) for e in same]
    n = [e.runs_per_world for e in same]
    fit = dose_response(levels, k, n, p=result.target, increasing=True)
    lo, hi = fit.interval()
    return {"x": fit.x, "low": lo, "high": hi, "status": fit.status, "message": fit.message, "text": fit.text(),
            "world": world, "levels": sorted(set(levels))}


def _key(params: Mapping[str, Any]) -> str:
    return repr(sorted((k, round(v, 10) if isinstance(v, float) else v) for k, v in params.items()))


def frontier(evaluations: Sequence[Evaluation]) -> list[Evaluation]:
    """The cost-probability frontier: packages no other package beats on both cost (lower) and robust
    take-off probability (higher), by cost."""
    ordered = sorted(evaluations, key=lambda e: (e.cost, -e.robust_p))
    out, best_p = [], -1.0
    for e in ordered:
        if e.robust_p > best_p:
            out.append(e)
            best_p = e.robust_p
    return out
