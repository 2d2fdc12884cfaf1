"""The three regime properties of MODEL_SPEC §9, held by the default parameters.

These tests rely on the defaults on purpose (docs/calibration.md explains how they were chosen).
Parameters set here: the focal county (county_01), its package (district land tiers and rebates,
offered from year 1 for 12 or 2 years), its subsidy depth and its fee rate; run lengths. Seeds
are fixed. Tolerances come from the calibration sweep (benchmarks/calibration/regimes.py, 20
seeds per cell), as stated next to each assertion.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

import numpy as np
import pytest

from clustersim import metrics
from clustersim.model import ClusterModel
from clustersim.params import Scenario

FOCAL = "county_01"
SEEDS = range(1000, 1012)  # 12 replicates per cell
DISTRICT_PACKAGE = {
    "land_tiers": [{"min_investment": 20000.0, "price": 12.5},
                   {"min_investment": 10000.0, "price": 13.5},
                   {"min_investment": 5000.0, "price": 14.0}],
    "standard_factory_price": 14.5,
    "rebate_schedule": [1.0, 1.0, 1.0, 0.5, 0.5],
    "standard_factory_rebate_schedule": [1.0, 1.0, 0.5, 0.5],
    "standard_factory_rebate_min_investment": 2025.0,
    "start_year": 1,
}


def focal_scenario(depth: float, fee: float, duration: int) -> Scenario:
    return Scenario.model_validate({
        "focal_county": FOCAL,
        "packages": {"focal": {**DISTRICT_PACKAGE, "duration_years": duration}},
        "regions": [{"name": FOCAL, "package": "focal", "subsidy_depth": depth, "fee_rate": fee}],
    })


@cache
def focal_cell(depth: float, fee: float, duration: int) -> tuple[np.ndarray, np.ndarray]:
    """(took_off, final focal share) over SEEDS for 40-year runs; take-off threshold 0.3 held 5 years."""
    took, share = [], []
    for seed in SEEDS:
        m = ClusterModel(focal_scenario(depth, fee, duration), seed=seed).run(40)
        df = m.model_frame()
        t = metrics.take_off(df["year"].to_numpy(), df["focal_share"].to_numpy(), m.incentives_end_year(),
                             threshold=0.3, hold_years=5)
        took.append(t.took_off)
        share.append(t.final_share)
    return np.array(took, float), np.array(share)


def welch_se(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size))


def test_relocation_wave_starts_within_first_years():
    # Sweep (20 seeds): county share of firms 0.006 in year 3, 0.09 in year 5, 0.18 in year 8.
    # Every seed must show no inland firms in year 1 (the run starts just before the wave)
    # and at least 5 % of firms inland by year 8 (measured minimum over 20 seeds well above).
    for seed in range(6):
        df = ClusterModel(seed=seed).run(8).model_frame()
        share = (df["firms_in_counties"] / df["firms"]).to_numpy()
        assert share[1] < 0.01, (seed, share)
        assert share[8] > 0.05, (seed, share)


def test_baseline_is_path_dependent():
    # Sweep (20 seeds): 5 different leading counties, the most frequent leading in 11 of 20
    # (p ~ 0.55). If one county led with p = 0.55 independently, all 12 seeds agreeing has
    # probability 0.55**12 < 0.001; we require at least 2 distinct leaders among 12 seeds.
    leaders, largest = [], []
    for seed in range(12):
        m = ClusterModel(seed=seed).run(30)
        r = m.regions
        emp = r.employment[r.is_county]
        leaders.append(int(np.argmax(emp)))
        largest.append(emp.max() / emp.sum())
    assert len(Counter(leaders)) >= 2, leaders
    # the largest county's share is spread (sweep: 0.35 .. 0.62, sd 0.10)
    assert max(largest) - min(largest) > 0.1, largest


@pytest.mark.parametrize("depth", [4.0])
def test_subsidy_depth_raises_take_off(depth):
    took0, share0 = focal_cell(0.0, 0.01, 12)
    took, share = focal_cell(depth, 0.01, 12)
    # Sweep (20 seeds): take-off 0.10 -> 0.45, mean final share 0.14 -> 0.38 (depth 0 -> 4).
    # The binary take-off rate with 12 seeds has SE ~0.13, too coarse for a 2-SE test, so the
    # margin is tested on the final share (Welch SE) and only the sign on the take-off rate.
    assert took.mean() > took0.mean()
    assert share.mean() - share0.mean() > 2 * welch_se(share, share0)


def test_high_fee_blocks_take_off():
    _, share1 = focal_cell(4.0, 0.01, 12)
    took6, share6 = focal_cell(4.0, 0.06, 12)
    # Sweep (20 seeds) at depth 4: take-off 0.45 at a 1 % fee, 0.00 at 6 %; final share 0.38 vs 0.03.
    assert took6.mean() <= 0.1
    assert share1.mean() - share6.mean() > 2 * welch_se(share1, share6)


def test_incentives_expiring_before_the_wave_change_little():
    took0, share0 = focal_cell(0.0, 0.01, 12)
    took2, share2 = focal_cell(4.0, 0.01, 2)
    # A 2-year package ends before inland arrivals begin (year 3), so it can only act through
    # the few firms arriving in years 1-2: the sweep gave identical results to depth 0.
    assert abs(share2.mean() - share0.mean()) < 2 * max(welch_se(share2, share0), 0.01)
    assert abs(took2.mean() - took0.mean()) <= 1 / len(SEEDS)
