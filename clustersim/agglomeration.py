"""Agglomeration: localisation economies, supplier access and the revenue multiplier.

``A[s, j] = exp(gamma_L ln(epsilon + L[s, j]) + gamma_U ln(epsilon_U + U[j]) + a[s, j]
+ gamma_S ln(1 + SA[s, j]) + gamma_I I_j)`` (``form = "log"``), or
``A[s, j] = (a[s, j] + gamma_L L[s, j] + gamma_U U[j]) exp(gamma_S ln(1 + SA[s, j]) + gamma_I I_j)``
(``form = "linear"``: payoffs linear in earlier adopters, Arthur 1989).

* ``L[s, j]``: same-sector firms in region j (``measure = "firms"``) or same-sector
  employment in thousands of workers (``measure = "employment"``).
* ``U[j] = sum_s L[s, j]``: every firm of region j, any sector (urbanisation economies).
* ``a[s, j]``: sector s's natural advantage in region j (``natural_advantage``; 0 where not given).
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
    # np.dot: the BLAS products of ``io.T @ (output @ decay)`` (the same bits, tests/test_aggregates.py)
    # without the matmul ufunc's per-call cost
    reach = np.dot(output, decay)  # reach[r, j] = sum_k Y[r, k] decay[k, j]
    return np.dot(io.T, reach) / reference_output


def natural_advantage(params: Agglomeration, sectors: list[str], regions: list[str]) -> np.ndarray | None:
    """a[s, j] (sectors x regions) from ``params.natural_advantage``, or None when none is given.
    Raises ValueError for a region name not in ``regions``."""
    if not params.natural_advantage:
        return None
    out = np.zeros((len(sectors), len(regions)))
    for sector, by_region in params.natural_advantage.items():
        for region, value in by_region.items():
            if region not in regions:
                raise ValueError(f"agglomeration.natural_advantage.{sector} names no region: {region!r}")
            out[sectors.index(sector), regions.index(region)] = value
    return out


def log_multiplier(localisation: np.ndarray, access: np.ndarray, infrastructure: np.ndarray,
                   params: Agglomeration, advantage: np.ndarray | None = None) -> np.ndarray:
    """ln A (sectors x regions). ``-inf`` where epsilon + L = 0 and gamma_L > 0 (Polya urn), and
    in the linear form where a + gamma_L L + gamma_U U <= 0 (the region earns nothing)."""
    if params.form == "linear":
        level = params.localisation * localisation + params.urbanisation * localisation.sum(axis=0)[None, :]
        if advantage is not None:
            level = level + advantage
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(level > 0, np.log(np.maximum(level, 1e-300)), -np.inf)
    else:
        with np.errstate(divide="ignore"):
            if params.localisation > 0:  # (the same bits as adding it to zeros: log is never -0.0)
                out = params.localisation * np.log(params.epsilon + localisation)
            else:
                out = np.zeros_like(localisation)
            if params.urbanisation > 0:
                out += params.urbanisation * np.log(params.urbanisation_epsilon + localisation.sum(axis=0))[None, :]
        if advantage is not None:
            out += advantage
    if params.supplier > 0:
        out += params.supplier * np.log1p(access)
    if params.infrastructure > 0:
        out += params.infrastructure * infrastructure[None, :]
    return out
