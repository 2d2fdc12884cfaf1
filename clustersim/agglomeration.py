"""Agglomeration: localisation economies, supplier access and the revenue multiplier.

``A[s, j] = exp(gamma_L ln(epsilon + L[s, j]) + gamma_S ln(1 + SA[s, j]) + gamma_I I_j)``

* ``L[s, j]``: same-sector firms in region j (``measure = "firms"``) or same-sector
  employment in thousands of workers (``measure = "employment"``).
* ``SA[s, j] = sum_r a[r, s] sum_k Y[r, k] exp(-tau d_kj) / Ybar``: the distance-decayed
  output of sector s's suppliers, in units of the reference output ``Ybar`` (wan/year).
"""

from __future__ import annotations

import numpy as np

from clustersim.params import Agglomeration


def sector_region_totals(sector: np.ndarray, region: np.ndarray, weight: np.ndarray | None,
                         n_sectors: int, n_regions: int) -> np.ndarray:
    """Sum of ``weight`` (or a count) by sector and region (sectors x regions)."""
    flat = sector.astype(np.int64) * n_regions + region
    out = np.bincount(flat, weights=weight, minlength=n_sectors * n_regions)
    return out.reshape(n_sectors, n_regions).astype(np.float64)


def supplier_access(output: np.ndarray, io: np.ndarray, decay: np.ndarray, reference_output: float) -> np.ndarray:
    """SA (sectors x regions) from output Y (sectors x regions, wan/year), the input-output
    matrix ``io[r, s]`` and ``decay[k, j] = exp(-tau d_kj)``."""
    reach = output @ decay  # reach[r, j] = sum_k Y[r, k] decay[k, j]
    return io.T @ reach / reference_output


def log_multiplier(localisation: np.ndarray, access: np.ndarray, infrastructure: np.ndarray,
                   params: Agglomeration) -> np.ndarray:
    """ln A (sectors x regions). ``-inf`` where epsilon + L = 0 and gamma_L > 0 (Polya urn)."""
    with np.errstate(divide="ignore"):
        base = np.log(params.epsilon + localisation)
    out = np.zeros_like(localisation)
    if params.localisation > 0:
        out += params.localisation * base
    if params.supplier > 0:
        out += params.supplier * np.log1p(access)
    if params.infrastructure > 0:
        out += params.infrastructure * infrastructure[None, :]
    return out
