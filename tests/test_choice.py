"""The vectorised location decision (clustersim.choice) against the per-agent reference
(clustersim.reference), on model states taken from real runs; and the inverse-CDF draw.

The reference recomputes every firm's value of every region with scalar Python floats and
reads the package terms straight from the Package objects, so agreement checks the
vectorised algebra and the PackageBook bookkeeping together.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clustersim.choice import Deciders, choice_probabilities, choose, draw, firm_values
from clustersim.model import ClusterModel
from clustersim.params import Scenario
from clustersim.reference import reference_decisions

from worlds import district_package


def scenario(*, theta: float = 0.3, utility: str = "linear", depth: float = 1.0, rival_depth: float = 2.0,
             fee_rates: tuple[float, ...] = (0.02, 0.05, 0.0, 0.08), capital_median: float = 6000.0,
             capital_sigma: float = 1.0, horizon: int = 10, discount_rate: float = 0.08,
             rival: dict | None = None, award: float = 0.05, coast_wage: float = 9.0) -> Scenario:
    """Six counties and a coast that firms want to leave. county_1 offers the district
    package, county_2 a rival one; county_5 has no free land left after the initial firms,
    county_6 no standard-factory zone."""
    counties = [f"county_{k:02d}" for k in range(1, 7)]
    regions = [
        {"name": counties[0], "package": "district", "subsidy_depth": depth, "fee_rate": fee_rates[0]},
        {"name": counties[1], "package": "rival", "subsidy_depth": rival_depth, "fee_rate": fee_rates[1]},
        {"name": counties[2], "fee_rate": fee_rates[2]},
        {"name": counties[3], "fee_rate": fee_rates[3], "package": "district", "subsidy_depth": 0.5 * depth},
        {"name": counties[4], "land_supply": 1.0, "standard_factory_supply": 1.0},
        {"name": counties[5], "standard_factory_supply": 0.0},
    ]
    rival = rival or {"land_tiers": [{"min_investment": 8000, "price": 9.0}], "standard_factory_price": 12.0,
                      "rebate_schedule": [0.5] * 12, "standard_factory_rebate_schedule": [0.25],
                      "standard_factory_rebate_min_investment": 3000, "fee_waiver": 0.5, "fee_waiver_years": 3,
                      "relocation_award": 0.1}
    return Scenario.model_validate({
        "geography": {"counties": 6, "origin": {"wage": coast_wage, "land_price": 60.0, "land_supply": 400000.0}},
        "regions": regions,
        "packages": {"district": {**district_package(), "relocation_award": award}, "rival": rival},
        "firms": {"initial": 400, "births_per_year": 120, "capital_median": capital_median,
                  "capital_sigma": capital_sigma, "review_rate": 0.3},
        "choice": {"theta": theta, "utility": utility, "horizon_years": horizon, "discount_rate": discount_rate},
    })


def model_state(sc: Scenario, years: int, seed: int, n_incumbents: int = 120, n_newborns: int = 40):
    """A choice set and deciders from a real run: reviewing incumbents (some with locked-in
    packages) and newborns with no site yet, evaluated in the year after ``years``."""
    m = ClusterModel(sc, seed=seed)
    m.run(years)
    m.year = years + 1
    placed = m._placed()
    rng = np.random.default_rng(seed)
    locked = placed[m.firms.package[placed] >= 0]
    rest = placed[m.firms.package[placed] < 0]
    k = min(locked.size, n_incumbents // 2)
    incumbents = np.concatenate([rng.choice(locked, k, replace=False),
                                 rng.choice(rest, min(rest.size, n_incumbents - k), replace=False)])
    newborns = m._new_firms(n_newborns)
    rows = np.concatenate([incumbents, newborns])
    is_new = np.r_[np.zeros(incumbents.size, bool), np.ones(newborns.size, bool)]
    return m, m.choice_set(), Deciders.from_table(m.firms, rows, is_new)


def assert_matches_reference(cs, f) -> None:
    value, feasible, scale = firm_values(cs, f)
    prob = choice_probabilities(value, feasible, scale, cs.theta, cs.utility)
    ref_value, ref_feasible, ref_prob = reference_decisions(cs, f)
    np.testing.assert_array_equal(feasible, ref_feasible)
    # values are sums of terms up to ~10x the firm's discounted revenue: compare relative to that
    np.testing.assert_allclose(value, ref_value, rtol=1e-10, atol=1e-10 * scale.max())
    if cs.theta > 0:
        np.testing.assert_allclose(prob, ref_prob, rtol=0, atol=1e-12)
        return
    # argmax: a near-tie (values equal to rounding) may go either way; otherwise the same region
    assert set(np.unique(prob)) <= {0.0, 1.0}
    np.testing.assert_array_equal(prob.sum(axis=1), ref_prob.sum(axis=1))
    for i in np.flatnonzero(prob.sum(axis=1)):
        mine, theirs = int(np.argmax(prob[i])), int(np.argmax(ref_prob[i]))
        if mine != theirs:
            assert ref_feasible[i, mine]
            assert math.isclose(ref_value[i, mine], ref_value[i, theirs], rel_tol=1e-10, abs_tol=1e-10 * scale[i])


def test_state_covers_the_cases():
    """The fixed state used below really contains what the comparison is meant to cover."""
    m, cs, f = model_state(scenario(), years=1, seed=3)
    r = m.regions
    newborn = f.region < 0
    assert newborn.sum() > 0 and (~newborn).sum() > 0
    assert ((f.package >= 0) & (f.years < 5) & ~newborn).any(), "incumbents still owed rebates"
    county_small = f.small & ~newborn & r.is_county[np.maximum(f.region, 0)]
    assert county_small.any(), "small firms in a standard-factory zone"
    assert (f.small & (f.capital < 2025)).any() and (f.small & (f.capital >= 2025)).any()
    assert (~f.small & (f.capital >= 20000)).any() and (~f.small & (f.capital < 10000)).any()
    _, feasible, _ = firm_values(cs, f)
    assert not feasible[:, r.names.index("county_05")].all(), "a region without free land"
    assert (cs.depth_offered > 0).sum() >= 2


@pytest.mark.parametrize("utility", ["linear", "log"])
@pytest.mark.parametrize("theta", [0.0, 0.05, 1.0])
def test_fast_path_equals_reference(utility, theta):
    _, cs, f = model_state(scenario(theta=theta, utility=utility), years=1, seed=3)
    assert_matches_reference(cs, f)


def test_fast_path_equals_reference_without_fee_refunds_or_awards():
    """With no package refunding fees or paying a relocation award, those instruments add no
    terms (their terms would be 0 everywhere): the fast path still equals the reference, which
    reads the packages firm by firm."""
    rival = {"land_tiers": [{"min_investment": 8000, "price": 9.0}], "standard_factory_price": 12.0,
             "rebate_schedule": [0.5] * 12}
    sc = scenario(award=0.0, rival=rival)
    sc = sc.model_copy(update={"packages": {**sc.packages, "district": sc.packages["district"].model_copy(
        update={"fee_waiver": 0.0})}})
    _, cs, f = model_state(sc, years=1, seed=3)
    active = {type(ins).__name__: getattr(ins, "active", True) for ins in cs.instruments}
    assert active["FeeRefunds"] is False and active["RelocationAward"] is False
    assert ((f.package >= 0) & (f.region >= 0)).any(), "incumbents that stay under a package"
    assert_matches_reference(cs, f)


def test_recorded_profile_keys_give_the_terms_of_the_profiles_first_firms():
    """An instrument reads its key of the profiles' first firms from the offer (``rep_key``):
    the rows of the key it gave for all deciders, which equal its key of those firms, so its
    terms are the same either way."""
    from clustersim.choice import _profiles
    from clustersim.instruments import Offer

    _, cs, f = model_state(scenario(), years=1, seed=3)
    keys = {id(ins): k for ins in cs.instruments if (k := ins.profile(f)) is not None}
    assert len(keys) >= 2
    profile, first = _profiles(list(keys.values()), f.n)
    recorded, derived = Offer(cs, f, profile, first, keys=keys), Offer(cs, f, profile, first)
    for ins in cs.instruments:
        if id(ins) in keys:
            np.testing.assert_array_equal(recorded.rep_key(ins), derived.rep_key(ins))
        for a, b in zip(ins.terms(recorded), ins.terms(derived), strict=True):
            assert (a.column, a.kind, a.per_profile) == (b.column, b.kind, b.per_profile)
            np.testing.assert_array_equal(a.rows, b.rows)


def test_offer_closed_after_duration():
    """District package runs years 1-2: in year 4 no county offers it; locked-in firms keep theirs."""
    m, cs, f = model_state(scenario(), years=3, seed=5)
    district = m.packages.index("district")
    assert not (cs.depth_offered[cs.package == district] > 0).any()
    assert ((f.package == district) & (f.region >= 0)).any()
    assert_matches_reference(cs, f)


rival_packages = st.fixed_dictionaries({
    "land_tiers": st.lists(st.tuples(st.floats(0, 30000), st.floats(0, 30)), max_size=3, unique_by=lambda t: t[0])
    .map(lambda ts: [{"min_investment": a, "price": b} for a, b in sorted(ts, reverse=True)]),
    "standard_factory_price": st.none() | st.floats(0, 30),
    "rebate_schedule": st.lists(st.floats(0, 1), max_size=14),
    "standard_factory_rebate_schedule": st.lists(st.floats(0, 1), max_size=6),
    "standard_factory_rebate_min_investment": st.floats(0, 8000),
    "fee_waiver": st.floats(0, 1),
    "fee_waiver_years": st.integers(0, 14),
    "relocation_award": st.floats(0, 0.3),
    "start_year": st.integers(1, 3),
    "duration_years": st.none() | st.integers(0, 4),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    theta=st.sampled_from([0.0]) | st.floats(0.02, 3.0),
    utility=st.sampled_from(["linear", "log"]),
    depth=st.floats(0.0, 5.0),
    rival_depth=st.floats(0.0, 5.0),
    fee_rates=st.tuples(*[st.floats(0.0, 0.2)] * 4),
    capital_median=st.floats(1500.0, 25000.0),
    horizon=st.integers(1, 15),
    discount_rate=st.floats(0.0, 0.3),
    rival=rival_packages,
    years=st.integers(1, 4),
    seed=st.integers(0, 2**31),
)
def test_fast_path_equals_reference_randomised(theta, utility, depth, rival_depth, fee_rates, capital_median,
                                               horizon, discount_rate, rival, years, seed):
    sc = scenario(theta=theta, utility=utility, depth=depth, rival_depth=rival_depth, fee_rates=fee_rates,
                  capital_median=capital_median, horizon=horizon, discount_rate=discount_rate, rival=rival)
    _, cs, f = model_state(sc, years=years, seed=seed, n_incumbents=60, n_newborns=20)
    assert_matches_reference(cs, f)


def test_decide_in_chunks_equals_whole():
    """The model's chunked decision draws exactly what the three steps draw on the whole batch."""
    _, cs, f = model_state(scenario(theta=0.2), years=1, seed=8)
    u = np.random.default_rng(1).random(f.n)
    value, feasible, scale = firm_values(cs, f)
    whole = draw(choice_probabilities(value, feasible, scale, cs.theta, cs.utility), u)
    np.testing.assert_array_equal(choose(cs, f, u, chunk_cells=7 * cs.n_regions), whole)


