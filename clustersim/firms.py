"""The firm table: every firm's state as columns of numpy arrays (one row per firm).

The Mesa :class:`~clustersim.agents.Firm` agents are thin views onto rows of this table, so
that decisions and accounts run on whole columns at once.

Columns (all arrays of length ``capacity``; only rows with ``alive`` are firms):

=================  ========  ====================================================
column             unit      meaning
=================  ========  ====================================================
alive              bool      row holds a live firm
sector             int       sector index
capital            wan       fixed-asset investment K
land               mu        land need l = K / investment intensity
employment         workers   e = K / capital per worker
productivity       1         z (log-normal, mean 1)
region             int       current region index
small              bool      falls under the small-firm rule (standard-factory zone)
years              years     completed production years in the current region
package            int       package locked in on arrival (-1: none)
package_depth      1         subsidy depth locked in on arrival
rebate_class       int       rebate schedule class under the locked package
base_tax           wan/yr    retained tax paid before the last move (tax sharing)
tax_origin         int       region the last move came from (-1: none)
loss_years         years     consecutive years with a loss
born               year      model year of birth
moves              count     relocations so far
profit             wan/yr    last year's profit after tax and incentives
retained_tax       wan/yr    last year's tax retained by regions (county CIT + VAT shares)
=================  ========  ====================================================
"""

from __future__ import annotations

import numpy as np

COLUMNS: dict[str, tuple[type, object]] = {
    "alive": (bool, False),
    "sector": (np.int16, 0),
    "capital": (np.float64, 0.0),
    "land": (np.float64, 0.0),
    "employment": (np.float64, 0.0),
    "productivity": (np.float64, 1.0),
    "region": (np.int32, -1),
    "small": (bool, False),
    "years": (np.int32, 0),
    "package": (np.int16, -1),
    "package_depth": (np.float64, 0.0),
    "rebate_class": (np.int8, 0),
    "base_tax": (np.float64, 0.0),
    "tax_origin": (np.int32, -1),
    "loss_years": (np.int16, 0),
    "born": (np.int32, 0),
    "moves": (np.int32, 0),
    "profit": (np.float64, 0.0),
    "retained_tax": (np.float64, 0.0),
}


class FirmTable:
    """Columns of firm state with amortised growth. Rows are never reused while a firm lives."""

    def __init__(self, capacity: int = 1024):
        self.capacity = max(16, int(capacity))
        self.size = 0  # rows in use (alive or dead)
        for name, (dtype, fill) in COLUMNS.items():
            setattr(self, name, np.full(self.capacity, fill, dtype=dtype))

    def _grow(self, need: int) -> None:
        new = max(need, 2 * self.capacity)
        for name, (dtype, fill) in COLUMNS.items():
            old = getattr(self, name)
            arr = np.full(new, fill, dtype=dtype)
            arr[: self.capacity] = old
            setattr(self, name, arr)
        self.capacity = new

    def append(self, n: int) -> np.ndarray:
        """Reserve ``n`` new rows (reset to defaults, marked alive) and return their indices."""
        if self.size + n > self.capacity:
            self._grow(self.size + n)
        rows = np.arange(self.size, self.size + n)
        for name, (_, fill) in COLUMNS.items():
            getattr(self, name)[rows] = fill
        self.alive[rows] = True
        self.size += n
        return rows

    def live(self) -> np.ndarray:
        """Indices of live firms, ascending."""
        return np.flatnonzero(self.alive[: self.size])

    def compact(self) -> np.ndarray:
        """Drop dead rows. Returns the old index of each kept row (for re-pointing agents)."""
        keep = self.live()
        for name in COLUMNS:
            arr = getattr(self, name)
            arr[: keep.size] = arr[keep]
            arr[keep.size : self.size] = COLUMNS[name][1]
        self.size = keep.size
        return keep
