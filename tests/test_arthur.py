"""Arthur's (1989) sequential-arrival model (scenarios/arthur.toml) against the gambler's ruin.

With d = n_A - n_B the walk steps +1 (a type-R arrival, probability p) or -1 until one type
switches: lock-in to A once d reaches Delta_A, to B once it reaches -Delta_B. Arthur (1989,
Economic Journal 99:116-31): P(lock-in to A) = Delta_B / (Delta_A + Delta_B) at p = 1/2, else
(1 - (q/p)^Delta_B) / (1 - (q/p)^(Delta_A + Delta_B)), q = 1 - p. Each setting runs N seeded models
and compares the share locked in to A with the formula within 3 binomial standard errors.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from clustersim.scenario import apply_overrides, build_model, load_scenario

ARTHUR = Path(__file__).resolve().parents[1] / "scenarios" / "arthur.toml"
RUNS = 150


def gamblers_ruin(p: float, delta_a: int, delta_b: int) -> float:
    if p == 0.5:
        return delta_b / (delta_a + delta_b)
    r = (1 - p) / p
    return (1 - r**delta_b) / (1 - r ** (delta_a + delta_b))


def lock_in_share(p: float, gap_r: float, gap_s: float, runs: int = RUNS) -> tuple[float, int, int, int]:
    """(share of absorbed runs locked in to A, runs locked in to A, absorbed runs, Delta_A) with
    R's advantage a_R - b_R = gap_r and S's b_S - a_S = gap_s (non-integer: no ties)."""
    delta_a, delta_b = math.floor(gap_s) + 1, math.floor(gap_r) + 1
    scenario = apply_overrides(load_scenario(ARTHUR), {
        "years": 1, "firms.births_per_year": 40.0, "sectors.birth_share": [p, 1 - p],
        "agglomeration.natural_advantage": {"r_type": {"county_01": 1.0 + gap_r, "county_02": 1.0},
                                            "s_type": {"county_01": 1.0, "county_02": 1.0 + gap_s}}})
    to_a = absorbed = 0
    for seed in range(runs):
        model = build_model(scenario, seed=seed).run()
        d = model.regions.firms[1] - model.regions.firms[2]  # county_01 (A) minus county_02 (B)
        to_a += d >= delta_a
        absorbed += d >= delta_a or d <= -delta_b
    return to_a / absorbed, to_a, absorbed, delta_a


@pytest.mark.parametrize(("p", "gap_r", "gap_s"), [(0.5, 3.5, 1.5), (0.6, 1.5, 3.5)])
def test_lock_in_probability_matches_the_gamblers_ruin(p, gap_r, gap_s):
    share, _, absorbed, delta_a = lock_in_share(p, gap_r, gap_s)
    delta_b = math.floor(gap_r) + 1
    expected = gamblers_ruin(p, delta_a, delta_b)
    assert absorbed >= 0.98 * RUNS, f"only {absorbed} of {RUNS} runs locked in within ~40 arrivals"
    se = math.sqrt(expected * (1 - expected) / absorbed)
    assert abs(share - expected) <= 3 * se, f"P(A) = {share:.3f}, gambler's ruin {expected:.3f} ± {3 * se:.3f}"


def test_the_old_recipe_sorts_by_type_and_never_locks_in():
    """Localisation (same-sector firms only) instead of urbanisation: each type keeps to its own
    county; no county ever gets both types (docs/ODD.md section 3.3.11)."""
    scenario = apply_overrides(load_scenario(ARTHUR), {
        "years": 1, "firms.births_per_year": 40.0, "agglomeration.urbanisation": 0.0,
        "agglomeration.localisation": 1.0})
    for seed in range(10):
        model = build_model(scenario, seed=seed).run()
        by_type = model.firms_by_sector[:, 1:]  # sectors x (county_01, county_02)
        assert by_type[0, 1] == 0 and by_type[1, 0] == 0, by_type
        assert np.all(by_type.sum(axis=1) > 0)
