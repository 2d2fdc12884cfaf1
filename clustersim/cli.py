"""The ``clustersim`` command (also ``python -m clustersim``).

Subcommands::

    clustersim run SCENARIO [--years N] [--seed S] [--out DIR] [--set KEY=VALUE ...]

Exit status: 0 on success; 2 when a scenario (or a command-line value) is unusable, with one
line on stderr naming the file, the field, the value and what is allowed.

Adding a subcommand: write ``_add_<name>(subparsers)`` that creates its parser and sets
``handler=<function(args) -> int>``, and list it in :data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from clustersim.arguments import parse_assignments, whole_number
from clustersim.counterfactual import without_focal_package
from clustersim.params import Scenario
from clustersim.scenario import ScenarioError, apply_overrides, build_model, load_scenario
from clustersim.threads import decision_threads


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        decision_threads()  # a bad CLUSTERSIM_THREADS is reported before any work starts
        return int(args.handler(args) or 0)
    except ScenarioError as err:
        print(str(err), file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    from clustersim import __version__

    parser = argparse.ArgumentParser(
        prog="clustersim",
        description="Agent-based simulation of industrial clusters: firms leaving a coast for competing counties.",
    )
    parser.add_argument("--version", action="version", version=f"clustersim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


# ------------------------------------------------------------------------------ shared arguments
def add_scenario_arguments(p: argparse.ArgumentParser) -> None:
    """SCENARIO plus --years/--seed/--set: the arguments every command that runs a model takes."""
    p.add_argument("scenario", metavar="SCENARIO", type=Path, help="scenario file (TOML), e.g. scenarios/baseline.toml")
    p.add_argument("--years", type=whole_number(1), metavar="N", help="years to simulate (default: the scenario's)")
    p.add_argument("--seed", type=whole_number(0, 2**63 - 1), metavar="S", help="run seed (default: the scenario's)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario field by its dotted name, e.g. --set firms.review_rate=0.1 (repeatable)")


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The scenario named on the command line with --years, --seed and --set applied."""
    scenario = load_scenario(args.scenario)
    overrides = parse_assignments(args.overrides)
    if args.years is not None:
        overrides["years"] = args.years
    if args.seed is not None:
        overrides["seed"] = args.seed
    return apply_overrides(scenario, overrides, source="--set") if overrides else scenario


# ------------------------------------------------------------------------------ run
def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run one scenario and write its tables, summary and figure",
                       description="Run one scenario: print a short summary and write model.parquet, "
                                   "regions.parquet, firms.parquet, summary.json and overview.png.")
    add_scenario_arguments(p)
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: results/<scenario name>/)")
    p.add_argument("--counterfactual", action="store_true",
                   help="also run the focal county without its package (same seed) as the fiscal baseline")
    p.add_argument("--no-figure", dest="figure", action="store_false", help="skip overview.png")
    p.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from clustersim import outputs

    t0 = time.perf_counter()
    scenario = scenario_from_args(args)
    model = build_model(scenario, source=args.scenario)
    from clustersim.package_checks import model_warnings

    warnings = model_warnings(model)  # before the run: a strategic race moves the depths
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    counterfactual = None
    if args.counterfactual:
        counterfactual = build_model(without_focal_package(scenario, model.focal_name), source=args.scenario).run()
    t3 = time.perf_counter()
    out = args.out if args.out is not None else Path("results") / scenario.name
    regions = outputs.region_table(model)
    written = outputs.write_tables(model, out, regions)
    if args.figure:
        from clustersim import figures

        focal_package = model.packages.packages[model.regions.package[model.focal]]
        end = model.incentives_end_year() if focal_package.offers_incentives else None
        fig = figures.overview_figure(regions, focal=model.focal_name, incentives_end=end,
                                      title=f"{scenario.name}: {scenario.years} years, seed {model.seed}",
                                      outlines=figures.outlines_of(model.layout), moves=model.last_moves)
        written["overview"] = figures.save_figure(fig, out / "overview.png")
    t4 = time.perf_counter()
    timing = {"build": t1 - t0, "run": t2 - t1, "counterfactual": t3 - t2, "write": t4 - t3}
    summary = outputs.run_summary(model, source=str(args.scenario), timing=timing, counterfactual=counterfactual)
    summary["package_warnings"] = warnings
    written["summary"] = outputs.write_json(summary, out / "summary.json")
    print(format_summary(summary, out, written))
    return 0


