"""clustersim.births: newborn firms drawn and written as the numpy expressions did, bit for bit,
with the same draws left in the generator; SectorDraw is rng.choice with its checks made once."""

from __future__ import annotations

import numpy as np
import pytest

from clustersim import traits
from clustersim.births import SectorDraw
from clustersim.model import ClusterModel
from clustersim.scenario import load_scenario

from digest_outputs import SCENARIOS


def new_firms_numpy(model: ClusterModel, n: int) -> np.ndarray:
    """The model's ``_new_firms`` as numpy expressions (before clustersim.births), instrument hooks left out."""
    fcfg = model.config.firms
    t = model.firms
    rows = t.append(n)
    sector = model.rng.choice(len(model.sector_names), size=n, p=model.birth_share)
    cap = fcfg.capital_median * np.exp(fcfg.capital_sigma * model.rng.standard_normal(n))
    sig = fcfg.productivity_sigma
    at = slice(t.size - n, t.size)
    t.sector[at] = sector
    t.capital[at] = cap
    t.land[at] = cap / model.intensity[sector]
    t.employment[at] = cap / model.capital_per_worker[sector]
    t.productivity[at] = np.exp(sig * model.rng.standard_normal(n) - 0.5 * sig * sig)
    if traits.any_on(fcfg.traits):
        traits.draw(fcfg.traits, t, rows, model.rng)
    t.small[at] = (cap < fcfg.small_firm_investment) | (t.land[at] < fcfg.small_firm_land)
    t.region[at] = -1
    t.born[at] = model.year
    return rows


@pytest.mark.parametrize("name, params", [("held_package", {}), ("anchor_firm", {}), ("industrial_real_estate", {}),
                                          ("arthur", {}), ("held_package", {"firms__traits__growth_mean": 0.03,
                                                                            "firms__traits__intensity_sigma": 0.2})])
def test_new_firms_equal_the_numpy_expressions(name, params):
    path = SCENARIOS / f"{name}.toml"
    a = ClusterModel(load_scenario(path), base_dir=SCENARIOS, seed=8, **params).run(3)
    b = ClusterModel(load_scenario(path), base_dir=SCENARIOS, seed=8, **params).run(3)
    a.instruments = b.instruments = []  # their birth hooks are the instruments' own, the same on both paths
    for n in (1, 7, 64, 300):
        ra, rb = a._new_firms(n), new_firms_numpy(b, n)
        assert np.array_equal(ra, rb)
        for col in a.firms.columns:
            assert getattr(a.firms, col)[ra].tobytes() == getattr(b.firms, col)[rb].tobytes(), (n, col)
        assert a.rng.bit_generator.state == b.rng.bit_generator.state


def test_sector_draw_is_rng_choice():
    draw = SectorDraw()
    gen = np.random.default_rng(21)
    for trial in range(2000):
        k = int(gen.integers(1, 12))
        p = gen.random(k)
        if trial % 4 == 0 and k > 1:
            p[gen.integers(0, k)] = 0.0
        p /= p.sum()
        n, seed = int(gen.integers(1, 400)), int(gen.integers(0, 2**31))
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        got, want = draw(a, k, p, n), b.choice(k, size=n, p=p)
        assert got.dtype == want.dtype and np.array_equal(got, want)
        assert a.bit_generator.state == b.bit_generator.state


@pytest.mark.parametrize("p", [[0.5, 0.5 + 1e-7], [1.2, -0.2], [np.nan, 1.0], [0.5, 0.5, 0.0]])
def test_sector_draw_refuses_what_rng_choice_refuses(p):
    p = np.array(p)
    with pytest.raises(ValueError) as want:
        np.random.default_rng(1).choice(2, size=3, p=p)
    with pytest.raises(ValueError) as got:
        SectorDraw()(np.random.default_rng(1), 2, p, 3)
    assert str(got.value) == str(want.value)



def test_birth_hooks_are_called_where_an_instrument_has_one(monkeypatch):
    """``_new_firms`` skips only the base class's empty ``born``: a hook of a subclass (the anchor
    deal's) or one set on an instance is called with the new rows."""
    from clustersim.instruments import Instrument
    from clustersim.instruments.anchor import AnchorDeal

    m = ClusterModel(load_scenario(SCENARIOS / "anchor_firm.toml"), base_dir=SCENARIOS, seed=3)
    subclass_seen, instance_seen = [], []
    monkeypatch.setattr(AnchorDeal, "born", lambda self, birth: subclass_seen.append(birth.rows.copy()))
    other = next(ins for ins in m.instruments if type(ins).born is Instrument.born)
    other.born = lambda birth: instance_seen.append(birth.rows.copy())
    rows = m._new_firms(5)
    assert [r.tolist() for r in subclass_seen] == [r.tolist() for r in instance_seen] == [rows.tolist()]
