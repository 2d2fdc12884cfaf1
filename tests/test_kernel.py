"""The compiled decision kernel (clustersim.kernel) draws exactly what the numpy path draws.

The numpy path (``choose(..., compiled=False)``: firm_values, choice_probabilities, draw) is
itself checked against the per-firm reference in test_choice.py and test_plugins.py; here the
kernel must give the same pick for every firm and every uniform, on batches from real runs that
cover newborns, incumbents owed rebates, small firms, full regions, per-profile terms, refused
cells and more than one block of the inverse CDF, with the logit's linear and log utilities
and theta = 0 (argmax). Its sums are taken in numpy's order: checked bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clustersim import kernel
from clustersim.choice import Deciders, choose
from clustersim.model import ClusterModel
from clustersim.npsum import pairwise_sum
from clustersim.params import Scenario
from clustersim.scenario import load_scenario

from test_choice import model_state, scenario
from test_plugins import lease_scenario
from worlds import district_package

DRAWS = 30  # sets of uniforms per batch


def assert_same_picks(cs, f, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    sets = [rng.random(f.n) for _ in range(DRAWS)]
    # the ends of U(0, 1): 0 is a possible draw of Generator.random
    sets += [np.zeros(f.n), np.full(f.n, np.nextafter(1.0, 0.0))]
    for u in sets:
        np.testing.assert_array_equal(choose(cs, f, u, compiled=True), choose(cs, f, u, compiled=False))


@pytest.mark.parametrize("utility", ["linear", "log"])
@pytest.mark.parametrize("theta", [0.0, 0.05, 1.0])
def test_kernel_equals_numpy_path(utility, theta):
    _, cs, f = model_state(scenario(theta=theta, utility=utility), years=1, seed=3)
    picks = choose(cs, f, np.random.default_rng(1).random(f.n))
    assert (picks >= 0).any(), "the state offers real choices"
    if theta > 0 and utility == "linear":
        assert np.unique(picks[picks >= 0]).size >= 3
    assert_same_picks(cs, f)


@pytest.mark.parametrize("theta", [0.0, 0.3])
def test_kernel_with_refused_cells_and_per_profile_taxable_terms(theta):
    """The test plug-in lease: an entry standard (refused cells by profile) and a deductible rent
    per profile (taxable, one-hot columns)."""
    sc = lease_scenario()
    sc = sc.model_copy(update={"choice": sc.choice.model_copy(update={"theta": theta})})
    _, cs, f = model_state(sc, years=2, seed=6)
    assert_same_picks(cs, f, seed=2)


def test_kernel_on_many_regions_and_small_blocks():
    """More regions than one block of the inverse CDF and than numpy's pairwise block (128), in
    blocks of a few firms."""
    sc = Scenario.model_validate({
        "geography": {"counties": 150, "origin": {"land_supply": 200000.0},
                      "county": {"package": "district", "land_supply": 3000.0}},
        "packages": {"district": {**district_package(), "duration_years": None}},
        "firms": {"initial": 3000, "initial_per_county": 5, "births_per_year": 100},
        "choice": {"theta": 0.5}})
    m = ClusterModel(sc, seed=2).run(2)
    placed = m._placed()
    rows = np.random.default_rng(0).choice(placed, 300, replace=False)
    is_new = np.arange(rows.size) < 60
    cs, f = m.choice_set(), Deciders.from_table(m.firms, rows, is_new)
    assert cs.n_regions > 128
    rng = np.random.default_rng(5)
    for _ in range(DRAWS):
        u = rng.random(f.n)
        np.testing.assert_array_equal(choose(cs, f, u, chunk_cells=5 * cs.n_regions),
                                      choose(cs, f, u, compiled=False))


@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_a_batch_split_over_threads_draws_the_same_picks(threads, monkeypatch):
    """A batch split over decision threads (contiguous ranges of firms, each in blocks) draws what
    the numpy path draws, however many threads and wherever the ranges and blocks end; the batch is
    cut into that many ranges, run on the calling thread and the pool's."""
    import threading

    from clustersim import choice
    from clustersim.choice import _Batch

    seen: list[tuple[int, set[int]]] = []
    split = choice.run_split

    def recording(fn, n, parts):
        idents: set[int] = set()

        def ranged(lo, hi):
            idents.add(threading.get_ident())
            fn(lo, hi)

        split(ranged, n, parts)
        seen.append((parts, idents))

    monkeypatch.setattr(choice, "run_split", recording)
    _, cs, f = model_state(scenario(theta=0.05, utility="linear"), years=2, seed=9)
    batch, rule = _Batch(cs, f), cs.decision_rule
    value, feasible = batch.values(0, f.n)
    rng = np.random.default_rng(11)
    seen.clear()  # (the model's own decisions while it ran: small batches, one range)
    for chunk in (3 * cs.n_regions, 7 * cs.n_regions):
        assert f.n // (2 * (chunk // cs.n_regions)) >= threads  # the batch is large enough to be split
        for _ in range(DRAWS):
            u = rng.random(f.n)
            np.testing.assert_array_equal(batch.logit_picks(u, rule, chunk_cells=chunk, threads=threads),
                                          rule.draw(rule.probabilities(value, feasible, batch.scale), u))
    # the calling thread takes the first range, the pool the others (an idle pool thread may take two)
    assert seen and all(parts == threads and (len(idents) >= 2) == (threads > 1) for parts, idents in seen)


