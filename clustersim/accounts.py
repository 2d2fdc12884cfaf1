"""Production and accounts: each firm's profit and taxes, and each region's fiscal account.

Firm, per year (wan/year), in its region j with rebate year k = years in region + 1:

* revenue ``R = q A[s, j] (1 - tau_m d_j)``; fees ``f_j R``; VAT ``t_v (1 - m_s) R``
* pre-tax profit ``Pi = R (1 - m_s - f_j - phi (1 - G_j)) - VAT - w_j e - c K``
* CIT ``t_c max(Pi, 0)``; rebate ``D lambda_c CIT rebate_k`` (D, schedule: locked-in package)
* fee refund ``min(1, D waiver) f_j R`` while k <= the package's fee-waiver years
* profit after tax and incentives ``Pi - CIT + rebate + refund``; a loss counts toward exit.

The incentive terms are the instruments' (:mod:`clustersim.instruments`): each pays (or
collects) named ledger flows, and the region accounts' flow columns derive from the
instruments in use (:func:`ledger_columns`).

Retained tax ``lambda_c CIT + lambda_v VAT`` goes to the host region; under a package with
tax sharing, a moved firm's pre-move retained tax (its base) stays with the region it came
from and only growth above it is split, the host taking ``sigma`` (district rule 0.6).

Region, per year (wan): ``revenue = taxes + fees + land sales + transfer``;
``spending = operations + incentives + interest + infrastructure + public services`` with
``incentives = rebates + fee refunds + land awards + relocation awards`` (and any instrument's
incentive and ``outlay`` flows are added to spending: an outlay, e.g. a public asset company's
plant construction, is spending but not an incentive); interest is charged
on last year's debt, infrastructure gets ``infrastructure_share`` of any surplus, public
services (counties only) get ``public_services_share`` of what is left of it, and
``balance += revenue - spending`` (debt is the negative part of the balance).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from clustersim.instruments.base import FirmYear, Flow, Instrument
from clustersim.jit import compiled


@dataclass
class FirmAccounts:
    """One year's accounts of the live firms ``rows`` (arrays aligned with rows), wan/year.
    ``payments`` holds each instrument flow paid to (or, for a revenue flow, collected from)
    each firm; ``sent``/``sent_to`` the retained tax the instruments moved to other regions."""

    rows: np.ndarray
    revenue: np.ndarray
    fees: np.ndarray
    vat: np.ndarray
    pretax: np.ndarray
    cit: np.ndarray
    profit: np.ndarray
    host_tax: np.ndarray  # retained tax kept by the host region
    payments: dict[str, np.ndarray] = field(default_factory=dict)
    sent: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # (amount, region; -1 none)
    region: np.ndarray | None = None  # each row's host region

    @property
    def rebate(self) -> np.ndarray:
        return self.payments.get("rebates", np.zeros(self.rows.size))

    @property
    def fee_refund(self) -> np.ndarray:
        return self.payments.get("fee_refunds", np.zeros(self.rows.size))

    @property
    def retained(self) -> np.ndarray:
        """Retained tax paid by each firm (what the host kept plus what it passed on)."""
        out = self.host_tax
        for amount, _ in self.sent:
            out = out + amount
        return out


def pretax_shares(material, fee_rate, governance, friction: float, vat_rate: float):
    """``(kept, vat)``: the share of revenue left after materials, fees and governance friction,
    ``1 - m_s - f_j - phi (1 - G_j)``, and VAT's share ``t_v (1 - m_s)``; the pre-tax margin is
    ``kept - vat``. The one definition of the margin, for the location decision (sector x region
    arrays) and the accounts (per firm): arguments broadcast."""
    kept = 1.0 - material - fee_rate - friction * (1.0 - governance)
    return kept, vat_rate * (1.0 - material)


@compiled()
def _production(rows, sector, region, capital, productivity, employment, revenue_per_capital, revenue_factor,
                material, fee_rate, governance, wage, friction, vat_rate, capital_cost_rate,
                revenue, fees, vat, pretax):
    """Revenue, fees, VAT and pre-tax profit of firms ``rows`` (before the instruments), the
    arithmetic of :func:`pretax_shares` and the revenue equation in their order."""
    for k in range(rows.size):
        i = rows[k]
        s, j, cap = sector[i], region[i], capital[i]
        r = revenue_per_capital[s] * cap * productivity[i] * revenue_factor[s, j]
        revenue[k] = r
        fees[k] = fee_rate[j] * r
        m = material[s]
        kept = 1.0 - m - fee_rate[j] - friction * (1.0 - governance[j])
        v = vat_rate * (1.0 - m) * r
        vat[k] = v
        pretax[k] = r * kept - v - wage[j] * employment[i] - capital_cost_rate * cap


@compiled()
def _after_tax(pretax, cit_rate, cit, profit):
    """``cit = cit_rate * np.maximum(pretax, 0.0)`` (nan kept, as np.maximum keeps it) and
    ``profit = pretax - cit``."""
    for k in range(pretax.size):
        p = pretax[k]
        c = cit_rate * (p if p > 0.0 or p != p else 0.0)
        cit[k] = c
        profit[k] = p - c


@compiled()
def _host_tax(cit, vat, county_cit_share, county_vat_share, out):
    """The retained tax ``county_cit_share * cit + county_vat_share * vat``, numpy's steps."""
    for k in range(cit.size):
        out[k] = county_cit_share * cit[k] + county_vat_share * vat[k]


