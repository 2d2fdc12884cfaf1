"""The built-in instruments' arrivals in one compiled call (clustersim.arrivals.BuiltinArrivals)
equal the plug-in protocol (generic_arrivals, the oracle) bit for bit, batch by batch, on real
mini-batches of shipped scenarios and of the busy test world; a model with a plug-in instrument
takes the generic path."""

from __future__ import annotations

import copy
import functools
from types import SimpleNamespace

import numpy as np
import pytest

from clustersim.arrivals import BuiltinArrivals, arrivals, generic_arrivals
from clustersim.choice import Deciders
from clustersim.model import ClusterModel
from clustersim.moves import who_moves
from clustersim.params import Scenario

import worlds


def _same_bytes(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """Equal dtype, shape and bytes (a -0.0 for a 0.0, or one nan for another, would differ)."""
    assert got.dtype == want.dtype and got.shape == want.shape, (what, got.dtype, want.dtype, got.shape, want.shape)
    assert got.tobytes() == want.tobytes(), (what, got, want)


class Checked:
    """A model's arrivals, each batch also carried out by the generic path on copies of the
    state it changes (the firm table, the regions' arrival counts, the ledger) and compared:
    returns, every firm column, the counts, every ledger flow. Counts what the batches held."""

    def __init__(self, model: ClusterModel) -> None:
        assert isinstance(model._arrive, BuiltinArrivals)
        self.fused = model._arrive
        self.generic = functools.partial(generic_arrivals, model.instruments)
        self.seen = dict(batches=0, empty=0, entries=0, relocations=0, small_to_sf=0, offered=0, not_offered=0,
                         land_awards=0, relocation_awards=0)

    def __call__(self, table, rows, f, pick, cs, regions, ledger):
        copied = copy.deepcopy(table)
        counts = SimpleNamespace(n=regions.n, is_county=regions.is_county, arrivals=regions.arrivals.copy(),
                                 departures=regions.departures.copy())
        booked = {k: v.copy() for k, v in ledger.items()}
        _, _, sf_pool = who_moves(f, pick, cs, regions.is_county)
        want = self.generic(copied, rows, f, pick, cs, counts, booked)
        before = {k: v.copy() for k, v in ledger.items()}
        got = self.fused(table, rows, f, pick, cs, regions, ledger)
        assert got[:2] == want[:2]
        _same_bytes(got[2], want[2], "admitted")
        _same_bytes(got[3], want[3], "relocations")
        for name in table.columns:
            _same_bytes(getattr(table, name), getattr(copied, name), name)
        _same_bytes(regions.arrivals, counts.arrivals, "arrivals")
        _same_bytes(regions.departures, counts.departures, "departures")
        assert list(ledger) == list(booked)
        for name in ledger:
            _same_bytes(ledger[name], booked[name], name)
        s = self.seen
        s["batches"] += 1
        s["empty"] += got[0] == 0
        s["entries"] += got[1]
        s["relocations"] += got[0] - got[1]
        s["small_to_sf"] += int(sf_pool.sum())
        s["offered" if cs.depth_offered.any() else "not_offered"] += 1
        s["land_awards"] += bool((ledger["land_awards"] != before["land_awards"]).any())
        s["relocation_awards"] += bool((ledger["relocation_awards"] != before["relocation_awards"]).any())
        return got


def checked_run(config, seed: int, years: int | None = None) -> dict:
    model = ClusterModel(config, seed=seed)
    checked = model._arrive = Checked(model)
    model.run(years)
    return checked.seen


@pytest.mark.parametrize(("scenario", "seed"), [("held_package", 1), ("held_package", 7), ("strategic_race", 2)])
def test_the_fused_arrivals_equal_the_generic_path_where_packages_are_offered(scenario, seed):
    seen = checked_run(scenario, seed)
    assert seen["batches"] >= 100
    # every kind of arrival occurred: newborns, relocations, small firms into standard-factory zones,
    # under a package (land awards booked) and outside one
    assert seen["entries"] > 100 and seen["relocations"] > 0 and seen["small_to_sf"] > 0, seen
    assert seen["offered"] > 0 and seen["land_awards"] > 0, seen


@pytest.mark.parametrize(("scenario", "seed"), [("baseline", 0), ("baseline", 5), ("fee_trap", 2)])
def test_the_fused_arrivals_equal_the_generic_path_where_no_package_is_offered(scenario, seed):
    seen = checked_run(scenario, seed)
    assert seen["offered"] == 0 and seen["not_offered"] >= 100, seen
    assert seen["entries"] > 100 and seen["relocations"] > 0 and seen["land_awards"] == 0, seen


def test_the_fused_arrivals_book_relocation_awards_and_tax_sharing_as_the_generic_path():
    """The busy world's package pays a relocation award (no shipped scenario does) and shares tax;
    a package window that closes puts batches with and without an offer in one run."""
    sc = Scenario.model_validate(worlds.busy_world(years=12, seed=4, tax_sharing=0.6, depths=(0.5, 1.5),
                                                   package_start=2, package_duration=6))
    seen = checked_run(sc, 4)
    assert seen["relocation_awards"] > 0 and seen["relocations"] > 0 and seen["small_to_sf"] > 0, seen
    assert seen["offered"] > 0 and seen["not_offered"] > 0, seen


@pytest.mark.parametrize("scenario", ["held_package", "district_package", "baseline"])
def test_a_whole_run_is_the_same_on_either_path(scenario):
    fused = ClusterModel(scenario, seed=11)
    generic = ClusterModel(scenario, seed=11)
    generic._arrive = functools.partial(generic_arrivals, generic.instruments)
    fused.run()
    generic.run()
    assert fused.model_frame().equals(generic.model_frame())
    assert fused.region_frame().equals(generic.region_frame())
    assert fused.firm_frame().equals(generic.firm_frame())
    np.testing.assert_array_equal(fused.last_moves, generic.last_moves)


def test_a_batch_in_which_no_firm_moves_changes_nothing():
    model = ClusterModel("held_package", seed=2)
    model.run(3)
    rows = model._placed()[:80]
    f = Deciders.from_table(model.firms, rows, np.zeros(rows.size, bool))
    cs, r = model.choice_set(), model.regions
    before = copy.deepcopy(model.firms), r.arrivals.copy(), {k: v.copy() for k, v in model._ledger.items()}
    for pick in (f.region.copy(), np.full(rows.size, -1)):  # every firm stays, or finds nothing acceptable
        moved, entries, admitted, relocations = model._arrive(model.firms, rows, f, pick, cs, r, model._ledger)
        assert (moved, entries, admitted.size, relocations.size) == (0, 0, 0, 0)
    for name in model.firms.columns:
        _same_bytes(getattr(model.firms, name), getattr(before[0], name), name)
    _same_bytes(r.arrivals, before[1], "arrivals")
    for name, flow in model._ledger.items():
        _same_bytes(flow, before[2][name], name)


@pytest.mark.parametrize("scenario", ["anchor_firm", "industrial_real_estate"])
def test_a_model_with_a_plug_in_instrument_takes_the_generic_path(scenario):
    model = ClusterModel(scenario, seed=1)
    assert not isinstance(model._arrive, BuiltinArrivals)
    assert model._arrive.func is generic_arrivals and model._arrive.args == (model.instruments,)
    with pytest.raises(ValueError, match="BuiltinArrivals needs the instruments"):
        BuiltinArrivals(model.instruments)


def test_the_built_ins_in_another_order_take_the_generic_path():
    instruments = ClusterModel("held_package", seed=1).instruments
    assert isinstance(arrivals(instruments), BuiltinArrivals)
    assert arrivals(instruments[::-1]).func is generic_arrivals
    assert arrivals(instruments[:-1]).func is generic_arrivals
