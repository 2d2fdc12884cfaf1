"""``clustersim calibrate TARGETS``: estimate parameters by simulated moments, in stages that
are ordinary sweeps (any backend, crash-safe, ``--resume``-able), and write the estimates with
intervals, the fit of every moment and the identification report.

Stage s runs a Latin hypercube of ``design_points`` points x ``replicates`` common-random-number
replicates in a box (stage 1: the parameters' ranges; later stages: the previous estimate ± the
larger of 3 standard errors and 10 % of the range, within the ranges) into ``OUT/stage<s>/``, then
fits :func:`clustersim.calibration.msm.estimate`. A stage's design depends only on the results of
the stages before it, so a resumed calibration rebuilds the same designs and runs only what is
missing. Results: ``OUT/estimates.csv``, ``fit.csv``, ``sensitivity.csv``, ``calibration.json``
and ``report.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clustersim.calibration.targets import Targets, load_targets
from clustersim.scenario import ScenarioError

if TYPE_CHECKING:
    from clustersim.calibration import msm

RUN_FN = "clustersim.calibration.moments:simulate"


@dataclass
class Calibration:
    targets: Targets
    estimate: msm.Estimate
    stages: list[dict[str, Any]]
    runs: int
    wall_seconds: float


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as a TOML value")


def stage_experiment_text(t: Targets, stage: int, box: dict[str, tuple[float, float]]) -> str:
    lines = [f"name = {_toml_value(f'{t.name}_stage{stage}')}",
             f"base_scenario = {_toml_value(t.scenario.as_posix())}",
             f"years = {t.years}", f"replicates = {t.replicates}",
             f"sweep_seed = {t.sweep_seed + stage}",
             'outcomes = ["final_share"]  # replaced by the moments (clustersim.calibration.commands)', "",
             "[overrides]"]
    lines += [f"{_toml_value(k)} = {_toml_value(v)}" for k, v in t.overrides.items()]
    lines += ["", "[design]", 'kind = "lhs"', f"samples = {t.design_points}"]
    for name, (path, *_rest, label) in t.parameters.items():
        lo, hi = box[name]
        lines += ["", f"[uncertainties.{name}]", f"parameter = {_toml_value(path)}",
                  f"range = [{lo!r}, {hi!r}]", f"label = {_toml_value(label)}"]
    return "\n".join(lines) + "\n"


def _stage_experiment(t: Targets, stage: int, box: dict[str, tuple[float, float]], out: Path):
    from clustersim.outputs import write_bytes_atomic
    from clustersim.sweep.experiment import load_experiment

    path = out / f"stage{stage}.toml"
    write_bytes_atomic(stage_experiment_text(t, stage, box).encode("utf-8"), path)
    try:
        exp = load_experiment(path)
    except ScenarioError as err:  # a parameter path or range of the targets file
        field = err.field.replace("uncertainties.", "parameters.", 1)
        raise ScenarioError(t.path, field, err.value, err.allowed) from None
    return dataclasses.replace(exp, outcomes=tuple(m for m, _, _ in t.moments))


def calibrate(targets: Targets | str | Path, out: Path, *, workers: int | None = None, backend: str = "local",
              scheduler: str | None = None, resume: bool = False, progress: bool = True) -> Calibration:
    from clustersim.sweep.runner import run_sweep
    from clustersim.sweep.store import load_results

    t0 = time.perf_counter()
    t = targets if isinstance(targets, Targets) else load_targets(targets)
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not resume:
        raise ScenarioError(out, "--out", allowed="folder exists and is not empty: add --resume to finish a "
                                                  "calibration, or choose another --out folder")
    out.mkdir(parents=True, exist_ok=True)
    names = list(t.parameters)
    full_lo = np.array([t.parameters[n][1] for n in names])
    full_hi = np.array([t.parameters[n][2] for n in names])
    box = {n: (t.parameters[n][1], t.parameters[n][2]) for n in names}
    target = np.array([v for _, v, _ in t.moments])
    moments = [m for m, _, _ in t.moments]
    stages, runs, est = [], 0, None
    for stage in range(1, t.stages + 1):
        exp = _stage_experiment(t, stage, box, out)
        summary = run_sweep(exp, out / f"stage{stage}", workers=workers, backend=backend, scheduler=scheduler,
                            resume=resume, progress=progress, run_fn=RUN_FN)
        if summary.failed:
            raise ScenarioError(out / f"stage{stage}", "runs", summary.failed,
                                "runs failed (see their error column); fix the cause and rerun with --resume")
        df = load_results(out / f"stage{stage}")
        lo = np.array([box[n][0] for n in names])
        hi = np.array([box[n][1] for n in names])
        from clustersim.calibration import msm  # scipy's optimisers and stats, only when a stage is fitted

        try:
            est = msm.estimate(names, lo, hi, full_lo, full_hi, df[names].to_numpy(float),
                               df["point_id"].to_numpy(), df[moments].to_numpy(float), target, moments)
        except msm.ConstantMoment as err:
            raise ScenarioError(t.path, "moments", ", ".join(err.moments),
                                f"take the same value in every run of stage {stage} (between {err.low:g} and "
                                f"{err.high:g}): the model does not move them in these parameter ranges; widen the "
                                "ranges, or choose other moments or parameters") from None
        runs += len(df)
        stages.append({"stage": stage, "box": {n: list(box[n]) for n in names}, "runs": len(df),
                       "ran_now": summary.ran, "wall_seconds": summary.wall_seconds,
                       "estimate": dict(zip(names, est.theta.tolist(), strict=True)),
                       "se": dict(zip(names, est.se.tolist(), strict=True))})
        half = np.maximum(3 * np.where(np.isfinite(est.se), est.se, np.inf), 0.1 * (full_hi - full_lo))
        new_lo = np.maximum(full_lo, est.theta - half)
        new_hi = np.minimum(full_hi, est.theta + half)
        box = {n: (float(a), float(b)) for n, a, b in zip(names, new_lo, new_hi, strict=True)}
    assert est is not None
    result = Calibration(targets=t, estimate=est, stages=stages, runs=runs, wall_seconds=time.perf_counter() - t0)
    write_results(result, out)
    return result


def write_results(c: Calibration, out: Path) -> None:
    from clustersim.outputs import write_bytes_atomic, write_json

    est, t = c.estimate, c.targets
    table = pd.DataFrame(est.table())
    table.insert(1, "path", [t.parameters[n][0] for n in est.names])
    table.insert(2, "range_low", [t.parameters[n][1] for n in est.names])
    table.insert(3, "range_high", [t.parameters[n][2] for n in est.names])
    fit = pd.DataFrame(est.fit())
    fit["source"] = [s for _, _, s in t.moments]
    sens = pd.DataFrame(est.sensitivity, index=est.moments, columns=est.names).rename_axis("moment").reset_index()
    for name, df in (("estimates.csv", table), ("fit.csv", fit), ("sensitivity.csv", sens)):
        write_bytes_atomic(df.to_csv(index=False).encode("utf-8"), out / name)
    write_json({"targets": str(t.path), "name": t.name, "runs": c.runs, "wall_seconds": c.wall_seconds,
                "replicates": est.replicates, "estimates": est.table(), "fit": est.fit(),
                "unfitted_moments": [{"moment": m, "source": s} for m, s in t.unfitted],
                "j_statistic": est.j_stat, "j_df": est.j_df, "j_pvalue": est.j_pvalue,
                "sensitivity": sens.to_dict(orient="records"), "stages": c.stages, **est.extra},
               out / "calibration.json")
    write_bytes_atomic(report_text(c, table, fit, sens).encode("utf-8"), out / "report.md")


def _md(df: pd.DataFrame, floatfmt: str = ".4g") -> str:
    cols = list(df.columns)
    rows = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for _, r in df.iterrows():
        rows.append("| " + " | ".join(format(v, floatfmt) if isinstance(v, float) else str(v) for v in r) + " |")
    return "\n".join(rows)


def report_text(c: Calibration, table: pd.DataFrame, fit: pd.DataFrame, sens: pd.DataFrame) -> str:
    est, t = c.estimate, c.targets
    lines = [f"# Calibration: {t.name}", "", t.description, "",
             f"Method of simulated moments on a quadratic response surface, {len(c.stages)} stage(s), "
             f"{c.runs} runs ({est.replicates} common-random-number replicates per design point), "
             f"{c.wall_seconds:.0f} s. Intervals: estimate ± 1.96 SE, SE from the MSM sandwich "
             "A((1 + 1/R)Σ + V)A' (see clustersim/calibration/msm.py).", "",
             "## Estimates", "", _md(table), "",
             "## Fit of every moment", "",
             "z = (simulated − target) / (sd of one run × √(1 + 1/R)).", "", _md(fit), ""]
    if est.j_stat is not None:
        lines += [f"Overidentification: J = {est.j_stat:.3g} on {est.j_df} df, p = {est.j_pvalue:.3g}.", ""]
    elif len(est.moments) < len(est.names):
        lines += [f"Under-identified: {len(est.moments)} fitted moment(s) for {len(est.names)} parameters, so at "
                  "most a combination of the parameters is pinned down (their ratio of S values below), "
                  "not each one; the point estimate is one point of a ridge.", ""]
    else:
        lines += ["Exactly identified (as many moments as parameters): no overidentification test.", ""]
    lines += ["## Identification", "",
              "Standard deviations of one run by which each moment moves across each parameter's range "
              "(|S| < 1: the moment hardly informs the parameter).", "", _md(sens, ".3g"), ""]
    for row in est.table():
        j = est.names.index(row["parameter"])
        col = np.abs(est.sensitivity[:, j])
        best = est.moments[int(col.argmax())]
        lines.append(f"- **{row['parameter']}**: {row['identification']}; most informative moment {best} "
                     f"(|S| = {col.max():.2g}).")
    if est.extra.get("at_range_bound"):
        lines.append(f"- At the edge of their range (the interval is then not reliable): "
                     f"{', '.join(est.extra['at_range_bound'])}.")
    if t.unfitted:
        lines += ["", "## Moments without a published figure (listed, not fitted)", ""]
        lines += [f"- {m}: {s}" for m, s in t.unfitted]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ command line
def add_calibrate(sub: argparse._SubParsersAction) -> None:
    from clustersim.arguments import whole_number

    p = sub.add_parser("calibrate", help="estimate parameters by simulated moments against a targets file",
                       description="Estimate the parameters named in TARGETS by the method of simulated moments; "
                                   "write estimates with 95%% intervals, the fit of every moment and identification.")
    p.add_argument("targets", metavar="TARGETS", type=Path,
                   help="targets file (TOML), e.g. experiments/calibrate_hunan.toml")
    p.add_argument("--out", type=Path, metavar="DIR", help="results folder (default: results/calibrate_<name>/)")
    p.add_argument("--workers", type=whole_number(1), metavar="N", help="processes (default: every core)")
    p.add_argument("--backend", default="local", choices=["local", "dask"], help="sweep backend (default: local)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler (with --backend dask)")
    p.add_argument("--resume", action="store_true", help="finish an interrupted calibration in --out")
    p.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    t = load_targets(args.targets)
    out = args.out if args.out is not None else Path("results") / f"calibrate_{t.name}"
    c = calibrate(t, out, workers=args.workers, backend=args.backend, scheduler=args.scheduler, resume=args.resume)
    est = c.estimate
    print(f"calibrate {t.name}: {c.runs} runs in {len(c.stages)} stage(s), {c.wall_seconds:.1f} s")
    for row in est.table():
        print(f"  {row['parameter']:<24} {row['estimate']:.4g}  [{row['low95']:.4g}, {row['high95']:.4g}]  "
              f"{row['identification']}")
    for row in est.fit():
        print(f"  {row['moment']:<24} target {row['target']:.4g}  simulated {row['simulated']:.4g}  z {row['z']:+.2f}")
    print(f"results   {out}/ (report.md, estimates.csv, fit.csv, sensitivity.csv, calibration.json)")
    return 0
