"""Origin–destination tax sharing: under a package with ``tax_sharing = sigma``, a moved firm's
retained tax up to its pre-move level (its base) stays with the region it came from, and of
the growth above it the host keeps ``sigma`` (district rule 0.6). A firm records its base and
the region it came from on arrival (``base_tax``, ``tax_origin``); not part of the location
value (firms pay the same tax wherever it goes)."""

from __future__ import annotations

import numpy as np

from clustersim.instruments.base import Arrival, FirmYear, Instrument
from clustersim.jit import compiled


@compiled()
def _split(rows, tax_origin, package, base_tax, sigma_of, retained, kept, sent, to):
    """Each firm's retained tax split between its host (``kept``) and the region it came from
    (``sent`` to ``to``; -1 and 0 for firms that share nothing): a moved firm under a package
    with a finite ``sigma`` keeps ``sigma * max(0, retained - base)`` with the host (numpy's
    ``np.maximum(0.0, x)``: -0.0 and nan as it gives them) and sends the rest."""
    for k in range(rows.size):
        i = rows[k]
        o, p, r = tax_origin[i], package[i], retained[k]
        if o >= 0 and p >= 0 and np.isfinite(sigma_of[p]):
            x = r - base_tax[i]
            h = sigma_of[p] * (0.0 if x < 0.0 else x)
            kept[k], sent[k], to[k] = h, r - h, o
        else:
            kept[k], sent[k], to[k] = r, 0.0, -1


class TaxSharing(Instrument):
    name = "tax_sharing"
    slot = "tax_sharing"

    def arrive(self, arrival: Arrival) -> dict[str, np.ndarray]:
        t, rows, new = arrival.table, arrival.rows, arrival.new
        t.base_tax[rows] = np.where(new, 0.0, t.retained_tax[rows])
        t.tax_origin[rows] = np.where(new, -1, arrival.old)
        return {}

    def split_tax(self, year: FirmYear, host_tax: np.ndarray):
        # only the moved firms (tax_origin >= 0) under a sharing package split their tax
        t, n = year.table, year.rows.size
        kept, sent, to = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
        _split(year.rows, t.tax_origin, t.package, t.base_tax, self.book.tax_sharing, host_tax, kept, sent, to)
        return kept, sent, to
