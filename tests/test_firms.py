"""The firm table (clustersim.firms): rows appended from the reserve, after the table has grown
or been compacted, start with every column's fill value, and growth keeps the rows in use."""

from __future__ import annotations

import numpy as np

from clustersim.firms import COLUMNS, Column, FirmTable

EXTRA = {"plot_ratio": Column(np.float64, 1.0), "ire_option": Column(np.int8, 0)}


def _assert_fill(t: FirmTable, rows: np.ndarray) -> None:
    for name, c in t.columns.items():
        want = True if name == "alive" else c.fill
        assert (getattr(t, name)[rows] == want).all(), name


def test_appended_rows_hold_the_fill_values_after_growth_and_compaction():
    t = FirmTable(capacity=16, extra=EXTRA)
    first = t.append(10)
    _assert_fill(t, first)
    for name in t.columns:  # the rows in use get values unlike the fill (bools alternate)
        col = getattr(t, name)
        col[first] = np.arange(10) % 2 == 0 if col.dtype == bool else np.arange(7, 17)
    kept = {name: getattr(t, name)[first].copy() for name in t.columns}
    grown = t.append(30)  # past the capacity: the table grows
    assert t.capacity >= 40 and t.size == 40
    _assert_fill(t, grown)
    for name in t.columns:
        assert np.array_equal(getattr(t, name)[first], kept[name]), name
    t.alive[:40] = np.arange(40) % 3 == 0  # kill two rows in three, then drop them
    keep = t.compact()
    assert t.size == keep.size == 14
    again = t.append(t.capacity - t.size + 5)  # the reserve freed by compaction, then growth again
    _assert_fill(t, again)
    assert set(COLUMNS) | set(EXTRA) == set(t.columns)


def _append_per_column(t: FirmTable, n: int) -> None:
    """The former formulation of ``append`` (oracle): each column's slice set from its Python fill."""
    new = slice(t.size, t.size + n)
    for name, c in t.columns.items():
        getattr(t, name)[new] = c.fill
    t.alive[new] = True
    t.size += n


def test_append_sets_the_same_bits_as_the_per_column_python_fills():
    """``append`` sets each column from a 0-d array of its dtype: the same values, bit for bit, as
    the Python fill values, over a reserve holding stale values (an extra column with fills that
    do not fit a zeroed reserve: -1, 1.0, True)."""
    extra = {**EXTRA, "flag": Column(bool, True), "code": Column(np.int32, -1)}
    mine, theirs = FirmTable(capacity=64, extra=extra), FirmTable(capacity=64, extra=extra)
    rng = np.random.default_rng(4)
    for name in mine.columns:
        stale = rng.integers(-50, 50, size=64) if getattr(mine, name).dtype != bool else rng.random(64) < 0.5
        getattr(mine, name)[:] = stale
        getattr(theirs, name)[:] = stale
    for n in (3, 17, 1):
        mine.append(n)
        _append_per_column(theirs, n)
        assert mine.size == theirs.size
        for name in mine.columns:
            a, b = getattr(mine, name), getattr(theirs, name)
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name


def test_placed_rows_are_flatnonzero_of_alive_and_placed():
    """``firms.placed`` (one compiled pass) gives ``np.flatnonzero(alive & (region >= 0))`` over the
    rows in use (the oracle), with dead, unplaced and reserve rows mixed in."""
    from clustersim.firms import placed

    t = FirmTable(capacity=300)
    rng = np.random.default_rng(8)
    for n in (0, 1, 50, 120):
        t.append(n)
        t.alive[: t.size] = rng.random(t.size) < 0.7
        t.region[: t.size] = rng.integers(-1, 5, size=t.size)
        t.region[t.size:] = 3  # the reserve is never counted
        t.alive[t.size:] = True
        got, want = placed(t), np.flatnonzero(t.alive[: t.size] & (t.region[: t.size] >= 0))
        assert got.dtype == want.dtype and np.array_equal(got, want)
