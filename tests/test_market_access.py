"""Market access, the demand pull of the input-output links (clustersim.market_access).

* the equation, firm by firm: MA[r, j] summed over the placed firms in plain Python from the
  input-output matrix, the firms' output at A = 1 and the decay, against the model's array; and
  its term gamma_M ln(1 + MA) in the model's revenue factor (the accounts and the decision read it);
* fast path = per-firm reference with market access on and every instrument of the source texts
  active (the pull enters the generic revenue term, which both read);
* off by default: gamma_M = 0 computes nothing and leaves the revenue factor as it was.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from instrument_worlds import texts_scenario
from test_texts_instruments import state

from clustersim.agglomeration import log_multiplier
from clustersim.model import ClusterModel
from clustersim.params import Scenario

from test_wage_subsidy import assert_matches_reference
from worlds import placed_rows


def with_market(sc: Scenario, gamma: float) -> Scenario:
    return sc.model_copy(update={"agglomeration": sc.agglomeration.model_copy(update={"market": gamma})})


def test_market_access_firm_by_firm():
    m = ClusterModel(with_market(texts_scenario(years=4), 0.4), seed=3).run(4)
    t, io = m.firms, m.io
    n_s, n_r = io.shape[0], m.regions.n
    by_hand = [[0.0] * n_r for _ in range(n_s)]
    for i in placed_rows(m):
        s, k = int(t.sector[i]), int(t.region[i])
        y = float(m.revenue_per_capital[s]) * float(t.capital[i]) * float(t.productivity[i])
        for r in range(n_s):  # r sells to s: a[r, s] of s's inputs
            for j in range(n_r):
                by_hand[r][j] += float(io[r, s]) * y * math.exp(
                    -m.config.transport.supplier_decay_per_km * float(m.regions.distance[k, j])) / m.reference_output
    ma = m.market_access()
    np.testing.assert_allclose(ma, np.array(by_hand), rtol=1e-10, atol=1e-12)
    assert (ma[2] == 0).all() and (ma[0] > 0).any(), "assembly sells to nobody"
    r = m.regions
    without = log_multiplier(m.localisation, m.access, r.infrastructure, m.config.agglomeration, m.advantage)
    np.testing.assert_allclose(np.log(m.revenue_factor / m.market_factor[None, :]),
                               without + 0.4 * np.log1p(np.array(by_hand)), rtol=1e-12, atol=1e-12)


def test_market_access_is_off_by_default():
    sc = texts_scenario(years=3)
    assert sc.agglomeration.market == 0.0
    m = ClusterModel(sc, seed=1).run(3)
    r = m.regions
    np.testing.assert_array_equal(m.revenue_factor, np.exp(log_multiplier(
        m.localisation, m.access, r.infrastructure, m.config.agglomeration, m.advantage)) * m.market_factor[None, :])


@pytest.mark.parametrize(("theta", "seed"), [(0.0, 1), (0.05, 2)])
def test_fast_path_equals_reference_with_market_access(theta, seed):
    sc = with_market(texts_scenario(years=6), 0.5)
    sc = sc.model_copy(update={"choice": sc.choice.model_copy(update={"theta": theta})})
    m, cs, f = state(sc, years=5, seed=seed)
    assert (m.market_access() > 0).any()
    assert (f.anchor > 0).any(), "the anchor decides"
    assert_matches_reference(cs, f)