def firm_accounts(table, rows: np.ndarray, revenue_factor: np.ndarray, material: np.ndarray,
                  fee_rate: np.ndarray, governance: np.ndarray, wage: np.ndarray,
                  revenue_per_capital: np.ndarray, instruments: list[Instrument], *, vat_rate: float,
                  cit_rate: float, county_cit_share: float, county_vat_share: float, friction: float,
                  capital_cost_rate: float) -> FirmAccounts:
    """The year's accounts of firms ``rows``: production, taxes, then each instrument's payments
    (taxable ones before CIT) and tax split, in the instruments' order."""
    j = table.region[rows]
    revenue, fees, vat, pretax = (np.empty(rows.size) for _ in range(4))
    _production(rows, table.sector, table.region, table.capital, table.productivity, table.employment,
                revenue_per_capital, np.ascontiguousarray(revenue_factor), material, fee_rate, governance, wage,
                float(friction), float(vat_rate), float(capital_cost_rate), revenue, fees, vat, pretax)
    year = FirmYear(table, rows, j, revenue, fees, vat, pretax, county_cit_share)
    kinds = {f.name: f.kind for ins in instruments for f in ins.flows}
    payments: dict[str, np.ndarray] = {}
    for ins in instruments:
        for name, amount in ins.taxable_payments(year).items():
            payments[name] = amount
            pretax = pretax + amount if kinds[name] == "incentive" else pretax - amount
    year.pretax = pretax
    cit, profit = np.empty(rows.size), np.empty(rows.size)  # t_c max(Pi, 0) and Pi - CIT, in one pass
    _after_tax(np.ascontiguousarray(pretax, dtype=np.float64), float(cit_rate), cit, profit)
    year.cit = cit
    for ins in instruments:
        for name, amount in ins.payments(year).items():
            payments[name] = amount
            if kinds[name] == "incentive":  # in place: profit is this function's own array
                profit += amount
            else:
                profit -= amount
    host_tax = np.empty(rows.size)  # county_cit_share * cit + county_vat_share * vat, in one pass
    _host_tax(cit, np.ascontiguousarray(vat, dtype=np.float64), float(county_cit_share), float(county_vat_share),
              host_tax)
    sent = []
    for ins in instruments:
        split = ins.split_tax(year, host_tax)
        if split is not None:
            host_tax, amount, to = split
            sent.append((amount, to))
    return FirmAccounts(rows, revenue, fees, vat, pretax, cit, profit, host_tax, payments, sent, j)


