"""The firm table: every firm's state as columns of numpy arrays (one row per firm).

The Mesa :class:`~clustersim.agents.Firm` agents are thin views onto rows of this table, so
that decisions and accounts run on whole columns at once.

Columns (all arrays of length ``capacity``; only rows with ``alive`` are firms; the rows from
``size`` on are the reserve, holding no firm (``alive`` False; the other columns' values are
meaningless until :meth:`FirmTable.append` resets them to their fill values)):

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
firm_id            int       the unique_id of the firm's Mesa agent (:class:`~clustersim.agents.FirmViews`)
=================  ========  ====================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clustersim.jit import compiled


@dataclass(frozen=True)
class Column:
    """A firm-table column: dtype, fill value of an empty row, and whether it is ``public`` (a
    :class:`~clustersim.agents.Firm` attribute and a column of ``firm_frame()``) and read by the
    location decision (``decides``: a field of :class:`~clustersim.choice.Deciders`)."""

    dtype: type
    fill: object
    public: bool = False
    decides: bool = False


#: every firm column of the model, the one source of truth: the table, the Firm agents'
#: attributes, ``firm_frame()`` and the deciders are derived from it (instruments may add
#: columns of their own, see :class:`FirmTable`)
COLUMNS: dict[str, Column] = {
    "alive": Column(bool, False),
    "sector": Column(np.int16, 0, public=True, decides=True),
    "capital": Column(np.float64, 0.0, public=True, decides=True),
    "land": Column(np.float64, 0.0, public=True, decides=True),
    "employment": Column(np.float64, 0.0, public=True, decides=True),
    "productivity": Column(np.float64, 1.0, public=True, decides=True),
    "region": Column(np.int32, -1, public=True, decides=True),
    "small": Column(bool, False, public=True, decides=True),
    "years": Column(np.int32, 0, public=True, decides=True),
    "package": Column(np.int16, -1, public=True, decides=True),
    "package_depth": Column(np.float64, 0.0, public=True, decides=True),
    "rebate_class": Column(np.int8, 0, decides=True),
    "base_tax": Column(np.float64, 0.0, public=True),
    "tax_origin": Column(np.int32, -1),
    "loss_years": Column(np.int16, 0, public=True),
    "born": Column(np.int32, 0, public=True),
    "moves": Column(np.int32, 0, public=True),
    "profit": Column(np.float64, 0.0, public=True),
    "retained_tax": Column(np.float64, 0.0),
    "firm_id": Column(np.int64, -1),  # unique_id of the firm's Mesa agent (created on first use)
}

#: the public columns, in table order (Firm attributes; ``firm_frame()`` shows them but ``region``
#: by name)
PUBLIC_COLUMNS = tuple(name for name, c in COLUMNS.items() if c.public)


def _reserve(n: int, c: Column) -> np.ndarray:
    """A column of ``n`` reserve rows, from ``np.zeros``, whose untouched pages the operating
    system maps lazily: the rows a table holds in reserve for later births cost no resident
    memory until :meth:`FirmTable.append` fills them (also in the columns whose fill is not zero,
    which is why the reserve is not filled ahead)."""
    return np.zeros(n, dtype=c.dtype)


class FirmTable:
    """Columns of firm state with amortised growth. Rows are never reused while a firm lives."""

    def __init__(self, capacity: int = 1024, extra: dict[str, Column] | None = None):
        clash = set(extra or ()) & set(COLUMNS)
        if clash:
            raise ValueError(f"firm columns {sorted(clash)} already exist")
        #: the columns of this table: :data:`COLUMNS` and those the instruments in use declare
        self.columns: dict[str, Column] = {**COLUMNS, **(extra or {})}
        self.capacity = max(16, int(capacity))
        self.size = 0  # rows in use (alive or dead)
        # each column's fill as a 0-d array of its dtype: a slice set from it copies without
        # converting a Python scalar (append fills every column of the new rows, once a year)
        self._fills = tuple((name, np.array(c.fill, dtype=c.dtype)) for name, c in self.columns.items())
        for name, c in self.columns.items():
            setattr(self, name, _reserve(self.capacity, c))

    def _grow(self, need: int) -> None:
        new = max(need, 2 * self.capacity)
        for name, c in self.columns.items():
            old = getattr(self, name)
            arr = _reserve(new, c)
            arr[: self.size] = old[: self.size]
            setattr(self, name, arr)
        self.capacity = new

    def append(self, n: int) -> np.ndarray:
        """Reserve ``n`` new rows (reset to defaults, marked alive) and return their indices."""
        if self.size + n > self.capacity:
            self._grow(self.size + n)
        new = slice(self.size, self.size + n)
        for name, fill in self._fills:
            getattr(self, name)[new] = fill
        self.alive[new] = True
        self.size += n
        return np.arange(new.start, new.stop)

    def live(self) -> np.ndarray:
        """Indices of live firms, ascending."""
        return np.flatnonzero(self.alive[: self.size])

    def compact(self) -> np.ndarray:
        """Drop dead rows. Returns the old index of each kept row (for re-pointing agents)."""
        keep = self.live()
        for name, c in self.columns.items():
            arr = getattr(self, name)
            arr[: keep.size] = arr[keep]
            arr[keep.size : self.size] = c.fill
        self.size = keep.size
        return keep


@compiled()
def _placed_rows(size, alive, region, out):
    """The rows below ``size`` alive with a region (>= 0) into ``out``, ascending; returns how many."""
    k = 0
    for i in range(size):
        if alive[i] and region[i] >= 0:
            out[k] = i
            k += 1
    return k


def placed(table: FirmTable) -> np.ndarray:
    """Rows of the live placed firms (alive, with a region), ascending: what
    ``np.flatnonzero(alive[:size] & (region[:size] >= 0))`` gives, in one compiled pass instead of
    three numpy calls and their temporaries (a view of a fresh array of ``size`` rows)."""
    n = table.size
    out = np.empty(n, dtype=np.intp)
    return out[: _placed_rows(n, table.alive, table.region, out)]
