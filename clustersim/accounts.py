"""Production and accounts: each firm's profit and taxes, and each region's fiscal account.

Firm, per year (wan/year), in its region j with rebate year k = years in region + 1:

* revenue ``R = q A[s, j] (1 - tau_m d_j)``; fees ``f_j R``; VAT ``t_v (1 - m_s) R``
* pre-tax profit ``Pi = R (1 - m_s - f_j - phi (1 - G_j)) - VAT - w_j e - c K``
* CIT ``t_c max(Pi, 0)``; rebate ``D lambda_c CIT rebate_k`` (D, schedule: locked-in package)
* fee refund ``min(1, D waiver) f_j R`` while k <= the package's fee-waiver years
* profit after tax and incentives ``Pi - CIT + rebate + refund``; a loss counts toward exit.

Retained tax ``lambda_c CIT + lambda_v VAT`` goes to the host region; under a package with
tax sharing, a moved firm's pre-move retained tax (its base) stays with the region it came
from and only growth above it is split, the host taking ``sigma`` (district rule 0.6).

Region, per year (wan): ``revenue = taxes + fees + land sales + transfer``;
``spending = operations + incentives + interest + infrastructure + public services`` with
``incentives = rebates + fee refunds + land awards + relocation awards``; interest is charged
on last year's debt, infrastructure gets ``infrastructure_share`` of any surplus, public
services (counties only) get ``public_services_share`` of what is left of it, and
``balance += revenue - spending`` (debt is the negative part of the balance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clustersim.packages import PackageBook


@dataclass
class FirmAccounts:
    """One year's accounts of the live firms ``rows`` (arrays aligned with rows), wan/year."""

    rows: np.ndarray
    revenue: np.ndarray
    fees: np.ndarray
    vat: np.ndarray
    pretax: np.ndarray
    cit: np.ndarray
    rebate: np.ndarray
    fee_refund: np.ndarray
    profit: np.ndarray
    host_tax: np.ndarray  # retained tax kept by the host region
    origin_tax: np.ndarray  # retained tax passed to tax_origin under sharing
    tax_origin: np.ndarray  # region receiving origin_tax (-1: none)


def firm_accounts(table, rows: np.ndarray, revenue_factor: np.ndarray, material: np.ndarray,
                  fee_rate: np.ndarray, governance: np.ndarray, wage: np.ndarray,
                  revenue_per_capital: np.ndarray, book: PackageBook, *, vat_rate: float, cit_rate: float,
                  county_cit_share: float, county_vat_share: float, friction: float,
                  capital_cost_rate: float) -> FirmAccounts:
    s = table.sector[rows]
    j = table.region[rows]
    cap = table.capital[rows]
    revenue = revenue_per_capital[s] * cap * table.productivity[rows] * revenue_factor[s, j]
    fees = fee_rate[j] * revenue
    vat = vat_rate * (1.0 - material[s]) * revenue
    pretax = (revenue * (1.0 - material[s] - fee_rate[j] - friction * (1.0 - governance[j])) - vat
              - wage[j] * table.employment[rows] - capital_cost_rate * cap)
    cit = cit_rate * np.maximum(pretax, 0.0)
    pkg = table.package[rows].astype(np.int64)
    depth = table.package_depth[rows]
    year = table.years[rows] + 1
    share = book.rebate_share(pkg, table.rebate_class[rows].astype(np.int64), year)
    rebate = depth * share * county_cit_share * cit
    has = pkg >= 0
    refund = np.zeros(rows.size)
    waive = has & (year <= book.fee_waiver_years[np.maximum(pkg, 0)])
    refund[waive] = book.refund_share(pkg[waive], depth[waive]) * fees[waive]
    profit = pretax - cit + rebate + refund
    retained = county_cit_share * cit + county_vat_share * vat
    sigma = np.where(has, book.tax_sharing[np.maximum(pkg, 0)], np.nan)
    origin = table.tax_origin[rows].astype(np.int64)
    shared = np.isfinite(sigma) & (origin >= 0)
    host_tax = retained.copy()
    origin_tax = np.zeros(rows.size)
    growth = np.maximum(0.0, retained - table.base_tax[rows])
    host_tax[shared] = sigma[shared] * growth[shared]
    origin_tax[shared] = retained[shared] - host_tax[shared]
    origin = np.where(shared, origin, -1)
    return FirmAccounts(rows, revenue, fees, vat, pretax, cit, rebate, refund, profit, host_tax,
                        origin_tax, origin)


REGION_FLOWS = ("taxes", "fees", "land_sales", "transfers", "revenue", "operations", "rebates",
                "fee_refunds", "land_awards", "relocation_awards", "incentives", "interest",
                "infrastructure_spending", "public_services", "spending")


def region_accounts(acc: FirmAccounts, region: np.ndarray, n_regions: int, land_sales: np.ndarray,
                    land_awards: np.ndarray, relocation_awards: np.ndarray, operations: np.ndarray,
                    transfers: np.ndarray, balance: np.ndarray, infrastructure_share: np.ndarray,
                    debt_interest: float, public_services_share: np.ndarray | float = 0.0
                    ) -> dict[str, np.ndarray]:
    """One year's fiscal flows of every region (wan/year, arrays of length R), and the new
    balance under ``"balance"``. ``region`` is the host region of each row of ``acc``.
    ``public_services_share`` (per region or one value) is the share of the surplus left after
    infrastructure that is spent on public services."""

    def by_region(values: np.ndarray, where: np.ndarray = region) -> np.ndarray:
        return np.bincount(where, weights=values, minlength=n_regions)

    sent = acc.tax_origin >= 0
    taxes = by_region(acc.host_tax) + by_region(acc.origin_tax[sent], acc.tax_origin[sent])
    fees = by_region(acc.fees)
    revenue = taxes + fees + land_sales + transfers
    rebates = by_region(acc.rebate)
    refunds = by_region(acc.fee_refund)
    incentives = rebates + refunds + land_awards + relocation_awards
    interest = debt_interest * np.maximum(0.0, -balance)
    surplus = revenue - operations - incentives - interest
    infra = infrastructure_share * np.maximum(0.0, surplus)
    services = public_services_share * (np.maximum(0.0, surplus) - infra)
    spending = operations + incentives + interest + infra + services
    return {
        "taxes": taxes, "fees": fees, "land_sales": land_sales, "transfers": transfers,
        "revenue": revenue, "operations": operations, "rebates": rebates, "fee_refunds": refunds,
        "land_awards": land_awards, "relocation_awards": relocation_awards, "incentives": incentives,
        "interest": interest, "infrastructure_spending": infra, "public_services": services,
        "spending": spending,
        "balance": balance + revenue - spending,
    }
