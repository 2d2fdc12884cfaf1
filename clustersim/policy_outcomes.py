"""Policy outcomes, as pure functions on plain numpy arrays: whether a county's cluster took off
and held once its incentives ended (:func:`take_off`), and what the incentives returned to the
county's budget (:func:`fiscal_return`). Money in wan (10,000 CNY), time in years; bad input
raises ``ValueError`` naming the argument (:mod:`clustersim.array_checks`). The concentration
indices are in :mod:`clustersim.metrics`, which re-exports these names."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clustersim.array_checks import check_lengths, float_1d, float_array, years_1d

__all__ = ["FiscalReturn", "TakeOff", "fiscal_return", "take_off", "take_off_flags", "take_off_of_lists"]


@dataclass(frozen=True)
class TakeOff:
    """Outcome of the take-off test (see :func:`take_off`).

    Attributes
    ----------
    took_off
        The focal county's share was >= threshold in each of the last ``hold_years``
        observations, all in or after ``incentives_end``.
    observable
        The run has at least ``hold_years`` observations in or after ``incentives_end``;
        when False, ``took_off`` is False because the test cannot be passed, not because it
        failed.
    first_year_at_threshold
        First year (over the whole run, incentives or not) with share >= threshold; nan if
        never.
    years_held_after_end
        Number of consecutive final observations with share >= threshold that lie in or
        after ``incentives_end``.
    final_share
        Share in the last year (dimensionless).
    """

    took_off: bool
    observable: bool
    first_year_at_threshold: float
    years_held_after_end: int
    final_share: float

    def to_dict(self) -> dict[str, float | int | bool]:
        return asdict(self)


def take_off(
    years: ArrayLike,
    share: ArrayLike,
    incentives_end: float,
    threshold: float,
    hold_years: int,
) -> TakeOff:
    """Did the focal county's cluster take off, i.e. sustain itself without incentives?

    Take-off is True iff the last ``hold_years`` observations all have
    ``share >= threshold`` AND all of those years are in or after ``incentives_end``, the
    first year in which the county pays no incentive any more (that year counts as "after").

    Parameters
    ----------
    years
        Calendar or model years, 1-D, strictly ascending, one observation per year (the
        test counts observations, so ``hold_years`` means years only for annual series).
    share
        The focal county's share of the relocated industry in each year, 1-D, same length,
        dimensionless in ``[0, 1]``.
    incentives_end
        First year in which the county pays no incentive any more (years).
        ``float('inf')`` means they never ended: then take-off is not observable and False.
    threshold
        Minimum share counted as a cluster.
    hold_years
        Number of final observations that must all pass (>= 1).

    Returns
    -------
    :class:`TakeOff`. ``observable`` is False when fewer than ``hold_years`` observations lie
    after ``incentives_end`` (then ``took_off`` is False).
    """
    yrs = years_1d(years)
    sh = float_1d("share", share, nonneg=False)
    check_lengths(years=yrs, share=sh)
    if yrs.size == 0:
        raise ValueError("years must hold at least one observation")
    if math.isnan(incentives_end):
        raise ValueError("incentives_end must not be NaN (use float('inf') for never)")
    if hold_years < 1:
        raise ValueError(f"hold_years must be >= 1, got {hold_years}")

    at = sh >= threshold
    after = yrs >= incentives_end
    held = 0
    for ok in (at & after)[::-1]:
        if not ok:
            break
        held += 1
    observable = int(np.count_nonzero(after)) >= hold_years
    hits = np.flatnonzero(at)
    first = float(yrs[hits[0]]) if hits.size else math.nan
    return TakeOff(
        took_off=bool(observable and held >= hold_years),
        observable=bool(observable),
        first_year_at_threshold=first,
        years_held_after_end=held,
        final_share=float(sh[-1]),
    )


def take_off_of_lists(years: list, share: list, incentives_end: float, threshold: float,
                      hold_years: int) -> TakeOff:
    """:func:`take_off` of short plain lists (the model's last ``hold_years`` observations, every
    year), the same result without numpy's per-call cost: the same comparisons on the same
    float64 values. Inputs :func:`take_off` would refuse go to it, for its error."""
    n = len(years)
    if n == 0 or n != len(share) or hold_years < 1 or incentives_end != incentives_end:
        return take_off(years, share, incentives_end, threshold, hold_years)
    yrs = [float(y) for y in years]
    sh = [float(x) for x in share]
    previous = -math.inf
    observed = 0  # observations in or after incentives_end
    first = math.nan
    for y, x in zip(yrs, sh, strict=True):
        if not (previous < y < math.inf and -math.inf < x < math.inf):  # ascending, finite (nan fails)
            return take_off(years, share, incentives_end, threshold, hold_years)
        previous = y
        observed += y >= incentives_end
        if first != first and x >= threshold:
            first = y
    held = 0
    for k in range(n - 1, -1, -1):
        if not (sh[k] >= threshold and yrs[k] >= incentives_end):
            break
        held += 1
    observable = observed >= hold_years
    return TakeOff(took_off=observable and held >= hold_years, observable=observable,
                   first_year_at_threshold=first, years_held_after_end=held, final_share=sh[-1])


def take_off_flags(years: list, share: list, incentives_end: float, threshold: float,
                   hold_years: int) -> tuple[bool, bool]:
    """``(took_off, observable)`` of :func:`take_off_of_lists`, computed without the rest of its
    :class:`TakeOff` (the model's two take-off reporters read only these, every year): the same
    comparisons in one pass, ``held`` counted as the run of passing observations at the end.
    Inputs :func:`take_off_of_lists` would refuse or send on go to it."""
    n = len(years)
    if n == 0 or n != len(share) or hold_years < 1 or incentives_end != incentives_end:
        verdict = take_off_of_lists(years, share, incentives_end, threshold, hold_years)
        return verdict.took_off, verdict.observable
    previous = -math.inf
    observed = held = 0
    for y, x in zip(years, share, strict=True):
        y, x = float(y), float(x)
        if not (previous < y < math.inf and -math.inf < x < math.inf):  # ascending, finite (nan fails)
            verdict = take_off_of_lists(years, share, incentives_end, threshold, hold_years)
            return verdict.took_off, verdict.observable
        previous = y
        after = y >= incentives_end
        observed += after
        held = held + 1 if (x >= threshold and after) else 0
    observable = observed >= hold_years
    return observable and held >= hold_years, observable


@dataclass(frozen=True)
class FiscalReturn:
    """Fiscal outcome of a county's incentive policy (see :func:`fiscal_return`).

    Attributes
    ----------
    incentives_paid
        Total incentives paid over the run, wan (undiscounted).
    extra_revenue
        Total of ``revenue - baseline_revenue`` over the run, wan (undiscounted).
    net_return
        ``extra_revenue - incentives_paid``, wan.
    jobs
        Final-year jobs minus final-year baseline jobs (persons).
    cost_per_job
        ``incentives_paid / jobs``, wan per job; nan if ``jobs <= 0``.
    payback_year
        First year in which cumulative extra revenue >= cumulative incentives paid, counting
        only years in which cumulative incentives are > 0; nan if never or if no incentives
        were ever paid.
    """

    incentives_paid: float
    extra_revenue: float
    net_return: float
    jobs: float
    cost_per_job: float
    payback_year: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def fiscal_return(
    years: ArrayLike,
    incentives_paid: ArrayLike,
    revenue: ArrayLike,
    jobs: ArrayLike,
    baseline_revenue: ArrayLike | None = None,
    baseline_jobs: ArrayLike | None = None,
) -> FiscalReturn:
    """Money in vs money out for the focal county, plus jobs created.

    All sums are plain, undiscounted totals of nominal wan.

    Parameters
    ----------
    years
        Years of the observations, 1-D, strictly ascending, length T >= 1.
    incentives_paid
        Incentives the county paid each year, wan/year (rebates + land awards + relocation
        awards + fee refunds), non-negative, length T.
    revenue
        The county's own revenue from firms each year, wan/year (retained taxes + fees + land
        sales), non-negative, length T.
    jobs
        Employment in the county each year (persons), non-negative, length T.
    baseline_revenue
        Revenue without the policy, wan/year: a length-T array from a counterfactual run, or a
        scalar held constant. Default: ``revenue[0]`` (the first year's value) held constant
        over the run.
    baseline_jobs
        Jobs without the policy: a length-T array, or a scalar held constant. Default:
        ``jobs[0]`` held constant.

    Returns
    -------
    :class:`FiscalReturn` (call ``.to_dict()`` for a flat record).
    """
    yrs = years_1d(years)
    paid = float_1d("incentives_paid", incentives_paid)
    rev = float_1d("revenue", revenue)
    emp = float_1d("jobs", jobs)
    check_lengths(years=yrs, incentives_paid=paid, revenue=rev, jobs=emp)
    n = yrs.size
    if n == 0:
        raise ValueError("years must hold at least one observation")

    def baseline(name: str, given: ArrayLike | None, actual: NDArray[np.float64]) -> NDArray[np.float64]:
        if given is None:
            return np.full(n, actual[0])
        arr = float_array(name, given)
        if arr.ndim == 0:
            return np.full(n, float(arr))
        if arr.shape != (n,):
            raise ValueError(f"{name} must be a scalar or have length {n}, got shape {arr.shape}")
        return arr

    base_rev = baseline("baseline_revenue", baseline_revenue, rev)
    base_jobs = baseline("baseline_jobs", baseline_jobs, emp)

    extra = rev - base_rev
    total_paid = float(paid.sum())
    total_extra = float(extra.sum())
    job_gain = float(emp[-1] - base_jobs[-1])
    cost = total_paid / job_gain if job_gain > 0 else math.nan

    cum_paid = np.cumsum(paid)
    cum_extra = np.cumsum(extra)
    paid_back = (cum_paid > 0) & (cum_extra >= cum_paid)
    hits = np.flatnonzero(paid_back)
    payback = float(yrs[hits[0]]) if hits.size else math.nan

    return FiscalReturn(
        incentives_paid=total_paid,
        extra_revenue=total_extra,
        net_return=total_extra - total_paid,
        jobs=job_gain,
        cost_per_job=cost,
        payback_year=payback,
    )
