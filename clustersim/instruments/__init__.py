"""Incentive instruments: one module per instrument, all behind the protocol of
:mod:`clustersim.instruments.base`.

The built-in instruments read their parameters from the fields of
:class:`~clustersim.params.Package` (so scenario files need not name them); a package's
``instruments`` list adds plug-ins, and a plug-in whose ``slot`` is a built-in's replaces that
built-in in the packages that list it. :func:`bind_instruments` binds every instrument in use to
a scenario's packages, in the order below (the order of the ledger's columns), plug-ins last.
"""

from __future__ import annotations

from collections.abc import Sequence

from clustersim.instruments.base import (
    TERM_COLUMNS,
    TERM_KINDS,
    Arrival,
    Birth,
    FirmTerms,
    FirmYear,
    Flow,
    Instrument,
    Offer,
    Term,
)
from clustersim.instruments.fee_refunds import FeeRefunds
from clustersim.instruments.land import LandPurchase
from clustersim.instruments.rebates import TaxRebates
from clustersim.instruments.relocation_award import RelocationAward
from clustersim.instruments.tax_sharing import TaxSharing
from clustersim.packages import PackageBook
from clustersim.params import Package

__all__ = ["BUILTIN", "TERM_COLUMNS", "TERM_KINDS", "Arrival", "Birth", "FirmTerms", "FirmYear", "Flow", "Instrument",
           "Offer", "Term", "are_builtin", "bind_instruments", "incentives_end", "ledger_flows"]

#: the built-in instruments, in ledger order
BUILTIN: tuple[type[Instrument], ...] = (TaxRebates, FeeRefunds, LandPurchase, RelocationAward, TaxSharing)


def are_builtin(instruments: Sequence[Instrument]) -> bool:
    """Whether ``instruments`` are exactly the built-ins, in :data:`BUILTIN`'s order (no plug-in,
    no subclass): the condition of the compiled paths (arrivals, production, the batch, the
    counts carried over moves)."""
    return tuple(map(type, instruments)) == BUILTIN


def _without(package: Package, slots: set[str]) -> Package:
    """``package`` with the built-in terms of ``slots`` removed (its offer window kept)."""
    empty = Package()
    fields = {"rebates": ("rebate_schedule", "standard_factory_rebate_schedule",
                          "standard_factory_rebate_min_investment"),
              "fee_refunds": ("fee_waiver", "fee_waiver_years"),
              "relocation_award": ("relocation_award",), "tax_sharing": ("tax_sharing",)}
    changes = {f: getattr(empty, f) for slot in slots for f in fields.get(slot, ())}
    return package.model_copy(update=changes) if changes else package


def bind_instruments(book: PackageBook) -> list[Instrument]:
    """Every instrument the packages of ``book`` use, bound to their parameters: the built-ins
    (unless every package gave their slot to a plug-in), then each plug-in class in order of
    first mention. Raises ValueError when two instruments claim one flow or firm column or one
    package lists the same plug-in twice."""
    from clustersim import plugins
    from clustersim.params import plugins_base

    n = len(book.packages)
    found: dict[type[Instrument], list] = {}
    taken: list[set[str]] = [set() for _ in range(n)]
    for p, package in enumerate(book.packages):
        for i, ref in enumerate(package.instruments):
            field = f"packages.{book.names[p]}.instruments.{i}"
            cls, params = plugins.load(ref.use, ref.folder, ref.params, plugins_base("instrument"), field)
            slot = found.setdefault(cls, [None] * n)
            if slot[p] is not None:
                raise ValueError(f"{field}: package {book.names[p]!r} lists {ref.use} twice")
            slot[p] = params
            if cls.slot is not None:
                taken[p].add(cls.slot)
    bound: list[Instrument] = []
    for cls in BUILTIN:
        params = [None if cls.slot in taken[p] else pkg for p, pkg in enumerate(book.packages)]
        if all(x is None for x in params):
            continue
        own = book if all(not t for t in taken) else PackageBook(
            names=book.names, packages=[_without(pkg, taken[p]) for p, pkg in enumerate(book.packages)])
        own.scenario = book.scenario
        bound.append(cls(params, own))
    bound += [cls(params, book) for cls, params in found.items()]
    _check_unique(bound)
    return bound


def _check_unique(bound: list[Instrument]) -> None:
    flows: dict[str, str] = {}
    columns: dict[str, str] = {}
    for ins in bound:
        for f in ins.flows:
            if f.name in flows:
                raise ValueError(f"instrument {ins.name!r} books flow {f.name!r}, already booked by {flows[f.name]!r}")
            flows[f.name] = ins.name
        for c in ins.firm_columns:
            if c in columns:
                raise ValueError(f"instrument {ins.name!r} declares firm column {c!r}, already {columns[c]!r}'s")
            columns[c] = ins.name


def ledger_flows(instruments: list[Instrument]) -> list[Flow]:
    """The ledger flows of the instruments in use, in order."""
    return [f for ins in instruments for f in ins.flows]


def incentives_end(book: PackageBook, instruments: list[Instrument]) -> list[float]:
    """Per package: the first year in which no firm receives anything from it any more (the offer
    has closed and the last yearly payment of any of its instruments has been made; inf: never).
    A package offering nothing ends at its start year."""
    out = []
    for p, package in enumerate(book.packages):
        plug_ins = [ins for ins in instruments if type(ins) not in BUILTIN]
        offers = package.offers_incentives or any(ins.params[p] is not None for ins in plug_ins)
        if not offers:
            out.append(float(package.start_year))
            continue
        tail = max([0] + [ins.payment_years(p) for ins in instruments])
        # a firm arriving in the last offered year (end - 1) is paid in years end - 1 .. end + tail - 2
        out.append(package.end_year() + max(tail - 1, 0))
    return out
