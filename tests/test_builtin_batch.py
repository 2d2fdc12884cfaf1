"""The built-in instruments' batch in one compiled call (clustersim.instruments.builtin_batch)
makes exactly the arrays the instruments' protocol makes (``_Batch(..., builtin=False)``: profile
keys, terms, layouts, stay values): every array equal bit for bit, signs of zero included, on
every mini-batch of real runs of every shipped scenario, and of worlds whose packages refund fees
and pay relocation awards. A batch of one kernel block (``builtin_batch.picks``: the deciders'
columns, the batch and the utilities in one call) draws the picks ``choose`` draws, through the
kernel and through numpy's rule. Where a plug-in or the liquidity trait is in use the protocol runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from instrument_worlds import texts_world

import clustersim.model as model_module
from clustersim.choice import Deciders, _Batch, choose
from clustersim.instruments import builtin_batch
from clustersim.model import ClusterModel
from clustersim.params import Scenario
from clustersim.scenario import load_scenario

from test_choice import scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.toml"))
#: the arrays the kernel reads (and values() reads)
ARRAYS = ("profile", "scale", "cur", "incumbent", "distance_weight", "stay", "profit_x", "profit_at", "profit_rows",
          "linear_x", "linear_at", "linear_rows", "tax_rows", "land", "small", "free", "distance")


def assert_same_batch(fused: _Batch, generic: _Batch) -> None:
    for name in ARRAYS:
        x, y = getattr(fused, name), getattr(generic, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        np.testing.assert_array_equal(x, y, err_msg=name, strict=True)
        if x.dtype.kind == "f":
            assert np.array_equal(np.signbit(x), np.signbit(y)), f"{name}: a zero's sign differs"
    assert fused.refused is None and generic.refused is None


def run_checked(sc: Scenario, years: int, seed: int, monkeypatch) -> dict[str, int]:
    """Run ``sc``, comparing the paths on every mini-batch; returns how many batches took each:
    ``block`` (:func:`builtin_batch.picks`, one compiled call), ``builtin`` (``choose`` with the
    compiled batch) and ``protocol``."""
    seen = {"block": 0, "builtin": 0, "protocol": 0}
    choose, picks = model_module.choose, builtin_batch.picks

    def checked(cs, f, uniforms, *args, **kwargs):
        if builtin_batch.applies(cs.instruments):
            seen["builtin"] += 1
            assert_same_batch(_Batch(cs, f), _Batch(cs, f, builtin=False))
        else:
            seen["protocol"] += 1
        return choose(cs, f, uniforms, *args, **kwargs)

    def checked_block(cs, table, rows, newborn, uniforms, theta, log_utility):
        seen["block"] += 1
        pick, got = picks(cs, table, rows, newborn, uniforms, theta, log_utility)
        f = Deciders.from_table(table, rows, newborn)
        assert_same_batch(_Batch(cs, f), _Batch(cs, f, builtin=False))
        np.testing.assert_array_equal(pick, choose(cs, f, uniforms), strict=True)  # the kernel through _Batch
        np.testing.assert_array_equal(pick, choose(cs, f, uniforms, compiled=False), strict=True)  # numpy's rule
        for name in ("region", "small", "land"):  # what the arrivals read
            np.testing.assert_array_equal(getattr(got, name), getattr(f, name), err_msg=name, strict=True)
        return pick, got

    monkeypatch.setattr(model_module, "choose", checked)
    monkeypatch.setattr(builtin_batch, "picks", checked_block)
    ClusterModel(sc, seed=seed).run(years)
    return seen


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_shipped_scenario(path, monkeypatch):
    sc = load_scenario(path)
    plug_ins = any(p.instruments for p in sc.packages.values())
    years = 3 if path.stem == "hunan" else min(sc.years, 16)  # the offers of district/held start in year 2-6
    seen = run_checked(sc, years, seed=3, monkeypatch=monkeypatch)
    if plug_ins:
        assert seen["block"] == seen["builtin"] == 0 and seen["protocol"] > 0
    else:
        assert seen["block"] > 0 and seen["protocol"] == 0


def test_batches_of_several_kernel_blocks_take_choose_with_the_same_outputs(monkeypatch):
    """A batch larger than one kernel block goes through ``choose`` (the blocks, threads); with
    blocks of 60 firms both paths occur in one run, and a whole run gives the same tables as with
    every batch in one block."""
    sc = load_scenario(SCENARIOS[0].parent / "held_package.toml")
    plain = ClusterModel(sc, seed=4).run(12)
    monkeypatch.setattr(model_module, "CHUNK_CELLS", 60 * plain.regions.n)
    seen = run_checked(sc, years=12, seed=4, monkeypatch=monkeypatch)
    assert seen["block"] > 0 and seen["builtin"] > 0
    small_blocks = ClusterModel(sc, seed=4).run(12)
    for frame in ("model_frame", "region_frame"):
        pd.testing.assert_frame_equal(getattr(small_blocks, frame)(), getattr(plain, frame)(), check_exact=True)


@pytest.mark.parametrize("theta", [0.0, 0.3])
def test_fee_refunds_awards_and_standard_factories(theta, monkeypatch):
    """Packages that refund fees, pay relocation awards and price standard-factory land, at two
    depths; firms owed rebates and refunds when they stay."""
    sc = scenario(theta=theta, depth=1.5, rival_depth=3.0)
    book = sc.packages
    assert any(p.fee_waiver > 0 and p.relocation_award > 0 for p in book.values())
    seen = run_checked(sc, years=8, seed=5, monkeypatch=monkeypatch)
    assert seen["block"] > 0


def test_the_liquidity_trait_and_plug_ins_take_the_protocol(monkeypatch):
    """A liquidity trait (the land purchase then refuses cells) or any plug-in: the protocol."""
    w = texts_world(years=2)
    seen = run_checked(Scenario.model_validate(w), years=2, seed=1, monkeypatch=monkeypatch)
    assert seen["block"] == seen["builtin"] == 0 and seen["protocol"] > 0
    w["packages"]["district"]["instruments"] = []
    w["packages"]["focal"]["instruments"] = []
    w["packages"]["ire"]["instruments"] = []
    sc = Scenario.model_validate(w)
    assert sc.firms.traits.cash_median is not None
    seen = run_checked(sc, years=2, seed=1, monkeypatch=monkeypatch)
    assert seen["block"] == seen["builtin"] == 0 and seen["protocol"] > 0


@pytest.mark.parametrize("theta", [0.0, 0.3])
def test_a_block_of_placed_firms_marked_newborn(theta):
    """``builtin_batch.picks`` on any rows: firms marked newborn are deciders without a site
    (region -1) whatever the table says, as ``Deciders.from_table`` makes them."""
    m = ClusterModel(scenario(theta=theta, depth=1.5), seed=2).run(6)
    m.year = 7
    cs, t = m.choice_set(), m.firms
    rng = np.random.default_rng(8)
    rows = rng.choice(m._placed(), 150, replace=False)
    newborn = rng.random(rows.size) < 0.3
    f = Deciders.from_table(t, rows, newborn)
    for _ in range(10):
        u = rng.random(rows.size)
        pick, got = builtin_batch.picks(cs, t, rows, newborn, u, cs.theta, cs.utility == "log")
        np.testing.assert_array_equal(pick, choose(cs, f, u), strict=True)
    np.testing.assert_array_equal(got.region, f.region, strict=True)
    assert (got.region[newborn] == -1).all()


def test_signed_zeros_and_nan_as_numpy_gives_them():
    """Where numpy's maximum and fmax meet -0.0 or nan (a land price of -0.0, a profit of -0.0 from a
    zero revenue times a negative margin), the compiled batch keeps numpy's signs and nans."""
    import dataclasses

    m = ClusterModel(scenario(depth=1.5), seed=3).run(5)
    m.year = 6
    cs = m.choice_set()
    rng = np.random.default_rng(2)
    rows = rng.choice(m._placed(), 80, replace=False)
    f = Deciders.from_table(m.firms, rows, rng.random(rows.size) < 0.2)
    f.package = np.full_like(f.package, -1)  # nothing owed: a stay value of -0.0 stays -0.0
    price, sf_price = cs.price.copy(), cs.sf_price.copy()
    price[1], sf_price[1], price[2] = -0.0, -0.0, np.nan
    odd = dataclasses.replace(cs, price=price, sf_price=sf_price, revenue_factor=np.zeros_like(cs.revenue_factor),
                              margin=np.full_like(cs.margin, -0.5), wage=np.zeros_like(cs.wage), capital_cost_rate=0.0)
    fused = _Batch(odd, f)
    assert np.signbit(fused.stay[fused.incumbent]).any() and np.isnan(fused.linear_rows).any()
    assert_same_batch(fused, _Batch(odd, f, builtin=False))
