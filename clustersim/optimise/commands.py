"""``clustersim cheapest OUT --target P [...]``: the cheapest package that works on the demo world,
its frontier, and a confirmation with fresh seeds. Writes ``OUT/study.db`` (optuna, resumable),
``OUT/result.json``, ``OUT/frontier.csv`` and ``OUT/frontier.png``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from clustersim.scenario import ScenarioError

__all__ = ["add_cheapest", "cmd_cheapest", "confirm"]


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{value} must be in (0, 1]")
    return value


def add_cheapest(sub: argparse._SubParsersAction) -> None:
    from clustersim.arguments import whole_number
    from clustersim.optimise.search import INSTRUMENTS

    p = sub.add_parser("cheapest", help="find the cheapest package whose take-off probability reaches a target",
                       description="Search depth, duration (and optionally fee and instruments) of the district "
                                   "package on the demo world for the lowest present value of incentives whose "
                                   "take-off probability reaches TARGET at the QUANTILE of the uncertainty worlds; "
                                   "optuna TPE, resumable; then confirm with fresh seeds.")
    p.add_argument("out", type=Path, metavar="OUT", help="output folder")
    p.add_argument("--target", type=_share, required=True, help="take-off probability to reach, e.g. 0.8")
    p.add_argument("--quantile", type=_share, default=0.25, help="quantile of the worlds (default 0.25)")
    p.add_argument("--trials", type=whole_number(1), default=40)
    p.add_argument("--worlds", type=whole_number(1), default=4)
    p.add_argument("--replicates", type=whole_number(1), default=4, help="runs per world")
    p.add_argument("--years", type=whole_number(10), default=40)
    p.add_argument("--depth", type=float, nargs=3, default=(0.25, 4.0, 0.25), metavar=("LOW", "HIGH", "STEP"))
    p.add_argument("--duration", type=int, nargs=2, default=(4, 16), metavar=("LOW", "HIGH"))
    p.add_argument("--fee", type=float, nargs=3, metavar=("LOW", "HIGH", "STEP"), help="search the fee too")
    p.add_argument("--instruments", nargs="*", default=[], choices=INSTRUMENTS, help="instruments it may drop")
    p.add_argument("--confirm-replicates", type=whole_number(1), default=8, help="runs per world in the confirmation")
    p.add_argument("--resume", action="store_true", help="continue the study in OUT")
    p.set_defaults(handler=cmd_cheapest)


def confirm(world, params, quantile: float, replicates: int) -> dict:
    """The chosen package in the same worlds with fresh seeds (another sweep seed): its robust
    probability and the Wilson interval of the world that sets it."""
    from dataclasses import replace

    from clustersim.sweep.report import wilson_interval

    fresh = replace(world, replicates=replicates, sweep_seed=world.sweep_seed + 1)
    ev = fresh(params).finish(quantile)
    k = round(ev.world_shares[ev.robust_world] * replicates)
    low, high = wilson_interval(k, replicates)
    return {"robust_p": ev.robust_p, "low": float(low), "high": float(high), "world_shares": ev.world_shares,
            "replicates": replicates, "cost_pv": ev.cost, "cost_pv_low": ev.cost_low, "cost_pv_high": ev.cost_high}


def cmd_cheapest(args: argparse.Namespace) -> int:
    from clustersim.optimise.frontier import frontier_figure, frontier_table
    from clustersim.optimise.search import Levers, cheapest_package
    from clustersim.optimise.world import DemoWorld

    if (args.out / "study.db").exists() and not args.resume:
        raise ScenarioError(args.out, "study.db", allowed="a search is stored here already: add --resume to continue "
                            "it, or choose another OUT")
    try:
        levers = Levers(depth=tuple(args.depth), duration=tuple(args.duration),
                        fee=tuple(args.fee) if args.fee else None, instruments=tuple(args.instruments))
    except ValueError as err:
        raise ScenarioError("--depth/--duration/--fee", "levers", allowed=str(err)) from None
    world = DemoWorld(worlds=args.worlds, replicates=args.replicates, years=args.years)
    result = cheapest_package(world, levers, target=args.target, quantile=args.quantile, trials=args.trials,
                              out=args.out, progress=lambda i, n: print(f"\rtrial {i}/{n}", end="", file=sys.stderr))
    print(file=sys.stderr)
    doc = result.to_json()
    table = frontier_table(result.trials)
    table.to_csv(args.out / "frontier.csv", index=False)
    chosen = result.best.cost if result.best else None
    frontier_figure(table, args.target, "en", chosen).savefig(args.out / "frontier.png", dpi=110)
    if result.best is None:
        print(f"no package on the grid reached {args.target:.0%} at the {args.quantile:.0%} quantile")
    else:
        doc["confirmation"] = confirm(world, result.best.params, args.quantile, args.confirm_replicates)
        b, c = result.best, doc["confirmation"]
        print(f"cheapest  {b.params}: PV of incentives {b.cost:,.0f} wan (tolerance {result.tolerance:,.0f}); "
              f"robust take-off {b.robust_p:.0%}")
        if result.critical_depth is not None:
            print(f"depth     where its robust world reaches {args.target:.0%} (dose-response, Fieller): "
                  f"{result.critical_depth['text']}")
        print(f"confirm   fresh seeds: robust take-off {c['robust_p']:.0%} [{c['low']:.0%}, {c['high']:.0%}]")
    (args.out / "result.json").write_text(json.dumps(doc, indent=1, default=float), encoding="utf-8")
    return 0
