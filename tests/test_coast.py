"""The coast's cost push in one compiled pass (``coast.grown``) gives the bits of its numpy
formulation (the oracle, as ``ClusterModel._coastal_drivers`` wrote it before):
``np.where(is_origin, x * (1 + fade * g), x)`` with ``fade = 0.5 ** ((year - 1) / half_life)``."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from clustersim import coast


def _numpy(is_origin, base_wage, base_price, year, m):
    fade = 0.5 ** ((year - 1) / m.coastal_growth_half_life)
    return (np.where(is_origin, base_wage * (1.0 + fade * m.coastal_wage_growth), base_wage),
            np.where(is_origin, base_price * (1.0 + fade * m.coastal_land_growth), base_price))


@pytest.mark.parametrize(("year", "half_life"), [(1, 5.0), (2, 5.0), (17, 5.0), (40, 3.0), (9, math.inf)])
def test_grown_sets_the_numpy_formulations_bits(year, half_life):
    rng = np.random.default_rng(year)
    n = 30
    is_origin = rng.random(n) < 0.4
    base_wage, base_price = 3.0 + rng.random(n) * 8, 10.0 + rng.random(n) * 300
    m = SimpleNamespace(coastal_growth_half_life=half_life, coastal_wage_growth=float(rng.random() * 0.1),
                        coastal_land_growth=float(rng.random() * 0.1))
    wage, price = coast.grown(is_origin, base_wage, base_price, year, m)
    want_wage, want_price = _numpy(is_origin, base_wage, base_price, year, m)
    assert wage.tobytes() == want_wage.tobytes() and price.tobytes() == want_price.tobytes()
    assert not np.array_equal(wage, base_wage) and np.array_equal(wage[~is_origin], base_wage[~is_origin])
