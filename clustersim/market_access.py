"""Market access: the demand pull of the input-output links (a supplier gains from its customers nearby).

Supplier access (:func:`clustersim.agglomeration.supplier_access`) is the upstream pull: a firm
of sector s gains from the output of its suppliers near it, so an anchor pulls its customers.
Market access is the downstream pull: a firm of sector r gains from the purchases of its output
by firms near it, so an anchor pulls its suppliers (Texts 1 and 3: "bring in a dragon-head firm
and let its suppliers follow").

``MA[r, j] = sum_s a[r, s] sum_k Y[s, k] exp(-tau d_kj) / Ybar``

with the input-output matrix ``a[r, s]`` (share of sector s's material inputs bought from r),
output at A = 1 ``Y`` (wan/year), the supplier decay ``tau`` (1/km, ``transport.
supplier_decay_per_km``) and the reference output ``Ybar`` of :mod:`clustersim.model` (wan/year):
the same units and decay as supplier access, read along the rows of ``a`` instead of its
columns. It enters the revenue multiplier as ``gamma_M ln(1 + MA[s, j])`` (``agglomeration.
market``; 0, the default, leaves it out), beside ``gamma_S ln(1 + SA)``, in both the log and the
linear form. Being part of A it raises the revenue a firm earns (the accounts) as well as the
revenue it expects (the location value, in the generic revenue term that the fast path, the
compiled kernel and the per-firm reference all read), so that a firm never values a pull it does
not earn. Docs: docs/ODD.md 3.3.3 (the equation) and docs/calibration.md (the value of gamma_M).
"""

from __future__ import annotations

import numpy as np


def market_access(output: np.ndarray, io: np.ndarray, decay: np.ndarray, reference_output: float) -> np.ndarray:
    """MA (sectors x regions) from output Y (sectors x regions, wan/year), the input-output matrix
    ``io[r, s]`` and ``decay[k, j] = exp(-tau d_kj)``."""
    reach = np.dot(output, decay)  # reach[s, j] = sum_k Y[s, k] decay[k, j] (np.dot: as for supplier access)
    return np.dot(io, reach) / reference_output


def log_pull(access: np.ndarray, strength: float) -> np.ndarray:
    """``gamma_M ln(1 + MA)``: the term market access adds to ln A (sectors x regions)."""
    return strength * np.log1p(access)
