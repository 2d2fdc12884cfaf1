"""County policy dynamics, applied once a year after the accounts are closed.

* Infrastructure ``I <- I (1 - dep) + (1 - I) inv / (inv + c_I)``; each wan invested also
  adds ``land_per_infrastructure`` mu of industrial land (docs/reference_design.md §5).
* The fee trap (switch ``fee_trap``): a county whose year ended in deficit raises its fee rate
  by ``fee_step`` (up to ``fee_cap``); where fees are more than ``fee_dependence_threshold``
  of its own revenue, governance erodes by ``governance_erosion`` x the excess.
* Governance reform (switch ``governance_reform``): from ``reform_year`` the reforming
  counties freeze fees at ``reform_fee`` and close ``reform_speed`` of the gap between G and
  ``reform_governance`` each year; the fee trap no longer applies to them.
* Strategic competition (switch ``strategic_competition``): every county moves its subsidy
  depth ``competition_speed`` of the way toward the depth of the county that won the most
  arriving firms last year (ties: the lowest index; no arrivals: no change).
"""

from __future__ import annotations

import numpy as np

from clustersim.params import Counties


def invest_in_infrastructure(infrastructure: np.ndarray, investment: np.ndarray,
                             params: Counties) -> np.ndarray:
    """Next year's infrastructure index in [0, 1] from this year's investment (wan). The numpy
    formulation: the model runs :mod:`clustersim.rules.infrastructure`'s compiled pass, which
    ``tests/test_county_rules_compiled.py`` holds to this bit for bit."""
    gain = investment / (investment + params.infrastructure_cost)
    return infrastructure * (1.0 - params.infrastructure_depreciation) + (1.0 - infrastructure) * gain


def fee_trap(fee_rate: np.ndarray, governance: np.ndarray, deficit: np.ndarray, fee_dependence: np.ndarray,
             applies: np.ndarray, params: Counties) -> tuple[np.ndarray, np.ndarray]:
    """Fee rates and governance after one year of the fee trap (only where ``applies``)."""
    fee = np.where(applies & deficit, np.maximum(fee_rate, np.minimum(params.fee_cap, fee_rate + params.fee_step)),
                   fee_rate)
    excess = np.maximum(0.0, fee_dependence - params.fee_dependence_threshold)
    gov = np.where(applies, np.clip(governance - params.governance_erosion * excess, 0.0, 1.0), governance)
    return fee, gov


def reform(fee_rate: np.ndarray, governance: np.ndarray, reforming: np.ndarray,
           params: Counties) -> tuple[np.ndarray, np.ndarray]:
    """Fee rates and governance of reforming counties after one year of reform."""
    fee = np.where(reforming, params.reform_fee, fee_rate)
    gov = np.where(reforming, governance + params.reform_speed * (params.reform_governance - governance), governance)
    return fee, gov


def compete(depth: np.ndarray, arrivals: np.ndarray, is_county: np.ndarray, params: Counties) -> np.ndarray:
    """Subsidy depths after one year of strategic competition."""
    won = np.where(is_county, arrivals, -1)
    if won.max(initial=0) <= 0:
        return depth
    leader = int(np.argmax(won))
    return np.where(is_county, depth + params.competition_speed * (depth[leader] - depth), depth)
