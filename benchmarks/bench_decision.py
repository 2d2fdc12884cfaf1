"""Benchmark the two halves of one mini-batch's decision: the batch's set-up and the kernel.

On the mini-batch of ``bench_model.decision_batch`` (20,000 firms, 123 regions, after two years),
with or without the instruments of ``bench_texts.with_instruments`` (firm traits with cash
classes ``--cash-grid`` wan/mu apart, which multiply the profiles; entry standards, an anchor
deal, industrial real estate). Prints one JSON object on the last line, ns per firm and region:

* ``kernel_min`` / ``kernel_cpu``: :meth:`clustersim.choice._Batch.logit_picks` on a built batch
  (the compiled kernel and numpy's ``exp``): best wall time and median CPU time of the repetitions;
* ``setup_min`` / ``setup_cpu``: building the batch (:class:`clustersim.choice._Batch`: the
  per-firm set-up, the profiles, the instruments' terms, refusals and stay values, the layout);
* ``profiles``: profiles of the batch (firms with equal instrument keys).

Runs on any commit that has ``_Batch.logit_picks`` (copy it into an older commit's
``benchmarks`` folder with ``PYTHONPATH`` naming that code, alternating old and new).

Usage: ``python benchmarks/bench_decision.py [--cash-grid G] [--repeat N]`` (``--cash-grid 0``:
without the instruments).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_model import bench_scenario, decision_batch, machine, timed
from bench_texts import with_instruments

from clustersim.choice import _Batch
from clustersim.model import ClusterModel


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cash-grid", type=float, default=5.0, help="firms.traits.cash_grid (wan/mu); 0: no instruments")
    ap.add_argument("--repeat", type=int, default=60, help="repetitions of each half")
    args = ap.parse_args()
    base = bench_scenario(20_000, 123)
    sc = base if args.cash_grid == 0 else with_instruments(base, args.cash_grid)
    m = ClusterModel(sc, seed=0).run(2)
    cs, f = decision_batch(m)
    u = np.random.default_rng(0).random(f.n)
    cells = f.n * cs.n_regions
    batch = _Batch(cs, f)
    rule = cs.decision_rule
    kernel = timed(lambda: batch.logit_picks(u, rule), args.repeat)
    setup = timed(lambda: _Batch(cs, f), args.repeat)
    per_cell = 1e9 / cells
    print(json.dumps({"cash_grid": args.cash_grid, "deciders": f.n, "regions": cs.n_regions,
                      "profiles": int(batch.profile.max()) + 1,
                      "kernel_min": kernel["min"] * per_cell, "kernel_cpu": kernel["cpu"] * per_cell,
                      "setup_min": setup["min"] * per_cell, "setup_cpu": setup["cpu"] * per_cell,
                      "machine": machine()}))


if __name__ == "__main__":
    main()
