"""Magnitude check of one run: firm economics and regions in selected years.

Usage: .venv/bin/python benchmarks/calibration/magnitudes.py [--years 30] [--seed 0] [--set path=value]

Prints, for the origin and the counties, firms, wage (wan/worker-year), land price (wan/mu),
land supply and use (mu), fiscal revenue and balance (wan), and for the live firms the median
revenue / K, the median profit margin (after-tax profit / revenue) and the share with losses.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from clustersim.arguments import parse_assignments
from clustersim.model import ClusterModel
from clustersim.params import Scenario
from clustersim.scenario import apply_overrides


def firm_economics(m: ClusterModel) -> dict[str, float]:
    """Revenue and margins of the live firms this year (recomputed from the firm table)."""
    t, r = m.firms, m.regions
    rows = m._placed()
    s, j = t.sector[rows], t.region[rows]
    cap = t.capital[rows]
    revenue = m.revenue_per_capital[s] * cap * t.productivity[rows] * m.revenue_factor[s, j]
    profit = t.profit[rows]
    origin = r.is_origin[j]
    out = {"year": m.year}
    for label, mask in (("coast", origin), ("county", ~origin)):
        if mask.sum() == 0:
            continue
        out[f"{label}_rev_per_K"] = float(np.median(revenue[mask] / cap[mask]))
        out[f"{label}_rev_median"] = float(np.median(revenue[mask]))
        out[f"{label}_margin"] = float(np.median(profit[mask] / revenue[mask]))
        out[f"{label}_loss_share"] = float(np.mean(profit[mask] < 0))
        out[f"{label}_A"] = float(np.median(m.revenue_factor[s[mask], j[mask]]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--years", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], help="dotted.path=value override")
    args = ap.parse_args()
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    m = ClusterModel(apply_overrides(Scenario(), parse_assignments(args.set)), seed=args.seed)
    econ = []
    for _ in range(args.years):
        m.step()
        econ.append(firm_economics(m))
    print(pd.DataFrame(econ).round(3).to_string(index=False))
    rf = m.region_frame()
    show = rf[rf.year.isin([0, 1, 5, 10, 20, args.years])]
    cols = ["year", "region", "firms", "employment", "wage", "land_price", "land_supply", "land_used",
            "infrastructure", "taxes", "fees", "revenue", "spending", "balance", "infrastructure_spending"]
    print(show[cols].round(2).to_string(index=False))


if __name__ == "__main__":
    main()
