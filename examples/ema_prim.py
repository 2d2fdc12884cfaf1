"""EMA Workbench with PRIM: sample the six uncertainties of experiments/sensitivity.toml, run the
held package under each (replicates averaged), and ask PRIM which conditions give the focal
county its larger final shares.

    python examples/ema_prim.py [--scenarios 100] [--years 40] [--replicates 2] [--processes 2]
"""

import argparse
from pathlib import Path

import numpy as np
from ema_workbench import MultiprocessingEvaluator
from ema_workbench.analysis import prim

import clustersim

EXPERIMENT = Path(__file__).resolve().parents[1] / "experiments" / "sensitivity.toml"

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=100)
    parser.add_argument("--years", type=int, default=40)
    parser.add_argument("--replicates", type=int, default=2)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()

    model = clustersim.ema_model(EXPERIMENT, replicates=args.replicates, years=args.years)
    with MultiprocessingEvaluator(model, n_processes=args.processes) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=args.scenarios,
                                                              uncertainty_sampling_kwargs={"rng": 1})
    x = experiments[[u.name for u in model.uncertainties]]
    share = outcomes["final_share"]
    box = prim.Prim(x, share > np.median(share)).find_box()
    print(box.peeling_trajectory.tail())
    print(box.box_lims[-1])
