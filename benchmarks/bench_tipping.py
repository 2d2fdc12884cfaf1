"""Adaptive tipping search against a grid: runs needed for the same precision, and interval coverage.

    python benchmarks/bench_tipping.py [--quick] [--workers N]

1. **Demo world** (experiments/take_off.toml at the rivals' 2 % fee; the take-off verdict needs no
   counterfactual, so these runs use ``fiscal_baseline = "initial"`` and record only ``took_off``):
   - adaptive: ``clustersim tipping`` on subsidy depth over [0, 4] in batches of 16 until the 95 %
     Fieller half-width of the critical depth is at most 0.25 depth units; ``runs_adaptive`` is the
     runs it used (mean over the repetitions, each with its own sweep seed);
   - grid: the demo's six depths {0, 0.5, 1, 2, 3, 4} with R replicates each, R = 16, 32, 48, ...
     (each step runs only the new replicates: seeds depend on the point and replicate only) until
     the same half-width is reached; ``runs_grid`` = 6 R at that step (capped at ``--grid-cap``).
   ``adaptive_over_grid`` = runs_adaptive / runs_grid (target <= 0.35).
2. **Coverage** on the synthetic simulator (P = expit(2 (x - 1.5)) on [0, 4], half-width 0.25): the
   share of seeded searches whose 95 % interval covers 1.5, with its binomial test p-value.

``--quick``: one repetition and 200 synthetic searches (under ten minutes on 2 idle cores); the
default: three repetitions and 1000 synthetic searches. Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TARGET_RATIO = 0.35
PRECISION = 0.25
DEPTHS = [0, 0.5, 1, 2, 3, 4]

EXPERIMENT = """
name = "bench_tipping"
base_scenario = "{base}"
years = 40
replicates = {replicates}
sweep_seed = {seed}
outcomes = ["took_off"]
fiscal_baseline = "initial"

[levers.subsidy_depth]
parameter = "focal.subsidy_depth"
values = {depths}

[levers.fee_rate]
parameter = "focal.fee_rate"
values = [0.02]
"""


def write(folder: Path, seed: int, replicates: int) -> Path:
    path = folder / f"bench_{seed}_{replicates}.toml"
    path.write_text(EXPERIMENT.format(base=REPO / "scenarios" / "held_package.toml", replicates=replicates, seed=seed,
                                      depths=DEPTHS), encoding="utf-8")
    return path


def adaptive(folder: Path, seed: int, workers: int, budget: int) -> dict:
    from clustersim.sweep.experiment import load_experiment
    from clustersim.thresholds.search import resolve_search, run_search

    exp = load_experiment(write(folder, seed, 1))
    spec = resolve_search(exp, "subsidy_depth", precision=PRECISION, budget=budget, batch=16)
    r = run_search(exp, spec, folder / f"adaptive_{seed}", workers=workers, progress=False)
    e = r.estimate
    return {"runs": r.runs, "stopped": r.stopped, "x": e.x, "ci": list(e.ci_fieller), "half_width": e.half_width}


def grid(folder: Path, seed: int, workers: int, cap: int) -> dict:
    import pandas as pd

    from clustersim.sweep.design import Design, build_design
    from clustersim.sweep.experiment import load_experiment
    from clustersim.sweep.runner import run_sweep
    from clustersim.sweep.store import load_results
    from clustersim.thresholds.dose_response import dose_response

    out = folder / f"grid_{seed}"
    reps, fit, parts = 0, None, []
    while 6 * (reps + 16) <= cap:
        exp = load_experiment(write(folder, seed, reps + 16))
        # replicates reps .. reps + 15 only: a run's id and seed depend on its point and replicate, so
        # these are exactly the new runs of the grid with reps + 16 replicates
        full = build_design(exp)
        new = full.runs[full.runs["replicate"] >= reps].reset_index(drop=True)
        run_sweep(exp, out / f"r{reps}", workers=workers, progress=False, design=Design(new, full.meta))
        parts.append(load_results(out / f"r{reps}"))
        reps += 16
        res = pd.concat(parts, ignore_index=True)
        g = res.groupby("subsidy_depth")["took_off"].agg(["sum", "count"])
        fit = dose_response(g.index.to_numpy(float), g["sum"], g["count"], increasing=True)
        if fit.located and fit.half_width <= PRECISION:
            return {"runs": 6 * reps, "reached": True, "x": fit.x, "ci": list(fit.ci_fieller)}
    return {"runs": 6 * reps, "reached": False, "x": None if fit is None else fit.x,
            "ci": None if fit is None else list(fit.ci_fieller)}


def coverage(searches: int) -> dict:
    from scipy import stats

    from clustersim.thresholds.search import SearchSpec, search_in_memory
    from clustersim.thresholds.synthetic import logistic_simulator

    spec = SearchSpec(lever="x", low=0.0, high=4.0, precision=PRECISION, budget=600, batch=16)
    sim = logistic_simulator(1.5, 2.0)
    hits, runs = 0, []
    for s in range(searches):
        r = search_in_memory(spec, sim, seed=s)
        lo, hi = r.estimate.interval()
        hits += lo <= 1.5 <= hi
        runs.append(r.runs)
    return {"coverage": hits / searches, "coverage_pvalue": float(stats.binomtest(hits, searches, 0.95).pvalue),
            "synthetic_searches": searches, "synthetic_mean_runs": float(np.mean(runs))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one repetition, 200 synthetic searches")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--grid-cap", type=int, default=960, help="most grid runs per repetition (default 960)")
    args = ap.parse_args()
    seeds = [20261128] if args.quick else [20261128, 7, 11]
    t0 = time.perf_counter()
    cov = coverage(200 if args.quick else 1000)
    adaptive_runs, grid_runs, detail = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for seed in seeds:
            a = adaptive(folder, seed, args.workers, budget=args.grid_cap)
            g = grid(folder, seed, args.workers, args.grid_cap)
            adaptive_runs.append(a["runs"])
            grid_runs.append(g["runs"])
            detail.append({"seed": seed, "adaptive": a, "grid": g})
            print(json.dumps(detail[-1]), file=sys.stderr)
    ra, rg = float(np.mean(adaptive_runs)), float(np.mean(grid_runs))
    out = {"runs_adaptive": ra, "runs_grid": rg, "adaptive_over_grid": ra / rg, "target_ratio": TARGET_RATIO,
           "grid_reached_precision": all(d["grid"]["reached"] for d in detail), "precision": PRECISION,
           "repetitions": len(seeds), **cov, "wall_seconds": time.perf_counter() - t0, "quick": args.quick,
           "details": detail}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
