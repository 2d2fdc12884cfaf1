"""Benchmark the instruments of the source texts (issue 12): the model with all of them active
against the same model without them.

Both models are ``bench_model.bench_scenario(20_000, 123)`` (20,000 firms, 122 counties offering
the district package, one coast). "With" adds: the firm traits (cash per mu, plot ratio,
intensity spread, growth), an entry standard and an anchor deal in the district package, and
industrial real estate (with the district's rebates) in every second county. Prints progress,
then one JSON object on the last line:

* ``year_ms_without`` / ``year_ms_with``: median wall time of ``model.step()`` over the measured
  years after two warm-up years (``_min``: the best year), and their ratio ``year_ratio``;
* ``ns_per_firm_region_without`` / ``_with``: :func:`clustersim.choice.choose` per firm and
  region on one mini-batch (best of the repetitions), and ``decision_ratio``;
* ``profiles_with``: profiles of that batch (firms with equal instrument keys) with the instruments.

Usage: ``python benchmarks/bench_texts.py [--quick] [--cash-grid G] [--no-cash]`` (the liquidity
classes, ``cash_grid`` wan/mu apart, multiply the number of profiles the kernel lays out).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_model import bench_scenario, decision_batch, machine, timed

from clustersim.choice import _Batch, choose
from clustersim.model import ClusterModel
from clustersim.params import Scenario

IRE = {"use": "clustersim.instruments.industrial_real_estate:IndustrialRealEstate"}
ENTRY = {"use": "clustersim.instruments.entry_standard:EntryStandard", "min_intensity": 240.0, "min_plot_ratio": 1.0}
ANCHOR = {"use": "clustersim.instruments.anchor:AnchorDeal", "sector": "materials", "capital": 200000.0,
          "productivity": 2.0, "year": 1, "land_award": 20.0, "award": 30000.0, "rebate_share": 1.0,
          "rebate_years": 8}


def with_instruments(sc: Scenario, cash_grid: float = 5.0, cash: bool = True) -> Scenario:
    data = sc.model_dump()
    data["firms"]["traits"] = {"cash_median": 50.0 if cash else None, "cash_sigma": 0.6, "cash_grid": cash_grid,
                               "plant_cost": 60.0,
                               "plot_ratio_median": 1.1, "plot_ratio_sigma": 0.2, "intensity_sigma": 0.15,
                               "growth_mean": 0.05, "growth_sigma": 0.06, "growth_max": 0.3}
    district = data["packages"]["district"]
    district["instruments"] = [ENTRY, ANCHOR]
    data["packages"]["ire"] = {"rebate_schedule": district["rebate_schedule"], "instruments": [IRE, ENTRY]}
    counties = data["geography"]["counties"]
    width = max(2, len(str(counties)))
    data["regions"] = [{"name": f"county_{k:0{width}d}", "package": "ire"} for k in range(2, counties + 1, 2)]
    return Scenario.model_validate(data)


def measure(sc: Scenario, years: int, repeat: int) -> dict:
    m = ClusterModel(sc, seed=0).run(2)
    cs, f = decision_batch(m)
    u = np.random.default_rng(0).random(f.n)
    fast = timed(lambda: choose(cs, f, u), repeat)
    profiles = int(_Batch(cs, f).profile.max()) + 1
    wall = []
    for _ in range(years):
        t0 = time.perf_counter()
        m.step()
        wall.append(time.perf_counter() - t0)
    return {"year_ms": statistics.median(wall) * 1e3, "year_ms_min": min(wall) * 1e3,
            "ns_per_firm_region": fast["min"] / (f.n * cs.n_regions) * 1e9, "profiles": profiles,
            "firms": int(m.regions.firms.sum())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer years and repetitions")
    ap.add_argument("--cash-grid", type=float, default=5.0, help="firms.traits.cash_grid (wan/mu) of 'with'")
    ap.add_argument("--no-cash", action="store_true", help="'with' without the liquidity trait")
    args = ap.parse_args()
    years, repeat = (3, 5) if args.quick else (8, 20)
    base = bench_scenario(20_000, 123)
    out: dict = {"quick": args.quick}
    out.update(cash_grid=args.cash_grid, cash=not args.no_cash)
    for label, sc in (("without", base), ("with", with_instruments(base, args.cash_grid, not args.no_cash))):
        print(f"{label} the instruments ...", flush=True)
        r = measure(sc, years, repeat)
        print(f"  year_ms = {r['year_ms']:.1f}, ns_per_firm_region = {r['ns_per_firm_region']:.2f}", flush=True)
        out.update({f"{k}_{label}": v for k, v in r.items()})
    out["year_ratio"] = out["year_ms_with"] / out["year_ms_without"]
    out["decision_ratio"] = out["ns_per_firm_region_with"] / out["ns_per_firm_region_without"]
    out["machine"] = machine()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