def test_pairwise_sums_are_numpys():
    rng = np.random.default_rng(9)
    for n in [*range(0, 40), 127, 128, 129, 255, 256, 257, 1000, 5000]:
        a = rng.random(n) ** 3
        assert pairwise_sum(a, 0, n) == np.sum(a)
        starts = np.arange(0, n, kernel.DRAW_BLOCK)
        if n:
            sums = np.add.reduceat(a, starts)
            for b, lo in enumerate(starts):
                size = min(kernel.DRAW_BLOCK, n - lo)
                assert a[lo] + pairwise_sum(a, lo + 1, size - 1) == sums[b]


def test_plug_in_decision_rules_take_the_numpy_path():
    sc = load_scenario(Path(__file__).parents[1] / "examples" / "own_rules" / "scenario.toml")
    m = ClusterModel(sc, seed=1).run(1)
    rows = m._placed()[:50]
    cs, f = m.choice_set(), Deciders.from_table(m.firms, rows, np.zeros(rows.size, bool))
    u = np.random.default_rng(0).random(f.n)
    np.testing.assert_array_equal(choose(cs, f, u), choose(cs, f, u, compiled=False))
    with pytest.raises(ValueError, match="only the shipped logit"):
        choose(cs, f, u, compiled=True)


def test_compiled_profiles_number_them_as_numpy_does():
    """choice._profiles' compiled common case gives numpy's profiles and first firms; codes that
    would overflow or are too sparse for a table take the numpy path."""
    from clustersim.choice import _profiles, _profiles_numpy

    rng = np.random.default_rng(4)
    for n, widths in [(1, [3]), (50, [2, 5]), (500, [3, 7, 2]), (200, [40_000]), (64, [2**40, 2**30])]:
        keys = [rng.integers(0, w, size=n) for w in widths[:1]]
        if len(widths) > 1:
            keys.append(np.stack([rng.integers(0, w, size=n) for w in widths[1:]], axis=1))
        fast, first = _profiles(keys, n)
        slow, first_slow = _profiles_numpy(keys, n)
        np.testing.assert_array_equal(fast, slow)
        np.testing.assert_array_equal(first, first_slow)
    sparse = [np.array([0, 10**9, 5])]
    assert kernel.profile_index(sparse[0].reshape(3, 1), np.empty(3, np.int64), np.empty(3, np.int64)) == -1
    np.testing.assert_array_equal(_profiles(sparse, 3)[0], [0, 2, 1])


@pytest.mark.parametrize("theta, utility", [(0.05, "linear"), (0.0, "linear"), (1.0, "log")])
def test_kernel_with_more_slots_than_its_one_pass_takes(theta, utility):
    """Firms with more than kernel.FUSED_SLOTS nonzero slots of a kind take the kernel's general
    path (slots added pass by pass): extra slots on a row of zeros (adding 0 changes no value)
    push every firm there, and the picks still equal the numpy path's on the same layout."""
    from clustersim.choice import _Batch

    _, cs, f = model_state(scenario(theta=theta, utility=utility), years=1, seed=3)
    rule = cs.decision_rule
    b = _Batch(cs, f)
    k, extra = b.linear_rows.shape[0], kernel.FUSED_SLOTS
    b.linear_rows = np.vstack([b.linear_rows, np.zeros((1, cs.n_regions))])
    b.linear_x = np.hstack([b.linear_x, np.ones((f.n, extra))])
    b.linear_at = np.hstack([b.linear_at, np.full((f.n, extra), k)])
    assert ((b.linear_x != 0).sum(axis=1) > kernel.FUSED_SLOTS).all()
    value, feasible = b.values(0, f.n)
    rng = np.random.default_rng(8)
    for _ in range(DRAWS):
        u = rng.random(f.n)
        np.testing.assert_array_equal(b.logit_picks(u, rule),
                                      rule.draw(rule.probabilities(value, feasible, b.scale), u))


def test_the_value_of_staying_takes_the_numpy_steps():
    """kernel.stay_profit (revenue and pre-tax profit in the current region, in the value of
    staying) gives the numpy expressions' bits, on a batch of a district-package run."""
    _, cs, f = model_state(scenario(theta=0.05, utility="linear"), years=2, seed=4)
    sector = f.sector.astype(np.int64)
    cur = np.maximum(f.region, 0).astype(np.int64)
    q = cs.revenue_per_capital[sector] * f.capital * f.productivity
    revenue = q * cs.revenue_factor[sector, cur]
    profit = revenue * cs.margin[sector, cur] - f.employment * cs.wage[cur] - cs.capital_cost_rate * f.capital
    got_revenue, got_profit = np.empty(f.n), np.empty(f.n)
    kernel.stay_profit(q, sector, cur, cs.revenue_factor, cs.margin, f.employment, cs.wage, f.capital,
                       float(cs.capital_cost_rate), got_revenue, got_profit)
    assert np.array_equal(got_revenue, revenue) and np.array_equal(got_profit, profit)
    assert (profit < 0).any() and (profit > 0).any() and np.unique(cur).size > 2
