"""Coverage of the calibration's 95 % intervals over many seeded parameter recoveries.

The world and targets are those of ``tests/test_calibration.py`` (3 generated counties, 150
coastal firms, 10 years; coastal wage growth true 0.05 in [0.03, 0.07], localisation true 0.11 in
[0.08, 0.14]; moments: inland share of firms in years 4, 7, 10 and the largest county's employment
share in year 10). Data set k is one run at the true values with seed 90,000 + k, calibrated with
its own common random numbers (sweep seed 1,000 + k; one stage of ``--points`` x ``--replicates``).

Usage::

    .venv/bin/python benchmarks/bench_calibration_coverage.py --datasets 60 --workers 2
    .venv/bin/python benchmarks/bench_calibration_coverage.py --reuse DIR   # re-estimate stored runs only

``--keep DIR`` keeps every data set's runs (``DIR/data<k>/``) so that ``--reuse DIR`` can
re-estimate them (e.g. after changing :mod:`clustersim.calibration.msm`) without running the model.
Prints one line per data set, then one JSON object on the last line: coverage per parameter and
overall, the number of misses and the two-sided binomial test p-value of the misses against the
nominal 5 %, the spread of the estimates against the mean reported SE, and the SD of the
z-scores (estimate - truth) / SE (1 if the SEs are right).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

from clustersim.arguments import parse_assignments
from clustersim.calibration import msm
from clustersim.calibration.commands import calibrate
from clustersim.calibration.moments import measure
from clustersim.calibration.targets import load_targets
from clustersim.scenario import apply_overrides, build_model, load_scenario
from clustersim.sweep.store import load_results

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"
WORLD = {"geography.counties": 3, "firms.initial": 150, "years": 10}
TRUE = {"markets.coastal_wage_growth": 0.05, "agglomeration.localisation": 0.11}
RANGES = {"wage_growth": ("markets.coastal_wage_growth", 0.03, 0.07),
          "localisation": ("agglomeration.localisation", 0.08, 0.14)}
MOMENTS = ["inland_share@4", "inland_share@7", "inland_share@10", "largest_share@10"]


def observed(seed: int, extra: dict[str, object]) -> dict[str, float]:
    model = build_model(apply_overrides(load_scenario(BASELINE), {**WORLD, **extra, **TRUE}), seed=seed)
    model.run()
    return measure(model, MOMENTS)


def targets_text(values: dict[str, float], sweep_seed: int, points: int, replicates: int,
                 extra: dict[str, object]) -> str:
    lines = ['name = "recovery"', f'scenario = "{BASELINE.as_posix()}"', "years = 10", f"sweep_seed = {sweep_seed}",
             "[overrides]", '"geography.counties" = 3', '"firms.initial" = 150',
             *(f'"{key}" = {value!r}' for key, value in extra.items()),
             "[estimation]", f"design_points = {points}", f"replicates = {replicates}", "stages = 1"]
    for name, (path, lo, hi) in RANGES.items():
        lines += [f"[parameters.{name}]", f'parameter = "{path}"', f"range = [{lo}, {hi}]"]
    for name, value in values.items():
        stat, year = name.split("@")
        lines += ["[[moments]]", f'statistic = "{stat}"', f"year = {year}", f"value = {value!r}",
                  'source = "simulated at known parameters (this benchmark)"']
    return "\n".join(lines) + "\n"


def reestimate(folder: Path) -> msm.Estimate:
    """The estimate of a stored one-stage calibration, recomputed from its runs."""
    t = load_targets(folder / "targets.toml")
    names = list(t.parameters)
    lo = np.array([t.parameters[n][1] for n in names])
    hi = np.array([t.parameters[n][2] for n in names])
    moments = [m for m, _, _ in t.moments]
    df = load_results(folder / "out" / "stage1")
    return msm.estimate(names, lo, hi, lo, hi, df[names].to_numpy(float), df["point_id"].to_numpy(),
                        df[moments].to_numpy(float), np.array([v for _, v, _ in t.moments]), moments)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", type=int, default=60)
    ap.add_argument("--points", type=int, default=20)
    ap.add_argument("--replicates", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", default=None, help="keep every data set's runs in this folder")
    ap.add_argument("--reuse", default=None, help="re-estimate the runs kept in this folder (no model runs)")
    ap.add_argument("--set", action="append", default=[], help="dotted.path=value: change the recovery world")
    args = ap.parse_args()
    extra = parse_assignments(args.set)
    t0 = time.perf_counter()
    truth = np.array(list(TRUE.values()))
    root = Path(args.reuse or args.keep or tempfile.mkdtemp(prefix="coverage_"))
    folders = sorted(root.glob("data*"), key=lambda p: int(p.name[4:])) if args.reuse else []
    if not args.reuse:
        for k in range(args.datasets):
            folder = root / f"data{k}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "targets.toml").write_text(
                targets_text(observed(90_000 + k, extra), 1_000 + k, args.points, args.replicates, extra),
                encoding="utf-8")
            calibrate(folder / "targets.toml", folder / "out", workers=args.workers, progress=False)
            folders.append(folder)
    theta, se, low, high = [], [], [], []
    for folder in folders:
        est = reestimate(folder)
        theta.append(est.theta)
        se.append(est.se)
        low.append(est.low)
        high.append(est.high)
        print(f"{folder.name}: estimate {est.theta.round(4).tolist()} se {est.se.round(4).tolist()}", flush=True)
    theta, se, low, high = np.array(theta), np.array(se), np.array(low), np.array(high)
    z = (theta - truth) / se
    hit = (low <= truth) & (truth <= high)
    n, misses = hit.size, int((~hit).sum())
    out = {
        "world": {k: str(v) for k, v in extra.items()}, "datasets": len(folders), "points": args.points,
        "replicates": args.replicates,
        "coverage": {name: float(hit[:, j].mean()) for j, name in enumerate(RANGES)},
        "coverage_all": float(hit.mean()), "misses": misses, "intervals": n,
        "binom_p_two_sided": float(stats.binomtest(misses, n, 0.05).pvalue),
        "sd_estimates": {name: float(theta[:, j].std(ddof=1)) for j, name in enumerate(RANGES)},
        "mean_se": {name: float(se[:, j].mean()) for j, name in enumerate(RANGES)},
        "sd_z": {name: float(z[:, j].std(ddof=1)) for j, name in enumerate(RANGES)},
        "mean_z": {name: float(z[:, j].mean()) for j, name in enumerate(RANGES)},
        "wall_s": round(time.perf_counter() - t0, 1), "runs_kept_in": str(root),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
