"""The demand pull behind "an anchor deal raises supplier arrivals" (docs/calibration.md, "Market
access"): the world of ``tests/test_texts_facts.py::test_an_anchor_deal_raises_supplier_arrivals_
through_market_access`` (an assembly anchor offered county_01's deal), with market access on
(gamma_M = 1, as the test) and off (gamma_M = 0), seeds 0-9: arrivals of the anchor's supplier
sectors (materials, components) in county_01 in years 3-10 with the deal minus without the anchor.

Prints one JSON line per gamma_M: the paired differences, their mean and standard error.
Usage: ``python benchmarks/calibration/anchor_suppliers.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))  # the test's world and counter

from test_texts_facts import _anchor_world, _arrivals

from clustersim.model import ClusterModel

TERMS = dict(sector="assembly", capital=400000.0, year=2, land_award=100.0, award=400000.0, rebate_share=1.0,
             rebate_years=10)


def main() -> None:
    for market in (1.0, 0.0):
        diff = []
        for seed in range(10):
            n = [_arrivals(ClusterModel(_anchor_world(TERMS, deal, market), seed=seed), "county_01", 10,
                           lambda t, rows: t.sector[rows] < 2, after=2) for deal in (True, False)]
            diff.append(n[0] - n[1])
        d = np.array(diff, float)
        print(json.dumps({"market": market, "diff": diff, "mean": d.mean(), "se": d.std(ddof=1) / np.sqrt(d.size)}),
              flush=True)


if __name__ == "__main__":
    main()
