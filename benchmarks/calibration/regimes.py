"""Measure the three regime properties of the reference design (docs/reference_design.md §9) for the current
defaults (or overrides).

1. onset: the counties' share of all firms in years 3, 5, 8 and 15 of the no-incentive baseline;
2. path dependence: over seeds, which county leads (by employment) in year 30, and the
   distribution of the largest county's share of county employment;
3. focal take-off: the focal county offers a district-style package (land tiers + rebates,
   held ``--duration`` years from year 1; ``--package key=value`` changes it) at subsidy depth D
   with fee rate f; take-off is :func:`clustersim.metrics.take_off` on its share of county
   employment under the scenario's take-off rule (default: threshold 0.15, held in the last 5 of
   40 years, all after its incentives ended), also reported at ``--thresholds``.

Usage (2 worker processes)::

    .venv/bin/python benchmarks/calibration/regimes.py                      # defaults
    .venv/bin/python benchmarks/calibration/regimes.py --set agglomeration.localisation=0.05
    .venv/bin/python benchmarks/calibration/regimes.py --seeds 20 --skip-focal
    .venv/bin/python benchmarks/calibration/regimes.py --package fee_waiver=1.0 --package fee_waiver_years=5

``--set path=value`` and ``--package key=value`` (repeatable) take values as ``clustersim run
--set`` does (:func:`clustersim.arguments.parse_assignments`: TOML where possible, else a bare string).
"""

from __future__ import annotations

import argparse
import json
import time
import tomllib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from clustersim import metrics, outputs
from clustersim.arguments import parse_assignments
from clustersim.model import ClusterModel
from clustersim.params import Scenario
from clustersim.scenario import apply_overrides

#: the district land tiers and rebates, as in scenarios/held_package.toml (its duration is overridden)
DISTRICT_PACKAGE = tomllib.loads(
    (Path(__file__).resolve().parents[2] / "scenarios" / "held_package.toml").read_text())["packages"]["held_district"]


def scenario(overrides: dict[str, object] | None = None) -> Scenario:
    """Default scenario with dotted-path overrides (e.g. ``{"choice.theta": 0.1}``)."""
    return apply_overrides(Scenario(), overrides or {})


def focal_scenario(base: dict[str, object], depth: float, fee: float, duration: int,
                   focal: str, package: dict[str, object] | None = None) -> Scenario:
    """The focal county offers the district package (with ``package`` overrides) at ``depth``
    and charges ``fee``."""
    return apply_overrides(scenario(base), {
        "packages": {"focal": {**DISTRICT_PACKAGE, **(package or {}), "duration_years": duration}},
        "focal_county": focal,
        "regions": [{"name": focal, "package": "focal", "subsidy_depth": depth, "fee_rate": fee}],
    }, source="focal_scenario")


def baseline_run(args: tuple[dict, int, int]) -> dict[str, object]:
    base, seed, years = args
    m = ClusterModel(scenario(base), seed=seed).run(years)
    df = m.model_frame()
    county_share = (df["firms_in_counties"] / df["firms"]).to_numpy()
    r = m.regions
    leader, largest = metrics.largest_share(r.employment[r.is_county])
    counties = [n for n, c in zip(r.names, r.is_county, strict=True) if c]
    return {"seed": seed, "onset": {y: float(county_share[y]) for y in (3, 5, 8, 15) if y < len(df)},
            "leader": counties[leader] if leader >= 0 else None, "largest_share": largest,
            "origin_share": float(df["origin_share"].iloc[-1])}


