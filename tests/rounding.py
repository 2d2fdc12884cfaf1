"""Floating-point error bounds for tests that compare two ways of taking the same sums (Higham,
*Accuracy and Stability of Numerical Algorithms*, 2nd ed., 2002)."""

from __future__ import annotations

import numpy as np

U = np.finfo(np.float64).eps / 2  #: unit roundoff of float64


def gamma(n: np.ndarray | int) -> np.ndarray:
    """``gamma_n = n u / (1 - n u)`` (Higham, eq. 3.8)."""
    nu = np.asarray(n, dtype=np.float64) * U
    return nu / (1.0 - nu)


def reorder_bound(terms: np.ndarray, adds: np.ndarray | int) -> np.ndarray:
    """How far two float64 sums of the same terms, each reached by at most ``adds`` additions or
    subtractions of terms whose absolute values sum to ``terms`` (per entry), can lie apart when
    taken in different orders: twice the bound for recursive summation,
    ``|error| <= gamma_n * sum |x_i|`` (eq. 4.4)."""
    return 2.0 * gamma(adds) * np.asarray(terms, dtype=np.float64)
