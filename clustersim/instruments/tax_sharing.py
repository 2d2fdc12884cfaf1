"""Origin–destination tax sharing: under a package with ``tax_sharing = sigma``, a moved firm's
retained tax up to its pre-move level (its base) stays with the region it came from, and of
the growth above it the host keeps ``sigma`` (district rule 0.6). A firm records its base and
the region it came from on arrival (``base_tax``, ``tax_origin``); not part of the location
value (firms pay the same tax wherever it goes)."""

from __future__ import annotations

import numpy as np

from clustersim.instruments.base import Arrival, FirmYear, Instrument


class TaxSharing(Instrument):
    name = "tax_sharing"
    slot = "tax_sharing"

    def arrive(self, arrival: Arrival) -> dict[str, np.ndarray]:
        t, rows, new = arrival.table, arrival.rows, arrival.old < 0
        t.base_tax[rows] = np.where(new, 0.0, t.retained_tax[rows])
        t.tax_origin[rows] = np.where(new, -1, arrival.old)
        return {}

    def split_tax(self, year: FirmYear, host_tax: np.ndarray):
        # only the moved firms (tax_origin >= 0) under a sharing package split their tax: the
        # arithmetic runs on those rows (firm-sized temporaries set the year's peak memory)
        origin = year.column("tax_origin")
        pkg = year.column("package")
        at = np.flatnonzero((origin >= 0) & (pkg >= 0))
        sigma = self.book.tax_sharing[pkg[at]]
        shares = np.isfinite(sigma)
        at, sigma = at[shares], sigma[shares]
        retained = host_tax
        host_tax = retained.copy()
        sent = np.zeros(year.rows.size)
        growth = np.maximum(0.0, retained[at] - year.table.base_tax[year.rows[at]])
        host_tax[at] = sigma * growth
        sent[at] = retained[at] - host_tax[at]
        to = np.full(year.rows.size, -1, dtype=np.int64)
        to[at] = origin[at]
        return host_tax, sent, to
