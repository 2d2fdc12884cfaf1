"""The built-in instruments' year of accounts in one compiled call (clustersim.production.BuiltinProduction)
equals the plug-in protocol (generic_production, the oracle) bit for bit, year by year, on real
years of shipped scenarios and of the busy test world: every FirmAccounts field, the payments per
flow, the sent tax, the region flows, balances and cumulative incentives, and every firm-table
column; a model with a plug-in instrument takes the generic path."""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest

from clustersim.accounts import FirmAccounts
from clustersim.instruments import BUILTIN, Instrument, ledger_flows
from clustersim.model import ClusterModel
from clustersim.params import Scenario
from clustersim.production import BuiltinProduction, generic_production, production

import worlds


def _same_bytes(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """Equal dtype, shape and bytes (a -0.0 for a 0.0, or one nan for another, would differ)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (what, got.dtype, want.dtype, got.shape, want.shape)
    assert got.tobytes() == want.tobytes(), (what, got, want)


def same_accounts(got: FirmAccounts, want: FirmAccounts) -> None:
    for name in ("rows", "revenue", "fees", "vat", "pretax", "cit", "profit", "host_tax", "region", "retained"):
        _same_bytes(getattr(got, name), getattr(want, name), name)
    assert list(got.payments) == list(want.payments)
    for name in want.payments:
        _same_bytes(got.payments[name], want.payments[name], f"payments[{name}]")
    assert len(got.sent) == len(want.sent)
    for (amount, to), (want_amount, want_to) in zip(got.sent, want.sent, strict=True):
        _same_bytes(amount, want_amount, "sent")
        _same_bytes(to, want_to, "sent to")


class Checked:
    """A model's yearly accounts, each year also carried out by the generic path on copies of the
    state it changes (the firm table, the region state) and compared: the accounts, every region
    flow, the balances, the cumulative incentives, every firm column. Counts what the years held."""

    def __init__(self, model: ClusterModel) -> None:
        assert isinstance(model._account, BuiltinProduction)
        self.fused = model._account
        self.generic = functools.partial(generic_production, model.instruments, ledger_flows(model.instruments))
        self.seen = dict(years=0, firms=0, rebates=0, fee_refunds=0, sent=0, sent_with_growth=0, losses=0,
                         offered=0)

    def __call__(self, table, rows, regions, ledger, *args):
        copied, counts = copy.deepcopy(table), copy.copy(regions)
        booked = {k: v.copy() for k, v in ledger.items()}
        want = self.generic(copied, rows, counts, booked, *args)
        got = self.fused(table, rows, regions, ledger, *args)
        same_accounts(got, want)
        for name in table.columns:
            _same_bytes(getattr(table, name), getattr(copied, name), name)
        assert list(regions.flows) == list(counts.flows)
        for name in counts.flows:
            _same_bytes(regions.flows[name], counts.flows[name], name)
        _same_bytes(regions.balance, counts.balance, "balance")
        _same_bytes(regions.incentives_cumulative, counts.incentives_cumulative, "incentives_cumulative")
        for name in ledger:  # read, not changed
            _same_bytes(ledger[name], booked[name], name)
        s = self.seen
        s["years"] += 1
        s["firms"] += rows.size
        s["rebates"] += bool((got.payments["rebates"] != 0).any())
        s["fee_refunds"] += bool((got.payments["fee_refunds"] != 0).any())
        _, to = got.sent[0]
        s["sent"] += int((to >= 0).sum())
        s["sent_with_growth"] += int(((to >= 0) & (got.host_tax > 0)).sum())  # tax grown above the base
        s["losses"] += int((got.profit < 0).sum())
        s["offered"] += bool(table.package_depth[rows].any())
        return got


def checked_run(config, seed: int, years: int | None = None) -> dict:
    model = ClusterModel(config, seed=seed)
    checked = model._account = Checked(model)
    model.run(years)
    assert checked.seen["years"] == model.steps
    return checked.seen


@pytest.mark.parametrize(("scenario", "seed"), [("held_package", 1), ("held_package", 7), ("strategic_race", 2)])
def test_the_fused_accounts_equal_the_generic_path_where_packages_pay(scenario, seed):
    seen = checked_run(scenario, seed)
    assert seen["years"] >= 30 and seen["firms"] > 10_000 and seen["offered"] > 0, seen
    assert seen["rebates"] > 0 and seen["losses"] > 0, seen
    if scenario == "strategic_race":  # its packages waive fees and share tax
        assert seen["fee_refunds"] > 0 and seen["sent_with_growth"] > 0, seen


@pytest.mark.parametrize(("scenario", "seed"), [("baseline", 0), ("fee_trap", 2), ("governance_reform", 1),
                                                ("district_package", 3)])
def test_the_fused_accounts_equal_the_generic_path_where_no_package_pays(scenario, seed):
    """No package offered, or (district_package, seed 3) offered two years and taken by no firm."""
    seen = checked_run(scenario, seed)
    assert seen["years"] >= 30 and seen["offered"] == 0, seen
    assert seen["rebates"] == seen["fee_refunds"] == seen["sent"] == 0, seen


def test_the_fused_accounts_split_tax_of_moved_firms_as_the_generic_path():
    """The busy world's package shares tax and waives fees; a window that closes puts years with and
    without payments in one run; moved firms send tax to their origins, some above their base."""
    sc = Scenario.model_validate(worlds.busy_world(years=12, seed=4, tax_sharing=0.6, depths=(0.5, 1.5),
                                                   package_start=2, package_duration=6))
    seen = checked_run(sc, 4)
    assert seen["rebates"] > 0 and seen["fee_refunds"] > 0, seen
    assert seen["sent"] > 0 and seen["sent_with_growth"] > 0, seen
    assert seen["years"] - seen["rebates"] > 0, seen  # years in which no rebate was paid


@pytest.mark.parametrize("scenario", ["held_package", "district_package", "baseline"])
def test_a_whole_run_is_the_same_on_either_path(scenario):
    fused = ClusterModel(scenario, seed=11)
    generic = ClusterModel(scenario, seed=11)
    generic._account = functools.partial(generic_production, generic.instruments, ledger_flows(generic.instruments))
    fused.run()
    generic.run()
    assert fused.model_frame().equals(generic.model_frame())
    assert fused.region_frame().equals(generic.region_frame())
    assert fused.firm_frame().equals(generic.firm_frame())


def test_the_fused_accounts_keep_negative_zeros_and_nans_as_the_generic_path():
    """Edge values the real years rarely hold: firms with no capital and no workers (revenue and
    profit 0), a nan productivity, a debt (no shipped run has one), in a year of strategic_race
    when firms hold packages (some waivers exhausted); both paths on copies."""
    model = ClusterModel("strategic_race", seed=2)
    model.run(12)
    t, r = model.firms, model.regions
    rows = model._placed()
    t.capital[rows[:5]] = 0.0
    t.employment[rows[:5]] = 0.0
    t.productivity[rows[5:8]] = np.nan
    r.balance = r.balance - 1e9
    args = (model._ledger, model.revenue_factor, model.material, model.revenue_per_capital, model.config)
    t2, r2 = copy.deepcopy(t), copy.copy(r)
    got = model._account(t, rows, r, *args)
    want = generic_production(model.instruments, ledger_flows(model.instruments), t2, rows, r2, *args)
    same_accounts(got, want)
    assert np.isnan(got.profit[5:8]).all() and (r.flows["interest"] > 0).all()
    held = t.package[rows] >= 0
    assert held.any() and (got.payments["fee_refunds"][held] == 0).any() and (got.payments["fee_refunds"] > 0).any()
    for name in t.columns:
        _same_bytes(getattr(t, name), getattr(t2, name), name)
    for name in r2.flows:
        _same_bytes(r.flows[name], r2.flows[name], name)
    _same_bytes(r.balance, r2.balance, "balance")


@pytest.mark.parametrize("scenario", ["anchor_firm", "industrial_real_estate"])
def test_a_model_with_a_plug_in_instrument_takes_the_generic_path(scenario):
    model = ClusterModel(scenario, seed=1)
    assert not isinstance(model._account, BuiltinProduction)
    assert model._account.func is generic_production
    assert model._account.args == (model.instruments, model.flows)
    with pytest.raises(ValueError, match="BuiltinProduction needs the instruments"):
        BuiltinProduction(model.instruments)
    model.run(3)  # and runs


def test_the_built_ins_in_another_order_take_the_generic_path():
    instruments = ClusterModel("held_package", seed=1).instruments
    assert isinstance(production(instruments), BuiltinProduction)
    assert production(instruments[::-1]).func is generic_production
    assert production(instruments[:-1]).func is generic_production


def test_the_built_ins_have_the_yearly_hooks_the_fused_path_carries_out():
    """BuiltinProduction carries out the rebates' and the fee refunds' payments and the tax
    sharing's split, and no other yearly hook: a built-in that gained one would need it there."""
    hooks = ("taxable_payments", "payments", "split_tax")
    overridden = {cls.__name__: tuple(h for h in hooks if getattr(cls, h) is not getattr(Instrument, h))
                  for cls in BUILTIN}
    assert overridden == {"TaxRebates": ("payments",), "FeeRefunds": ("payments",), "LandPurchase": (),
                          "RelocationAward": (), "TaxSharing": ("split_tax",)}
