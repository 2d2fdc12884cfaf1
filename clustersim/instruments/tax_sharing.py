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
        t, rows, new = arrival.table, arrival.rows, arrival.new
        t.base_tax[rows] = np.where(new, 0.0, t.retained_tax[rows])
        t.tax_origin[rows] = np.where(new, -1, arrival.old)
        return {}

    def split_tax(self, year: FirmYear, host_tax: np.ndarray):
        pkg = year.column("package").astype(np.int64)
        sigma = np.where(pkg >= 0, self.book.tax_sharing[np.maximum(pkg, 0)], np.nan)
        origin = year.column("tax_origin").astype(np.int64)
        shared = np.isfinite(sigma) & (origin >= 0)
        retained = host_tax
        growth = np.maximum(0.0, retained - year.column("base_tax"))
        host_tax = np.where(shared, sigma * growth, retained)  # whole-array selects: no masked gathers
        sent = np.where(shared, retained - host_tax, 0.0)
        return host_tax, sent, np.where(shared, origin, -1)
