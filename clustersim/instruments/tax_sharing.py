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
        from clustersim.instruments import firm_passes

        t = arrival.table  # moved firms: their retained tax and origin; newborns: 0 and -1
        firm_passes.tax_sharing_arrive(arrival.rows, arrival.old, t.retained_tax, t.base_tax, t.tax_origin)
        return {}

    def split_tax(self, year: FirmYear, host_tax: np.ndarray):
        from clustersim.instruments import firm_passes

        # only the moved firms (tax_origin >= 0) under a sharing package split their tax
        t, n = year.table, year.rows.size
        kept, sent, to = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
        firm_passes.split_tax(year.rows, t.tax_origin, t.package, t.base_tax, self.book.tax_sharing, host_tax,
                              kept, sent, to)
        return kept, sent, to
