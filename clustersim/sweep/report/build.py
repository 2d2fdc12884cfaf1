"""Building a report from a sweep folder and writing its files; the ``report`` subcommand."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from clustersim.scenario import ScenarioError
from clustersim.sweep.report.prose import (
    _failed_section,
    _grid_sections,
    _method_section,
    _overall_section,
    _package_sections,
    _requested_outcomes,
)
from clustersim.sweep.report.sampled import _range_sections, _sensitivity_sections
from clustersim.sweep.report.stats import (
    ok_mask,
)
from clustersim.sweep.report.tables import (
    Report,
    _join,
)


def read_sweep(sweep_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """(design runs, results with failed runs, meta) of a sweep folder; ScenarioError when it is
    not one or its ``design.json`` lacks what a report needs."""
    from clustersim.sweep.store import DESIGN_JSON, load_design, results_of

    design, meta = load_design(sweep_dir)
    if not isinstance(meta, dict) or "design_kind" not in meta or "factors" not in meta:
        raise ScenarioError(Path(sweep_dir) / DESIGN_JSON, "design_kind",
                            allowed="design.json lacks design_kind / factors")
    return design, results_of(sweep_dir, design, include_failed=True), meta


def build_report(results: pd.DataFrame, meta: Mapping[str, Any], *, design: pd.DataFrame | None = None) -> Report:
    """The whole report in memory (no files): Markdown lines, figures and tables. ``design``: the
    full design (to count runs not run yet); default: ``results`` is the whole design."""
    results = results.reset_index(drop=True)
    meta = {**meta, "requested_outcomes": _requested_outcomes(meta, results)}
    ok = ok_mask(results)
    rep = Report()
    rep.add(f"# Sweep report: {meta.get('experiment', 'sweep')}")
    if meta.get("description"):
        rep.add(str(meta["description"]).strip())
    kind = meta["design_kind"]
    run_kind = meta.get("experiment_kind", "standard")  # withdrawal and ramp: clustersim.thresholds.lockin_report
    factors = list(meta["factors"])
    replicates, years = meta.get("replicates"), meta.get("years")
    n_design = len(design) if design is not None else len(results)
    n_ok, n_failed = int(ok.sum()), int((~ok).sum())
    n_missing = max(n_design - len(results), 0)
    described = _join([f"{f.get('label') or f['name']} ({f['role']})" for f in factors]) or "no factor (one world)"
    plural = "" if replicates == 1 else "s"
    length = f"{years} years per run" if run_kind == "standard" else f"each run as long as its {run_kind} needs"
    rep.add(f"Design: **{kind}** over {described}; {replicates} replicate{plural} per point, {length}, "
            f"focal county {meta.get('focal_county', 'n/a')}, sweep seed {meta.get('sweep_seed', 'n/a')}, "
            f"fiscal baseline {meta.get('fiscal_baseline', 'initial')}.",
            f"Runs: {n_design} in the design, **{n_ok} ok**, **{n_failed} failed**"
            + (f", {n_missing} not run (an unfinished sweep: `clustersim sweep --resume`)" if n_missing else "")
            + ". Failed runs are left out of every statistic (never counted as \"no take-off\") and listed at the end.")
    warnings = meta.get("package_warnings") or []
    if warnings:
        rep.add("## Package warnings", "These packages do what no county could keep up (allowed, so that a sweep can "
                "show what happens; see docs/packages.md):", "\n".join(f"- {w}" for w in warnings))
    if n_ok == 0:
        rep.add("No successful run: nothing to report.")
    elif run_kind != "standard":
        from clustersim.thresholds.lockin_report import lockin_sections

        lockin_sections(rep, results[ok], meta)
        _failed_section(rep, results, factors)
        return rep
    elif kind == "grid":
        _grid_sections(rep, results, meta, factors)
    elif kind == "packages":
        _package_sections(rep, results, meta, factors)
    elif kind in ("morris", "sobol"):
        _sensitivity_sections(rep, results, meta)
    else:
        _range_sections(rep, results[ok], meta, factors)
        _overall_section(rep, results, meta)
    if n_ok:  # PRIM boxes of the uncertainties under which the package fails (clustersim.thresholds)
        from clustersim.thresholds.discovery import discovery_section

        discovery_section(rep, results[ok], factors)
    ranged = kind not in ("grid", "packages", "morris", "sobol")
    _method_section(rep, kind, differences=n_ok > 0 and (ranged or bool(meta.get("baseline_package"))))
    _failed_section(rep, results, factors)
    return rep


def write_report(sweep_dir: str | Path, out_dir: str | Path | None = None, *, baseline: str | None = None) -> Path:
    """Read a sweep folder and write ``report.md``, its PNG figures and CSV tables into ``out_dir``
    (default ``sweep_dir/report``). Returns the path of ``report.md``. ``baseline``: for a packages
    design, the package to compare the others with, instead of the design's ``baseline_package``.
    ScenarioError if ``sweep_dir`` is not a sweep folder or a baseline names no package of it."""
    from clustersim.figures import save_figure

    sweep_dir = Path(sweep_dir)
    design, results, meta = read_sweep(sweep_dir)
    meta = _with_baseline(meta, sweep_dir, baseline)
    rep = build_report(results, meta, design=design)
    out = Path(out_dir) if out_dir is not None else sweep_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    for fname, fig in rep.figures.items():
        save_figure(fig, out / fname)
    for fname, frame in rep.tables.items():
        frame.to_csv(out / fname, index=False, lineterminator="\n")
    path = out / "report.md"
    path.write_text("\n".join(rep.lines).rstrip("\n") + "\n", encoding="utf-8")
    return path


def _with_baseline(meta: dict[str, Any], sweep_dir: Path, baseline: str | None) -> dict[str, Any]:
    """``meta`` with ``baseline_package`` set to ``baseline`` (if given), checked against the packages."""
    if baseline is not None:
        if meta["design_kind"] != "packages":
            raise ScenarioError("--baseline", "baseline", baseline,
                                f"only for a packages design (this sweep's design is {meta['design_kind']!r})")
        meta = {**meta, "baseline_package": baseline}
    chosen = meta.get("baseline_package")
    if chosen is None:
        return meta
    pkg = next((f for f in meta["factors"] if f.get("role") == "package"), None)
    names = [str(v) for v in (pkg or {}).get("values") or []]
    if chosen not in names:
        where, what = ("--baseline", "baseline") if baseline is not None else (
            Path(sweep_dir) / "design.json", "baseline_package")
        raise ScenarioError(where, what, chosen, f"must name a package of this sweep: {', '.join(names) or 'none'}")
    return meta


# ------------------------------------------------------------------------------ command line
def add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write figures, tables and a Markdown summary of a sweep's results",
                       description="Read a sweep folder (written by `clustersim sweep`) and write report.md, PNG "
                                   "figures and CSV tables: take-off probability heatmaps for grids, a comparison "
                                   "for named packages, sensitivity indices for Morris/Sobol designs.")
    p.add_argument("sweep_dir", metavar="DIR", type=Path, help="a sweep's results folder, e.g. results/take_off")
    p.add_argument("--out", type=Path, metavar="OUT", help="output folder (default: DIR/report)")
    p.add_argument("--baseline", metavar="PACKAGE",
                   help="packages designs: compare every package with this one (default: the experiment's "
                        "[design] baseline, if any)")
    p.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    path = write_report(args.sweep_dir, args.out, baseline=args.baseline)
    print(f"wrote {path}")
    return 0
