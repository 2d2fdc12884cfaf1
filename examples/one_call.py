"""One call: run a shipped scenario with the focal county's policy changed, with its same-seed
counterfactual, and read the outcomes and the yearly table.

    python examples/one_call.py [--years N]
"""

import argparse

import clustersim

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--years", type=int, default=40, help="years to simulate (default 40)")
args = parser.parse_args()

result = clustersim.run("held_package", years=args.years, seed=1, counterfactual=True,
                        focal__subsidy_depth=2.0, focal__fee_rate=0.02)
print({k: result.outcomes[k] for k in ("took_off", "final_share", "jobs", "net_fiscal_return")})
print(result.tables["model"][["year", "focal_share", "took_off", "take_off_observable"]].tail())
