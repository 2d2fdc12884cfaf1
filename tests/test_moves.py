"""The compiled capacity check (clustersim.moves.who_moves) admits exactly the firms the numpy
formulation admits: the same positions, destinations and pools, on random batches crowded
enough that many groups fill up (exact ties at the free land included), and on real batches."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from clustersim.choice import Deciders, choose
from clustersim.model import ClusterModel
from clustersim.moves import who_moves, who_moves_numpy
from clustersim.scenario import load_scenario

from digest_outputs import SCENARIOS


def assert_same(f, pick, cs, is_county) -> None:
    got, want = who_moves(f, pick, cs, is_county), who_moves_numpy(f, pick, cs, is_county)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
        assert g.dtype.kind == w.dtype.kind


def test_random_batches():
    rejected = 0
    for seed in range(300):
        rng = np.random.default_rng(seed)
        n, n_r = int(rng.integers(0, 300)), int(rng.integers(1, 12))
        is_county = rng.random(n_r) < 0.7
        land = rng.choice([1.0, 2.5, 7.0, 0.1, 0.2], size=n) * rng.choice([1.0, 3.0], size=n)
        f = SimpleNamespace(region=rng.integers(-1, n_r, n).astype(np.int64), small=rng.random(n) < 0.4, land=land)
        pick = rng.integers(-1, n_r, n).astype(np.int64)
        # free land about what a few firms need; some exactly a sum of needs (ties at the limit)
        cs = SimpleNamespace(free_land=rng.choice([0.0, 3.5, 10.0, 0.3, 30.0], n_r),
                             free_sf_land=rng.choice([0.0, 1.2, 0.3, 5.0], n_r))
        assert_same(f, pick, cs, is_county)
        rejected += int(((pick >= 0) & (pick != f.region)).sum()) - who_moves(f, pick, cs, is_county)[0].size
    assert rejected > 1000  # the capacity limit binds often


def test_empty_and_no_move():
    f = SimpleNamespace(region=np.array([0, 1], np.int64), small=np.array([False, True]), land=np.array([1.0, 1.0]))
    cs = SimpleNamespace(free_land=np.array([5.0, 5.0]), free_sf_land=np.array([5.0, 5.0]))
    for pick in (np.array([0, 1], np.int64), np.array([-1, -1], np.int64), np.zeros(0, np.int64)):
        g = f if pick.size else SimpleNamespace(region=f.region[:0], small=f.small[:0], land=f.land[:0])
        assert_same(g, pick, cs, np.array([False, True]))
        assert who_moves(g, pick, cs, np.array([False, True]))[0].size == 0


def test_real_batches():
    model = ClusterModel(load_scenario(SCENARIOS / "held_package.toml"), base_dir=SCENARIOS, seed=3)
    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(12):
        model.step()
        rows = model._placed()
        rows = rows[rng.random(rows.size) < 0.5]
        cs = model.choice_set()
        f = Deciders.from_table(model.firms, rows, rng.random(rows.size) < 0.3)
        pick = choose(cs, f, rng.random(rows.size))
        assert_same(f, pick, cs, model.regions.is_county)
        checked += who_moves(f, pick, cs, model.regions.is_county)[0].size
    assert checked > 100


def test_lock_in_and_settle_equal_the_numpy_updates():
    from clustersim.firms import FirmTable
    from clustersim.moves import lock_in, settle

    rng = np.random.default_rng(5)
    n_r, size = 7, 400
    for _ in range(20):
        a, b = FirmTable(size), FirmTable(size)
        for t in (a, b):
            t.append(size)
            t.moves[:] = np.arange(size) % 3
            t.years[:] = 4
        m = int(rng.integers(0, 60))
        moved = rng.choice(size, m, replace=False).astype(np.int64)
        dest = rng.integers(0, n_r, m).astype(np.int64)
        old = rng.integers(-1, n_r, m).astype(np.int64)
        sf_pool = rng.random(m) < 0.4
        cs = SimpleNamespace(depth_offered=rng.choice([0.0, 1.0, 2.5], n_r), package=rng.integers(0, 3, n_r),
                             price=rng.random(n_r) * 20, sf_price=rng.random(n_r) * 20)
        arrivals, departures = np.ones(n_r), np.zeros(n_r)
        price = lock_in(a, moved, dest, sf_pool, cs)
        entries = settle(a, moved, dest, old, arrivals, departures)
        # the numpy formulation
        depth = cs.depth_offered[dest]
        granted = depth > 0
        b.package[moved] = np.where(granted, cs.package[dest], -1)
        b.package_depth[moved] = np.where(granted, depth, 0.0)
        new = old < 0
        b.years[moved] = 0
        b.moves[moved] += ~new
        b.region[moved] = dest
        np.testing.assert_array_equal(price, np.where(sf_pool, cs.sf_price[dest], cs.price[dest]))
        assert entries == int(new.sum())
        np.testing.assert_array_equal(arrivals, 1 + np.bincount(dest, minlength=n_r))
        np.testing.assert_array_equal(departures, np.bincount(old[~new], minlength=n_r))
        for c in ("package", "package_depth", "years", "moves", "region"):
            np.testing.assert_array_equal(getattr(a, c), getattr(b, c))


def test_free_land_is_numpys():
    """moves.free_land: np.maximum(0.0, supply - used) and the standard-factory zone's (counties;
    origins: the main pool's), bit for bit, nan and signed zeros included."""
    from clustersim.moves import free_land

    rng = np.random.default_rng(5)
    n = 64
    supply, used = rng.uniform(0, 100, n), rng.uniform(0, 120, n)
    sf_supply, sf_used = rng.uniform(0, 50, n), rng.uniform(0, 60, n)
    used[:4] = supply[:4]  # exactly full: +0.0
    supply[4], used[4] = -0.0, 0.0  # -0.0 - 0.0 = -0.0
    supply[5] = np.nan
    sf_supply[6], sf_used[6] = -0.0, 0.0
    is_county = rng.random(n) < 0.7
    is_county[6] = True
    free, free_sf = free_land(supply, used, sf_supply, sf_used, is_county)
    want = np.maximum(0.0, supply - used)
    want_sf = np.where(is_county, np.maximum(0.0, sf_supply - sf_used), want)
    for got, exp in ((free, want), (free_sf, want_sf)):
        np.testing.assert_array_equal(got, exp, strict=True)
        assert np.array_equal(np.signbit(got), np.signbit(exp))
