"""Where a run's time goes: CPU time per phase of the model year.

Wraps the model's phase methods with a CPU clock (``time.process_time``, this process: the figure
least disturbed by other jobs on a shared machine) and prints the milliseconds each takes:

* per whole 40-year run of the demo world (``scenarios/held_package.toml``), median of ``--runs``
  runs after a warm-up run;
* per year at Hunan scale (20,000 firms, 123 regions: ``bench_model.bench_scenario``), over
  ``--years`` years after two warm-up years.

Phases nest: ``step`` holds everything; ``_choose_locations`` holds the decision, ``_move``,
``_choice_set`` (the choice set, built again after each refresh) and the refreshes between
mini-batches (``_refresh`` counts every refresh); ``_collect`` holds ``_measure``. The decision is
``picks`` for a batch of one kernel block with the built-in instruments (the deciders' columns, the
batch and the utilities in one compiled call: ``instruments.builtin_batch.picks``), otherwise
``from_table`` (the deciders' columns) and ``choose``.

Then, on a finished demo model, the pieces (:func:`pieces`, ``timeit`` best of 5): one decision
batch of 130 firms, its set-up and the compiled kernel apart; and the compiled recount of the
firms (demo and Hunan scale).

Prints one JSON object on its last line. Usage: ``python benchmarks/bench_phases.py [--runs N] [--years N]``.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_model import DEMO_TOML, bench_scenario

import clustersim.model as model_module
from clustersim.scenario import load_scenario

PHASES = ("step", "_choose_locations", "_refresh", "_move", "_produce", "_exit", "_county_policy", "_collect",
          "_measure", "_births", "_choice_set")
TIMED = (*PHASES, "choose", "from_table", "picks")  # the phases and the decision's pieces


class Clock:
    """CPU seconds and calls per phase, accumulated while ``on``."""

    def __init__(self) -> None:
        self.seconds: collections.Counter = collections.Counter()
        self.calls: collections.Counter = collections.Counter()

    def wrap(self, owner: object, name: str) -> None:
        inner = getattr(owner, name)

        def timed(*args, **kwargs):
            t0 = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[name] += time.process_time() - t0
                self.calls[name] += 1

        setattr(owner, name, timed)

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()


def pieces(m, firms: int = 130, repeat: int = 5, number: int = 200) -> dict:
    """Best-of-``repeat`` wall times (``timeit``) of pieces of a finished model ``m``: one decision
    batch of its first ``firms`` placed firms, set up (``choice._Batch``: the instruments' terms and
    their layout) and through the compiled kernel (``_Batch.logit_picks``), in microseconds; and
    the compiled recount of its firms in a refresh (``tally.tally``), in milliseconds."""
    import timeit

    import numpy as np

    from clustersim.choice import Deciders, _Batch
    from clustersim.tally import tally

    def best(fn) -> float:
        return min(timeit.repeat(fn, number=number, repeat=repeat)) / number

    rows = m._placed()[:firms]
    cs, f = m.choice_set(), Deciders.from_table(m.firms, rows, np.zeros(rows.size, bool))
    batch, uniforms = _Batch(cs, f), np.random.default_rng(0).random(rows.size)
    r = m.regions
    by_firms = m.config.agglomeration.measure == "firms"
    return {"batch_firms": int(rows.size), "batch_setup_us": round(best(lambda: _Batch(cs, f)) * 1e6, 1),
            "batch_kernel_us": round(best(lambda: batch.logit_picks(uniforms, cs.decision_rule)) * 1e6, 1),
            "tally_ms": round(best(lambda: tally(m.firms, r.is_county, m.revenue_per_capital,
                                                 len(m.sector_names), by_firms)) * 1e3, 4),
            "tally_firms": int(r.firms.sum())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10, help="demo runs (default 10)")
    ap.add_argument("--years", type=int, default=5, help="Hunan-scale years (default 5)")
    args = ap.parse_args()
    clock = Clock()
    for name in PHASES:
        clock.wrap(model_module.ClusterModel, name)
    clock.wrap(model_module, "choose")
    clock.wrap(model_module.Deciders, "from_table")
    clock.wrap(model_module.builtin_batch, "picks")

    sc = load_scenario(DEMO_TOML)
    model_module.ClusterModel(sc, base_dir=DEMO_TOML.parent).run()  # warm-up (compiled functions, lazy imports)
    per_run: dict[str, list[float]] = collections.defaultdict(list)
    totals = []
    for _ in range(args.runs):
        clock.reset()
        t0 = time.process_time()
        model_module.ClusterModel(sc, base_dir=DEMO_TOML.parent).run()
        totals.append((time.process_time() - t0) * 1e3)
        for name in TIMED:
            per_run[name].append(clock.seconds[name] * 1e3)
    demo = {"run_cpu_ms": statistics.median(totals),
            **{name: round(statistics.median(v), 2) for name, v in per_run.items()}}
    demo_model = model_module.ClusterModel(sc, base_dir=DEMO_TOML.parent).run()
    print(f"demo run: {demo['run_cpu_ms']:.1f} ms CPU (median of {args.runs})")
    for name, v in sorted(demo.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<20} {v:8.2f} ms")

    m = model_module.ClusterModel(bench_scenario(20_000, 123), seed=0).run(2)
    clock.reset()
    t0 = time.process_time()
    m.run(args.years)
    hunan = {"year_cpu_ms": (time.process_time() - t0) * 1e3 / args.years,
             **{name: round(clock.seconds[name] * 1e3 / args.years, 2) for name in TIMED}}
    print(f"Hunan-scale year: {hunan['year_cpu_ms']:.1f} ms CPU (mean of {args.years})")
    for name, v in sorted(hunan.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<20} {v:8.2f} ms")
    demo_pieces, hunan_tally = pieces(demo_model), pieces(m)
    print(f"demo batch of {demo_pieces['batch_firms']} firms: set-up {demo_pieces['batch_setup_us']} us, "
          f"kernel {demo_pieces['batch_kernel_us']} us; recount {demo_pieces['tally_ms']} ms "
          f"({demo_pieces['tally_firms']} firms), {hunan_tally['tally_ms']} ms ({hunan_tally['tally_firms']} firms)")
    print(json.dumps({"demo_ms_per_run": demo, "hunan_ms_per_year": hunan, "demo_pieces": demo_pieces,
                      "hunan_tally_ms": hunan_tally["tally_ms"], "runs": args.runs, "years": args.years}))


if __name__ == "__main__":
    main()
