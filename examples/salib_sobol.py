"""A Sobol sensitivity analysis driven from SALib: SALib samples and analyses, ClusterSim
evaluates every sample (replicates averaged, seeds from the sweep seed).

    python examples/salib_sobol.py [--n 64] [--years 40] [--replicates 2] [--workers 2]
"""

import argparse

from SALib.analyze import sobol as sobol_analysis
from SALib.sample import sobol

import clustersim

EXPERIMENT = {  # the same fields as an experiment file (experiments/README.md)
    "name": "sobol_take_off", "base_scenario": "held_package", "years": 40, "replicates": 2, "sweep_seed": 7,
    "design": {"kind": "sobol", "samples": 64},
    "uncertainties": {
        "agglomeration": {"parameters": ["agglomeration.localisation", "agglomeration.supplier"],
                          "range": [0.12, 0.36]},
        "moving_cost": {"parameter": "choice.moving_cost_base", "range": [0.05, 0.2]},
        "review_rate": {"parameter": "firms.review_rate", "range": [0.1, 0.3]},
    },
}

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--n", type=int, default=64, help="SALib base sample size N (a power of two)")
parser.add_argument("--years", type=int, default=40)
parser.add_argument("--replicates", type=int, default=2)
parser.add_argument("--workers", type=int, default=2)
args = parser.parse_args()

if __name__ == "__main__":
    exp = clustersim.experiment(EXPERIMENT, years=args.years, replicates=args.replicates)
    problem = clustersim.salib_problem(exp)
    X = sobol.sample(problem, args.n, calc_second_order=False, seed=1)
    Y = clustersim.evaluate(exp, X, "final_share", workers=args.workers)
    Si = sobol_analysis.analyze(problem, Y, calc_second_order=False, seed=1)
    print(Si.to_df()[0])  # total-order indices ST with their confidence intervals