def format_summary(summary: dict[str, Any], out: Path, written: dict[str, Path]) -> str:
    """The few lines ``run`` prints."""
    to, rule = summary["take_off"], summary["take_off_rule"]
    end = summary["incentives_end_year"]
    measure = rule["measure"]
    verdict = "YES" if to["took_off"] else "no" if to["observable"] else "not observable"
    end_text = "its incentives never end" if end == float("inf") else f"incentives end in year {end:g}"
    lines = [
        f"scenario  {summary['scenario']}  ({summary['scenario_file']})",
        *(f"warning   {w}" for w in summary.get("package_warnings", [])),
        f"run       {summary['years']} years, seed {summary['seed']}, "
        f"{summary['timing_seconds'].get('run', float('nan')):.1f} s",
        f"take-off  {summary['focal_county']}: {verdict}  (final {measure} share {to['final_share']:.1%}; "
        f"needs >= {rule['threshold']:.0%} in each of the last {rule['hold_years']} years, {end_text})",
        "largest clusters (share of firms / employment in counties):",
    ]
    shares = summary["final_shares"]
    counties = [s for s in shares if s["kind"] == "county"]
    for s in counties[:3]:
        mark = "  <- focal" if s["region"] == summary["focal_county"] else ""
        lines.append(f"  {_place(s):<14} {s['firms']:>7,.0f} firms {s['share_of_county_firms']:>6.1%}"
                     f"   employment {s['share_of_county_employment']:>6.1%}{mark}")
    for s in (s for s in shares if s["kind"] == "origin"):
        lines.append(f"  {_place(s):<14} {s['firms']:>7,.0f} firms {s['share_of_all_firms']:>6.1%} of all firms"
                     " (origin)")
    eg = "  ".join(f"{k} {_num(v, '.3f')}" for k, v in summary["ellison_glaeser"].items())
    lines.append(f"Ellison-Glaeser gamma: {eg}")
    fr = summary["fiscal_return"]
    from clustersim.units import money

    lines.append(f"focal fiscal (wan, 1 wan = 10,000 yuan): balance {money(summary['focal_balance'])}; incentives "
                 f"paid {money(fr['incentives_paid'])}; extra revenue {money(fr['extra_revenue'])} "
                 f"(vs {summary['fiscal_baseline']}); net {money(fr['net_return'])}; jobs {fr['jobs']:+,.0f}; "
                 f"cost per job {money(fr['cost_per_job'])}; payback year {_num(fr['payback_year'], 'g')}")
    lines += _geography_lines(summary.get("geography", {}))
    lines.append(f"wrote     {out}/ ({', '.join(p.name for p in written.values())})")
    return "\n".join(lines)


def _place(row: dict[str, Any]) -> str:
    return f"{row['region']} ({row['pinyin']})" if row.get("pinyin") else row["region"]


def _geography_lines(geo: dict[str, Any]) -> list[str]:
    """Where a real map came from and which county traits are defaults (real geography only)."""
    if "traits_defaulted" not in geo:
        return []
    n = geo["regions"]
    defaulted = geo["traits_defaulted"]
    listed = ", ".join(k if v == n else f"{k} ({v} of {n})" for k, v in defaulted.items()) or "none"
    return [f"geography {geo['source']}: {geo['counties']} counties, road factor {geo['road_factor']:g}; "
            f"traits file {geo['traits_csv'] or 'none'}",
            f"defaults  traits taken from the scenario's defaults: {listed}"]


def _num(value: float | None, spec: str) -> str:
    if value is None or value != value:  # NaN
        return "n/a"
    return format(value, spec)


# ------------------------------------------------------------------------------ sweeps, reports, UI
# Their modules are imported only here, when the parser is built; heavy libraries (dask, SALib,
# solara) are imported inside the handlers.
def _add_sweep(sub: argparse._SubParsersAction) -> None:
    from clustersim.sweep.commands import add_sweep

    add_sweep(sub)


def _add_report(sub: argparse._SubParsersAction) -> None:
    from clustersim.sweep.report import add_report

    add_report(sub)


def _add_demo(sub: argparse._SubParsersAction) -> None:
    from clustersim.sweep.commands import add_demo

    add_demo(sub)


def _add_tipping(sub: argparse._SubParsersAction) -> None:
    from clustersim.thresholds.commands import add_tipping

    add_tipping(sub)


def _add_ui(sub: argparse._SubParsersAction) -> None:
    from clustersim.ui.launch import add_ui

    add_ui(sub)


def _add_calibrate(sub: argparse._SubParsersAction) -> None:
    from clustersim.calibration.commands import add_calibrate

    add_calibrate(sub)


def _add_brief(sub: argparse._SubParsersAction) -> None:
    from clustersim.brief.command import add_brief

    add_brief(sub)


def _add_cheapest(sub: argparse._SubParsersAction) -> None:
    from clustersim.optimise.commands import add_cheapest

    add_cheapest(sub)


#: every subcommand's parser builder, in the order ``--help`` lists them
SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_run, _add_sweep, _add_report, _add_demo, _add_tipping, _add_ui, _add_calibrate,
    _add_brief, _add_cheapest,
]

# parse_assignments, whole_number (clustersim.arguments) and without_focal_package (clustersim.counterfactual)
# stay importable from here for existing scripts
__all__ = ["SUBCOMMANDS", "add_scenario_arguments", "build_parser", "main", "parse_assignments", "scenario_from_args",
           "whole_number", "without_focal_package"]