@compiled()
def _add_by_region(where, values, out):
    """``out[where[k]] += values[k]`` in order, rows with ``where < 0`` left out: ``np.bincount``'s
    sums (it adds in the same order), without its passes for the bounds and its allocation. A
    region's running sum stays in a register while its rows follow one another (firms placed
    together sit in adjacent rows): the same additions, without a store and reload between them."""
    n = out.size
    prev = -1
    run = 0.0
    for k in range(where.size):
        j = where[k]
        if j < 0:
            continue
        if j != prev:
            if j >= n:
                raise IndexError("region index out of range")
            if prev >= 0:
                out[prev] = run
            run = out[j]
            prev = j
        run += values[k]
    if prev >= 0:
        out[prev] = run


@compiled()
def _add_columns_by_region(where, values, rows, out):
    """``out[rows[v], where[k]] += values[v][k]`` for every array v of the tuple ``values``, rows
    with ``where < 0`` left out: :func:`_add_by_region` of each array (each sum adds in row order,
    so the same bits), in one pass over the rows."""
    n = out.shape[1]
    for k in range(where.size):
        j = where[k]
        if j < 0:
            continue
        if j >= n:
            raise IndexError("region index out of range")
        for v in range(len(values)):
            out[rows[v], j] += values[v][k]


@functools.lru_cache(maxsize=64)
def _host_rows(n_sent: int, n_pay: int) -> np.ndarray:
    """The rows of :func:`region_accounts`' sums that the host region's sums go to: the host tax
    (0), the fees (1) and the payments (after the sent taxes). Read-only."""
    rows = np.array([0, 1, *range(2 + n_sent, 2 + n_sent + n_pay)], dtype=np.int64)
    rows.flags.writeable = False
    return rows


def by_region(values: np.ndarray, where: np.ndarray, n_regions: int) -> np.ndarray:
    """Per-region sums of a per-firm amount (length ``n_regions``), over the rows whose region
    ``where`` is not negative; the same sums, bit for bit, as ``np.bincount``."""
    out = np.zeros(n_regions)
    _add_by_region(where, np.ascontiguousarray(values, dtype=np.float64), out)
    return out


@compiled()
def _book_year(rows, profit, retained, t_profit, t_retained, t_loss_years, t_years):
    for k in range(rows.size):
        i = rows[k]
        t_profit[i] = profit[k]
        t_retained[i] = retained[k]
        t_loss_years[i] = t_loss_years[i] + 1 if profit[k] < 0 else 0
        t_years[i] += 1


def book_year(table, acc: FirmAccounts) -> None:
    """Write the year into the firm table's rows of ``acc`` (distinct rows): profit, retained tax,
    consecutive loss years (one more after a loss, else 0) and years of production in the region
    (one more), in one compiled pass."""
    _book_year(acc.rows, acc.profit, np.ascontiguousarray(acc.retained, dtype=np.float64), table.profit,
               table.retained_tax, table.loss_years, table.years)


#: the ledger columns before and after the instruments' flows
HEAD_FLOWS = ("taxes", "fees")
MIDDLE_FLOWS = ("transfers", "revenue", "operations")
TAIL_FLOWS = ("incentives", "interest", "infrastructure_spending", "public_services", "spending")


def ledger_columns(flows: list[Flow]) -> tuple[str, ...]:
    """Every region's fiscal flows, in column order: taxes, fees, the instruments' revenue flows,
    transfers, revenue, operations, their incentive flows, incentives, interest, infrastructure,
    public services, spending."""
    return (*HEAD_FLOWS, *(f.name for f in flows if f.kind == "revenue"), *MIDDLE_FLOWS,
            *(f.name for f in flows if f.kind == "incentive"), TAIL_FLOWS[0],
            *(f.name for f in flows if f.kind == "outlay"), *TAIL_FLOWS[1:])


