"""Why the anchor of a scenario leaves county_01 (docs/calibration.md, "Instruments of the source
texts"): for each seed, the year before the anchor leaves the focal county, its location value
(per unit of a_H q) of staying and of the best other region, with what drives it there: the
revenue term (revenue factor times margin), the wage bill, the revenue multiplier A, the number
of same-sector firms L and the wage w.

Usage: ``python benchmarks/calibration/anchor_leaves.py [scenario.toml] [seeds, e.g. 0-9]``
(default: scenarios/anchor_firm.toml, seeds 0-9). Prints one JSON line per seed in which the
anchor leaves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from clustersim.choice import Deciders, firm_values
from clustersim.model import ClusterModel
from clustersim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "anchor_firm.toml"


def region_view(m: ClusterModel, row: int, k: int) -> dict:
    t = m.firms
    s = int(t.sector[row])
    q = m.revenue_per_capital[s] * t.capital[row] * t.productivity[row]
    return {"region": m.regions.names[k], "revenue": round(float(m.revenue_factor[s, k] * m.margin[s, k]), 3),
            "wages": round(float(t.employment[row] * m.regions.wage[k] / q), 3),
            "A": round(float(m.revenue_factor[s, k]), 2), "L": int(m.localisation[s, k]),
            "w": round(float(m.regions.wage[k]), 2)}


def why(sc, seed: int, years: int = 40) -> dict | None:
    m = ClusterModel(sc, seed=seed)
    before = None
    for y in range(1, years + 1):
        m.step()
        t = m.firms
        rows = np.flatnonzero(t.alive[: t.size] & (t.anchor[: t.size] > 0))
        if rows.size == 0:
            continue
        row, here = int(rows[0]), int(t.region[rows[0]])
        if before is not None and here != m.focal:
            return {"seed": seed, "left_in_year": y, **before}
        if here != m.focal:
            before = None
            continue
        f = Deciders.from_table(t, rows[:1], np.zeros(1, bool))
        value, feasible, scale = firm_values(m.choice_set(), f)
        v = np.where(feasible[0], value[0], -np.inf)
        best = int(next(k for k in np.argsort(-v) if k != here))
        before = {"year": y, "residence_years": int(t.years[row]), "stay": round(float(v[here] / scale[0]), 3),
                  "best": round(float(v[best] / scale[0]), 3), "host": region_view(m, row, here),
                  "destination": region_view(m, row, best)}
    return None


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else SCENARIO
    lo, _, hi = (sys.argv[2] if len(sys.argv) > 2 else "0-9").partition("-")
    sc = load_scenario(path)
    for seed in range(int(lo), int(hi or lo) + 1):
        out = why(sc, seed)
        if out is not None:
            print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
