"""The ``sweep`` and ``demo`` subcommands (parsers and handlers).

Exit status of ``sweep``/``demo``: 0 when every run of the design is ok; 1 when some runs
failed even after their retries (the sweep still finishes, and records each error); 2 when
the experiment or an argument is unusable (one line on stderr); 130 when interrupted by Ctrl-C,
143 by SIGTERM (the runs finished so far are saved: ``--resume`` continues).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from clustersim.arguments import whole_number
from clustersim.scenario import ScenarioError

__all__ = ["add_demo", "add_sweep", "cmd_demo", "cmd_sweep", "find_demo_experiment"]

DEMO_EXPERIMENT = Path("experiments") / "take_off.toml"
DEMO_REPLICATES = 16


def _add_execution_arguments(p: argparse.ArgumentParser, replicates: str = "the experiment's") -> None:
    p.add_argument("--workers", type=whole_number(1), metavar="N",
                   help="worker processes (default: every core); 1 runs in this process")
    p.add_argument("--replicates", type=whole_number(1), metavar="N",
                   help=f"replicates per design point (default: {replicates})")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")


def add_sweep(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep", help="run an experiment's design of levers and uncertainties, streaming results to disk",
        description="Run every run of an experiment (experiments/*.toml): its design points x replicates, "
                    "each with a seed derived from the point and replicate. Results stream to OUT/runs/ as "
                    "Parquet parts; an interrupted sweep is finished with --resume. Exit status 0 when all "
                    "runs are ok, 1 when some failed (recorded with their errors), 2 for an unusable "
                    "experiment or folder.")
    p.add_argument("experiment", metavar="EXPERIMENT", type=Path, help="experiment file (TOML)")
    p.add_argument("--out", type=Path, metavar="DIR", help="results folder (default: results/<experiment name>/)")
    _add_execution_arguments(p)
    p.add_argument("--backend", choices=("local", "dask"), default="local",
                   help="local: a process pool on this machine (default); dask: a Dask cluster")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --backend dask: a running scheduler, e.g. tcp://host:8786 "
                        "(default: start a LocalCluster of --workers processes)")
    p.add_argument("--resume", action="store_true",
                   help="finish the sweep in OUT: run only the runs without an ok result "
                        "(refused if the experiment's design changed)")
    p.add_argument("--flush-seconds", type=float, default=3.0, metavar="S",
                   help="write finished runs to disk at least every S seconds (default: 3); "
                        "a killed sweep loses at most this much work")
    p.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from clustersim.sweep.experiment import load_experiment

    exp = load_experiment(args.experiment, replicates=args.replicates)
    out = args.out if args.out is not None else Path("results") / exp.name
    return _run(exp, out, workers=args.workers, backend=args.backend, scheduler=args.scheduler,
                resume=args.resume, progress=args.progress, flush_seconds=args.flush_seconds)


def _run(exp, out: Path, **kwargs) -> int:
    from clustersim.sweep import store
    from clustersim.sweep.design import build_design
    from clustersim.sweep.runner import run_sweep, start_local_workers

    if not store.part_paths(out):  # a new sweep: its workers start importing while the design is built
        start_local_workers(kwargs.get("backend", "local"), kwargs.get("workers"))
    design = build_design(exp)
    for line in design.meta["package_warnings"]:
        print(f"warning   {line}")
    t0 = time.perf_counter()
    previous = signal.signal(signal.SIGTERM, _terminate)  # a kill (SIGTERM) stops the sweep as Ctrl-C does
    try:
        summary = run_sweep(exp, out, design=design, **kwargs)
    except KeyboardInterrupt as stop:
        how = " by SIGTERM" if isinstance(stop, Terminated) else ""
        print(f"\ninterrupted{how} after {time.perf_counter() - t0:.0f} s; the finished runs are saved in {out}/: "
              "run the same command with --resume to finish", file=sys.stderr)
        return 143 if isinstance(stop, Terminated) else 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(summary.lines())
    return summary.exit_status


class Terminated(KeyboardInterrupt):
    """SIGTERM during a sweep: handled like Ctrl-C (workers stopped, finished runs kept), exit status 143."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


# ------------------------------------------------------------------------------ demo
def add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="the main job in under a minute: the take-off sweep and its report",
        description=f"Run {DEMO_EXPERIMENT} (subsidy depth x fee level for a focal county among rivals) "
                    f"with {DEMO_REPLICATES} replicates per point, then write its report (take-off "
                    "probability heatmap, final share, net fiscal return). Run it from the repository "
                    "folder. An existing demo folder with the same design is reused (only missing runs run).")
    p.add_argument("--out", type=Path, default=Path("results") / "demo", metavar="DIR",
                   help="results folder (default: results/demo/); the report goes to DIR/report/")
    _add_execution_arguments(p, replicates=f"{DEMO_REPLICATES}, fewer than the experiment's, to finish in under "
                                           "a minute")
    p.set_defaults(handler=cmd_demo, replicates=DEMO_REPLICATES)


def find_demo_experiment() -> Path:
    """``experiments/take_off.toml`` in the current folder, else in the repository clustersim
    was installed from (an editable install); ScenarioError if neither has it."""
    import clustersim

    candidates = [Path.cwd() / DEMO_EXPERIMENT, Path(clustersim.__file__).resolve().parent.parent / DEMO_EXPERIMENT]
    for path in candidates:
        if path.is_file():
            return path
    raise ScenarioError(DEMO_EXPERIMENT, "file", allowed=(
        f"not found in {candidates[0].parent.parent} nor in {candidates[1].parent.parent}; "
        "run `clustersim demo` from the clustersim repository folder"))


def cmd_demo(args: argparse.Namespace) -> int:
    from clustersim.sweep.experiment import load_experiment

    t0 = time.perf_counter()
    exp = load_experiment(find_demo_experiment(), replicates=args.replicates)
    # resume: a second `demo` with the same design reuses the finished runs
    status = _run(exp, args.out, workers=args.workers, resume=True, progress=args.progress)
    if status == 130:
        return status
    from clustersim.sweep.report import write_report

    report = write_report(args.out, args.out / "report")
    print(f"report    {report}  ({time.perf_counter() - t0:.0f} s in all)")
    return status
