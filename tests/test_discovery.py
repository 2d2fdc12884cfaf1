"""Scenario discovery (clustersim.thresholds.discovery): PRIM finds a planted failure region and
the report names its ranges with coverage and density."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clustersim.sweep.report import build_report
from clustersim.thresholds.discovery import failure_boxes


def planted(n: int = 400, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """Failure when agglomeration < 0.15 and moving cost > 0.5 (5 % of outcomes flipped at random)."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"agglomeration": rng.uniform(0.05, 0.35, n), "moving_cost": rng.uniform(0, 1, n),
                      "theta": rng.uniform(0.01, 0.1, n)})
    fail = (x["agglomeration"] < 0.15) & (x["moving_cost"] > 0.5)
    return x, (fail ^ (rng.random(n) < 0.05)).to_numpy()


def test_prim_finds_the_planted_region_and_its_statistics_are_what_they_say():
    x, failed = planted()
    box = failure_boxes(x, failed)[0]
    assert set(box.limits) == {"agglomeration", "moving_cost"}  # theta is irrelevant and left unrestricted
    lo_a, hi_a = box.limits["agglomeration"]
    lo_m, hi_m = box.limits["moving_cost"]
    assert abs(hi_a - 0.15) < 0.03 and abs(lo_m - 0.5) < 0.08
    inside = x["agglomeration"].between(lo_a, hi_a) & x["moving_cost"].between(lo_m, hi_m)
    assert box.runs_inside == inside.sum()
    assert box.density == failed[inside].mean() >= 0.8
    assert box.coverage == failed[inside].sum() / failed.sum()
    assert box.mass == inside.mean()


def test_report_names_the_failure_ranges_of_an_uncertainty_sweep():
    x, failed = planted()
    results = x.assign(run_id=[f"r{i}" for i in range(len(x))], status="ok", error="", took_off=~failed)
    meta = {"experiment": "lhs", "design_kind": "lhs", "replicates": 1, "years": 40, "factors": [
        {"name": n, "role": "uncertainty", "parameters": [f"x.{n}"], "low": float(x[n].min()),
         "high": float(x[n].max()), "label": n.replace("_", " ")} for n in x.columns]}
    text = "\n".join(build_report(results, meta).lines)
    assert "## Where the package fails (scenario discovery)" in text
    assert "Box 1: the package fails in" in text and "agglomeration 0.05" in text and "moving cost 0.5" in text
    assert "theta" not in text.split("## Where the package fails")[1].split("##")[0].split("| box |")[1]
