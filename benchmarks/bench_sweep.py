"""Sweep runner speed: throughput on 1 and 2 workers, Dask against the local pool, runner overhead.

    python benchmarks/bench_sweep.py [--replicates R] [--quick]

Runs the same experiment (the held package, full size: about 0.2 s a run, over a 2 x 2 grid of
subsidy depth x fee level, R replicates) four ways, each a complete ``run_sweep`` into a fresh
folder, its clock started before the call and stopped after it (so pool or cluster start-up
counts):

1. in this process (``--workers 1``), after one warm-up run (the first run of a process pays
   ~0.5 s of lazy imports, which pool workers pay before their first task instead);
2. the local pool with 2 workers (cold: its fork server starts and imports clustersim inside the clock);
3. a Dask LocalCluster with 2 workers (cold: the cluster starts inside the clock);
4. the local pool again (warm: the fork server is already up), for the steady-state overhead.

Prints one JSON object on its last line: runs_per_s_1_worker, runs_per_s_2_workers,
speedup_2_workers (wall 1 / wall 2, target >= 1.8), dask_over_local (wall 3 / wall 2,
target <= 1.15), runner_overhead (wall x workers / sum of the runs' model_seconds - 1 for
sweep 2, target <= 0.05) and runner_overhead_warm (the same for sweep 4). Targets are for 2 cores.

Start-up is a fixed cost (about 1.2 s for the local pool's fork server to import clustersim, about
2.5 s for a Dask LocalCluster), so the cold figures depend on the sweep's length: the default,
400 runs of about 0.2 s (about 40 s on 2 workers, as long as the demo sweep), is a small real
sweep; ``--replicates 30`` (120 runs, 12 s) shows start-up at its most visible.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"speedup_2_workers": 1.8, "dask_over_local": 1.15, "runner_overhead": 0.05}

EXPERIMENT = """
name = "bench"
base_scenario = "{base}"
replicates = {replicates}
sweep_seed = 11
outcomes = ["took_off", "final_share", "net_fiscal_return"]

[design]
kind = "grid"

[levers.depth]
parameter = "focal.subsidy_depth"
values = [1.0, 2.0]

[levers.fee]
parameter = "focal.fee_rate"
values = [0.01, 0.03]
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicates", type=int, default=100,
                    help="replicates per point (4 points; default 100: 400 runs, about as long as the demo sweep)")
    ap.add_argument("--quick", action="store_true", help="8 replicates (32 runs): a smoke test, noisy figures")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask sweep")
    args = ap.parse_args()
    replicates = 8 if args.quick else args.replicates

    from clustersim.sweep.design import build_design
    from clustersim.sweep.experiment import load_experiment
    from clustersim.sweep.runner import run_point, run_sweep

    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        tmp = Path(tmp)
        path = tmp / "bench.toml"
        path.write_text(EXPERIMENT.format(base=REPO / "scenarios" / "held_package.toml", replicates=replicates),
                        encoding="utf-8")
        exp = load_experiment(path)
        # validation cost of a long value list (every value is applied to the base scenario)
        long_values = ", ".join(f"{0.1 * k:.1f}" for k in range(50))
        long_path = tmp / "long.toml"
        long_text = path.read_text(encoding="utf-8").replace("values = [1.0, 2.0]", f"values = [{long_values}]")
        long_path.write_text(long_text, encoding="utf-8")
        t0 = time.perf_counter()
        load_experiment(long_path)
        load_ms_50_values = (time.perf_counter() - t0) * 1000
        design = build_design(exp)
        run_point(exp, design.runs.iloc[0].to_dict())  # warm-up: lazy imports of a process's first run

        def sweep(label: str, **kwargs) -> dict:
            t0 = time.perf_counter()
            s = run_sweep(exp, tmp / label, progress=False, **kwargs)
            wall = time.perf_counter() - t0
            assert s.failed == 0, f"{label}: {s.failed} runs failed"
            row = {"wall_s": round(wall, 3), "model_s": round(s.model_seconds, 3), "workers": s.workers,
                   "overhead": round(wall * s.workers / s.model_seconds - 1, 4)}
            print(f"{label:<14} {s.runs} runs  wall {wall:6.2f} s  model {s.model_seconds:6.2f} s  "
                  f"overhead {row['overhead']:+.3f}", flush=True)
            return row

        one = sweep("in-process", workers=1)
        two = sweep("local-2", workers=2)
        dask = None if args.no_dask else sweep("dask-2", workers=2, backend="dask")
        warm = sweep("local-2-warm", workers=2)

    n = len(design.runs)
    result = {
        "runs": n,
        "cpu_count": os.cpu_count(),
        "seconds_per_run_in_process": round(one["model_s"] / n, 4),
        "load_experiment_ms_50_values": round(load_ms_50_values, 1),
        "runs_per_s_1_worker": round(n / one["wall_s"], 3),
        "runs_per_s_2_workers": round(n / two["wall_s"], 3),
        "speedup_2_workers": round(one["wall_s"] / two["wall_s"], 3),
        "dask_over_local": None if dask is None else round(dask["wall_s"] / two["wall_s"], 3),
        "runner_overhead": two["overhead"],
        "runner_overhead_warm": warm["overhead"],
        "speedup_2_workers_warm": round(one["wall_s"] / warm["wall_s"], 3),
        "sweeps": {"in_process": one, "local_2": two, "dask_2": dask, "local_2_warm": warm},
        "targets": {k: f"{'>=' if k == 'speedup_2_workers' else '<='} {v}" for k, v in TARGETS.items()},
    }
    result["met"] = {
        "speedup_2_workers": result["speedup_2_workers"] >= TARGETS["speedup_2_workers"],
        "dask_over_local": None if dask is None else result["dask_over_local"] <= TARGETS["dask_over_local"],
        "runner_overhead": result["runner_overhead"] <= TARGETS["runner_overhead"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
