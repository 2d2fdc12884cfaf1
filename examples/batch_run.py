"""mesa.batch_run over ClusterModel: two subsidy depths of the focal county, three runs each
(fresh seeds, recorded in the rows), take-off among the collected variables.

    python examples/batch_run.py [--years 40] [--processes 2]
"""

import argparse

import pandas as pd
from mesa.batchrunner import batch_run

from clustersim import ClusterModel

if __name__ == "__main__":  # batch_run starts worker processes with "spawn"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=40)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()

    rows = batch_run(ClusterModel, {"config": "held_package", "years": args.years,
                                    "focal__subsidy_depth": [0.0, 2.0], "region_data": False},
                     rng=[None] * 3, number_processes=args.processes, display_progress=False)
    df = pd.DataFrame(rows)
    print(df[["focal__subsidy_depth", "seed", "focal_share", "took_off", "take_off_observable"]])
    print(df.groupby("focal__subsidy_depth")["took_off"].mean())