def region_accounts(acc: FirmAccounts, region: np.ndarray, n_regions: int, ledger: dict[str, np.ndarray],
                    flows: list[Flow], operations: np.ndarray, transfers: np.ndarray, balance: np.ndarray,
                    infrastructure_share: np.ndarray, debt_interest: float,
                    public_services_share: np.ndarray | float = 0.0) -> dict[str, np.ndarray]:
    """One year's fiscal flows of every region (wan/year, arrays of length R), and the new
    balance under ``"balance"``. ``region`` is the host region of each row of ``acc``; ``ledger``
    what the instruments booked on arrival this year (by flow, per region), to which the firms'
    yearly payments are added. ``public_services_share`` (per region or one value) is the share
    of the surplus left after infrastructure that is spent on public services.

    The numbers of :func:`region_accounts_numpy`, bit for bit: the same sums by region
    (:func:`by_region`), then every flow of every region in one compiled pass
    (:func:`_region_flows`), its additions in numpy's order. The flows are rows of one array."""
    names = [f.name for f in flows]
    where = {name: k for k, name in enumerate(names)}
    n_sent, n_pay = len(acc.sent), len(acc.payments)
    sums = np.zeros((2 + n_sent + n_pay, n_regions))  # host tax, fees, the sent taxes, the payments
    for k, (amount, to) in enumerate(acc.sent):
        _add_by_region(to, np.ascontiguousarray(amount, dtype=np.float64), sums[2 + k])
    paid = np.array([where[name] for name in acc.payments], dtype=np.int64)  # the flow of each payment row
    by_host = (acc.host_tax, acc.fees, *acc.payments.values())  # summed by the host region in one pass
    _add_columns_by_region(region, tuple(np.ascontiguousarray(v, dtype=np.float64) for v in by_host),
                           _host_rows(n_sent, n_pay), sums)
    booked = np.zeros((len(flows), n_regions))
    for k, name in enumerate(names):
        if name in ledger:
            booked[k] = ledger[name]
    columns, kinds, rows = _layout(tuple((f.name, f.kind) for f in flows))
    out = np.empty((len(columns) + 1, n_regions))  # the columns, then the new balance
    if np.ndim(public_services_share) == 0:
        public_services_share = np.full(n_regions, float(public_services_share))
    _region_flows(sums, n_sent, paid, booked, kinds, np.ascontiguousarray(transfers, dtype=np.float64),
                  np.ascontiguousarray(operations, dtype=np.float64), np.ascontiguousarray(balance, dtype=np.float64),
                  np.ascontiguousarray(infrastructure_share, dtype=np.float64), float(debt_interest),
                  np.ascontiguousarray(public_services_share, dtype=np.float64), rows, out)
    result = dict(zip(columns, out, strict=False))
    result["balance"] = out[-1]
    return result


#: the code of each flow kind in :func:`_region_flows`
_KIND_CODES = {"revenue": 0, "incentive": 1, "outlay": 2}


@functools.lru_cache(maxsize=64)
def _layout(flows: tuple[tuple[str, str], ...]) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """For the flows ``(name, kind)``: :func:`ledger_columns`, each flow's kind code and where
    :func:`_region_flows` writes each of its results among the columns: taxes, fees, transfers,
    revenue, operations, incentives, interest, infrastructure, public services, spending, then each
    flow in flows order (the new balance goes to the row after the columns). Read-only arrays."""
    columns = ledger_columns([Flow(name, kind) for name, kind in flows])
    fixed = ("taxes", "fees", "transfers", "revenue", "operations", "incentives", "interest",
             "infrastructure_spending", "public_services", "spending")
    kinds = np.array([_KIND_CODES[kind] for _, kind in flows], dtype=np.int64)
    rows = np.array([columns.index(c) for c in (*fixed, *(name for name, _ in flows))], dtype=np.int64)
    kinds.flags.writeable = rows.flags.writeable = False
    return columns, kinds, rows


@compiled(inline="always")
def _max0(x):
    """``np.maximum(0.0, x)``: x where they are equal (so -0.0 stays -0.0) and where x is nan."""
    return 0.0 if x < 0.0 else x


