"""The coast's cost push: each year the origins' base wages and benchmark land prices grow, at
the full rates (``markets.coastal_wage_growth``, ``coastal_land_growth``) in year 1 and at rates
halving every ``markets.coastal_growth_half_life`` years after, so the coast's premium converges
(constant growth when the half-life is infinite). Counties' base wages and prices do not grow.

:func:`grown` computes ``np.where(is_origin, x * (1 + fade * g), x)`` of both arrays in one
compiled pass, the same operations in the same order (``tests/test_coast.py`` compares the two):
the numpy expressions cost more than their arithmetic on a few dozen regions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from clustersim.jit import compiled

if TYPE_CHECKING:
    from clustersim.params import Markets


@compiled()
def _grow(is_origin, base_wage, base_price, wage_factor, price_factor, new_wage, new_price):
    for j in range(is_origin.size):
        if is_origin[j]:
            new_wage[j] = base_wage[j] * wage_factor
            new_price[j] = base_price[j] * price_factor
        else:
            new_wage[j] = base_wage[j]
            new_price[j] = base_price[j]


def fade(year: int, half_life: float) -> float:
    """The share of the full growth rates reached in ``year`` (1 in year 1; 1 every year when
    ``half_life`` is infinite)."""
    return 0.5 ** ((year - 1) / half_life)


def grown(is_origin: np.ndarray, base_wage: np.ndarray, base_price: np.ndarray, year: int,
          markets: Markets) -> tuple[np.ndarray, np.ndarray]:
    """Next base wages (wan/worker-yr) and benchmark land prices (wan/mu) after ``year``'s coastal
    growth (new arrays), ``markets`` the scenario's market parameters."""
    f = fade(year, markets.coastal_growth_half_life)
    wage, price = np.empty(base_wage.size), np.empty(base_price.size)
    _grow(is_origin, base_wage, base_price, 1.0 + f * markets.coastal_wage_growth,
          1.0 + f * markets.coastal_land_growth, wage, price)
    return wage, price
