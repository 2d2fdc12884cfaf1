"""Adaptive tipping search against a grid and against an oracle design: runs needed for the same precision,
and interval coverage.

    python benchmarks/bench_tipping.py [--quick] [--workers N] [--dense R]

1. **Demo world** (experiments/take_off.toml at the rivals' 2 % fee; the take-off verdict needs no
   counterfactual, so these runs use ``fiscal_baseline = "initial"`` and record only ``took_off``):
   - adaptive: ``clustersim tipping`` on subsidy depth over [0, 4] in batches of 16 until the 95 %
     Fieller half-width of the critical depth is at most 0.25 depth units; ``runs_adaptive`` is the
     runs it used (mean over the repetitions, each with its own sweep seed; ``runs_adaptive_each``);
   - grid: the demo's six depths {0, 0.5, 1, 2, 3, 4} with R replicates each, R = 16, 32, 48, ...
     (each step runs only the new replicates: seeds depend on the point and replicate only) until
     the same half-width is reached; ``runs_grid`` = 6 R at that step (capped at ``--grid-cap``),
     mean over its repetitions (the first sweep seeds of the searches; ``runs_grid_each``).
   ``adaptive_over_grid`` = runs_adaptive / runs_grid (target <= 0.35), with its spread: the delta-method
   SE of the ratio of the two independent means (``adaptive_over_grid_se``) and a 95 % percentile
   bootstrap interval over the repetitions (``adaptive_over_grid_bootstrap_95``). The search varies far
   more between seeds than the grid and costs under half as much, so it gets more repetitions (10
   searches and 3 grids; ``--quick``: 3 and 1, the grid's SE then unknown and left out).
2. **Oracle** (what any design could attain): the true take-off curve is estimated by the logistic
   fit to every run of the benchmark at the 2 % fee (grid and adaptive runs pooled; its goodness of
   fit is reported), or with ``--dense R`` from a separate grid of 12 depths x R replicates. From it:
   ``oracle_runs``, the runs the best two-level design needs for the half-width (any two depths on a
   0.05 grid, any split of the runs; expected-data fit and Fieller half-width, see
   clustersim/thresholds/optimal_design.py); ``bound_runs``, the Cramér–Rao bound with the slope
   known (every run at the critical depth, 4 z² / (b1² h²)); ``grid_runs_expected``, the same
   calculation for the six-depth grid. ``oracle_over_grid`` = oracle_runs / runs_grid (measured),
   ``oracle_over_grid_expected`` = oracle_runs / grid_runs_expected (both from the same curve)
   The same truth with flat shoulders (``shouldered``: a logistic rise between a fitted floor and
   ceiling, ``optimal_design.fit_shouldered``): ``oracle_runs_shouldered`` and
   ``grid_runs_expected_shouldered`` as above under it (the two-parameter fit of the search and the reports);
   ``grid_runs_expected_four_parameter``, the grid when the four-parameter curve is fitted instead (delta
   method, ``optimal_design.shouldered_runs_needed``), and ``four_parameter_designs``, oracle designs for
   that fit (a share of the runs at each end of [0, 4], the rest just below and above the true critical
   depth); and ``location_bound_runs``, the floor under
   every design and model: every run at the level where a run says most about the curve's position,
   everything else about the curve known (``optimal_design.location_bound``);
   ``location_bound_over_grid`` = location_bound_runs / runs_grid.
3. **Coverage** on two synthetic curves over [0, 4], half-width 0.25, both crossing 1/2 at 1.5: the
   logistic P = expit(2 (x - 1.5)) (``coverage``), where the search's model is exact, and a curve with
   flat shoulders like the demo world's, P = 0.25 + 0.5 expit(4 (x - 1.5)) (``coverage_shoulder``),
   where it is not: the share of seeded searches whose 95 % interval covers 1.5, with its binomial
   test p-value (the searches run in a process pool of ``--workers``).

``--quick``: 3 searches, 1 grid and 200 synthetic searches per curve (under ten minutes on 2 idle
cores); the default: 10 searches, 3 grids and 1000 synthetic searches per curve. ``wall_seconds`` is
measured under whatever load the machine has (``load_average`` at start and end);
``idle_seconds_estimate`` = the driver's CPU seconds + (model runs x CPU seconds per run + the coverage
pool's CPU seconds) / workers, what the benchmark would take on idle cores (CPU seconds per run measured
in-process on 24 runs after the timing, since the sweep pool's workers are not children of this process).
Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


#: sweep seeds of the repetitions: the first three are the earlier benchmark's, so its figures stay comparable
SEEDS = [20261128, 7, 11, 13, 17, 19, 23, 29, 31, 37]
DENSE_DEPTHS = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4]
DENSE_SEED = 424242


def write(folder: Path, seed: int, replicates: int, depths: list[float] = DEPTHS) -> Path:
    path = folder / f"bench_{seed}_{replicates}_{len(depths)}.toml"
    path.write_text(
        EXPERIMENT.format(
            base=REPO / "scenarios" / "held_package.toml", replicates=replicates, seed=seed, depths=depths
        ),
        encoding="utf-8",
    )
    return path


def adaptive(folder: Path, seed: int, workers: int, budget: int) -> dict:
    from clustersim.sweep.experiment import load_experiment
    from clustersim.thresholds.search import resolve_search, run_search

    exp = load_experiment(write(folder, seed, 1))
    spec = resolve_search(exp, "subsidy_depth", precision=PRECISION, budget=budget, batch=16)
    r = run_search(exp, spec, folder / f"adaptive_{seed}", workers=workers, progress=False)
    e = r.estimate
    return {
        "runs": r.runs,
        "stopped": r.stopped,
        "x": e.x,
        "ci": list(e.ci_fieller),
        "half_width": e.half_width,
        "levels": r.levels.tolist(),
        "outcomes": r.outcomes.tolist(),
    }


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
            break
    return {
        "runs": 6 * reps,
        "reached": bool(fit is not None and fit.located and fit.half_width <= PRECISION),
        "x": None if fit is None else fit.x,
        "ci": None if fit is None else list(fit.ci_fieller),
        "counts": {float(k): [int(v["sum"]), int(v["count"])] for k, v in g.iterrows()},
    }


def dense(folder: Path, replicates: int, workers: int) -> dict:
    """A separate grid of 12 depths x ``replicates`` at the 2 % fee: counts per depth."""
    from clustersim.sweep.experiment import load_experiment
    from clustersim.sweep.runner import run_sweep
    from clustersim.sweep.store import load_results

    exp = load_experiment(write(folder, DENSE_SEED, replicates, DENSE_DEPTHS))
    run_sweep(exp, folder / "dense", workers=workers, progress=False)
    g = load_results(folder / "dense").groupby("subsidy_depth")["took_off"].agg(["sum", "count"])
    return {float(k): [int(v["sum"]), int(v["count"])] for k, v in g.iterrows()}


def oracle(counts: dict[float, list[int]]) -> dict:
    """Oracle figures from counts per depth (module docstring, 2.)."""
    from clustersim.thresholds.dose_response import Z95, dose_response
    from clustersim.thresholds.optimal_design import (
        fit_shouldered,
        location_bound,
        oracle_two_point,
        runs_needed,
        shouldered_runs_needed,
    )

    x = np.array(sorted(counts), float)
    k = np.array([counts[v][0] for v in x], float)
    n = np.array([counts[v][1] for v in x], float)
    fit = dose_response(x, k, n, increasing=True)
    n_all = n.sum()
    b0, b1 = fit.coef

    def curve(v: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(b0 + b1 * v)))

    fine = np.round(np.linspace(0.0, 4.0, 81), 6)
    depths = np.array(DEPTHS, float)
    best = oracle_two_point(fine, curve(fine), PRECISION)
    grid_expected = runs_needed(depths, np.ones(len(DEPTHS)), curve(depths), PRECISION)
    # without the logistic curve: the best pair of the depths measured with at least 32 runs, at their
    # observed rates (optimistic: the minimum over pairs picks up sampling noise)
    big = n >= 32
    raw = oracle_two_point(x[big], k[big] / n[big], PRECISION)
    # the shouldered truth (floor and ceiling fitted too), and the floor under every design it implies
    sh = fit_shouldered(x, k, n)
    floor_runs, floor_level = location_bound(sh, fine, PRECISION)
    x, k, n = x[big], k[big], n[big]
    return {
        "truth_runs": int(n_all),
        "truth_depth_runs": n.astype(int).tolist(),
        "truth_depths": x.tolist(),
        "truth_rates": (k / n).round(4).tolist(),
        "truth_x50": fit.x,
        "truth_ci": list(fit.ci_fieller),
        "truth_slope": b1,
        "truth_gof_pvalue": fit.gof_pvalue,
        "oracle_runs": best.runs,
        "oracle_levels": list(best.levels),
        "oracle_share_low": best.weight,
        "bound_runs": 4 * Z95**2 / (b1**2 * PRECISION**2),
        "grid_runs_expected": grid_expected,
        "oracle_over_grid_expected": best.runs / grid_expected,
        "shouldered": {
            "floor": sh.floor,
            "ceiling": sh.ceiling,
            "slope": sh.slope,
            "mid": sh.mid,
            "x50": sh.level(0.5),
            "gof_pvalue": sh.gof_pvalue,
        },
        "oracle_runs_shouldered": oracle_two_point(fine, sh(fine), PRECISION).runs,
        "grid_runs_expected_shouldered": runs_needed(depths, np.ones(len(DEPTHS)), sh(depths), PRECISION),
        "grid_runs_expected_four_parameter": shouldered_runs_needed(sh, depths, np.ones(len(DEPTHS)), PRECISION),
        # oracle designs for the four-parameter fit: a share s at each end of [0, 4], the rest at x50 -/+ d
        "four_parameter_designs": [
            {"ends_share_each": s, "spread": d, "runs": shouldered_runs_needed(
                sh, [0.0, 4.0, sh.level() - d, sh.level() + d], [s, s, 0.5 - s, 0.5 - s], PRECISION)}
            for s in (0.025, 0.05, 0.1, 0.2) for d in (0.1, 0.3, 0.6)
        ],
        "location_bound_runs": floor_runs,
        "location_bound_level": floor_level,
        "oracle_runs_observed_rates": raw.runs,
        "oracle_levels_observed_rates": list(raw.levels),
    }


#: the synthetic curves of the coverage checks, both crossing 1/2 at depth 1.5 on [0, 4]: a logistic curve
#: (slope 2), where the model is exact, and one with flat shoulders at 25 % and 75 % and a steep rise
#: between (slope 4), shaped like the demo world's take-off (docs/thresholds.md)
SYNTHETIC = {"": ("logistic", 2.0), "_shoulder": ("shouldered", 4.0)}


def synthetic_search(task: tuple[str, int]) -> tuple[bool, int]:
    from clustersim.thresholds.search import SearchSpec, search_in_memory
    from clustersim.thresholds.synthetic import logistic_simulator, shouldered_simulator

    key, seed = task
    kind, slope = SYNTHETIC[key]
    sim = logistic_simulator(1.5, slope) if kind == "logistic" else shouldered_simulator(1.5, slope)
    spec = SearchSpec(lever="x", low=0.0, high=4.0, precision=PRECISION, budget=1500, batch=16)
    r = search_in_memory(spec, sim, seed=seed)
    lo, hi = r.estimate.interval()
    return bool(lo <= 1.5 <= hi), r.runs


def coverage(searches: int, workers: int) -> dict:
    from concurrent.futures import ProcessPoolExecutor

    from scipy import stats

    tasks = [(key, seed) for key in SYNTHETIC for seed in range(searches)]
    with ProcessPoolExecutor(workers) as pool:
        done = list(pool.map(synthetic_search, tasks, chunksize=max(1, searches // (4 * workers))))
    out: dict = {"synthetic_searches": searches}
    for i, key in enumerate(SYNTHETIC):
        part = done[i * searches : (i + 1) * searches]
        hits = sum(h for h, _ in part)
        runs = [r for _, r in part]
        out[f"coverage{key}"] = hits / searches
        out[f"coverage{key}_pvalue"] = float(stats.binomtest(hits, searches, 0.95).pvalue)
        out[f"synthetic{key}_mean_runs"] = float(np.mean(runs))
    return out


def ratio_spread(adaptive_runs: list[int], grid_runs: list[int], draws: int = 20000) -> dict:
    """The ratio of mean runs with its spread: standard errors of the two means, the delta-method SE
    of their ratio (the two sets of repetitions are independent), and a 95 % percentile bootstrap
    interval (resampling each set of repetitions, fixed seed)."""
    a, g = np.asarray(adaptive_runs, float), np.asarray(grid_runs, float)
    ma, mg = a.mean(), g.mean()
    se_a = a.std(ddof=1) / np.sqrt(a.size) if a.size > 1 else float("nan")
    se_g = g.std(ddof=1) / np.sqrt(g.size) if g.size > 1 else float("nan")
    ratio = ma / mg
    rel = np.sqrt(np.nansum([(se_a / ma) ** 2, (se_g / mg) ** 2]))
    rng = np.random.default_rng(20261206)
    boot = rng.choice(a, (draws, a.size)).mean(1) / rng.choice(g, (draws, g.size)).mean(1)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return {
        "runs_adaptive_se": float(se_a) if a.size > 1 else None,
        "runs_grid_se": float(se_g) if g.size > 1 else None,
        "adaptive_over_grid_se": float(ratio * rel),
        "adaptive_over_grid_bootstrap_95": [float(lo), float(hi)],
    }


def cpu_per_run(folder: Path) -> float:
    """CPU seconds of one run, measured in this process (the pool's workers are not our children):
    two runs at each of the 12 dense depths, one worker."""
    from clustersim.sweep.experiment import load_experiment
    from clustersim.sweep.runner import run_sweep

    exp = load_experiment(write(folder, 99, 2, DENSE_DEPTHS))
    t = time.process_time()
    run_sweep(exp, folder / "cpu", workers=1, progress=False)
    return (time.process_time() - t) / (2 * len(DENSE_DEPTHS))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 searches, 1 grid, 200 synthetic searches per curve")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--grid-cap", type=int, default=1440, help="most grid runs per repetition (default 1440)")
    ap.add_argument(
        "--dense",
        type=int,
        default=0,
        metavar="R",
        help="estimate the true curve from a separate grid of 12 depths x R replicates (default: pool "
        "the benchmark's own runs)",
    )
    args = ap.parse_args()
    # the search varies far more from seed to seed than the grid (SD about 145 against 55 runs in the first
    # three seeds) and costs under half as much, so it gets more repetitions: about sigma / sqrt(cost)
    # each (optimal allocation for the variance of the ratio), i.e. 3-4 searches per grid
    grid_seeds = SEEDS[:1] if args.quick else SEEDS[:3]
    search_seeds = SEEDS[:3] if args.quick else SEEDS[:10]
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    cov = coverage(200 if args.quick else 1000, args.workers)
    adaptive_runs, grid_runs, detail = [], [], []
    pooled: dict[float, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for seed in search_seeds:
            a = adaptive(folder, seed, args.workers, budget=args.grid_cap)
            adaptive_runs.append(a["runs"])
            for level, y in zip(a.pop("levels"), a.pop("outcomes"), strict=True):
                c = pooled.setdefault(round(level, 6), [0, 0])
                c[0], c[1] = c[0] + int(y), c[1] + 1
            detail.append({"seed": seed, "adaptive": a})
            if seed in grid_seeds:
                g = grid(folder, seed, args.workers, args.grid_cap)
                grid_runs.append(g["runs"])
                for level, (k, n) in g.pop("counts").items():
                    c = pooled.setdefault(round(level, 6), [0, 0])
                    c[0], c[1] = c[0] + k, c[1] + n
                detail[-1]["grid"] = g
            print(json.dumps(detail[-1]), file=sys.stderr)
        truth = dense(folder, args.dense, args.workers) if args.dense else pooled
        wall = time.perf_counter() - t0
        cpu_run = cpu_per_run(folder)
    orc = oracle(truth)
    ra, rg = float(np.mean(adaptive_runs)), float(np.mean(grid_runs))
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    driver = me.ru_utime + me.ru_stime - cpu_run * 2 * len(DENSE_DEPTHS)  # fits and batch plans
    model_runs = sum(d["adaptive"]["runs"] + d.get("grid", {}).get("runs", 0) for d in detail)
    model_runs += sum(v[1] for v in truth.values()) if args.dense else 0
    synthetic = kids.ru_utime + kids.ru_stime  # the coverage pool (forked children of this process)
    out = {
        "runs_adaptive": ra,
        "runs_grid": rg,
        "adaptive_over_grid": ra / rg,
        **ratio_spread(adaptive_runs, grid_runs),
        "runs_adaptive_each": adaptive_runs,
        "runs_grid_each": grid_runs,
        "target_ratio": TARGET_RATIO,
        "oracle_over_grid": orc["oracle_runs"] / rg,
        "adaptive_over_oracle": ra / orc["oracle_runs"],
        "location_bound_over_grid": orc["location_bound_runs"] / rg,
        "truth_from": f"dense grid, 12 depths x {args.dense}" if args.dense else "the benchmark's own runs, pooled",
        **orc,
        "grid_reached_precision": all(d["grid"]["reached"] for d in detail if "grid" in d),
        "precision": PRECISION,
        "repetitions": len(search_seeds),
        "repetitions_grid": len(grid_seeds),
        **cov,
        "wall_seconds": wall,
        "cpu_seconds_driver": driver,
        "cpu_seconds_per_run": cpu_run,
        "model_runs": model_runs,
        "cpu_seconds_synthetic": synthetic,
        "idle_seconds_estimate": driver + (model_runs * cpu_run + synthetic) / args.workers,
        "load_average": [load0[0], os.getloadavg()[0]],
        "quick": args.quick,
        "details": detail,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