@compiled()
def _region_flows(sums, n_sent, paid, booked, kinds, transfers, operations, balance, infrastructure_share,
                  debt_interest, public_services_share, rows, out):
    """The flows of :func:`region_accounts_numpy` for every region, its operations in its order:
    ``sums`` holds the by-region sums of the host tax, the fees, the sent taxes and the payments
    (``paid[k]`` the flow of payment k); ``booked`` what arrivals booked per flow (``kinds``:
    0 revenue, 1 incentive, 2 outlay); ``rows`` where each result goes in ``out``."""
    n_r = out.shape[1]
    n_f = kinds.size
    n_pay = paid.size
    bal = out.shape[0] - 1
    for j in range(n_r):
        taxes = sums[0, j]
        for k in range(n_sent):
            taxes = taxes + sums[2 + k, j]
        for f in range(n_f):
            b = booked[f, j]
            for k in range(n_pay):
                if paid[k] == f:
                    b = b + sums[2 + n_sent + k, j]
            out[rows[10 + f], j] = b
        fees = sums[1, j]
        revenue = taxes + fees
        for f in range(n_f):
            if kinds[f] == 0:
                revenue = revenue + out[rows[10 + f], j]
        revenue = revenue + transfers[j]
        incentives = 0.0
        outlays = 0.0
        for f in range(n_f):
            if kinds[f] == 1:
                incentives = incentives + out[rows[10 + f], j]
            elif kinds[f] == 2:
                outlays = outlays + out[rows[10 + f], j]
        incentives = incentives + 0.0
        outlays = outlays + 0.0
        ops = operations[j]
        interest = debt_interest * _max0(-balance[j])
        surplus = revenue - ops - incentives - outlays - interest
        infra = infrastructure_share[j] * _max0(surplus)
        services = public_services_share[j] * (_max0(surplus) - infra)
        spending = ops + incentives + outlays + interest + infra + services
        out[rows[0], j] = taxes
        out[rows[1], j] = fees
        out[rows[2], j] = transfers[j]
        out[rows[3], j] = revenue
        out[rows[4], j] = ops
        out[rows[5], j] = incentives
        out[rows[6], j] = interest
        out[rows[7], j] = infra
        out[rows[8], j] = services
        out[rows[9], j] = spending
        out[bal, j] = balance[j] + revenue - spending


def region_accounts_numpy(acc: FirmAccounts, region: np.ndarray, n_regions: int, ledger: dict[str, np.ndarray],
                    flows: list[Flow], operations: np.ndarray, transfers: np.ndarray, balance: np.ndarray,
                    infrastructure_share: np.ndarray, debt_interest: float,
                    public_services_share: np.ndarray | float = 0.0) -> dict[str, np.ndarray]:
    """:func:`region_accounts` (same arguments, same result) as numpy expressions: the reference
    of its compiled pass (``tests/test_accounting.py``, ``tests/test_region_accounts.py``)."""

    taxes = by_region(acc.host_tax, region, n_regions)
    for amount, to in acc.sent:
        taxes = taxes + by_region(amount, to, n_regions)
    booked = {f.name: ledger.get(f.name, np.zeros(n_regions)) for f in flows}
    for name, amount in acc.payments.items():
        booked[name] = booked[name] + by_region(amount, region, n_regions)
    fees = by_region(acc.fees, region, n_regions)
    revenue = taxes + fees
    for f in flows:
        if f.kind == "revenue":
            revenue = revenue + booked[f.name]
    revenue = revenue + transfers
    incentives = sum(booked[f.name] for f in flows if f.kind == "incentive")
    incentives = incentives + np.zeros(n_regions)
    outlays = sum(booked[f.name] for f in flows if f.kind == "outlay") + np.zeros(n_regions)
    interest = debt_interest * np.maximum(0.0, -balance)
    surplus = revenue - operations - incentives - outlays - interest
    infra = infrastructure_share * np.maximum(0.0, surplus)
    services = public_services_share * (np.maximum(0.0, surplus) - infra)
    spending = operations + incentives + outlays + interest + infra + services
    out = {"taxes": taxes, "fees": fees, "transfers": transfers, "revenue": revenue, "operations": operations,
           **booked, "incentives": incentives, "interest": interest, "infrastructure_spending": infra,
           "public_services": services, "spending": spending}
    return {**{name: out[name] for name in ledger_columns(flows)}, "balance": balance + revenue - spending}