# ---------------------------------------------------------------------------- draw
def test_draw_frequencies_match_probabilities():
    """With N draws per row, each count is Binomial(N, p): the frequency lies within 4 standard
    errors sqrt(p (1 - p) / N) of p (two-sided miss chance ~6e-5 per cell, ~1e-3 over the 16
    cells here; the seed is fixed, so the test is deterministic). Zero-probability regions
    must never be drawn."""
    prob = np.array([
        [0.5, 0.0, 0.3, 0.2],
        [0.0, 0.0, 0.0, 1.0],
        [0.01, 0.49, 0.0, 0.5],
        [0.25, 0.25, 0.25, 0.25],
    ])
    n = 40_000
    rng = np.random.default_rng(2024)
    rows = np.repeat(np.arange(prob.shape[0]), n)
    pick = draw(prob[rows], rng.random(rows.size))
    for r in range(prob.shape[0]):
        counts = np.bincount(pick[rows == r], minlength=prob.shape[1])
        freq = counts / n
        se = np.sqrt(prob[r] * (1.0 - prob[r]) / n)
        assert np.all(np.abs(freq - prob[r]) <= 4.0 * se), (r, freq, prob[r])
        assert np.all(counts[prob[r] == 0.0] == 0)


def test_draw_many_regions_equals_plain_inverse_cdf():
    """Rows wider than one block (the draw works in blocks of regions): the pick is the first
    region whose running total, summed one region at a time in Python, reaches u times the row
    total. Sparse rows (many zeros, whole empty blocks) and u on a fine grid."""
    rng = np.random.default_rng(5)
    n_r = 53
    prob = rng.random((300, n_r)) * (rng.random((300, n_r)) < 0.15)
    prob[:, 16:32] *= rng.random(300)[:, None] < 0.5  # whole blocks empty in half the rows
    prob[0] = 0.0
    u = rng.random(300)
    pick = draw(prob, u)
    for i in range(prob.shape[0]):
        total = math.fsum(prob[i])
        if total == 0:
            assert pick[i] == -1
            continue
        running, expected = 0.0, n_r - 1
        for j in range(n_r):
            running += prob[i, j]
            if running >= u[i] * total:
                expected = j
                break
        assert pick[i] == expected
        assert prob[i, pick[i]] > 0


