"""The coast's long run: share of firms and employment it keeps, its firms' margin, and the focal
county's take-off, over seeds, for shipped scenarios (docs/calibration.md, "The coast's long run").

Usage::

    .venv/bin/python benchmarks/calibration/coast.py --seeds 10
    .venv/bin/python benchmarks/calibration/coast.py --seeds 10 --set markets.coastal_growth_years=15

For each scenario (default ``baseline`` and ``held_package``, run for 40 years) and seed 0..N-1:
the origin's share of all firms (``origin_share``) and of all employment in years 10/20/30/40, the
median after-tax margin (profit / revenue) of the coast's firms in those years, and the focal
county's take-off under the scenario's rule. Prints a table of seed means and, on the last line,
JSON with every figure.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from clustersim import outputs
from clustersim.arguments import parse_assignments
from clustersim.model import ClusterModel
from clustersim.scenario import apply_overrides, load_scenario

ROOT = Path(__file__).resolve().parents[2]
YEARS = (10, 20, 30, 40)


def coast_margin(m: ClusterModel) -> float:
    """Median after-tax margin (profit / revenue) of the live coastal firms this year (nan: none)."""
    t, r = m.firms, m.regions
    rows = m._placed()
    s, j = t.sector[rows], t.region[rows]
    revenue = m.revenue_per_capital[s] * t.capital[rows] * t.productivity[rows] * m.revenue_factor[s, j]
    coast = r.is_origin[j]
    if not coast.any():
        return float("nan")
    return float(np.median(t.profit[rows][coast] / revenue[coast]))


def one_run(args: tuple[str, dict, int]) -> dict[str, object]:
    name, base, seed = args
    sc = apply_overrides(load_scenario(ROOT / "scenarios" / f"{name}.toml"), {**base, "years": max(YEARS)})
    m = ClusterModel(sc, seed=seed)
    margin = {}
    for _ in range(max(YEARS)):
        m.step()
        if m.year in YEARS:
            margin[m.year] = coast_margin(m)
    df = m.model_frame().set_index("year")
    rf = m.region_frame()
    emp = rf.pivot_table(index="year", columns="region", values="employment")
    origins = [n for n, o in zip(m.regions.names, m.regions.is_origin, strict=True) if o]
    emp_share = emp[origins].sum(axis=1) / emp.sum(axis=1)
    t = outputs.focal_take_off(m)
    return {"scenario": name, "seed": seed, "took_off": bool(t.took_off),
            "firm_share": {y: float(df.loc[y, "origin_share"]) for y in YEARS},
            "job_share": {y: float(emp_share.loc[y]) for y in YEARS},
            "margin": margin}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--scenarios", default="baseline,held_package")
    ap.add_argument("--set", action="append", default=[], help="dotted.path=value override")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    base = parse_assignments(args.set)
    t0 = time.perf_counter()
    jobs = [(name, base, s) for name in args.scenarios.split(",") for s in range(args.seeds)]
    with ProcessPoolExecutor(args.workers) as pool:
        runs = list(pool.map(one_run, jobs))
    summary = {}
    print(f"overrides: {base}; {args.seeds} seeds; seed means")
    for name in args.scenarios.split(","):
        rs = [r for r in runs if r["scenario"] == name]
        row = {
            "firm_share": {y: float(np.mean([r["firm_share"][y] for r in rs])) for y in YEARS},
            "job_share": {y: float(np.mean([r["job_share"][y] for r in rs])) for y in YEARS},
            "margin": {y: float(np.nanmean([r["margin"][y] for r in rs])) for y in YEARS},
            "take_off": float(np.mean([r["took_off"] for r in rs])),
        }
        summary[name] = row
        fmt = lambda d, p="{:.2f}": " / ".join(p.format(d[y]) for y in YEARS)  # noqa: E731
        print(f"  {name}: coast firm share y10/20/30/40 {fmt(row['firm_share'])}; job share "
              f"{fmt(row['job_share'])}; coast margin {fmt(row['margin'], '{:.1%}')}; "
              f"focal take-off {row['take_off']:.2f}")
    shown = {k: str(v) if isinstance(v, float) and not math.isfinite(v) else v for k, v in base.items()}
    print(json.dumps({"overrides": shown, "seeds": args.seeds, "summary": summary, "runs": runs,
                      "elapsed_s": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
