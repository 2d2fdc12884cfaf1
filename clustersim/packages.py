"""Incentive packages, vectorised: the land price a firm pays and the rebates it is owed.

A package (:class:`~clustersim.params.Package`) is data. :class:`PackageBook` turns the
scenario's packages into arrays indexed by package number, so that the price every firm
would pay in every county is one gather, not a Python loop. The built-in instruments
(:mod:`clustersim.instruments`) read these arrays.

Rebate classes (what schedule a firm is on):

=====  ======================================================================
class  who
=====  ======================================================================
0      own plot (not a small firm): ``rebate_schedule``
1      standard-factory zone, investment >= ``standard_factory_rebate_min_investment``
2      standard-factory zone below that threshold: no rebate
=====  ======================================================================
"""

from __future__ import annotations

import numpy as np

from clustersim.params import NO_PACKAGE, Package, Scenario

OWN_PLOT, STANDARD_FACTORY, NO_REBATE = 0, 1, 2


def effective_land_price(price: np.ndarray, tier: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Land price a firm pays net of the package's award, wan/mu:
    ``p_eff = max(0, p - depth * max(0, p - tier))``; a ``nan`` tier (no tier price) gives no
    discount. The award is ``p - p_eff`` (the firm pays p, the gap is paid back)."""
    gap = np.fmax(price - tier, 0.0)  # fmax: a nan gap (no tier price) gives 0
    return np.maximum(price - depth * gap, 0.0)


class PackageBook:
    """All packages of a scenario as arrays. Package 0 is always ``none``."""

    def __init__(self, scenario: Scenario | None = None, *, names: list[str] | None = None,
                 packages: list[Package] | None = None):
        if scenario is not None:
            names = [NO_PACKAGE, *scenario.packages]
            packages = [scenario.package(n) for n in names]
        #: the scenario the book was built from (``None`` when built from names and packages): the
        #: instruments read world parameters from it (firm traits, sectors)
        self.scenario: Scenario | None = scenario
        self.names: list[str] = list(names or [NO_PACKAGE])
        self.packages: list[Package] = list(packages or [Package()])
        n_pkg = len(self.packages)
        longest = max([1] + [max(len(p.rebate_schedule), len(p.standard_factory_rebate_schedule))
                             for p in self.packages])
        #: schedule[p, class, k]: rebate share in year k+1 of residence
        self.schedule = np.zeros((n_pkg, 3, longest))
        for i, p in enumerate(self.packages):
            self.schedule[i, OWN_PLOT, : len(p.rebate_schedule)] = p.rebate_schedule
            self.schedule[i, STANDARD_FACTORY, : len(p.standard_factory_rebate_schedule)] = (
                p.standard_factory_rebate_schedule
            )
        self.sf_rebate_min = np.array([p.standard_factory_rebate_min_investment for p in self.packages])
        self.sf_price = np.array([np.nan if p.standard_factory_price is None else p.standard_factory_price
                                  for p in self.packages])
        self.award = np.array([p.relocation_award for p in self.packages])
        self.fee_waiver = np.array([p.fee_waiver for p in self.packages])
        self.fee_waiver_years = np.array([p.fee_waiver_years for p in self.packages])
        self.tax_sharing = np.array([np.nan if p.tax_sharing is None else p.tax_sharing for p in self.packages])
        self.start = np.array([p.start_year for p in self.packages], dtype=float)
        self.end = np.array([p.end_year() for p in self.packages])
        self.incentives_end = np.array([p.incentives_end_year() for p in self.packages])
        self._tiers = [(np.array([t.min_investment for t in p.land_tiers]),
                        np.array([t.price for t in p.land_tiers])) for p in self.packages]
        #: tier_table[p, k]: land price of column k of package p (see :meth:`tier_index`)
        most = max(len(p.land_tiers) for p in self.packages)
        self.no_tier, self.sf_tier = most, most + 1
        self.tier_table = np.full((n_pkg, most + 2), np.nan)
        for i, (_, prices) in enumerate(self._tiers):
            self.tier_table[i, : prices.size] = prices
        self.tier_table[:, self.sf_tier] = self.sf_price
        # the tier columns as a step function of K: the thresholds of every package, ascending
        # (``steps``), and the column of each package on each step (``step_tier``, the first row
        # below the lowest threshold): a firm's columns are one search and one row gather
        self.steps = np.unique(np.concatenate([np.zeros(0), *(mins for mins, _ in self._tiers)]))
        self.step_tier = np.full((self.steps.size + 1, n_pkg), self.no_tier, dtype=np.int64)
        for i, (mins, _) in enumerate(self._tiers):
            for b in range(1, self.steps.size + 1):  # K in [steps[b - 1], steps[b]): mins above K
                k = int((mins > self.steps[b - 1]).sum())
                if k < mins.size:
                    self.step_tier[b, i] = k
        #: rebate classes the same way: a small firm's class under each package on each step of K
        #: (``step_class[b, p]``, b the thresholds ``class_steps`` at or below K; below the package's
        #: threshold: NO_REBATE); firms that are not small: OWN_PLOT (0)
        self.class_steps = np.unique(self.sf_rebate_min)
        below = self.sf_rebate_min[None, :] > np.concatenate([[-np.inf], self.class_steps])[:, None]
        self.step_class = np.where(below, NO_REBATE, STANDARD_FACTORY).astype(np.int8)
        # the same with the small-firm flag first (the land instrument's profile key, :meth:`tier_key`)
        self._step_key = np.hstack([np.zeros((self.steps.size + 1, 1), dtype=np.int64), self.step_tier])
        self._small_key = np.array([1] + [self.sf_tier] * n_pkg, dtype=np.int64)
        # the profile keys as one code per firm (:meth:`tier_code`, :meth:`class_code`): the index of
        # its key row among the distinct rows, which np.unique sorts as the rows' packed codes sort
        # (lexicographically), so firms get the same profiles, in the same order, as from the rows
        self.tier_code_rows, codes = np.unique(np.vstack([self._step_key, self._small_key]), axis=0,
                                               return_inverse=True)
        self._step_tier_code, self._small_tier_code = codes[:-1].astype(np.int64), int(codes[-1])
        self.class_code_rows, codes = np.unique(
            np.vstack([np.full((1, n_pkg), OWN_PLOT, dtype=np.int8), self.step_class]), axis=0, return_inverse=True)
        self._own_plot_code, self._step_class_code = int(codes[0]), codes[1:].astype(np.int64)
        #: by tier code: whether the firm is small, and its tier price under every package (codes x P)
        self.tier_code_small = self.tier_code_rows[:, 0] > 0
        self.tier_code_price = self.tier_table[np.arange(n_pkg)[None, :], self.tier_code_rows[:, 1:]]
        self._by_discount: dict[bytes, dict] = {}  # present-value tables per discount vector

    def _pv_tables(self, discount: np.ndarray) -> dict:
        """Present-value tables that depend only on the discount vector (fixed for a model),
        computed once: the rebate PV per schedule, the cumulative discount (fee-waiver PVs) and
        the PV of rebates still owed after each number of years done."""
        key = discount.tobytes()
        tables = self._by_discount.get(key)
        if tables is None:
            k = min(self.schedule.shape[2], discount.size)
            longest = self.schedule.shape[2]
            remaining = np.zeros((len(self.packages), 3, longest + 1))  # [p, class, years done]
            done = np.arange(longest + 1)
            for ahead in range(1, min(longest, discount.size) + 1):  # the order remaining_rebate_pv adds in
                idx = done + ahead - 1
                ok = idx < longest
                remaining[:, :, ok] += discount[ahead - 1] * self.schedule[:, :, idx[ok]]
            cum = np.concatenate([[0.0], np.cumsum(discount)])
            rebate_pv = self.schedule[:, :, :k] @ discount[:k]
            tables = {"rebate_pv": rebate_pv, "cum": cum, "remaining": remaining,
                      "waiver_pv": cum[np.clip(self.fee_waiver_years, 0, discount.size)],
                      "rebate_pv_by_code": rebate_pv[np.arange(len(self.packages))[None, :], self.class_code_rows]}
            self._by_discount[key] = tables
        return tables

    def __len__(self) -> int:
        return len(self.packages)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def offered(self, year: int) -> np.ndarray:
        """Whether each package is offered to firms arriving in ``year`` (bool per package). The
        model takes the depths on offer in one compiled pass instead
        (:func:`clustersim.aggregates.depth_offered`, tested against this rule)."""
        return (self.start <= year) & (year < self.end)

    def tier_index(self, capital: np.ndarray, small: np.ndarray) -> np.ndarray:
        """Column of ``tier_table`` that sets each firm's land price under each package
        (firms x packages, int64): the tier reached, ``no_tier`` if none is reached, or
        ``sf_tier`` (the standard-factory price) for a small firm."""
        # tiers run from the highest min_investment down: the tier reached is the number of
        # thresholds above K; all of them above: none reached (a row of ``_step_tier``)
        out = self.step_tier.take(np.searchsorted(self.steps, capital, side="right"), axis=0)
        out[small] = self.sf_tier
        return out

    def tier_key(self, capital: np.ndarray, small: np.ndarray) -> np.ndarray:
        """Whether each firm is small (0/1), then its :meth:`tier_index` under every package
        (firms x (1 + packages), int64)."""
        out = self._step_key.take(np.searchsorted(self.steps, capital, side="right"), axis=0)
        out[small] = self._small_key
        return out

    def tier_code(self, capital: np.ndarray, small: np.ndarray) -> np.ndarray:
        """Each firm's :meth:`tier_key` as one code (int64): the index of its row in
        ``tier_code_rows``, whose rows are the distinct keys in ascending order."""
        return np.where(small, self._small_tier_code,
                        self._step_tier_code.take(np.searchsorted(self.steps, capital, side="right")))

    def class_code(self, capital: np.ndarray, small: np.ndarray) -> np.ndarray:
        """Each firm's :meth:`rebate_class` row as one code (int64): the index of its row in
        ``class_code_rows``, whose rows are the distinct class rows in ascending order."""
        return np.where(small, self._step_class_code.take(np.searchsorted(self.class_steps, capital, side="right")),
                        self._own_plot_code)

    def tier_price(self, capital: np.ndarray, small: np.ndarray) -> np.ndarray:
        """Land price each firm would pay under each package, wan/mu (firms x packages).

        ``nan`` means the package sets no price for that firm (it pays the market price).
        A small firm pays the standard-factory price; others the price of the highest tier
        whose ``min_investment`` their investment ``capital`` (wan) reaches.
        """
        return self.tier_table[np.arange(len(self.packages))[None, :], self.tier_index(capital, small)]

    def tier_price_under(self, capital: np.ndarray, small: np.ndarray, package: np.ndarray) -> np.ndarray:
        """:meth:`tier_price` of each firm under its own ``package`` only (per firm, wan/mu)."""
        col = self.step_tier[np.searchsorted(self.steps, capital, side="right"), package]
        col[small] = self.sf_tier
        return self.tier_table[package, col]

    def rebate_class(self, capital: np.ndarray, small: np.ndarray) -> np.ndarray:
        """Rebate class of each firm under each package (firms x packages, int8)."""
        cls = self.step_class.take(np.searchsorted(self.class_steps, capital, side="right"), axis=0)
        cls *= small[:, None]  # OWN_PLOT = 0 where not small
        return cls

    def rebate_class_under(self, capital: np.ndarray, small: np.ndarray, package: np.ndarray) -> np.ndarray:
        """:meth:`rebate_class` of each firm under its own ``package`` only (per firm, int8)."""
        cls = self.step_class[np.searchsorted(self.class_steps, capital, side="right"), package]
        cls *= small
        return cls

    def rebate_share(self, package: np.ndarray, cls: np.ndarray, year_of_residence: np.ndarray) -> np.ndarray:
        """Rebate share for firms in their ``year_of_residence`` (1 = first year), per firm."""
        _, n_cls, longest = self.schedule.shape
        k = year_of_residence - 1
        inside = (k >= 0) & (k < longest) & (package >= 0)
        flat = (np.where(inside, package, 0) * n_cls + cls) * longest + np.where(inside, k, 0)  # [p, class, k]
        return np.where(inside, self.schedule.ravel().take(flat), 0.0)  # one flat gather: 3-D fancy indexing is slow

    def rebate_pv(self, discount: np.ndarray) -> np.ndarray:
        """Present value factor of each schedule: sum_k discount[k] * schedule[p, class, k]
        (packages x 3). ``discount[k]`` is delta^(k+1) for the H years of the decision horizon;
        rebates beyond the horizon are not counted."""
        return self._pv_tables(discount)["rebate_pv"]

    def rebate_pv_by_code(self, discount: np.ndarray) -> np.ndarray:
        """:meth:`rebate_pv` of the rebate class of each class code (:meth:`class_code`) under
        every package (codes x packages)."""
        return self._pv_tables(discount)["rebate_pv_by_code"]

    def remaining_rebate_table(self, discount: np.ndarray) -> np.ndarray:
        """``[p, class, years done]``: the PV of the rebates still owed (what
        :meth:`remaining_rebate_pv` gathers; its last column is 0: nothing owed)."""
        return self._pv_tables(discount)["remaining"]

    def cumulative_discount(self, discount: np.ndarray) -> np.ndarray:
        """``[k]``: the PV of one wan a year over the next k years, k = 0..H (what
        :meth:`remaining_waiver_years_pv` gathers)."""
        return self._pv_tables(discount)["cum"]

    def remaining_rebate_pv(self, package: np.ndarray, cls: np.ndarray, years_done: np.ndarray,
                            discount: np.ndarray) -> np.ndarray:
        """PV of the rebates a resident firm is still owed after ``years_done`` years (per firm; 0
        for firms holding no package)."""
        held = package >= 0
        remaining = self._pv_tables(discount)["remaining"]
        _, n_cls, width = remaining.shape
        done = np.minimum(years_done, width - 1)  # the last column: nothing owed
        flat = (np.where(held, package, 0) * np.int64(n_cls) + cls) * width + done  # [p, class, done]
        return np.where(held, remaining.ravel().take(flat), 0.0)

    def refund_share(self, package: np.ndarray, depth: np.ndarray) -> np.ndarray:
        """Share of fees refunded, ``min(1, depth * fee_waiver)``: a county cannot refund more
        than it collected, however deep the subsidy."""
        return np.minimum(1.0, depth * self.fee_waiver[package])

    def waiver_years_pv(self, discount: np.ndarray) -> np.ndarray:
        """PV of one wan a year over each package's fee-waiver years (per package), for a firm
        that has not yet produced under it."""
        return self._pv_tables(discount)["waiver_pv"]

    def remaining_waiver_years_pv(self, package: np.ndarray, years_done: np.ndarray,
                                  discount: np.ndarray) -> np.ndarray:
        """PV of one wan a year over the fee-waiver years still ahead of firms that have produced
        ``years_done`` years under ``package`` (per firm)."""
        left = np.minimum(np.maximum(self.fee_waiver_years[package] - years_done, 0), discount.size)
        return self._pv_tables(discount)["cum"][left]
