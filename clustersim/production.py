"""One year's production and accounts (ODD 3.3.4, 3.3.7): every placed firm's accounts, every
region's fiscal flows and new balance, the year written into the firm table.

Two ways to carry them out, with the same results bit for bit:

* :func:`generic_production`, the plug-in protocol: :func:`~clustersim.accounts.firm_accounts`
  (production, then every instrument's taxable payments, payments and tax split),
  :func:`~clustersim.accounts.region_accounts` and :func:`~clustersim.accounts.book_year`;
* :class:`BuiltinProduction`, for a model whose instruments are exactly the built-ins
  (:data:`clustersim.instruments.BUILTIN`, in that order, no plug-ins): the same steps in one
  compiled call (:func:`_year`). The built-ins book no taxable payments; the rebates and the fee
  refunds are their payments, the tax sharing their one tax split. :func:`_year` calls the
  compiled passes the generic path calls (:mod:`clustersim.accounts`,
  :mod:`clustersim.instruments.firm_passes`) on the same arrays in the same order, and adds the
  payments to the profit and the accounts by region as the generic path does, so the accounts,
  the region flows and the firm table come out the same (``tests/test_production.py`` checks
  this year by year against :func:`generic_production`). It saves the Python between the passes:
  the instruments' hooks, the accounts' dictionaries and the region sums' set-up, some tens of
  microseconds a year.

:func:`production` picks one for a model's instruments. Both are called as ``(table, rows,
regions, ledger, revenue_factor, material, revenue_per_capital, config)``: the placed firms'
``rows``, the :class:`~clustersim.regions.RegionState` (its ``balance``, ``flows`` and
``incentives_cumulative`` replaced), what arrivals booked this year (by flow, per region), the
model's revenue factors (sectors x regions), material shares and revenue per wan of capital (per
sector) and the scenario's :class:`~clustersim.params.Config`; both return the year's
:class:`~clustersim.accounts.FirmAccounts`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from clustersim import accounts
from clustersim.accounts import FirmAccounts, book_year, firm_accounts, region_accounts
from clustersim.instruments import BUILTIN, Flow, are_builtin, firm_passes, ledger_flows
from clustersim.instruments.base import Instrument
from clustersim.jit import compiled


def production(instruments: list[Instrument]) -> Callable[..., FirmAccounts]:
    """How a model with these instruments carries out its year's accounts: :class:`BuiltinProduction`
    if they are exactly the built-ins, else :func:`generic_production` bound to them and their flows."""
    if are_builtin(instruments):
        return BuiltinProduction(instruments)
    return partial(generic_production, instruments, ledger_flows(instruments))


def _update_regions(regions, flows: dict[str, np.ndarray]) -> None:
    regions.balance = flows.pop("balance")
    regions.flows = flows
    regions.incentives_cumulative = regions.incentives_cumulative + flows["incentives"]


def generic_production(instruments: list[Instrument], flows: list[Flow], table, rows: np.ndarray, regions,
                       ledger: dict[str, np.ndarray], revenue_factor: np.ndarray, material: np.ndarray,
                       revenue_per_capital: np.ndarray, config) -> FirmAccounts:
    """The year's accounts of firms ``rows`` through the plug-in protocol (``flows``: the
    instruments' ledger flows, in order); the regions' flows and balances and the firm table
    updated (see the module docstring)."""
    r, tx = regions, config.taxes
    acc = firm_accounts(
        table, rows, revenue_factor, material, r.fee_rate, r.governance, r.wage, revenue_per_capital, instruments,
        vat_rate=tx.value_added, cit_rate=tx.corporate_income, county_cit_share=tx.county_cit_share,
        county_vat_share=tx.county_vat_share, friction=config.choice.governance_friction,
        capital_cost_rate=config.firms.capital_cost_rate)
    _update_regions(r, region_accounts(
        acc, acc.region, r.n, ledger, flows, r.operations, r.transfer, r.balance, r.infrastructure_share,
        config.counties.debt_interest, np.where(r.is_county, config.counties.public_services_share, 0.0)))
    book_year(table, acc)  # profit, retained tax, loss years, years in the region
    return acc


# the rows of BuiltinProduction's per-firm results (and scratch)
_REVENUE, _FEES, _VAT, _PRETAX, _CIT, _PROFIT, _HOST_TAX, _REBATES, _REFUNDS, _SENT, _TAX, _RETAINED = range(12)
_FIRM_ROWS = 12
#: the built-ins' ledger flows, in order (:func:`_year` takes what arrivals booked in each)
_FLOWS = ("rebates", "fee_refunds", "land_sales", "land_awards", "relocation_awards")


@compiled(links=(accounts, firm_passes))
def _year(rows, sector, region, capital, productivity, employment, revenue_per_capital, revenue_factor, material,
          fee_rate, governance, wage, friction, vat_rate, capital_cost_rate, cit_rate, county_cit_share,
          county_vat_share, package, rebate_class, years, depth, schedule, refunds_active, fee_waiver,
          fee_waiver_years, tax_origin, base_tax, sigma_of, t_profit, t_retained, t_loss_years, ledger_rebates,
          ledger_refunds, ledger_sales, ledger_awards, ledger_relocation, transfers,
          operations, balance, infrastructure_share, debt_interest, public_services_share, is_county, cumulative,
          firm, host, to, out, new_cumulative, host_sums, paid, kinds, layout, sums, booked, services):
    """:func:`generic_production` for the built-in instruments in one call: the per-firm results
    into the rows of ``firm`` (see ``_REVENUE`` ...), each firm's host region into ``host`` and
    the region its tax is sent to into ``to``; the region flows and the new balance into ``out``
    (:func:`accounts._region_flows`' layout), the cumulative incentives into ``new_cumulative``;
    the firm table's profit, retained tax, loss years and years written. ``ledger_*`` are what
    arrivals booked per flow (the flows in their ledger order); ``sums``, ``booked`` and
    ``services`` are scratch."""
    n, n_r = rows.size, out.shape[1]
    revenue, fees, vat, pretax = firm[_REVENUE], firm[_FEES], firm[_VAT], firm[_PRETAX]
    accounts._production(rows, sector, region, capital, productivity, employment, revenue_per_capital,
                         revenue_factor, material, fee_rate, governance, wage, friction, vat_rate, capital_cost_rate,
                         revenue, fees, vat, pretax)
    cit, profit = firm[_CIT], firm[_PROFIT]
    accounts._after_tax(pretax, cit_rate, cit, profit)
    # the built-ins' payments in BUILTIN's order (land and relocation awards pay nothing yearly)
    rebates, refunds = firm[_REBATES], firm[_REFUNDS]
    firm_passes.rebate_payments(rows, package, rebate_class, years, depth, schedule, county_cit_share, cit, rebates)
    for k in range(n):
        profit[k] += rebates[k]
    if refunds_active:
        firm_passes.fee_refunds(rows, package, depth, years, fee_waiver, fee_waiver_years, fees, refunds)
    else:
        for k in range(n):
            refunds[k] = 0.0
    for k in range(n):  # also when nothing is refunded: -0.0 + 0.0 is +0.0
        profit[k] += refunds[k]
    tax, kept, sent = firm[_TAX], firm[_HOST_TAX], firm[_SENT]
    accounts._host_tax(cit, vat, county_cit_share, county_vat_share, tax)
    firm_passes.split_tax(rows, tax_origin, package, base_tax, sigma_of, tax, kept, sent, to)
    # region_accounts: the sums by region, then every flow of every region
    for k in range(n):
        host[k] = region[rows[k]]
    for a in range(sums.shape[0]):
        for j in range(n_r):
            sums[a, j] = 0.0
    accounts._add_by_region(to, sent, sums[2])
    accounts._add_columns_by_region(host, (kept, fees, rebates, refunds), host_sums, sums)
    for j in range(n_r):  # region_accounts' booked flows, then np.where(is_county, share, 0.0)
        booked[0, j], booked[1, j], booked[2, j] = ledger_rebates[j], ledger_refunds[j], ledger_sales[j]
        booked[3, j], booked[4, j] = ledger_awards[j], ledger_relocation[j]
        services[j] = public_services_share if is_county[j] else 0.0
    accounts._region_flows(sums, 1, paid, booked, kinds, transfers, operations, balance, infrastructure_share,
                           debt_interest, services, layout, out)
    incentives = layout[5]
    for j in range(n_r):
        new_cumulative[j] = cumulative[j] + out[incentives, j]
    # book_year, with the retained tax of FirmAccounts.retained (the host's plus the sent)
    retained = firm[_RETAINED]
    for k in range(n):
        retained[k] = kept[k] + sent[k]
    accounts._book_year(rows, profit, retained, t_profit, t_retained, t_loss_years, years)


class BuiltinProduction:
    """:func:`generic_production` for the built-in instruments (:data:`clustersim.instruments.BUILTIN`,
    bound to one scenario's packages) in one compiled call."""

    def __init__(self, instruments: list[Instrument]) -> None:
        if not are_builtin(instruments):
            raise ValueError(f"BuiltinProduction needs the instruments {[c.__name__ for c in BUILTIN]}, "
                             f"got {[type(ins).__name__ for ins in instruments]}")
        rebates, refunds, _, _, sharing = instruments
        flows = ledger_flows(instruments)
        self.flow_names = tuple(f.name for f in flows)  # _year's ledger_* arguments, in this order
        if self.flow_names != _FLOWS:
            raise ValueError(f"BuiltinProduction needs the flows {_FLOWS}, got {self.flow_names}")
        self.payments = (rebates.flows[0].name, refunds.flows[0].name)  # the payments, in instrument order
        self.columns, kinds, layout = accounts._layout(tuple((f.name, f.kind) for f in flows))
        paid = np.array([self.flow_names.index(name) for name in self.payments], dtype=np.int64)
        self._book = (rebates.book.schedule, refunds.active, refunds.book.fee_waiver, refunds.book.fee_waiver_years,
                      sharing.book.tax_sharing)
        # the rows of region_accounts' sums the host's sums go to, for one sent tax and two payments
        self._layout = (accounts._host_rows(1, 2), paid, kinds, layout)
        self._scratch = (np.empty((5, 0)), np.empty((len(flows), 0)), np.empty(0))  # sums, booked, services

    def __call__(self, table, rows: np.ndarray, regions, ledger: dict[str, np.ndarray], revenue_factor: np.ndarray,
                 material: np.ndarray, revenue_per_capital: np.ndarray, config) -> FirmAccounts:
        r, t, tx = regions, table, config.taxes
        n, n_r = rows.size, r.n
        schedule, refunds_active, fee_waiver, fee_waiver_years, sigma_of = self._book
        firm = np.empty((_FIRM_ROWS, n))
        host = np.empty(n, dtype=t.region.dtype)
        to = np.empty(n, dtype=np.int64)
        out = np.empty((len(self.columns) + 1, n_r))  # the columns, then the new balance
        cumulative = np.empty(n_r)
        if self._scratch[2].size != n_r:
            self._scratch = (np.empty((5, n_r)), np.empty((len(self.flow_names), n_r)), np.empty(n_r))
        _year(np.asarray(rows, dtype=np.int64), t.sector, t.region, t.capital, t.productivity, t.employment,
              revenue_per_capital, np.ascontiguousarray(revenue_factor), material, r.fee_rate, r.governance, r.wage,
              float(config.choice.governance_friction), float(tx.value_added),
              float(config.firms.capital_cost_rate), float(tx.corporate_income), float(tx.county_cit_share),
              float(tx.county_vat_share), t.package, t.rebate_class, t.years, t.package_depth, schedule,
              refunds_active, fee_waiver, fee_waiver_years, t.tax_origin, t.base_tax, sigma_of, t.profit,
              t.retained_tax, t.loss_years, *[ledger[name] for name in _FLOWS],
              np.ascontiguousarray(r.transfer, dtype=np.float64),
              np.ascontiguousarray(r.operations, dtype=np.float64), np.ascontiguousarray(r.balance, dtype=np.float64),
              np.ascontiguousarray(r.infrastructure_share, dtype=np.float64), float(config.counties.debt_interest),
              float(config.counties.public_services_share), np.asarray(r.is_county, dtype=np.bool_),
              np.ascontiguousarray(r.incentives_cumulative, dtype=np.float64), firm, host, to, out, cumulative,
              *self._layout, *self._scratch)
        flows = dict(zip(self.columns, out, strict=False))
        r.balance = out[-1]
        r.flows = flows
        r.incentives_cumulative = cumulative
        acc = FirmAccounts(rows, firm[_REVENUE], firm[_FEES], firm[_VAT], firm[_PRETAX], firm[_CIT], firm[_PROFIT],
                           firm[_HOST_TAX], dict(zip(self.payments, (firm[_REBATES], firm[_REFUNDS]), strict=True)),
                           [(firm[_SENT], to)], host)
        return acc