def focal_run(args: tuple[dict, float, float, int, str, int, int, dict]) -> dict[str, object]:
    base, depth, fee, duration, focal, seed, years, package = args
    m = ClusterModel(focal_scenario(base, depth, fee, duration, focal, package), seed=seed).run(years)
    t = outputs.focal_take_off(m)
    share = m.model_frame()["focal_share"].to_numpy()
    hold = m.config.take_off.hold_years
    r = m.regions
    emp = r.employment[r.is_county]
    # hold_min: the share the focal held in every one of the last hold_years years, so that
    # take-off at another threshold x is ``observable and hold_min >= x``
    return {"depth": depth, "fee": fee, "duration": duration, "seed": seed, "took_off": t.took_off,
            "observable": t.observable, "final_share": t.final_share,
            "hold_min": float(share[-hold:].min()),
            "focal_rank": int((emp > r.employment[m.focal]).sum()),
            "focal_balance": float(r.balance[m.focal])}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", action="append", default=[], help="dotted.path=value override")
    ap.add_argument("--seeds", type=int, default=12)
    ap.add_argument("--focal-seeds", type=int, default=12)
    ap.add_argument("--focal", default="county_01")
    ap.add_argument("--duration", type=int, default=12)
    ap.add_argument("--depths", default="0,1,2,4")
    ap.add_argument("--fees", default="0.01,0.02,0.04,0.06")
    ap.add_argument("--short-duration", type=int, default=2, help="also run this duration at the top depth")
    ap.add_argument("--skip-focal", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--package", action="append", default=[],
                    help="focal package override key=value, e.g. fee_waiver=1.0")
    ap.add_argument("--thresholds", default="0.1,0.2,0.25,0.3", help="also report take-off at these thresholds")
    ap.add_argument("--json", default=None, help="write every run's result to this file")
    args = ap.parse_args()
    base = parse_assignments(args.set)
    package = parse_assignments(args.package)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        runs = list(pool.map(baseline_run, [(base, s, 30) for s in range(args.seeds)]))
        onset = {y: np.mean([r["onset"][y] for r in runs]) for y in runs[0]["onset"]}
        print("overrides:", base)
        print("onset (county share of firms, mean over seeds):",
              {y: round(float(v), 3) for y, v in onset.items()})
        print("leaders:", dict(Counter(r["leader"] for r in runs)))
        ls = np.array([r["largest_share"] for r in runs])
        print(f"largest county share: mean {ls.mean():.2f} sd {ls.std(ddof=1):.2f} "
              f"min {ls.min():.2f} max {ls.max():.2f}; final origin share "
              f"{np.mean([r['origin_share'] for r in runs]):.2f}")
        if not args.skip_focal:
            depths = [float(d) for d in args.depths.split(",")]
            fees = [float(f) for f in args.fees.split(",")]
            seeds = range(1000, 1000 + args.focal_seeds)
            jobs = [(base, d, f, args.duration, args.focal, s, 40, package)
                    for f in fees for d in depths for s in seeds]
            jobs += [(base, max(depths), fees[0], args.short_duration, args.focal, s, 40, package)
                     for s in seeds]
            res = list(pool.map(focal_run, jobs, chunksize=2))
            table: dict[tuple, list] = {}
            for r in res:
                table.setdefault((r["duration"], r["fee"], r["depth"]), []).append(r)
            thresholds = [float(x) for x in args.thresholds.split(",")] if args.thresholds else []
            print(f"take-off of {args.focal} (n = {args.focal_seeds} seeds per cell; package {package}; "
                  f"also at thresholds {thresholds}; rank 0 = leading county):")
            for key in sorted(table):
                rs = table[key]
                p = np.mean([r["took_off"] for r in rs])
                sh = np.mean([r["final_share"] for r in rs])
                alt = "/".join(f"{np.mean([r['observable'] and r['hold_min'] >= x for r in rs]):.2f}"
                               for x in thresholds)
                lead = np.mean([r["focal_rank"] == 0 for r in rs])
                print(f"  duration {key[0]:2d} fee {key[1]:.3f} depth {key[2]:.1f}: take-off {p:.2f} "
                      f"(se {np.sqrt(p * (1 - p) / len(rs)):.2f}) final share {sh:.2f} at thresholds {alt} "
                      f"leads {lead:.2f}")
            if args.json:
                with open(args.json, "w") as fh:
                    json.dump({"overrides": base, "package": package, "runs": res}, fh)
    print(f"elapsed {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
