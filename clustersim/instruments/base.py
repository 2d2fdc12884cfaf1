"""The instrument protocol: what one kind of incentive tells the model.

An *instrument* is one kind of incentive (land-price tiers, tax rebates, a wage subsidy, ...).
A *package* is a list of configured instruments: every instrument kind in use is bound once per
scenario to its parameters under each package (``None`` where a package does not use it), so
that everything below runs on whole arrays of firms and regions, never per firm in Python.

An instrument declares (all optional except ``name``):

* ``Params``: a pydantic model of its parameters, validated like every scenario field;
* ``slot``: a built-in instrument it replaces in the packages that use it (e.g. a land lease
  declaring ``slot = "land"`` takes over the land purchase and award of those packages);
* ``flows``: the ledger flows it books (:class:`Flow`: an incentive the county pays, or revenue
  it collects), which become columns of every region's fiscal account;
* ``firm_columns``: firm-table columns it keeps (e.g. a term locked in on arrival);
* ``profile(f)``: integer keys that make its terms differ between firms (tier reached, rebate
  class, ...). Firms with equal keys of every instrument form one *profile*; per-profile terms
  are computed once per profile, on its first firm;
* ``terms(offer)``: its terms in the location value of every region for a batch of firms
  (:class:`Term`), and ``refused(offer)``: cells (profile x region) it makes infeasible;
* ``stay(offer, cur, staying, revenue)``: what it still owes an incumbent that stays (per firm);
* ``firm_terms(cs, f, i, j)`` / ``firm_stay(cs, f, i)``: the same for one firm, with scalar
  Python floats read from the instrument's parameters (the per-firm reference);
* ``arrive(arrival)``: what it books when firms arrive (firm columns, flows by region);
* ``taxable_payments(year)`` / ``payments(year)``: what it pays (or collects) each year per
  firm, by flow, before and after corporate income tax; ``split_tax(year, host_tax)``: how it
  moves retained tax between regions;
* ``payment_years(p)``: years after arrival in which package p still pays (for when a county's
  incentives end);
* ``born(birth)``: what it sets on newly drawn firms (e.g. marking an anchor firm);
* ``report(model)``: model-level measures it adds to every year's row of ``model_frame()``.

A term is a firm column times a row over regions (:class:`Term`), so a compiled kernel can
consume every instrument alike: ``X[n, k] @ Y[k, R]`` plus per-profile rows ``Y_g[G, R]``
gathered by each firm's profile index. See docs/extending.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel

if TYPE_CHECKING:
    from clustersim.choice import ChoiceSet, Deciders
    from clustersim.firms import Column, FirmTable
    from clustersim.packages import PackageBook

#: the firm columns a term can multiply, in the order the kernel lays them out. ``revenue`` is
#: the firm's revenue at A = 1 (``q``, wan/year) in its sector's row (rows: sectors x regions);
#: ``employment`` (workers), ``capital`` (wan), ``land`` (mu) and ``one`` have rows over regions.
TERM_COLUMNS = ("revenue", "employment", "capital", "land", "one")
#: ``taxable``: enters pre-tax profit (present value, wan) before corporate income tax;
#: ``untaxed``: added after tax (wan); ``tax_refund``: present value of the share of one wan of
#: annual corporate income tax paid back (column ``tax``)
TERM_KINDS = ("taxable", "untaxed", "tax_refund")


class InstrumentError(ValueError):
    """An instrument's parameters do not fit the rest of the scenario (found when it is bound):
    ``field`` (dotted, e.g. ``packages.p.instruments.0.sector``), ``value`` and ``allowed``;
    ``build_model`` reports it as a one-line scenario error."""

    def __init__(self, field: str, value: object, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field} = {value!r}: {allowed}")


def instrument_field(book: PackageBook, cls: type, name: str) -> str:
    """Dotted field of parameter ``name`` of the first use of instrument ``cls`` in ``book``'s
    packages (``packages.<package>.instruments.<i>.<name>``)."""
    suffix = f":{cls.__name__}"
    for p, package in enumerate(book.packages):
        for i, ref in enumerate(package.instruments):
            if ref.use.endswith(suffix):
                return f"packages.{book.names[p]}.instruments.{i}.{name}"
    return name


@dataclass(frozen=True)
class Term:
    """One term of the location value: ``column`` of each firm times ``rows`` (regions).

    ``rows`` has shape (R,) or, for ``column = "revenue"``, (S, R); with ``per_profile`` it has
    one row per profile, (G, R) (not for ``revenue``). ``kind`` is one of :data:`TERM_KINDS`;
    a ``tax_refund`` term has ``column = "tax"``."""

    column: str
    rows: np.ndarray
    kind: Literal["taxable", "untaxed", "tax_refund"] = "untaxed"
    per_profile: bool = False

    def __post_init__(self) -> None:
        if self.kind not in TERM_KINDS:
            raise ValueError(f"Term.kind = {self.kind!r}: must be one of {TERM_KINDS}")
        if (self.kind == "tax_refund") != (self.column == "tax"):
            raise ValueError("a tax_refund term has column 'tax', and only it")
        if self.column not in (*TERM_COLUMNS, "tax"):
            raise ValueError(f"Term.column = {self.column!r}: must be one of {(*TERM_COLUMNS, 'tax')}")
        if self.per_profile and self.column == "revenue":
            raise ValueError("revenue terms cannot vary by profile")


@dataclass
class FirmTerms:
    """One firm's terms in one region (the per-firm reference), or per-firm arrays (staying):
    ``taxable`` and ``untaxed`` in wan (present values), ``tax_refund`` the present value of
    the share of one wan of annual corporate income tax paid back."""

    taxable: Any = 0.0
    untaxed: Any = 0.0
    tax_refund: Any = 0.0


@dataclass(frozen=True)
class Flow:
    """A ledger flow (wan/year per region): an ``incentive`` the host county pays to firms,
    ``revenue`` it collects from them, or an ``outlay`` it spends that is not an incentive (a
    public asset company building plants). Region accounts add incentives and outlays to
    spending (incentives also to ``incentives``) and revenue flows to revenue; a firm's yearly
    payments of an incentive flow add to its profit, of a revenue flow subtract from it (outlays
    are booked on arrival only)."""

    name: str
    kind: Literal["incentive", "revenue", "outlay"] = "incentive"
    description: str = ""


@dataclass
class Offer:
    """What :meth:`Instrument.terms` sees: the choice set, the deciding firms and their
    profiles. ``profile`` is each firm's profile index, ``first`` the first firm of each profile
    (``rep`` = those firms), so per-profile rows are computed from ``rep``. ``keys``: what each
    instrument's :meth:`Instrument.profile` returned for the deciders (by ``id`` of the
    instrument; read it with :meth:`rep_key`)."""

    cs: ChoiceSet
    f: Deciders
    profile: np.ndarray
    first: np.ndarray
    _rep: Deciders | None = field(default=None, repr=False)
    keys: dict[int, np.ndarray] | None = field(default=None, repr=False)

    @property
    def rep(self) -> Deciders:
        if self._rep is None:
            self._rep = self.f.take(self.first)
        return self._rep

    def rep_key(self, instrument: Instrument) -> np.ndarray:
        """``instrument``'s profile key of the profiles' first firms (G rows): the rows ``first``
        of the key it gave for the deciders, or its key of ``rep`` where none was recorded (keys
        are per firm, so the two agree). An instrument whose terms follow from its key (a tier,
        a rebate class) reads it here instead of deriving it again."""
        key = None if self.keys is None else self.keys.get(id(instrument))
        return instrument.profile(self.rep) if key is None else np.asarray(key)[self.first]

    @property
    def n_profiles(self) -> int:
        return self.first.size


@dataclass
class Arrival:
    """Firms that arrive (are placed or move) in one mini-batch: ``rows`` of the firm table,
    their destination ``dest`` and previous region ``old`` (-1: newborn), the market land price
    they pay (``price``, wan/mu) and the choice set they chose from. Columns ``package`` and
    ``package_depth`` already hold what they locked in (-1 / 0 where no package was granted)."""

    table: FirmTable
    rows: np.ndarray
    dest: np.ndarray
    old: np.ndarray
    price: np.ndarray
    cs: ChoiceSet
    n_regions: int

    @property
    def new(self) -> np.ndarray:
        return self.old < 0

    def by_region(self, amount: np.ndarray) -> np.ndarray:
        """Per-region totals (by destination) of a per-firm amount."""
        return np.bincount(self.dest, weights=amount, minlength=self.n_regions)


@dataclass
class Birth:
    """Firms just drawn (``rows`` of the firm table, not yet placed: region -1) in model ``year``;
    ``rng`` the model's generator, ``scenario`` the configuration."""

    table: FirmTable
    rows: np.ndarray
    year: int
    rng: np.random.Generator
    scenario: Any


