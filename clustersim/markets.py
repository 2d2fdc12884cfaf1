"""Markets that push back: congestion-priced land, wages that rise with local employment,
and labour pools that grow by migration toward jobs.

* land price ``p_j = p0_j (1 + eta (U_j / S_j)^2)`` (wan/mu), per land pool;
* wage ``w_j = w0_j (1 + omega E_j / Lp_j)`` (wan per worker-year);
* migration ``Lp_j += mu (1 + psi S_j) max(0, E_j / target - Lp_j)``: the pool grows toward
  ``E_j / target`` workers (``target`` = 0.8, so a county keeps some slack), faster where the
  county spends on public services (housing, schools, hospitals: docs/policy.md, Text 3), with the
  service level ``S_j = P_j / (P_j + c_P)`` in [0, 1) of this year's spending P_j (wan).
"""

from __future__ import annotations

import numpy as np

from clustersim.jit import compiled

EMPLOYMENT_TARGET = 0.8  # employment / labour pool that migration aims for


def land_price(base_price: np.ndarray, used: np.ndarray, supply: np.ndarray, congestion: float) -> np.ndarray:
    """Congestion-priced land, wan/mu. A pool with zero supply is priced at its base."""
    with np.errstate(divide="ignore", invalid="ignore"):
        use = np.where(supply > 0, used / np.where(supply > 0, supply, 1.0), 0.0)
    return base_price * (1.0 + congestion * use**2)


def wage(base_wage: np.ndarray, employment: np.ndarray, labour_pool: np.ndarray, pressure: float) -> np.ndarray:
    """Local wage, wan per worker-year."""
    return base_wage * (1.0 + pressure * employment / labour_pool)


@compiled(error_model="numpy")
def _prices(base_price, land_used, land_supply, sf_used, sf_supply, is_county, congestion,
            base_wage, employment, labour_pool, pressure, land_out, sf_out, wage_out):
    for j in range(base_price.size):
        use = land_used[j] / land_supply[j] if land_supply[j] > 0 else 0.0
        land_out[j] = base_price[j] * (1.0 + congestion * (use * use))
        if is_county[j]:
            use = sf_used[j] / sf_supply[j] if sf_supply[j] > 0 else 0.0
            sf_out[j] = base_price[j] * (1.0 + congestion * (use * use))
        else:
            sf_out[j] = land_out[j]
        wage_out[j] = base_wage[j] * (1.0 + pressure * employment[j] / labour_pool[j])


def prices(base_price: np.ndarray, land_used: np.ndarray, land_supply: np.ndarray, sf_used: np.ndarray,
           sf_supply: np.ndarray, is_county: np.ndarray, congestion: float, base_wage: np.ndarray,
           employment: np.ndarray, labour_pool: np.ndarray, pressure: float) -> tuple[np.ndarray, ...]:
    """``(land_price, sf_price, wage)`` of every region in one compiled pass: :func:`land_price`
    of the main pool and of the standard-factory zone (counties; an origin's is its main price)
    and :func:`wage`, the same arithmetic in the same order (so the same bits)."""
    n = base_price.size
    land, sf, wage_ = np.empty(n), np.empty(n), np.empty(n)
    _prices(base_price, land_used, land_supply, sf_used, sf_supply, is_county, float(congestion),
            base_wage, employment, labour_pool, float(pressure), land, sf, wage_)
    return land, sf, wage_


def service_level(spending: np.ndarray, cost: float) -> np.ndarray:
    """Public-service level S = P / (P + c_P) in [0, 1) of a year's public-service spending P (wan).
    The numpy formulation of :mod:`clustersim.rules.public_services`' compiled pass (the reference
    of ``tests/test_county_rules_compiled.py``), as is :func:`migrate`."""
    spending = np.maximum(spending, 0.0)
    return spending / (spending + cost)


def migrate(labour_pool: np.ndarray, employment: np.ndarray, services: np.ndarray,
            rate: float, public_service_effect: float) -> np.ndarray:
    """Next year's labour pool (workers); ``services`` is the service level S in [0, 1]. The numpy
    formulation of :mod:`clustersim.rules.public_services`' compiled pass."""
    gap = np.maximum(0.0, employment / EMPLOYMENT_TARGET - labour_pool)
    return labour_pool + np.minimum(1.0, rate * (1.0 + public_service_effect * services)) * gap
