"""accounts.region_accounts (one compiled pass) equals its numpy formulation,
accounts.region_accounts_numpy, bit for bit: in every year of every shipped scenario (on the plug-in
protocol's path, production.generic_production) and on random
accounts with revenue, incentive and outlay flows, debts, zero and negative surpluses."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from clustersim import production
from clustersim.accounts import FirmAccounts, region_accounts, region_accounts_numpy
from clustersim.instruments import ledger_flows
from clustersim.instruments.base import Flow
from clustersim.model import ClusterModel
from clustersim.scenario import load_scenario

from digest_outputs import SCENARIOS


def same(got: dict, want: dict) -> None:
    assert list(got) == list(want)
    for k in want:
        assert np.asarray(got[k], dtype=np.float64).tobytes() == np.asarray(want[k], dtype=np.float64).tobytes(), k


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_year_of_a_shipped_scenario(path, monkeypatch):
    calls = []

    def compared(*args, **kwargs):
        got = region_accounts(*args, **kwargs)
        same(got, region_accounts_numpy(*args, **kwargs))
        calls.append(1)
        return got

    monkeypatch.setattr(production, "region_accounts", compared)
    model = ClusterModel(load_scenario(path), base_dir=SCENARIOS, seed=7)
    # the plug-in protocol's path (the built-ins' fused path equals it: tests/test_production.py)
    model._account = functools.partial(production.generic_production, model.instruments,
                                       ledger_flows(model.instruments))
    model.run(10)
    assert len(calls) == 10


FLOWS = [Flow("rebates"), Flow("land_sales", "revenue"), Flow("fee_refunds"), Flow("asset_outlays", "outlay"),
         Flow("asset_receipts", "revenue"), Flow("awards")]


def test_random_accounts():
    rng = np.random.default_rng(17)
    for trial in range(500):
        n_r, n = int(rng.integers(1, 15)), int(rng.integers(0, 60))
        flows = [f for f in FLOWS if rng.random() < 0.6]
        region = rng.integers(-1, n_r, n).astype(np.int32)
        money = lambda n=n: rng.normal(0.0, 100.0, n) * (rng.random(n) < 0.8)  # noqa: E731
        payments = {f.name: money() for f in flows if f.kind != "outlay" and rng.random() < 0.6}
        sent = [(money(), rng.integers(-1, n_r, n)) for _ in range(int(rng.integers(0, 3)))]
        acc = FirmAccounts(np.arange(n), money(), money(), money(), money(), money(), money(), money(),
                           payments, sent, region)
        ledger = {f.name: rng.normal(0.0, 50.0, n_r) for f in flows if rng.random() < 0.7}
        ops, transfers = rng.random(n_r) * 100.0, rng.random(n_r) * 80.0
        balance = rng.choice([-500.0, -0.0, 0.0, 300.0], n_r) * rng.choice([1.0, rng.random()])
        if trial % 5 == 0:  # surpluses exactly zero
            transfers = ops.copy()
            acc.host_tax[:] = acc.fees[:] = 0.0
            for v in payments.values():
                v[:] = 0.0
            sent, ledger, balance = [], {}, np.zeros(n_r)
            acc.sent = sent
        share = rng.random(n_r)
        services = rng.random(n_r) if trial % 2 else float(rng.random())
        args = (acc, region, n_r, ledger, flows, ops, transfers, balance, share, float(rng.random() * 0.1), services)
        same(region_accounts(*args), region_accounts_numpy(*args))

