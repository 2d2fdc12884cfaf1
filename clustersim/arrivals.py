"""One mini-batch's arrivals (ODD 3.3.6): who gets a site, the package each locks in, what the
instruments book, the firm table's new sites.

Two ways to carry them out, with the same results bit for bit:

* :func:`generic_arrivals`, the plug-in protocol: :func:`~clustersim.moves.who_moves`,
  :func:`~clustersim.moves.lock_in`, then every instrument's
  :meth:`~clustersim.instruments.base.Instrument.arrive` (its flows added to the year's ledger)
  and :func:`~clustersim.moves.settle`;
* :class:`BuiltinArrivals`, for a model whose instruments are exactly the built-ins
  (:data:`clustersim.instruments.BUILTIN`, in that order, no plug-ins): the same steps in one
  compiled call (:func:`_arrive`). It calls the compiled passes the generic path calls
  (:mod:`clustersim.moves`, :mod:`clustersim.instruments.firm_passes`) on the same arrays in the
  same order, and adds the relocation awards by destination as ``np.bincount`` does, so the firm
  table, the ledger and the counts come out the same (``tests/test_arrivals.py`` checks this
  batch by batch against :func:`generic_arrivals`). It saves the Python between the passes:
  about 160 mini-batches a demo run, each some tens of microseconds of glue.

:func:`arrivals` picks one for a model's instruments. Both return ``(moved, entries, admitted,
relocations)``: the number of firms that got a site, how many of them were newborns, those
newborns' rows, and ``origin * R + destination`` of each relocation (in the order of the
arrivals).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from clustersim import moves
from clustersim.instruments import BUILTIN, Arrival, are_builtin, firm_passes
from clustersim.instruments.base import Instrument
from clustersim.jit import compiled
from clustersim.moves import lock_in, settle, who_moves

#: ``(moved, entries, admitted, relocations)`` (see the module docstring)
Arrived = tuple[int, int, np.ndarray, np.ndarray]
_NONE = np.zeros(0, dtype=np.int64)


def arrivals(instruments: list[Instrument]) -> Callable[..., Arrived]:
    """How a model with these instruments carries out its arrivals: :class:`BuiltinArrivals` if
    they are exactly the built-ins, else :func:`generic_arrivals` bound to them. Either is called
    as ``(table, rows, f, pick, cs, regions, ledger)``."""
    if are_builtin(instruments):
        return BuiltinArrivals(instruments)
    return partial(generic_arrivals, instruments)


def generic_arrivals(instruments: list[Instrument], table, rows: np.ndarray, f, pick: np.ndarray, cs, regions,
                     ledger: dict[str, np.ndarray]) -> Arrived:
    """The arrivals of firms ``rows`` (deciders ``f``) that picked regions ``pick``, through the
    plug-in protocol: the firms whose move fits lock in the destination's package, every
    instrument books the arrival into ``ledger`` (per flow, per region; added in place), and the
    firms take their sites (``regions.arrivals`` / ``departures`` counted in place)."""
    idx, dest, sf_pool = who_moves(f, pick, cs, regions.is_county)
    if idx.size == 0:
        return 0, 0, _NONE, _NONE
    moved = rows[idx]
    old = f.region[idx]
    price = lock_in(table, moved, dest, sf_pool, cs)  # land is bought at the market price
    arrival = Arrival(table, moved, dest, old, price, cs, regions.n)
    for ins in instruments:
        for name, amount in ins.arrive(arrival).items():
            ledger[name] += amount
    entries = settle(table, moved, dest, old, regions.arrivals, regions.departures)
    relocated = old >= 0
    return moved.size, entries, moved[~relocated], old[relocated] * regions.n + dest[relocated]


# the rows of BuiltinArrivals' integer scratch (firms of the batch)
_IDX, _KEY, _ORDER, _OUT_IDX, _OUT_DEST, _MOVED, _OLD, _PKG, _ADMITTED, _RELOCATED = range(10)
_INT_ROWS = 10


@compiled(links=(moves, firm_passes))
def _arrive(pick, region, small, land, rows, is_county, free_land, free_sf_land, depth_offered, package, price,
            sf_price, t_package, t_depth, t_capital, t_land, t_small, t_rebate_class, t_retained_tax, t_base_tax,
            t_tax_origin, t_years, t_moves, t_region, arrivals, departures, ledger_sales, ledger_awards,
            ledger_relocation, class_steps, step_class, land_used, all_land_used, steps, step_tier, sf_tier,
            tier_table, award, award_active, ints, flags, market, counts, by_region):
    """:func:`generic_arrivals` for the built-in instruments in one call; returns ``(moved,
    entries)``, with the newborns' rows in ``ints[_ADMITTED, :entries]`` and the relocations'
    ``origin * R + destination`` in ``ints[_RELOCATED, :moved - entries]``. ``ints``, ``flags``,
    ``market``, ``counts`` and ``by_region`` are scratch."""
    n, n_r = pick.size, is_county.size
    for c in range(counts.size):
        counts[c] = 0
    q = moves._who_moves(pick, region, small, land, is_county, free_land, free_sf_land, ints[_IDX, :n],
                         ints[_KEY, :n], counts, ints[_ORDER, :n], flags[0, :n], ints[_OUT_IDX, :n],
                         ints[_OUT_DEST, :n], flags[1, :n])
    if q == 0:
        return 0, 0
    idx, dest, sf_pool = ints[_OUT_IDX, :q], ints[_OUT_DEST, :q], flags[1, :q]
    moved, old, pkg = ints[_MOVED, :q], ints[_OLD, :q], ints[_PKG, :q]
    for k in range(q):
        moved[k] = rows[idx[k]]
        old[k] = region[idx[k]]
        pkg[k] = package[dest[k]]
    price_k = market[:q]
    moves._lock_in(moved, dest, sf_pool, depth_offered, package, price, sf_price, t_package, t_depth, price_k)
    # the built-in instruments' arrive, in BUILTIN's order (fee refunds book nothing on arrival)
    firm_passes.rebate_class_arrive(moved, pkg, t_capital, t_small, class_steps, step_class, t_rebate_class)
    sales, awards, relocation = by_region[0], by_region[1], by_region[2]
    for j in range(n_r):
        sales[j] = 0.0
        awards[j] = 0.0
        relocation[j] = 0.0
    firm_passes.land_arrive(moved, dest, price_k, t_land, t_capital, t_small, package, depth_offered, land_used,
                            all_land_used, steps, step_tier, sf_tier, tier_table, sales, awards)
    if award_active:  # np.bincount(dest, weights=depth[dest] * award[package[dest]] * capital[rows])
        for k in range(q):
            j = dest[k]
            relocation[j] += depth_offered[j] * award[package[j]] * t_capital[moved[k]]
    firm_passes.tax_sharing_arrive(moved, old, t_retained_tax, t_base_tax, t_tax_origin)
    for j in range(n_r):  # the ledger's in-place additions
        ledger_sales[j] += sales[j]
        ledger_awards[j] += awards[j]
        ledger_relocation[j] += relocation[j]
    entries = moves._settle(moved, dest, old, t_years, t_moves, t_region, arrivals, departures)
    a = e = 0
    for k in range(q):
        if old[k] < 0:
            ints[_ADMITTED, a] = moved[k]
            a += 1
        else:
            ints[_RELOCATED, e] = old[k] * n_r + dest[k]
            e += 1
    return q, entries


class BuiltinArrivals:
    """:func:`generic_arrivals` for the built-in instruments (:data:`clustersim.instruments.BUILTIN`,
    bound to one scenario's packages) in one compiled call. Keeps its scratch arrays between
    calls (grown to the largest batch)."""

    def __init__(self, instruments: list[Instrument]) -> None:
        if not are_builtin(instruments):
            raise ValueError(f"BuiltinArrivals needs the instruments {[c.__name__ for c in BUILTIN]}, "
                             f"got {[type(ins).__name__ for ins in instruments]}")
        rebates, _, land, award, _ = instruments
        tiers = land.book
        # _arrive's book arguments, in its order: rebate classes, land tiers, award
        self._book = (rebates.book.class_steps, rebates.book.step_class, land.uses, land.all_used, tiers.steps,
                      tiers.step_tier, int(tiers.sf_tier), tiers.tier_table, award.book.award, award.active)
        self.flows = (land.flows[0].name, land.flows[1].name, award.flows[0].name)  # sales, awards, relocation
        self._ints = np.empty((_INT_ROWS, 0), dtype=np.int64)
        self._fixed: tuple = ()  # the book's arrays and the scratch, the call's last arguments
        self._scratch(0, 0)

    def _scratch(self, n: int, n_r: int) -> None:
        """Scratch for a batch of ``n`` firms among ``n_r`` regions (kept while large enough)."""
        if self._fixed and n <= self._ints.shape[1] and self._fixed[-2].size == 2 * n_r + 1:
            return
        n = max(n, 2 * self._ints.shape[1])
        self._ints = np.empty((_INT_ROWS, n), dtype=np.int64)
        self._fixed = (*self._book, self._ints, np.empty((2, n), dtype=np.bool_), np.empty(n),
                       np.empty(2 * n_r + 1, dtype=np.int64), np.empty((3, n_r)))

    def __call__(self, table, rows: np.ndarray, f, pick: np.ndarray, cs, regions,
                 ledger: dict[str, np.ndarray]) -> Arrived:
        i64, f64 = np.int64, np.float64
        pick = np.asarray(pick, dtype=i64)
        self._scratch(pick.size, regions.n)
        t = table
        sales, awards, relocation = self.flows
        q, entries = _arrive(
            pick, np.asarray(f.region, dtype=i64), np.asarray(f.small, dtype=np.bool_), np.asarray(f.land, dtype=f64),
            np.asarray(rows, dtype=i64), np.asarray(regions.is_county, dtype=np.bool_),
            np.asarray(cs.free_land, dtype=f64), np.asarray(cs.free_sf_land, dtype=f64), cs.depth_offered,
            np.asarray(cs.package, dtype=i64), cs.price, cs.sf_price, t.package, t.package_depth, t.capital, t.land,
            t.small, t.rebate_class, t.retained_tax, t.base_tax, t.tax_origin, t.years, t.moves, t.region,
            regions.arrivals, regions.departures, ledger[sales], ledger[awards], ledger[relocation], *self._fixed)
        if q == 0:
            return 0, 0, _NONE, _NONE
        return q, entries, self._ints[_ADMITTED, :entries].copy(), self._ints[_RELOCATED, :q - entries].copy()
