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
