"""Checks that turn user-supplied arrays into clean numpy arrays or raise ``ValueError`` with a
message naming the argument: the shared input validation of :mod:`clustersim.metrics` and
:mod:`clustersim.policy_outcomes`."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["check_lengths", "float_1d", "float_array", "index_1d", "years_1d"]


def float_array(name: str, values: ArrayLike, *, nonneg: bool = True) -> NDArray[np.float64]:
    """``values`` as a finite float array (optionally non-negative), else ``ValueError``."""
    arr = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if nonneg and np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative")
    return arr


def float_1d(name: str, values: ArrayLike, *, nonneg: bool = True) -> NDArray[np.float64]:
    arr = float_array(name, values, nonneg=nonneg)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def index_1d(name: str, values: ArrayLike, upper: int, upper_name: str) -> NDArray[np.intp]:
    """Integer indices in ``0 .. upper-1`` as a 1-D intp array, else ``ValueError``."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.intp)
    is_int = np.issubdtype(arr.dtype, np.integer)
    is_whole_float = (np.issubdtype(arr.dtype, np.floating) and bool(np.all(np.isfinite(arr)))
                      and bool(np.all(arr == np.round(arr))))
    if not (is_int or is_whole_float):
        raise ValueError(f"{name} must hold integer indices")
    idx = arr.astype(np.intp)
    if idx.min() < 0 or idx.max() >= upper:
        raise ValueError(f"{name} must lie in 0..{upper - 1} ({upper_name} = {upper}); "
                         f"got values in {int(idx.min())}..{int(idx.max())}")
    return idx


def check_lengths(**arrays: NDArray[np.generic]) -> None:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError("arrays must have equal lengths, got "
                         + ", ".join(f"{k}={v}" for k, v in lengths.items()))


def years_1d(years: ArrayLike) -> NDArray[np.float64]:
    arr = float_1d("years", years, nonneg=False)
    if arr.size > 1 and np.any(np.diff(arr) <= 0):
        raise ValueError("years must be strictly ascending")
    return arr
