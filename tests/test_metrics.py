"""Tests for clustersim.metrics.

Every expected value below is worked out by hand in the comments (mostly with exact fractions)
so a reader can check the arithmetic without trusting the implementation.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clustersim.metrics import (
    FiscalReturn,
    TakeOff,
    clusters,
    ellison_glaeser,
    ellison_glaeser_by_sector,
    fiscal_return,
    hhi,
    largest_share,
    locational_gini,
    take_off,
)

# --------------------------------------------------------------------------------------------
# HHI
# --------------------------------------------------------------------------------------------


def test_hhi_shares_by_hand() -> None:
    # 0.5^2 + 0.3^2 + 0.2^2 = 0.25 + 0.09 + 0.04 = 0.38
    assert hhi([0.5, 0.3, 0.2]) == pytest.approx(0.38, abs=1e-12)


def test_hhi_normalises_amounts() -> None:
    # amounts 5, 3, 2 -> total 10 -> shares 0.5, 0.3, 0.2 -> 0.38 as above
    assert hhi(np.array([5, 3, 2])) == pytest.approx(0.38, abs=1e-12)
    # 7 and 3 of 10: 0.49 + 0.09 = 0.58
    assert hhi([7.0, 3.0]) == pytest.approx(0.58, abs=1e-12)


def test_hhi_extremes() -> None:
    assert hhi([0.0, 4.0, 0.0]) == pytest.approx(1.0)  # all in one region
    assert hhi([2.0, 2.0, 2.0, 2.0]) == pytest.approx(0.25)  # 4 * (1/4)^2 = 1/4


def test_hhi_empty_economy_is_zero() -> None:
    assert hhi([0.0, 0.0, 0.0]) == 0.0
    assert hhi([]) == 0.0


def test_hhi_2d_rows_and_columns() -> None:
    a = np.array([[5.0, 3.0, 2.0],
                  [1.0, 1.0, 0.0],
                  [0.0, 0.0, 0.0]])
    # rows (default axis=-1): 0.38; (1/2)^2 + (1/2)^2 = 0.5; empty row -> 0.0
    np.testing.assert_allclose(hhi(a), [0.38, 0.5, 0.0], atol=1e-12)
    # columns (axis=0): (5,1,0): 25/36 + 1/36 = 26/36 = 13/18; (3,1,0): 9/16 + 1/16 = 5/8; (2,0,0): 1
    np.testing.assert_allclose(hhi(a, axis=0), [13 / 18, 5 / 8, 1.0], atol=1e-12)


def test_hhi_rejects_negative_and_nan() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        hhi([1.0, -0.5])
    with pytest.raises(ValueError, match="finite"):
        hhi([1.0, float("nan")])


@given(st.lists(st.floats(min_value=0.0, max_value=1e6, allow_nan=False), min_size=1, max_size=30)
       .filter(lambda xs: sum(xs) > 1e-6))
def test_hhi_bounded_by_one_over_m_and_one(xs: list[float]) -> None:
    h = hhi(xs)
    assert 1.0 / len(xs) - 1e-12 <= h <= 1.0 + 1e-12


@given(st.lists(st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_subnormal=False),
                min_size=1, max_size=30),
       st.floats(min_value=1e-3, max_value=1e3))
def test_hhi_invariant_to_scale_and_order(xs: list[float], k: float) -> None:
    a = np.array(xs)
    assert hhi(a * k) == pytest.approx(hhi(a), abs=1e-12)
    assert hhi(a[::-1]) == pytest.approx(hhi(a), abs=1e-12)


# --------------------------------------------------------------------------------------------
# Ellison-Glaeser
# --------------------------------------------------------------------------------------------

# Worked example: 2 regions, 3 plants with employment 6, 3, 1 in regions 0, 0, 1.
#   industry employment 10 -> s = (9/10, 1/10)
#   z = (6/10, 3/10, 1/10) -> H = 36/100 + 9/100 + 1/100 = 46/100 = 23/50
EMP = [6.0, 3.0, 1.0]
REG = [0, 0, 1]


def test_eg_by_hand_uniform_aggregate() -> None:
    # x = (1/2, 1/2): sum x^2 = 1/2, 1 - sum x^2 = 1/2
    # G = (9/10 - 1/2)^2 + (1/10 - 1/2)^2 = (2/5)^2 + (2/5)^2 = 8/25
    # G / (1 - sum x^2) = (8/25) / (1/2) = 16/25 = 32/50
    # gamma = (32/50 - 23/50) / (1 - 23/50) = (9/50) / (27/50) = 1/3
    g, h, sx2 = F(8, 25), F(23, 50), F(1, 2)
    expected = (g / (1 - sx2) - h) / (1 - h)
    assert expected == F(1, 3)
    assert ellison_glaeser(EMP, REG, [0.5, 0.5]) == pytest.approx(1 / 3, abs=1e-12)


def test_eg_by_hand_skewed_aggregate() -> None:
    # x = (3/5, 2/5): sum x^2 = 9/25 + 4/25 = 13/25, 1 - sum x^2 = 12/25
    # G = (9/10 - 6/10)^2 + (1/10 - 4/10)^2 = 9/100 + 9/100 = 18/100 = 9/50
    # G / (1 - sum x^2) = (9/50) * (25/12) = 225/600 = 3/8
    # gamma = (3/8 - 23/50) / (27/50) = (75/200 - 92/200) * (50/27) = (-17/200) * (50/27) = -17/108
    g, h, sx2 = F(9, 50), F(23, 50), F(13, 25)
    assert g / (1 - sx2) == F(3, 8)
    expected = (g / (1 - sx2) - h) / (1 - h)
    assert expected == F(-17, 108)
    assert ellison_glaeser(EMP, REG, [0.6, 0.4]) == pytest.approx(-17 / 108, abs=1e-12)


def test_eg_accepts_integer_and_float_index_arrays() -> None:
    assert ellison_glaeser(np.array([6, 3, 1]), np.array([0.0, 0.0, 1.0]), np.array([0.5, 0.5])) \
        == pytest.approx(1 / 3, abs=1e-12)


def test_eg_single_plant_is_nan() -> None:
    assert math.isnan(ellison_glaeser([5.0], [1], [0.5, 0.5]))
    # several plants but only one with employment: H = 1 as well
    assert math.isnan(ellison_glaeser([0.0, 5.0, 0.0], [0, 1, 0], [0.5, 0.5]))


def test_eg_all_aggregate_in_one_region_is_nan() -> None:
    # 1 - sum x^2 = 0 -> the normalisation is undefined
    assert math.isnan(ellison_glaeser([1.0, 1.0], [0, 0], [1.0, 0.0]))


@pytest.mark.parametrize(
    ("emp", "reg", "share", "msg"),
    [
        ([1.0, 2.0], [0], [0.5, 0.5], "equal lengths"),
        ([1.0, -2.0], [0, 1], [0.5, 0.5], "non-negative"),
        ([1.0, 2.0], [0, 2], [0.5, 0.5], "0..1"),
        ([1.0, 2.0], [0, -1], [0.5, 0.5], "0..1"),
        ([1.0, 2.0], [0, 0.5], [0.5, 0.5], "integer"),
        ([1.0, 2.0], [0, 1], [0.5, 0.6], "sum to 1"),
        ([1.0, 2.0], [0, 1], [1.5, -0.5], "non-negative"),
    ],
)
def test_eg_validation(emp: list[float], reg: list[float], share: list[float], msg: str) -> None:
    with pytest.raises(ValueError, match=msg):
        ellison_glaeser(emp, reg, share)


def test_eg_region_share_tolerance_scales_with_m() -> None:
    m = 10
    x = np.full(m, 1 / m)
    ok = x.copy()
    ok[0] += 5e-9  # |sum - 1| = 5e-9 <= 1e-9 * 10
    bad = x.copy()
    bad[0] += 5e-8  # 5e-8 > 1e-8
    ellison_glaeser([1.0, 1.0], [0, 1], ok)
    with pytest.raises(ValueError, match="sum to 1"):
        ellison_glaeser([1.0, 1.0], [0, 1], bad)


def test_eg_by_sector_by_hand() -> None:
    # sector 0: the worked example above (emp 6, 3, 1 in regions 0, 0, 1)
    # sector 1: two plants of 5 in region 1; sector 2: no plants
    emp = [6.0, 3.0, 1.0, 5.0, 5.0]
    reg = [0, 0, 1, 1, 1]
    sec = [0, 0, 0, 1, 1]
    # aggregate: region 0 = 9, region 1 = 1 + 10 = 11, total 20 -> x = (9/20, 11/20)
    # sum x^2 = 81/400 + 121/400 = 202/400 = 101/200 -> 1 - sum x^2 = 99/200
    # sector 0: s = (9/10, 1/10) = (18/20, 2/20); G = (9/20)^2 + (-9/20)^2 = 162/400 = 81/200
    #   G/(1 - sum x^2) = 81/99 = 9/11; H = 23/50
    #   gamma = (9/11 - 23/50) / (27/50) = ((450 - 253)/550) * (50/27) = 197/297
    # sector 1: s = (0, 1); G = (9/20)^2 + (9/20)^2 = 81/200 -> 9/11 again; H = 1/4 + 1/4 = 1/2
    #   gamma = (9/11 - 1/2) / (1/2) = (7/22) * 2 = 7/11
    g0 = (F(9, 11) - F(23, 50)) / (1 - F(23, 50))
    g1 = (F(9, 11) - F(1, 2)) / (1 - F(1, 2))
    assert (g0, g1) == (F(197, 297), F(7, 11))
    out = ellison_glaeser_by_sector(emp, reg, sec, n_regions=2, n_sectors=3)
    assert out.shape == (3,)
    np.testing.assert_allclose(out[:2], [197 / 297, 7 / 11], atol=1e-12)
    assert math.isnan(out[2])


def test_eg_by_sector_explicit_share_and_single_plant_sector() -> None:
    emp = [6.0, 3.0, 1.0, 4.0]
    reg = [0, 0, 1, 1]
    sec = [0, 0, 0, 1]  # sector 1 has a single plant -> nan
    out = ellison_glaeser_by_sector(emp, reg, sec, 2, 2, region_share=[0.6, 0.4])
    assert out[0] == pytest.approx(-17 / 108, abs=1e-12)  # same as test_eg_by_hand_skewed_aggregate
    assert math.isnan(out[1])


def test_eg_by_sector_validation() -> None:
    with pytest.raises(ValueError, match="plant_sector"):
        ellison_glaeser_by_sector([1.0, 1.0], [0, 1], [0, 3], 2, 2)
    with pytest.raises(ValueError, match="region_share"):
        ellison_glaeser_by_sector([1.0, 1.0], [0, 1], [0, 0], 2, 1, region_share=[1.0])
    assert np.isnan(ellison_glaeser_by_sector([0.0, 0.0], [0, 1], [0, 0], 2, 1)).all()


plants = st.lists(
    st.tuples(st.floats(min_value=0.1, max_value=1e4), st.integers(min_value=0, max_value=5)),
    min_size=2, max_size=25,
)


@given(plants, st.permutations(range(6)),
       st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=6, max_size=6))
def test_eg_invariant_to_relabelling_regions(
    ps: list[tuple[float, int]], perm: list[int], weights: list[float]
) -> None:
    emp = np.array([p[0] for p in ps])
    reg = np.array([p[1] for p in ps])
    x = np.array(weights) / sum(weights)
    base = ellison_glaeser(emp, reg, x)
    # old label m becomes new label perm[m]; region_share must move with it
    p = np.array(perm)
    x_new = np.empty_like(x)
    x_new[p] = x
    relabelled = ellison_glaeser(emp, p[reg], x_new)
    if math.isnan(base):
        assert math.isnan(relabelled)
    else:
        assert relabelled == pytest.approx(base, rel=1e-9, abs=1e-9)


@given(st.lists(st.integers(min_value=0, max_value=6), min_size=2, max_size=8)
       .filter(lambda ns: sum(1 for n in ns if n > 0) >= 2))
def test_eg_dartboard_with_g_zero(counts: list[int]) -> None:
    # n_m equal-sized plants in region m and x_m = n_m / N, so the industry is distributed exactly
    # like aggregate employment: s_m = x_m, G = 0, H = N * (1/N)^2 = 1/N and
    # gamma = (0 - H) / (1 - H) = -(1/N) / ((N-1)/N) = -1/(N-1).
    n = sum(counts)
    reg = np.repeat(np.arange(len(counts)), counts)
    emp = np.full(n, 3.0)
    x = np.array(counts, dtype=float) / n
    assert ellison_glaeser(emp, reg, x) == pytest.approx(-1.0 / (n - 1), rel=1e-9, abs=1e-12)


@settings(max_examples=50)
@given(plants, st.lists(st.integers(min_value=0, max_value=2), min_size=25, max_size=25))
def test_eg_by_sector_matches_single_industry(ps: list[tuple[float, int]], sectors: list[int]) -> None:
    emp = np.array([p[0] for p in ps])
    reg = np.array([p[1] for p in ps])
    sec = np.array(sectors[: len(ps)])
    x = np.bincount(reg, weights=emp, minlength=6) / emp.sum()
    out = ellison_glaeser_by_sector(emp, reg, sec, n_regions=6, n_sectors=3)
    for k in range(3):
        mask = sec == k
        if mask.sum() < 2:
            assert math.isnan(out[k])
            continue
        one = ellison_glaeser(emp[mask], reg[mask], x)
        assert (math.isnan(one) and math.isnan(out[k])) or out[k] == pytest.approx(one, abs=1e-12)


# --------------------------------------------------------------------------------------------
# locational Gini
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("m", [2, 3, 4, 10])
def test_gini_all_in_one_region(m: int) -> None:
    # uniform reference: the Lorenz curve is flat (Y = 0) up to X = (M-1)/M, then rises to 1
    # over the last 1/M: area = (1/M) * (0 + 1) / 2 = 1/(2M); Gini = 1 - 2/(2M) = (M-1)/M
    a = np.zeros(m)
    a[m // 2] = 7.0
    assert locational_gini(a) == pytest.approx((m - 1) / m, abs=1e-12)


def test_gini_equal_shares_is_zero() -> None:
    assert locational_gini([3.0, 3.0, 3.0, 3.0]) == pytest.approx(0.0, abs=1e-12)
    # distributed exactly like a non-uniform reference: also 0
    assert locational_gini([2.0, 4.0, 6.0], reference=[1.0, 2.0, 3.0]) == pytest.approx(0.0, abs=1e-12)


def test_gini_intermediate_uniform_by_hand() -> None:
    # shares (0.4, 0.1, 0.3, 0.2), uniform reference 1/4. Sorted by ratio: 0.1, 0.2, 0.3, 0.4
    # X = 0, .25, .5, .75, 1      Y = 0, .1, .3, .6, 1
    # trapezoids: .25*(0+.1)/2 = .0125; .25*(.1+.3)/2 = .05; .25*(.3+.6)/2 = .1125; .25*(.6+1)/2 = .2
    # area = .375 -> Gini = 1 - 2*.375 = 0.25
    assert locational_gini([0.4, 0.1, 0.3, 0.2]) == pytest.approx(0.25, abs=1e-12)


def test_gini_intermediate_reference_by_hand() -> None:
    # regions given out of order: industry (0.5, 0.25, 0.25), reference (0.25, 0.5, 0.25)
    # ratios s/r = 2, 0.5, 1 -> sorted regions 1, 2, 0
    # X = 0, .5, .75, 1       Y = 0, .25, .5, 1
    # area = .5*(0+.25)/2 + .25*(.25+.5)/2 + .25*(.5+1)/2 = .0625 + .09375 + .1875 = .34375
    # Gini = 1 - .6875 = 0.3125
    assert locational_gini([2.0, 1.0, 1.0], reference=[1.0, 2.0, 1.0]) == pytest.approx(0.3125, abs=1e-12)


def test_gini_zero_reference_region() -> None:
    # industry (1/2, 1/2) but reference (1, 0): region 1 has ratio inf and sorts last.
    # X = 0, 1, 1   Y = 0, 1/2, 1  -> area = 1*(0+1/2)/2 + 0 = 1/4 -> Gini = 1/2
    assert locational_gini([1.0, 1.0], reference=[1.0, 0.0]) == pytest.approx(0.5, abs=1e-12)


def test_gini_2d_and_edge_cases() -> None:
    out = locational_gini(np.array([[0.4, 0.1, 0.3, 0.2], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(out[:2], [0.25, 0.0], atol=1e-12)
    assert math.isnan(out[2])  # empty industry
    with pytest.raises(ValueError, match="length"):
        locational_gini([1.0, 2.0], reference=[1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="positive sum"):
        locational_gini([1.0, 2.0], reference=[0.0, 0.0])


@given(st.lists(st.floats(min_value=0.0, max_value=1e4), min_size=2, max_size=20)
       .filter(lambda xs: sum(xs) > 1e-3), st.randoms(use_true_random=False))
def test_gini_bounds_and_permutation_invariance(xs: list[float], rnd: random.Random) -> None:
    m = len(xs)
    g = locational_gini(xs)
    assert -1e-12 <= g <= (m - 1) / m + 1e-12
    ys = list(xs)
    rnd.shuffle(ys)
    assert locational_gini(ys) == pytest.approx(g, abs=1e-9)


# --------------------------------------------------------------------------------------------
# largest share and clusters
# --------------------------------------------------------------------------------------------


def test_largest_share() -> None:
    assert largest_share([1.0, 6.0, 3.0]) == (1, pytest.approx(0.6))
    assert largest_share([4.0, 1.0, 4.0]) == (0, pytest.approx(4 / 9))  # tie -> lowest index, 4/9
    assert largest_share([0.0, 0.0]) == (-1, 0.0)
    with pytest.raises(ValueError):
        largest_share([])


CLUSTER_DATA = np.array([
    [50.0, 30.0, 15.0, 5.0],  # sector 0, total 100: shares .5, .3, .15, .05
    [0.0, 8.0, 40.0, 12.0],  # sector 1, total 60: shares 0, .133, .667, .2
])


def test_clusters_by_hand() -> None:
    # sector 0: share >= .2 in regions 0 (50) and 1 (30), both >= 10 -> {0, 1}
    # sector 1: share >= .2 in regions 2 (40) and 3 (12/60 = .2 exactly), both >= 10 -> {2, 3}
    assert clusters(CLUSTER_DATA) == 4
    # min_size 15 drops region 3 (12 < 15)
    assert clusters(CLUSTER_DATA, min_size=15) == 3
    # min_share .35 keeps only region 0 (.5) and region 2 (.667)
    assert clusters(CLUSTER_DATA, min_share=0.35) == 2


def test_clusters_region_counted_once() -> None:
    # both sectors cluster in region 0 -> one region
    assert clusters([[20.0, 1.0], [30.0, 2.0]]) == 1
    # 1-D input = one sector; 25 and 25 of 100 qualify, 49 qualifies, 1 does not -> 3
    assert clusters([25.0, 25.0, 49.0, 1.0]) == 3


def test_clusters_empty_and_small() -> None:
    assert clusters(np.zeros((2, 3))) == 0
    assert clusters([[5.0, 3.0]]) == 0  # shares fine but 5 < 10 and 3 < 10
    with pytest.raises(ValueError, match="min_share"):
        clusters(CLUSTER_DATA, min_share=1.5)


# --------------------------------------------------------------------------------------------
# take-off
# --------------------------------------------------------------------------------------------

YEARS = np.arange(10, dtype=float)  # 0 .. 9


def test_take_off_held_exactly_hold_years() -> None:
    # incentives end in year 5 -> "after" = years 6, 7, 8, 9
    # year 6 = .1 (< .3) breaks the run, years 7, 8, 9 = .31, .32, .30 (>= .3) -> held 3 = hold_years
    share = [0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.1, 0.31, 0.32, 0.3]
    r = take_off(YEARS, share, incentives_end=5.0, threshold=0.3, hold_years=3)
    assert r == TakeOff(took_off=True, observable=True, first_year_at_threshold=3.0,
                        years_held_after_end=3, final_share=0.3)
    # one more year required -> fails, though still observable (4 years after the end)
    r4 = take_off(YEARS, share, incentives_end=5.0, threshold=0.3, hold_years=4)
    assert (r4.took_off, r4.observable, r4.years_held_after_end) == (False, True, 3)


def test_take_off_one_year_dipping_below() -> None:
    # year 8 dips to .29: only year 9 counts from the end
    share = [0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.5, 0.29, 0.5]
    r = take_off(YEARS, share, incentives_end=5.0, threshold=0.3, hold_years=3)
    assert (r.took_off, r.observable, r.years_held_after_end) == (False, True, 1)
    assert r.final_share == 0.5


def test_take_off_incentives_never_ended() -> None:
    share = np.full(10, 0.9)
    r = take_off(YEARS, share, incentives_end=float("inf"), threshold=0.3, hold_years=3)
    assert r == TakeOff(took_off=False, observable=False, first_year_at_threshold=0.0,
                        years_held_after_end=0, final_share=0.9)


def test_take_off_not_observable() -> None:
    # incentives end in year 8 -> years 8, 9 are without incentives; 2 < hold_years = 3
    share = np.full(10, 0.9)
    r = take_off(YEARS, share, incentives_end=8.0, threshold=0.3, hold_years=3)
    assert (r.took_off, r.observable, r.years_held_after_end) == (False, False, 2)


def test_take_off_end_year_itself_counts_as_after() -> None:
    # share >= .3 from year 3 on. End = 7 (first year without incentives) -> years 7, 8, 9
    share = [0.0, 0.1, 0.2, 0.3, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]
    r7 = take_off(YEARS, share, incentives_end=7.0, threshold=0.3, hold_years=3)
    assert (r7.took_off, r7.observable, r7.years_held_after_end) == (True, True, 3)
    # End = 8 -> years 8, 9 only: 2 < 3, not observable; the held count stops at the end
    r8 = take_off(YEARS, share, incentives_end=8.0, threshold=0.3, hold_years=3)
    assert (r8.took_off, r8.observable, r8.years_held_after_end) == (False, False, 2)
    # fractional ends: 6.5 -> years 7, 8, 9 (like 7); 7.5 -> years 8, 9 (like 8)
    assert take_off(YEARS, share, incentives_end=6.5, threshold=0.3, hold_years=3).took_off is True
    assert take_off(YEARS, share, incentives_end=7.5, threshold=0.3, hold_years=3).took_off is False
    assert take_off(YEARS, share, incentives_end=7.5, threshold=0.3, hold_years=2).took_off is True


def test_take_off_never_at_threshold() -> None:
    r = take_off([2020, 2021, 2022], [0.1, 0.2, 0.25], incentives_end=2019.0, threshold=0.3, hold_years=2)
    assert r.took_off is False and r.observable is True
    assert math.isnan(r.first_year_at_threshold)
    assert r.to_dict()["final_share"] == 0.25


def test_take_off_validation() -> None:
    with pytest.raises(ValueError, match="ascending"):
        take_off([0, 2, 1], [0.1, 0.2, 0.3], 0.0, 0.3, 1)
    with pytest.raises(ValueError, match="equal lengths"):
        take_off([0, 1, 2], [0.1, 0.2], 0.0, 0.3, 1)
    with pytest.raises(ValueError, match="hold_years"):
        take_off([0, 1], [0.1, 0.2], 0.0, 0.3, 0)
    with pytest.raises(ValueError, match="NaN"):
        take_off([0, 1], [0.1, 0.2], float("nan"), 0.3, 1)


# --------------------------------------------------------------------------------------------
# fiscal return
# --------------------------------------------------------------------------------------------

F_YEARS = [0, 1, 2, 3, 4]
F_PAID = [0.0, 100.0, 50.0, 0.0, 0.0]  # wan/year
F_REV = [20.0, 40.0, 80.0, 120.0, 120.0]  # wan/year
F_JOBS = [100.0, 150.0, 300.0, 400.0, 420.0]


def test_fiscal_return_default_baseline_by_hand() -> None:
    # baseline = year-0 values held: revenue 20, jobs 100
    # extra = (0, 20, 60, 100, 100) -> total 280; paid total 150; net 130
    # jobs = 420 - 100 = 320; cost per job = 150 / 320 = 0.46875 wan
    # cumulative extra: 0, 20, 80, 180, 280; cumulative paid: 0, 100, 150, 150, 150
    # year 0: nothing paid yet (0 >= 0 must not count); 1: 20 < 100; 2: 80 < 150; 3: 180 >= 150 -> 3
    r = fiscal_return(F_YEARS, F_PAID, F_REV, F_JOBS)
    assert r == FiscalReturn(incentives_paid=150.0, extra_revenue=280.0, net_return=130.0,
                             jobs=320.0, cost_per_job=0.46875, payback_year=3.0)


def test_fiscal_return_counterfactual_baseline_by_hand() -> None:
    years = [2020, 2021, 2022, 2023, 2024]
    base_rev = [20.0, 30.0, 40.0, 50.0, 60.0]
    base_jobs = [100.0, 110.0, 120.0, 130.0, 140.0]
    # extra = (0, 10, 40, 70, 60) -> total 180; net = 180 - 150 = 30
    # cumulative extra: 0, 10, 50, 120, 180 vs paid 0, 100, 150, 150, 150 -> first >= in 2024
    # jobs = 420 - 140 = 280; cost per job = 150 / 280 = 15/28
    r = fiscal_return(years, F_PAID, F_REV, F_JOBS, baseline_revenue=base_rev, baseline_jobs=base_jobs)
    assert r.extra_revenue == pytest.approx(180.0)
    assert r.net_return == pytest.approx(30.0)
    assert r.jobs == pytest.approx(280.0)
    assert r.cost_per_job == pytest.approx(15 / 28)
    assert r.payback_year == 2024.0
    d = r.to_dict()
    assert set(d) == {"incentives_paid", "extra_revenue", "net_return", "jobs", "cost_per_job",
                      "payback_year"}
    assert d["incentives_paid"] == 150.0


def test_fiscal_return_never_pays_back_and_no_jobs() -> None:
    # extra = (0, 5, 5) total 10 < 30 paid -> payback nan; jobs 100 - 100 = 0 -> cost per job nan
    r = fiscal_return([0, 1, 2], [10.0, 10.0, 10.0], [50.0, 55.0, 55.0], [100.0, 100.0, 100.0])
    assert r.incentives_paid == 30.0 and r.extra_revenue == 10.0 and r.net_return == -20.0
    assert math.isnan(r.payback_year)
    assert math.isnan(r.cost_per_job)


def test_fiscal_return_no_incentives() -> None:
    # nothing paid: payback undefined even though extra revenue is positive; cost per job 0
    r = fiscal_return([0, 1], [0.0, 0.0], [10.0, 30.0], [5.0, 25.0])
    assert math.isnan(r.payback_year)
    assert r.cost_per_job == 0.0 and r.jobs == 20.0 and r.extra_revenue == 20.0


def test_fiscal_return_scalar_baseline_and_validation() -> None:
    # scalar baseline 0: extra = revenue itself = (20, 40, 80, 120, 120) = 380
    r = fiscal_return(F_YEARS, F_PAID, F_REV, F_JOBS, baseline_revenue=0.0, baseline_jobs=0.0)
    assert r.extra_revenue == 380.0 and r.jobs == 420.0
    # cumulative extra 20, 60 vs paid 0, 100: year 1 fails (60 < 100); year 2: 140 < 150; year 3: 260 -> 3
    assert r.payback_year == 3.0
    with pytest.raises(ValueError, match="non-negative"):
        fiscal_return([0, 1], [-1.0, 0.0], [1.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="baseline_revenue"):
        fiscal_return([0, 1], [1.0, 0.0], [1.0, 1.0], [1.0, 1.0], baseline_revenue=[1.0, 1.0, 1.0])


@given(st.lists(st.tuples(st.floats(0, 1e3), st.floats(0, 1e3)), min_size=1, max_size=15),
       st.sampled_from([0.25, 2.0, 8.0, 1024.0]))
def test_fiscal_return_money_scale(rows: list[tuple[float, float]], k: float) -> None:
    # Re-expressing money in another unit scales the money totals and the cost per job by k but
    # leaves the payback year unchanged. k is a power of two so the scaling is exact in floating
    # point and ties (cumulative extra == cumulative paid) cannot flip by round-off.
    years = np.arange(len(rows))
    paid = np.array([r[0] for r in rows])
    rev = np.array([r[1] for r in rows])
    jobs = np.linspace(10.0, 50.0, len(rows))
    a = fiscal_return(years, paid, rev, jobs)
    b = fiscal_return(years, paid * k, rev * k, jobs)
    assert b.net_return == pytest.approx(a.net_return * k, rel=1e-9, abs=1e-6)
    if len(rows) > 1:
        assert b.cost_per_job == pytest.approx(a.cost_per_job * k, rel=1e-9)
    assert (math.isnan(a.payback_year) and math.isnan(b.payback_year)) or a.payback_year == b.payback_year
