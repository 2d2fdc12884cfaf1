"""Concentration indices, as pure functions on plain numpy arrays (the policy outcomes, take-off
and fiscal return, are in :mod:`clustersim.policy_outcomes` and importable from here too).

Nothing here knows about the simulation's objects: every function takes arrays (or anything
``numpy.asarray`` accepts) and returns floats or small arrays. Units follow
the rest of the package: money in wan (10,000 CNY), time in years. "Amounts" are whatever is
being located (employees, firms, output); the concentration indices are invariant to their unit.

Conventions for edge cases (each function's docstring repeats the one that applies):

* An *empty economy* (all amounts zero) has HHI 0.0, no clusters and a largest share of 0.0;
  concentration measures that are ratios of shares (locational Gini, Ellison-Glaeser gamma)
  are undefined there and return ``nan``.
* Negative amounts, NaN/inf amounts, mismatched lengths and out-of-range indices raise
  ``ValueError`` with a message naming the offending argument.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clustersim.array_checks import check_lengths, float_1d, float_array, index_1d
from clustersim.policy_outcomes import (  # the policy outcomes, kept importable from here
    FiscalReturn,
    TakeOff,
    fiscal_return,
    take_off,
    take_off_flags,
    take_off_of_lists,
)

__all__ = [
    "FiscalReturn",
    "TakeOff",
    "clusters",
    "county_concentration",
    "ellison_glaeser",
    "ellison_glaeser_by_sector",
    "ellison_glaeser_from_sums",
    "fiscal_return",
    "hhi",
    "largest_share",
    "locational_gini",
    "take_off",
    "take_off_flags",
    "take_off_of_lists",
]


# --------------------------------------------------------------------------------------------
# concentration indices
# --------------------------------------------------------------------------------------------


def _region_share(values: ArrayLike, n_regions: int | None = None) -> NDArray[np.float64]:
    """Aggregate shares ``x_m``: 1-D, non-negative, at least one region (``n_regions`` if given),
    summing to 1 within ``1e-9 * M``; else ``ValueError``."""
    x = float_1d("region_share", values)
    if n_regions is not None and x.size != n_regions:
        raise ValueError(f"region_share has length {x.size}, expected n_regions = {n_regions}")
    if x.size == 0:
        raise ValueError("region_share must have at least one region")
    if abs(float(x.sum()) - 1.0) > 1e-9 * x.size:
        raise ValueError(f"region_share must sum to 1 (within 1e-9*M), sums to {float(x.sum())!r}")
    return x




def hhi(shares_or_amounts: ArrayLike, axis: int = -1) -> float | NDArray[np.float64]:
    """Herfindahl-Hirschman index ``sum_m s_m**2`` of the shares ``s_m = a_m / sum(a)``.

    Parameters
    ----------
    shares_or_amounts
        Non-negative amounts per region (any unit: employees, firms, output) or shares that
        already sum to 1; amounts are normalised to shares first, so both give the same
        result. 1-D (regions) or N-D, e.g. 2-D ``sectors x regions``.
    axis
        Axis along which the shares run (default: the last one, i.e. regions). For a 2-D
        ``sectors x regions`` array the default returns one HHI per row (sector).

    Returns
    -------
    A dimensionless float in ``[1/M, 1]`` (M = number of regions) for 1-D input, or an array
    with ``axis`` removed for N-D input. An *empty economy* (all amounts zero, or no regions)
    returns 0.0 by convention - no region holds anything, so nothing is concentrated.
    """
    arr = float_array("shares_or_amounts", shares_or_amounts)
    if arr.ndim == 0:
        raise ValueError("shares_or_amounts must be at least one-dimensional")
    return _hhi(arr, axis)


def _hhi(arr: NDArray[np.float64], axis: int = -1) -> float | NDArray[np.float64]:
    total = arr.sum(axis=axis, keepdims=True)
    shares = np.divide(arr, total, out=np.zeros_like(arr), where=total > 0)
    out = np.sum(shares * shares, axis=axis)
    if arr.ndim == 1:
        return float(out)
    return out


def ellison_glaeser(plant_employment: ArrayLike, plant_region: ArrayLike, region_share: ArrayLike) -> float:
    """Ellison-Glaeser (1997, JPE 105(5)) index of geographic concentration, gamma.

    Exactly the published estimator::

        s_m   = industry employment in region m / industry employment      (industry shares)
        x_m   = region_share[m]  (region m's share of ALL, aggregate employment)
        z_j   = plant j's employment / industry employment
        H     = sum_j z_j**2                          (plant Herfindahl)
        G     = sum_m (s_m - x_m)**2                  (raw geographic concentration)
        gamma = (G / (1 - sum_m x_m**2) - H) / (1 - H)

    gamma is 0 in expectation when plants locate independently ("dartboard") with
    probabilities ``x``; positive values mean agglomeration beyond that, negative values
    dispersion.

    Parameters
    ----------
    plant_employment
        Employment (persons) of each plant of the industry, length N, non-negative.
    plant_region
        Integer region index ``0..M-1`` of each plant, length N.
    region_share
        Each region's share of aggregate employment, length M, non-negative and summing to 1
        within ``1e-9 * M``.

    Returns
    -------
    gamma (dimensionless). ``nan`` where it is undefined: H == 1 (a single plant, or all
    employment in one plant), zero industry employment, or ``sum_m x_m**2 == 1`` (all
    aggregate employment in one region).

    Raises
    ------
    ValueError
        On mismatched lengths, negative or non-finite values, a region index out of range, or
        ``region_share`` not summing to 1.
    """
    emp = float_1d("plant_employment", plant_employment)
    x = _region_share(region_share)
    region = index_1d("plant_region", plant_region, x.size, "len(region_share)")
    check_lengths(plant_employment=emp, plant_region=region)
    return float(_eg_gamma(emp, region, np.zeros(emp.size, dtype=np.intp), 1, x)[0])


def _eg_gamma(emp: NDArray[np.float64], region: NDArray[np.intp], sector: NDArray[np.intp], n_sectors: int,
              x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ellison-Glaeser gamma of every sector on already validated arrays (see
    :func:`ellison_glaeser`); nan where undefined. A sector with fewer than 2 plants has H == 1
    or no employment, so it is nan too."""
    n_regions = x.size
    total = np.bincount(sector, weights=emp, minlength=n_sectors)
    z = np.divide(emp, total[sector], out=np.zeros_like(emp), where=total[sector] > 0)
    h = np.bincount(sector, weights=z * z, minlength=n_sectors)
    s = np.bincount(sector * n_regions + region, weights=z, minlength=n_sectors * n_regions)
    return ellison_glaeser_from_sums(total, h, s.reshape(n_sectors, n_regions), x)


def ellison_glaeser_from_sums(total: NDArray[np.float64], h: NDArray[np.float64], s: NDArray[np.float64],
                              x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ellison-Glaeser gamma of every sector from its sums (see :func:`ellison_glaeser`): each
    sector's employment ``total``, plant Herfindahl ``h``, regional shares ``s`` (sectors x
    regions) and the aggregate shares ``x``; nan where undefined. No validation: the sums of
    valid plants (e.g. :func:`clustersim.tally.sector_tally`)."""
    g = np.sum((s - x) ** 2, axis=1)
    one_minus_x2 = 1.0 - float(np.sum(x * x))
    # H == 1 exactly when a single plant holds everything; use a relative tolerance so that
    # float round-off in sum(z**2) cannot turn "undefined" into a huge finite number.
    defined = (total > 0) & (h < 1.0 - 1e-12) & (one_minus_x2 > 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = (g / one_minus_x2 - h) / (1.0 - h)
    return np.where(defined, gamma, np.nan)


def ellison_glaeser_by_sector(
    plant_employment: ArrayLike,
    plant_region: ArrayLike,
    plant_sector: ArrayLike,
    n_regions: int,
    n_sectors: int,
    region_share: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Ellison-Glaeser gamma of every sector (see :func:`ellison_glaeser` for the formula).

    Parameters
    ----------
    plant_employment
        Employment (persons) of every plant in the economy, length N, non-negative.
    plant_region
        Region index ``0..n_regions-1`` of each plant, length N.
    plant_sector
        Sector index ``0..n_sectors-1`` of each plant, length N.
    n_regions, n_sectors
        Number of regions (M) and sectors.
    region_share
        Aggregate employment share ``x_m`` of each region, length ``n_regions``, summing to 1.
        Default: each region's share of the total employment of all the plants given (every
        sector together).

    Returns
    -------
    Array of length ``n_sectors`` with gamma per sector. ``nan`` for sectors with fewer than 2
    plants, for sectors where gamma is otherwise undefined (see :func:`ellison_glaeser`), and
    for every sector when the default ``region_share`` cannot be formed (zero total
    employment).
    """
    if n_regions < 1 or n_sectors < 0:
        raise ValueError("n_regions must be >= 1 and n_sectors >= 0")
    emp = float_1d("plant_employment", plant_employment)
    region = index_1d("plant_region", plant_region, n_regions, "n_regions")
    sector = index_1d("plant_sector", plant_sector, n_sectors, "n_sectors")
    check_lengths(plant_employment=emp, plant_region=region, plant_sector=sector)
    if region_share is None:
        total = float(emp.sum())
        if total <= 0:
            return np.full(n_sectors, np.nan)
        x = np.bincount(region, weights=emp, minlength=n_regions) / total
    else:
        x = _region_share(region_share, n_regions)
    return _eg_gamma(emp, region, sector, n_sectors, x)


def locational_gini(
    shares_or_amounts: ArrayLike, reference: ArrayLike | None = None
) -> float | NDArray[np.float64]:
    """Locational Gini coefficient (Krugman 1991, *Geography and Trade*) of an industry.

    Compares the industry's distribution over regions with a reference distribution::

        s_m = a_m / sum(a)            industry share of region m
        r_m = ref_m / sum(ref)        reference share of region m (default 1/M: uniform)
        sort regions by s_m / r_m ascending (r_m == 0 with s_m > 0 sorts last)
        X_k = r_(1) + ... + r_(k),  Y_k = s_(1) + ... + s_(k),  X_0 = Y_0 = 0   (Lorenz curve)
        area = sum_k (X_k - X_(k-1)) * (Y_k + Y_(k-1)) / 2                       (trapezoids)
        Gini = 1 - 2 * area

    0 when the industry is distributed like the reference; with a uniform reference and the
    whole industry in one of M regions, ``(M - 1) / M``.

    Parameters
    ----------
    shares_or_amounts
        Non-negative industry amounts (or shares) per region, length M. A 2-D ``sectors x
        regions`` array returns one Gini per row.
    reference
        Non-negative reference amounts (or shares) per region, length M, e.g. aggregate
        employment; must have a positive sum. Default: uniform over the M regions.

    Returns
    -------
    Dimensionless float in ``[0, 1)`` (array for 2-D input). ``nan`` for an empty industry
    (all amounts zero), where the distribution is undefined.
    """
    arr = float_array("shares_or_amounts", shares_or_amounts)
    if arr.ndim == 2:
        return np.array([locational_gini(row, reference) for row in arr])
    if arr.ndim != 1:
        raise ValueError(f"shares_or_amounts must be 1-D or 2-D, got shape {arr.shape}")
    n = arr.size
    if reference is None:
        ref = np.ones(n)
    else:
        ref = float_1d("reference", reference)
        if ref.size != n:
            raise ValueError(f"reference has length {ref.size}, shares_or_amounts has {n}")
    if n == 0:
        return math.nan
    if ref.sum() <= 0:
        raise ValueError("reference must have a positive sum")
    return _gini(arr, ref)


def _gini(arr: NDArray[np.float64], ref: NDArray[np.float64]) -> float:
    total = arr.sum()
    if total <= 0:
        return math.nan
    s = arr / total
    r = ref / ref.sum()
    ratio = np.divide(s, r, out=np.where(s > 0, np.inf, 0.0), where=r > 0)
    order = np.argsort(ratio, kind="stable")
    cx = np.concatenate(([0.0], np.cumsum(r[order])))
    cy = np.concatenate(([0.0], np.cumsum(s[order])))
    area = float(np.sum(np.diff(cx) * (cy[1:] + cy[:-1]) / 2.0))
    return max(0.0, 1.0 - 2.0 * area)


def largest_share(amounts: ArrayLike) -> tuple[int, float]:
    """Region with the largest amount and its share of the total.

    Parameters
    ----------
    amounts
        Non-negative amounts per region (employees, firms, ...), 1-D, length M >= 1.

    Returns
    -------
    ``(index, share)``: the region index (lowest index on ties) and its share in ``[1/M, 1]``.
    For an empty economy (all amounts zero) returns ``(-1, 0.0)`` - no region is largest.
    Beware that -1 is a valid Python index: check it before indexing with it.
    """
    arr = float_1d("amounts", amounts)
    if arr.size == 0:
        raise ValueError("amounts must have at least one region")
    return _largest_share(arr)


def _largest_share(arr: NDArray[np.float64]) -> tuple[int, float]:
    total = float(arr.sum())
    if total <= 0:
        return -1, 0.0
    idx = int(np.argmax(arr))
    return idx, float(arr[idx] / total)


def county_concentration(amounts: ArrayLike) -> tuple[float, float, float]:
    """``(hhi, gini, largest share)`` of amounts per region (1-D, at least one region), as
    :func:`hhi`, :func:`locational_gini` (uniform reference; 0.0 instead of nan for an empty
    economy) and :func:`largest_share` give them, the input checked once (the model's yearly
    measures)."""
    arr = float_1d("amounts", amounts)
    if arr.size == 0:
        raise ValueError("amounts must have at least one region")
    gini = _gini(arr, np.ones(arr.size)) if arr.sum() > 0 else 0.0
    return _hhi(arr), gini, _largest_share(arr)[1]


def clusters(amounts_by_sector_region: ArrayLike, min_share: float = 0.2, min_size: float = 10.0) -> int:
    """Number of distinct regions that hold at least one cluster.

    Region r holds a cluster of sector s iff both

    * its share of the sector, ``a[s, r] / sum_r' a[s, r']``, is >= ``min_share``, and
    * its amount ``a[s, r]`` is >= ``min_size`` (and > 0),

    A region clustering several sectors is counted once; sectors with no activity have no
    clusters.

    Parameters
    ----------
    amounts_by_sector_region
        Non-negative amounts (employees or firms; ``min_size`` is in the same unit), 2-D
        ``sectors x regions``; a 1-D array is treated as a single sector.
    min_share
        Minimum share of the sector, in ``[0, 1]``. Default 0.2.
    min_size
        Minimum amount, >= 0, in the unit of the amounts. Default 10.

    Returns
    -------
    Count of regions (int, 0..M). An empty economy returns 0.
    """
    arr = float_array("amounts_by_sector_region", amounts_by_sector_region)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2:
        raise ValueError(f"amounts_by_sector_region must be 1-D or 2-D, got shape {arr.shape}")
    if not 0.0 <= min_share <= 1.0:
        raise ValueError(f"min_share must lie in [0, 1], got {min_share}")
    if not min_size >= 0.0:
        raise ValueError(f"min_size must be >= 0, got {min_size}")
    total = arr.sum(axis=1, keepdims=True)
    shares = np.divide(arr, total, out=np.zeros_like(arr), where=total > 0)
    held = (shares >= min_share) & (arr >= min_size) & (arr > 0)
    return int(np.count_nonzero(held.any(axis=0)))


def park_share(amounts: ArrayLike, in_park: ArrayLike) -> float:
    """Share of a region's industry located in parks (Text 5: the target is at least 0.5):
    ``sum(amounts[in_park]) / sum(amounts)``; 0 when there is no industry.

    Args:
        amounts: industry (employment or firms) of each area, non-negative.
        in_park: whether each area is a park (bool), same length.
    """
    a = float_1d("amounts", amounts)
    mask = np.asarray(in_park, dtype=bool)
    if mask.shape != a.shape:
        raise ValueError(f"in_park has shape {mask.shape}, amounts {a.shape}")
    total = a.sum()
    return float(a[mask].sum() / total) if total > 0 else 0.0


def specialisation(amounts_by_sector_region: ArrayLike) -> float:
    """How far regions avoid duplicating each other's industries (Text 5): the mean over pairs of
    regions with industry of the Krugman dissimilarity ``sum_s |a_si / a_i - a_sj / a_j|``, between
    0 (every region has the same industry mix: full duplication) and 2 (no sector in common).
    ``nan`` with fewer than two regions with industry.

    Args:
        amounts_by_sector_region: (sectors x regions) employment or firms, non-negative.
    """
    a = float_array("amounts_by_sector_region", amounts_by_sector_region)
    if a.ndim != 2:
        raise ValueError(f"amounts_by_sector_region must be 2-D (sectors x regions), got {a.ndim}-D")
    totals = a.sum(axis=0)
    mix = a[:, totals > 0] / totals[totals > 0]
    k = mix.shape[1]
    if k < 2:
        return float("nan")
    diff = np.abs(mix[:, :, None] - mix[:, None, :]).sum(axis=0)
    return float(diff[np.triu_indices(k, 1)].mean())
