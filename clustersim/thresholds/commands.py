"""The ``tipping`` subcommand: adaptive search for a critical level of one lever.

Exit status: 0 when the search ended (located or not: the answer says which); 2 for an unusable
experiment, option or folder (one line on stderr); 130 when interrupted (the runs finished so
far are saved: the same command with ``--resume`` continues and ends with the same answer).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from clustersim.arguments import whole_number

__all__ = ["add_tipping", "cmd_tipping"]


def add_tipping(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tipping",
        help="adaptive search for the level of a lever at which take-off becomes more likely than not",
        description="Search the level of one lever of an experiment (EXPERIMENT's factor, or its parameter path) "
        "at which the outcome (default took_off) has probability --target, with a 95 %% interval: "
        "batches of runs placed around the current logistic estimate until the interval's half-width "
        "is at most --precision or --budget runs are spent. Every batch is a sweep folder in OUT "
        "(crash-safe; --resume finishes an interrupted search with the same answer).",
    )
    p.add_argument("experiment", metavar="EXPERIMENT", type=Path, help="experiment file (TOML)")
    p.add_argument(
        "--lever",
        required=True,
        metavar="NAME",
        help="the factor to search: its name (e.g. subsidy_depth) or parameter (focal.subsidy_depth)",
    )
    p.add_argument(
        "--range",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        help="levels to search (default: the factor's values or range)",
    )
    p.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fix another factor, e.g. --at fee_rate=0.02 (repeatable); factors with one value are fixed, "
        "uncertainties with a range are sampled for each run",
    )
    p.add_argument("--target", type=float, default=0.5, metavar="P", help="probability sought (default 0.5)")
    p.add_argument(
        "--precision",
        type=float,
        metavar="H",
        help="stop at a 95 %% half-width of at most H, lever units (default: a sixteenth of the range)",
    )
    p.add_argument("--budget", type=whole_number(4), default=400, metavar="N", help="most runs in all (default 400)")
    p.add_argument(
        "--batch",
        type=whole_number(2),
        default=16,
        metavar="B",
        help="runs per batch (default 16; a multiple of the workers keeps them busy; it changes the "
        "runs, so keep it when resuming)",
    )
    p.add_argument("--outcome", default="took_off", metavar="NAME", help="a true/false outcome (default took_off)")
    p.add_argument(
        "--out", type=Path, metavar="DIR", help="results folder (default: results/<experiment>-tipping-<lever>/)"
    )
    p.add_argument(
        "--workers",
        type=whole_number(1),
        metavar="N",
        help="worker processes (default: every core); 1 runs in this process",
    )
    p.add_argument("--backend", choices=("local", "dask"), default="local")
    p.add_argument("--scheduler", metavar="ADDRESS", help="with --backend dask: a running scheduler")
    p.add_argument("--resume", action="store_true", help="finish the search in OUT")
    p.add_argument(
        "--flush-seconds",
        type=float,
        default=3.0,
        metavar="S",
        help="write finished runs to disk at least every S seconds (default 3)",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.add_argument("--run-fn", default="clustersim.sweep.runner:run_point", help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_tipping)


def cmd_tipping(args: argparse.Namespace) -> int:
    from clustersim.sweep.experiment import load_experiment
    from clustersim.thresholds.search import parse_at, resolve_search, run_search

    t0 = time.perf_counter()
    exp = load_experiment(args.experiment)
    low, high = args.range if args.range else (None, None)
    spec = resolve_search(
        exp,
        args.lever,
        low=low,
        high=high,
        at=parse_at(args.at),
        target=args.target,
        precision=args.precision,
        budget=args.budget,
        batch=args.batch,
        outcome=args.outcome,
    )
    out = args.out if args.out is not None else Path("results") / f"{exp.name}-tipping-{spec.lever}"
    try:
        result = run_search(
            exp,
            spec,
            out,
            workers=args.workers,
            backend=args.backend,
            scheduler=args.scheduler,
            resume=args.resume,
            progress=args.progress,
            run_fn=args.run_fn,
            flush_seconds=args.flush_seconds,
        )
    except KeyboardInterrupt:
        print(
            f"\ninterrupted after {time.perf_counter() - t0:.0f} s; the finished runs are saved in {out}/: "
            "run the same command with --resume to finish",
            file=sys.stderr,
        )
        return 130
    print(result.lines())
    print(f"results   {out}/tipping.json  ({time.perf_counter() - t0:.0f} s)")
    return 0