def test_draw_unnormalised_rows_and_empty_rows():
    """Rows need not sum to 1 (the draw scales the uniform by the row total); all-zero rows
    give -1. Boundaries: u just below a cumulative share picks that region."""
    prob = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 6.0], [2.0, 0.0, 6.0], [2.0, 0.0, 6.0], [0.0, 0.0, 0.0]])
    u = np.array([0.5, 0.2499, 0.2501, 0.9999, 0.0])
    np.testing.assert_array_equal(draw(prob, u), [-1, 0, 2, 2, -1])


def test_deciders_from_table_gather_the_table_columns():
    """Deciders.from_table: each column holds the firm table's value of each of ``rows`` in their
    order (read here firm by firm), with the column's dtype; region -1 (int64) for the rows marked
    newborn."""
    from clustersim.choice import DECIDER_COLUMNS

    m = ClusterModel(scenario(), seed=2).run(3)
    t = m.firms
    rng = np.random.default_rng(4)
    rows = rng.permutation(t.size)[:200]
    newborn = rng.random(rows.size) < 0.3
    f = Deciders.from_table(t, rows, newborn)
    assert f.n == rows.size and f.columns == DECIDER_COLUMNS
    for c in DECIDER_COLUMNS:
        column = getattr(t, c)
        if c == "region":
            want = np.array([-1 if nb else column[r] for r, nb in zip(rows, newborn, strict=True)], dtype=np.int64)
        else:
            want = np.array([column[r] for r in rows], dtype=column.dtype)
        np.testing.assert_array_equal(getattr(f, c), want, err_msg=c, strict=True)
