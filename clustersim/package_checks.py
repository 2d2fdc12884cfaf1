"""Warnings about incentive packages that do what no county could sustain: land given away free, or
rebates larger than the tax the county collects from the firm. Both are allowed (a sweep may want to
see what happens), but a user should know; ``run`` prints them and the sweep report lists them.

Subsidy depth D scales every money term of a package (docs/packages.md): a firm pays
``max(0, p - D · (p - tier price))`` wan/mu for land at market price p, and receives
``D · rebate share`` of the county's retained corporate income tax. So:

- land is free when ``D · (p - tier) >= p``, checked at each county's benchmark land price p0
  (the market price moves with demand, so the real year-by-year price can differ);
- a rebate exceeds what the county collects when ``D · share > 1`` in some year of residence.

The fee refund is capped at 100 % of the fees by the model itself (``min(1, D · fee_waiver)``), so
it needs no warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clustersim.model import ClusterModel
    from clustersim.params import Package

__all__ = ["model_warnings", "package_warnings"]


def package_warnings(name: str, package: Package, depth: float, benchmark_price: float) -> list[str]:
    """What is unsustainable about ``package`` (named ``name``) offered at subsidy ``depth`` where the
    benchmark land price is ``benchmark_price`` wan/mu; one sentence per problem, empty if none."""
    if depth <= 0:
        return []
    out = []
    p0 = float(benchmark_price)
    prices = [(f"the tier from {t.min_investment:,.0f} wan", t.price) for t in package.land_tiers]
    if package.standard_factory_price is not None:
        prices.append(("the standard-factory zone", package.standard_factory_price))
    free = [what for what, price in prices if depth * max(p0 - price, 0.0) >= p0 > 0]
    if free:
        out.append(f"package {name!r} at depth {depth:g} gives land away free in {_join(free)}: depth × (benchmark "
                   f"price {p0:g} - tier price) reaches the {p0:g} wan/mu benchmark price")
    parts, worst = [], 0.0
    for label, schedule in (("rebate_schedule", package.rebate_schedule),
                            ("standard_factory_rebate_schedule", package.standard_factory_rebate_schedule)):
        over = [(k, share) for k, share in enumerate(schedule, start=1) if depth * share > 1.0 + 1e-12]
        if over:
            worst = max(worst, depth * max(share for _, share in over))
            years = _join([str(y) for y, _ in over])
            parts.append(f"{label} year{'s' if len(over) > 1 else ''} {years}")
    if parts:
        out.append(f"package {name!r} at depth {depth:g} refunds more than the county collects: depth × rebate "
                   f"share reaches {worst:.0%} of the county's retained corporate income tax ({'; '.join(parts)})")
    return out


def model_warnings(model: ClusterModel) -> list[str]:
    """:func:`package_warnings` for every county of a built model that offers a package, one line
    per problem naming the counties it applies to (in region order)."""
    regions, book = model.regions, model.packages
    found: dict[str, list[str]] = {}
    for j, name in enumerate(regions.names):
        p = int(regions.package[j])
        if p == 0 or bool(regions.is_origin[j]):
            continue
        for text in package_warnings(book.names[p], book.packages[p], float(regions.depth[j]),
                                     float(regions.base_price[j])):
            found.setdefault(text, []).append(name)
    return [f"{_join(counties)}: {text}" for text, counties in found.items()]


def _join(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
