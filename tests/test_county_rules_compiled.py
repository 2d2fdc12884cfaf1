"""The built-in county rules computed in one compiled pass (``rules.infrastructure._invest``,
``rules.public_services._migrate``) set the same bits as their numpy formulation (the oracle:
:func:`clustersim.counties.invest_in_infrastructure` and :func:`clustersim.markets.migrate`, as
the rules applied them before), on random region states with zeros, negative spending and nan."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from clustersim import counties, markets
from clustersim.params import Scenario
from clustersim.rules.base import CountyYear
from clustersim.rules.infrastructure import Infrastructure
from clustersim.rules.public_services import PublicServices

N = 40


def _regions(seed: int) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    is_origin = rng.random(N) < 0.3

    def amounts(scale: float) -> np.ndarray:
        x = rng.random(N) * scale
        x[rng.random(N) < 0.15] = 0.0
        return x

    spending = amounts(5e4) - 1e4  # some negative
    spending[[3, 7]] = [np.nan, -0.0]
    land_supply = amounts(2e4)
    land_supply[np.flatnonzero(is_origin)[0]] = -0.0  # an origin's: + 0.0 makes it 0.0
    return SimpleNamespace(
        n=N, is_origin=is_origin, is_county=~is_origin, infrastructure=rng.random(N), land_supply=land_supply,
        labour_pool=amounts(1e5), employment=amounts(1.2e5),
        flows={"infrastructure_spending": amounts(8e4), "public_services": spending})


def _numpy_infrastructure(r, cp) -> tuple[np.ndarray, np.ndarray]:
    county, inv = r.is_county, r.flows["infrastructure_spending"]
    infra = np.where(county, counties.invest_in_infrastructure(r.infrastructure, inv, cp), r.infrastructure)
    return infra, r.land_supply + np.where(county, cp.land_per_infrastructure * inv, 0.0)


def _numpy_public_services(r, m) -> np.ndarray:
    services = markets.service_level(r.flows["public_services"], m.public_service_cost)
    return markets.migrate(r.labour_pool, r.employment, services, m.migration_rate, m.public_service_effect)


def _year(r, seed: int) -> CountyYear:
    rng = np.random.default_rng(100 + seed)
    config = Scenario.model_validate({
        "counties": {"infrastructure_depreciation": float(rng.random() * 0.2),
                     "infrastructure_cost": float(1e3 + rng.random() * 5e4),
                     "land_per_infrastructure": float(rng.random() * 0.05)},
        "markets": {"public_service_cost": float(1e3 + rng.random() * 1e4), "migration_rate": float(rng.random()),
                    "public_service_effect": float(rng.random() * 3)}})
    return CountyYear(r, config, 5, 0, np.zeros(N, bool))


@pytest.mark.parametrize("seed", range(6))
def test_compiled_rules_set_the_numpy_formulations_bits(seed):
    r = _regions(seed)
    year = _year(r, seed)
    want_infra, want_land = _numpy_infrastructure(r, year.config.counties)
    want_pool = _numpy_public_services(r, year.config.markets)
    assert np.isnan(want_pool).any(), "a nan spending reaches the labour pool (covered)"
    Infrastructure().apply(year)
    PublicServices().apply(year)
    assert r.infrastructure.tobytes() == want_infra.tobytes()
    assert r.land_supply.tobytes() == want_land.tobytes()
    assert r.labour_pool.tobytes() == want_pool.tobytes()