@dataclass
class FirmYear:
    """One year of the live firms ``rows`` (arrays aligned with rows), wan/year: what
    :meth:`Instrument.taxable_payments`, :meth:`Instrument.payments` and
    :meth:`Instrument.split_tax` see. ``cit`` is filled in after the taxable payments."""

    table: FirmTable
    rows: np.ndarray
    region: np.ndarray
    revenue: np.ndarray
    fees: np.ndarray
    vat: np.ndarray
    pretax: np.ndarray
    county_cit_share: float
    cit: np.ndarray | None = None

    def column(self, name: str) -> np.ndarray:
        return getattr(self.table, name)[self.rows]


class Instrument:
    """Base class of an instrument kind, bound to a scenario's packages; every hook has a
    neutral default, so an instrument implements only what it does (see the module docstring).

    ``params[p]`` is the validated :attr:`Params` of package ``p`` (``None``: not used by it);
    ``book`` the scenario's packages (names, offer windows)."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel] | None] = None
    slot: ClassVar[str | None] = None
    flows: ClassVar[tuple[Flow, ...]] = ()
    firm_columns: ClassVar[dict[str, Column]] = {}

    def __init__(self, params: list[Any], book: PackageBook) -> None:
        self.params = params
        self.book = book

    def used(self) -> np.ndarray:
        """Whether each package uses this instrument (bool per package)."""
        return np.array([p is not None for p in self.params])

    # -- the location decision
    def profile(self, f: Deciders) -> np.ndarray | None:
        return None

    def terms(self, offer: Offer) -> list[Term]:
        return []

    def refused(self, offer: Offer) -> np.ndarray | None:
        """(G, R) bool: cells where a firm of profile g may not enter region j."""
        return None

    def stay(self, offer: Offer, cur: np.ndarray, staying: np.ndarray, revenue: np.ndarray) -> FirmTerms | None:
        """Per-firm arrays (n,) for incumbents that stay in their region ``cur`` (``revenue``: their
        revenue there, wan/year); zero where not ``staying``. ``None``: nothing owed."""
        return None

    def firm_terms(self, cs: ChoiceSet, f: Deciders, i: int, j: int) -> FirmTerms:
        return FirmTerms()

    def firm_refused(self, cs: ChoiceSet, f: Deciders, i: int, j: int) -> bool:
        return False

    def firm_stay(self, cs: ChoiceSet, f: Deciders, i: int) -> FirmTerms:
        return FirmTerms()

    # -- arrivals and the yearly accounts
    def arrive(self, arrival: Arrival) -> dict[str, np.ndarray]:
        return {}

    def taxable_payments(self, year: FirmYear) -> dict[str, np.ndarray]:
        return {}

    def payments(self, year: FirmYear) -> dict[str, np.ndarray]:
        return {}

    def split_tax(self, year: FirmYear, host_tax: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(host_tax, sent, to)``: what the host keeps, and retained tax ``sent`` to region
        ``to`` (-1: none), per firm; ``None``: no change."""
        return None

    def payment_years(self, package: int) -> int:
        return 0

    # -- births and model-level measures
    def born(self, birth: Birth) -> None:
        """Set what the instrument needs on newly drawn firms (default: nothing)."""

    def report(self, model: Any) -> dict[str, float]:
        """Model-level measures of the current year (added to ``model_frame()``; default: none)."""
        return {}


def locked_view(f: Deciders, staying: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(has, p)``: which staying firms hold a package, and that package's index (0 elsewhere)."""
    locked = f.package.astype(np.int64)
    has = (locked >= 0) & staying
    return has, np.where(has, locked, 0)
