"""The compiled refresh (clustersim.aggregates, clustersim.markets.prices) gives the numpy
formulation's prices, revenue multiplier and margins bit for bit: ``markets.land_price``,
``markets.wage``, ``exp(log_multiplier(...) + log_pull(...)) * market_factor`` and
``kept - vat`` of ``pretax_shares``, after every refresh of every shipped scenario, and on random
worlds of both forms with every term on and off."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from clustersim import market_access, markets
from clustersim.accounts import pretax_shares
from clustersim.agglomeration import log_multiplier
from clustersim.aggregates import Refresher, margin
from clustersim.model import ClusterModel
from clustersim.params import Agglomeration
from clustersim.scenario import load_scenario

from digest_outputs import SCENARIOS
from rounding import U, gamma


def numpy_factor(localisation, access, infrastructure, params, advantage, market, market_factor):
    """The revenue multiplier as the model computed it before clustersim.aggregates."""
    log_a = log_multiplier(localisation, access, infrastructure, params, advantage)
    if params.market > 0:
        log_a += market_access.log_pull(market, params.market)
    return np.exp(log_a) * market_factor[None, :]


def numpy_margin(material, fee_rate, governance, friction, vat_rate):
    kept, vat = pretax_shares(material[:, None], fee_rate[None, :], governance[None, :], friction, vat_rate)
    return kept - vat


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_refresh_of_a_shipped_scenario_equals_numpy(path):
    model = ClusterModel(load_scenario(path), base_dir=SCENARIOS, seed=5)
    refresh = model._refresh
    checked = []

    def check(recount=True, margins=True):
        r, cfg = model.regions, model.config
        want = numpy_factor(model.localisation, model.access, r.infrastructure, cfg.agglomeration, model.advantage,
                            model.market_access(), model.market_factor)
        assert np.array_equal(model.revenue_factor, want), (model.year, recount, margins)
        main = markets.land_price(r.base_price, r.land_used, r.land_supply, cfg.markets.land_congestion)
        sf = np.where(r.is_county, markets.land_price(r.base_price, r.sf_used, r.sf_supply,
                                                      cfg.markets.land_congestion), main)
        wage = markets.wage(r.base_wage, r.employment, r.labour_pool, cfg.markets.wage_pressure)
        for a, b in zip((r.land_price, r.sf_price, r.wage), (main, sf, wage), strict=True):
            assert a.tobytes() == b.tobytes()
        if margins:
            assert np.array_equal(model.margin, numpy_margin(model.material, r.fee_rate, r.governance,
                                                             cfg.choice.governance_friction, cfg.taxes.value_added))
        checked.append((recount, margins))

    def compared(recount=True, margins=True):
        before = model.margin
        refresh(recount, margins)
        check(recount, margins)
        if not margins:
            assert model.margin is before

    check()  # the model's first refresh
    model._refresh = compared
    model.run(10)
    assert {(True, True), (True, False), (False, True)} <= set(checked)


def random_world(rng, n_s, n_r, *, counts):
    if counts:
        loc = rng.integers(0, 40, (n_s, n_r)).astype(float)
    else:
        loc = rng.random((n_s, n_r)) * rng.choice([0.0, 1e-3, 1.0, 50.0], (n_s, n_r))
    access = rng.random((n_s, n_r)) * rng.choice([0.0, 0.5, 30.0])
    market = rng.random((n_s, n_r)) * 4.0
    return loc, access, market


@pytest.mark.parametrize("form, counts", list(itertools.product(("log", "linear"), (True, False))))
def test_random_worlds_equal_numpy(form, counts):
    rng = np.random.default_rng(11)
    for _ in range(300):
        n_s, n_r = int(rng.integers(1, 12)), int(rng.integers(1, 30))
        pick = lambda *values: float(rng.choice(values))  # noqa: E731
        params = Agglomeration(localisation=pick(0.0, 0.22, 1.0), supplier=pick(0.0, 0.25), market=pick(0.0, 0.3),
                               infrastructure=pick(0.0, 0.3), epsilon=pick(0.0, 1e-9, 1.0),
                               urbanisation=pick(0.0, 0.4, 1.0), urbanisation_epsilon=pick(0.0, 1.0), form=form)
        advantage = rng.normal(0.0, 2.0, (n_s, n_r)) if rng.random() < 0.5 else None
        mf = np.maximum(0.0, 1.0 - rng.random(n_r) * 0.6)
        ref = Refresher(n_s, n_r)
        for _ in range(3):
            loc, access, market = random_world(rng, n_s, n_r, counts=counts)
            ref.logs(loc, access, market if params.market > 0 else None, params, advantage)
            infrastructure = rng.random(n_r)
            with np.errstate(divide="ignore", invalid="ignore"):
                want = numpy_factor(loc, access, infrastructure, params, advantage, market, mf)
            got = ref.revenue_factor(infrastructure, params, advantage, mf)
            np.testing.assert_array_equal(got, want)
            assert got.tobytes() == want.tobytes()  # also the signs of zeros
            # unchanged: the same array; infrastructure changed: a new one, still numpy's
            assert ref.revenue_factor(infrastructure.copy(), params, advantage, mf) is got
            infrastructure = infrastructure + 0.125
            with np.errstate(divide="ignore", invalid="ignore"):
                want = numpy_factor(loc, access, infrastructure, params, advantage, market, mf)
            again = ref.revenue_factor(infrastructure, params, advantage, mf)
            assert again.tobytes() == want.tobytes()
            if params.infrastructure == 0:  # ln A does not depend on it
                assert again is got
            # a market factor changed in place is seen
            mf[0] *= 0.5
            want = numpy_factor(loc, access, infrastructure, params, advantage, market, mf)
            assert ref.revenue_factor(infrastructure, params, advantage, mf).tobytes() == want.tobytes()
            assert not ref.stale(params, params.market > 0) and ref.stale(params, not params.market > 0)


def test_margin_equals_numpy():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n_s, n_r = int(rng.integers(1, 10)), int(rng.integers(1, 30))
        material, fee, gov = rng.random(n_s) * 0.8, rng.random(n_r) * 0.1, rng.random(n_r)
        friction, vat = float(rng.random() * 0.2), float(rng.choice([0.0, 0.13]))
        got = margin(material, fee, gov, friction, vat)
        assert got.tobytes() == numpy_margin(material, fee, gov, friction, vat).tobytes()


def test_access_terms_are_the_matmul_products():
    """supplier_access and market_access take their BLAS products with np.dot: the same bits as
    the ``@`` formulation, on random worlds of 1-11 sectors and 1-150 regions."""
    from clustersim.agglomeration import supplier_access

    rng = np.random.default_rng(19)
    for _ in range(1500):
        n_s, n_r = int(rng.integers(1, 12)), int(rng.integers(1, 150))
        output = rng.random((n_s, n_r)) * 10.0 ** rng.integers(0, 6, (n_s, n_r)) * (rng.random((n_s, n_r)) < 0.7)
        decay = np.exp(-rng.random((n_r, n_r)) * 3.0)
        io = rng.random((n_s, n_s)) * 0.3
        ref = float(rng.random() * 1e5 + 1.0)
        assert supplier_access(output, io, decay, ref).tobytes() == (io.T @ (output @ decay) / ref).tobytes()
        assert market_access.market_access(output, io, decay, ref).tobytes() == (io @ (output @ decay) / ref).tobytes()


def test_compiled_supplier_access_is_the_products_within_their_rounding_bound():
    """aggregates.supplier_access (the model's: compiled loops up to ACCESS_LOOP_MAX_REGIONS
    regions) against the BLAS products of agglomeration.supplier_access, on random worlds of 1-11
    sectors and 1-150 regions: within twice the forward error bound of each (Higham, Accuracy and
    Stability of Numerical Algorithms, 2nd ed., 2002, eq. 3.13: |fl(AB) - AB| <= gamma_n |A||B|),
    for io.T @ (output @ decay) / ref: (gamma_R + gamma_S + gamma_R gamma_S + u) |io|.T |output|
    |decay| / ref; exactly BLAS's above the loops' size, and exact zeros where no supplier is."""
    from clustersim.agglomeration import supplier_access as by_blas
    from clustersim.aggregates import ACCESS_LOOP_MAX_REGIONS, supplier_access

    rng = np.random.default_rng(23)
    looped = 0
    for _ in range(1500):
        n_s, n_r = int(rng.integers(1, 12)), int(rng.integers(1, 150))
        output = rng.random((n_s, n_r)) * 10.0 ** rng.integers(0, 6, (n_s, n_r)) * (rng.random((n_s, n_r)) < 0.7)
        decay = np.exp(-rng.random((n_r, n_r)) * 3.0)
        io = rng.random((n_s, n_s)) * 0.3 * (rng.random((n_s, n_s)) < 0.8)
        ref = float(rng.random() * 1e5 + 1.0)
        got, blas = supplier_access(output, io, decay, ref), by_blas(output, io, decay, ref)
        if n_r > ACCESS_LOOP_MAX_REGIONS:
            assert got.tobytes() == blas.tobytes()
            continue
        looped += 1
        scale = np.abs(io).T @ (np.abs(output) @ np.abs(decay)) / ref
        bound = 2 * (gamma(n_r) + gamma(n_s) + gamma(n_r) * gamma(n_s) + U) * scale
        assert np.all(np.abs(got - blas) <= bound), (n_s, n_r)
        assert np.array_equal(got == 0, scale == 0)
    assert looped > 1000


def test_depth_offered_is_the_numpy_formulation():
    """aggregates.depth_offered: the depth where the region's package (not none) is offered in the
    year, 0 elsewhere, as np.where over the packages' windows gives it, for every year."""
    from clustersim.aggregates import depth_offered

    rng = np.random.default_rng(3)
    start = np.array([1.0, 1.0, 3.0, 5.0, 2.0])
    end = np.array([np.inf, 4.0, 3.0, np.inf, 10.0])  # package 2's window is empty
    package = rng.integers(0, 5, 40)
    depth = rng.uniform(0.0, 3.0, 40)
    for year in range(0, 12):
        offered = ((start <= year) & (year < end))[package] & (package > 0)
        np.testing.assert_array_equal(depth_offered(start, end, year, package, depth),
                                      np.where(offered, depth, 0.0), strict=True)
