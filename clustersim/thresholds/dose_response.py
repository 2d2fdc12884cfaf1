"""Logistic dose-response: the level of a lever at which an event becomes more likely than not.

Given counts per level (``successes`` of ``trials`` runs at each ``level``), a binomial GLM with
logit link ``logit P(x) = b0 + b1 x`` is fitted by statsmodels. The critical level for a target
probability p is ``x_p = (logit p - b0) / b1`` (the LD50 of toxicology when p = 1/2). Two 95 %
intervals are given:

- **delta method**: ``x_p ± z se`` with ``se² = g' V g``, ``g = -(1, x_p) / b1`` (what R's
  ``MASS::dose.p`` reports);
- **Fieller**: every x with ``(a0 + x b1)² <= z² (v00 + 2 x v01 + x² v11)``, ``a0 = b0 - logit p``.
  It is a bounded interval when b1 is clearly non-zero (``b1² > z² v11``), otherwise the
  complement of an interval ("exclusive") or the whole line ("unbounded"): the data then do not
  locate the level, and this module says so instead of returning a number.

Data that no logistic fit can summarise get a :attr:`DoseResponse.status` and a sentence
instead of a silent number: no trials, one level, all successes or all failures ("above the
target at every level tried"), perfect or quasi-complete separation (a step between two adjacent
levels: the level lies between them), and an estimate outside the levels tried ("extrapolated").

A second lever z may enter as a covariate (with an interaction by default), giving the critical
level as a curve ``x_p(z) = (logit p - b0 - b2 z) / (b1 + b3 z)`` with pointwise intervals
(:func:`dose_response_curve`). Levels are in the lever's own unit (e.g. subsidy depth, × face
value; fee rate, share of revenue).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from clustersim.sweep.report.stats import Z95

__all__ = ["CriticalCurve", "DoseResponse", "dose_response", "dose_response_curve", "fieller"]

#: goodness-of-fit p-values below this mark the logistic fit as poor
POOR_FIT_P = 0.05

STATUSES = ("ok", "extrapolated", "flat", "all_above", "all_below", "separated", "one_level", "no_data", "failed")


@dataclass(frozen=True)
class DoseResponse:
    """The critical level of one dose-response fit.

    ``x``: level at which P = ``p`` (None unless ``status`` is "ok", "extrapolated" or "flat");
    ``se``: its delta-method standard error; ``ci_delta``: x ± 1.96 se; ``ci_fieller`` with
    ``fieller_kind`` "bounded" (lo, hi), "exclusive" (every x outside (lo, hi)), "unbounded"
    (-inf, inf) or "empty"; ``coef`` (b0, b1) and ``cov`` their covariance; ``gof_pvalue``: the
    deviance goodness-of-fit p-value (nan with two levels: nothing to test); ``status`` and
    ``message``: what the data say in words; ``bracket``: for "separated", the two adjacent levels
    between which P jumps from 0 to 1 (or 1 to 0), for "all_above"/"all_below" the range tried.
    """

    p: float
    status: str
    message: str
    x: float | None = None
    se: float = math.nan
    ci_delta: tuple[float, float] = (math.nan, math.nan)
    ci_fieller: tuple[float, float] = (math.nan, math.nan)
    fieller_kind: str = "empty"
    coef: tuple[float, ...] = ()
    cov: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    gof_pvalue: float = math.nan
    deviance: float = math.nan
    df_resid: int = 0
    n_levels: int = 0
    n_trials: int = 0
    level_range: tuple[float, float] = (math.nan, math.nan)
    bracket: tuple[float, float] | None = None

    @property
    def located(self) -> bool:
        """True when the data locate the level: a fit inside the levels tried with a bounded Fieller interval."""
        return self.status == "ok" and self.fieller_kind == "bounded"

    @property
    def poor_fit(self) -> bool:
        return math.isfinite(self.gof_pvalue) and self.gof_pvalue < POOR_FIT_P

    @property
    def half_width(self) -> float:
        """Half the width of the 95 % interval (Fieller when bounded; inf otherwise)."""
        if self.fieller_kind != "bounded":
            return math.inf
        return 0.5 * (self.ci_fieller[1] - self.ci_fieller[0])

    def interval(self) -> tuple[float, float]:
        """The interval reports quote: Fieller when bounded, else (-inf, inf)."""
        return self.ci_fieller if self.fieller_kind == "bounded" else (-math.inf, math.inf)

    def text(self, fmt: str = "{:.2f}") -> str:
        """``"1.32 [0.91, 1.80]"`` or the status sentence."""
        if self.status in ("ok", "extrapolated") and self.fieller_kind == "bounded" and self.x is not None:
            lo, hi = self.ci_fieller
            out = f"{fmt.format(self.x)} [{fmt.format(lo)}, {fmt.format(hi)}]"
            if self.status == "extrapolated":
                out += f" ({self.message})"
            return out
        return self.message


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def fieller(
    a: float, s: float, v_aa: float, v_as: float, v_ss: float, z: float = Z95
) -> tuple[tuple[float, float], str]:
    """Fieller's confidence set for the root x of ``a + x s = 0`` given estimates a, s with
    covariance [[v_aa, v_as], [v_as, v_ss]]: every x with ``(a + x s)² <= z² (v_aa + 2 x v_as + x² v_ss)``.

    Returns ``((lo, hi), kind)`` with kind "bounded", "exclusive" (the set is x <= lo or x >= hi),
    "unbounded" or "empty".
    """
    z2 = z * z
    qa = s * s - z2 * v_ss
    qb = 2.0 * (a * s - z2 * v_as)
    qc = a * a - z2 * v_aa
    disc = qb * qb - 4.0 * qa * qc
    if qa > 0:
        if disc < 0:
            return (math.nan, math.nan), "empty"
        r = math.sqrt(disc)
        lo, hi = sorted(((-qb - r) / (2 * qa), (-qb + r) / (2 * qa)))
        return (lo, hi), "bounded"
    if disc <= 0 or qa == 0:
        return (-math.inf, math.inf), "unbounded"
    r = math.sqrt(disc)
    lo, hi = sorted(((-qb - r) / (2 * qa), (-qb + r) / (2 * qa)))
    return (lo, hi), "exclusive"


def _as_counts(
    levels: Sequence[float], successes: Sequence[float], trials: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(levels, float).ravel()
    k = np.asarray(successes, float).ravel()
    n = np.asarray(trials, float).ravel()
    if not (x.size == k.size == n.size):
        raise ValueError(f"levels, successes and trials must have the same length ({x.size}, {k.size}, {n.size})")
    if not np.all(np.isfinite(x)):
        raise ValueError("levels must be finite numbers")
    if np.any(n < 0) or np.any(k < 0) or np.any(k > n) or not np.all(np.isfinite(k) & np.isfinite(n)):
        raise ValueError("need 0 <= successes <= trials at every level")
    keep = n > 0
    return x[keep], k[keep], n[keep]


def _pool(x: np.ndarray, k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts summed per distinct level, levels ascending."""
    u, inv = np.unique(x, return_inverse=True)
    return u, np.bincount(inv, weights=k, minlength=u.size), np.bincount(inv, weights=n, minlength=u.size)


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _separation(u: np.ndarray, k: np.ndarray, n: np.ndarray, p: float) -> tuple[float, float] | None:
    """Levels (ascending, pooled) whose rates step from all-failure to all-success (or back) with at
    most one mixed level between (complete or quasi-complete separation: the logistic MLE does not
    exist). Returns the bracket of the level where P = p: the two adjacent levels it lies between
    (-inf or inf beyond the levels tried; both equal to the mixed level if its rate is exactly p)."""
    rate = k / n
    for up in (True, False):
        r = rate if up else 1.0 - rate
        target = p if up else 1.0 - p
        zero, one = r == 0.0, r == 1.0
        mixed = np.flatnonzero(~zero & ~one)
        if mixed.size > 1:
            continue
        if mixed.size == 1:
            m = int(mixed[0])
            if not (zero[:m].all() and one[m + 1 :].all() and (m > 0 or m + 1 < u.size)):
                continue
            below = -np.inf if m == 0 else u[m - 1]
            above = np.inf if m + 1 == u.size else u[m + 1]
            if r[m] < target:
                return float(u[m]), float(above)
            if r[m] > target:
                return float(below), float(u[m])
            return float(u[m]), float(u[m])
        first_one = int(np.argmax(one)) if one.any() else u.size
        if zero[:first_one].all() and one[first_one:].all() and 0 < first_one < u.size:
            return float(u[first_one - 1]), float(u[first_one])
    return None


def _fit(exog: np.ndarray, k: np.ndarray, n: np.ndarray):
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    endog = np.column_stack([k, n - k])
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return sm.GLM(endog, exog, family=sm.families.Binomial()).fit()


def dose_response(
    levels: Sequence[float],
    successes: Sequence[float],
    trials: Sequence[float],
    p: float = 0.5,
    *,
    increasing: bool | None = None,
    z: float = Z95,
) -> DoseResponse:
    """Fit ``logit P(x) = b0 + b1 x`` to ``successes`` of ``trials`` at each of ``levels`` and
    return the level where P = ``p`` with its intervals (see :class:`DoseResponse`).

    ``increasing``: the direction expected (True: P rises with the level, e.g. subsidy depth;
    False: it falls, e.g. a fee), used only to word the degenerate cases ("below the smallest
    level tried" rather than "outside the levels tried"). Levels with no trials are dropped;
    repeated levels are pooled. Raises ValueError for inconsistent input (lengths, negative or
    excess counts, non-finite levels, p outside (0, 1)).
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must lie strictly between 0 and 1, got {p!r}")
    x, k, n = _as_counts(levels, successes, trials)
    if x.size == 0:
        return DoseResponse(p, "no_data", "no runs: no level has any trial")
    u, ku, nu = _pool(x, k, n)
    base = {"n_levels": int(u.size), "n_trials": int(nu.sum()), "level_range": (float(u[0]), float(u[-1]))}
    lo_text, hi_text = _fmt(u[0]), _fmt(u[-1])
    where = f"levels {lo_text}–{hi_text}" if u.size > 1 else f"level {lo_text}"
    total_k, total_n = float(ku.sum()), float(nu.sum())
    if total_k == total_n or total_k == 0:
        above = total_k == total_n
        kind = "all_above" if above else "all_below"
        word = "succeeded" if above else "failed"
        if increasing is None:
            side = f"outside the levels tried ({where})"
        elif above == increasing:
            side = f"below the smallest level tried ({lo_text})"
        else:
            side = f"above the largest level tried ({hi_text})"
        msg = f"all {int(total_n)} runs {word} at {where}: the level where P = {p:g} lies {side}"
        return DoseResponse(p, kind, msg, bracket=(float(u[0]), float(u[-1])), **base)
    if u.size == 1:
        return DoseResponse(
            p,
            "one_level",
            f"one level only ({lo_text}, {int(ku[0])} of {int(nu[0])}): a dose-response needs at least two levels",
            **base,
        )
    sep = _separation(u, ku, nu, p)
    if sep is not None:
        lo, hi = sep
        if lo == hi:
            where_p = f"at level {_fmt(lo)} (where exactly a share {p:g} succeeded)"
        elif math.isinf(hi):
            where_p = f"above the largest level tried ({hi_text})"
        elif math.isinf(lo):
            where_p = f"below the smallest level tried ({lo_text})"
        else:
            where_p = f"between levels {_fmt(lo)} and {_fmt(hi)}"
        msg = (
            f"the outcome steps from all failures to all successes (or back) with no overlap between levels "
            f"(separation): the level where P = {p:g} lies {where_p}; a logistic fit cannot give an interval "
            "(add runs there)"
        )
        return DoseResponse(p, "separated", msg, bracket=sep, **base)
    exog = np.column_stack([np.ones_like(u), u])
    try:
        res = _fit(exog, ku, nu)
    except Exception as err:  # separation the bracket test missed, or a numerical failure
        return DoseResponse(p, "failed", f"the logistic fit failed ({type(err).__name__}: {err})", **base)
    b = np.asarray(res.params, float)
    cov = np.asarray(res.cov_params(), float)
    a0 = b[0] - _logit(p)
    df = int(u.size - 2)
    gof = float(special.chdtrc(df, res.deviance)) if df > 0 else math.nan
    fit = {
        "coef": (float(b[0]), float(b[1])),
        "cov": cov,
        "gof_pvalue": gof,
        "deviance": float(res.deviance),
        "df_resid": df,
        **base,
    }
    ci_f, kind = fieller(a0, b[1], cov[0, 0], cov[0, 1], cov[1, 1], z)
    if b[1] == 0:
        return DoseResponse(p, "flat", "the fitted probability does not change with the level", **fit)
    xp = -a0 / b[1]
    g = -np.array([1.0, xp]) / b[1]
    se = float(math.sqrt(max(g @ cov @ g, 0.0)))
    common = {
        "x": float(xp),
        "se": se,
        "ci_delta": (xp - z * se, xp + z * se),
        "ci_fieller": ci_f,
        "fieller_kind": kind,
        **fit,
    }
    if kind != "bounded":
        what = {"exclusive": "the complement of an interval", "unbounded": "the whole line", "empty": "empty"}[kind]
        span = float(u[-1] - u[0])
        point = f" (point estimate {_fmt(xp)})" if u[0] - 10 * span <= xp <= u[-1] + 10 * span else ""
        return DoseResponse(
            p,
            "flat",
            f"the slope is not clearly non-zero: the 95 % Fieller set is {what}, so "
            f"the data do not locate the level{point}",
            **common,
        )
    if xp < u[0] or xp > u[-1]:
        side = (
            f"below the smallest level tried ({lo_text})" if xp < u[0] else f"above the largest level tried ({hi_text})"
        )
        return DoseResponse(p, "extrapolated", f"extrapolated {side}", **common)
    msg = f"P = {p:g} at {_fmt(xp)} [{_fmt(ci_f[0])}, {_fmt(ci_f[1])}]"
    if math.isfinite(gof) and gof < POOR_FIT_P:
        msg += f"; the logistic curve fits poorly (goodness-of-fit p = {gof:.3f})"
    return DoseResponse(p, "ok", msg, **common)


# ------------------------------------------------------------------------------ two levers
@dataclass(frozen=True)
class CriticalCurve:
    """The critical level x_p as a function of a second lever z, from one fit of
    ``logit P = b0 + b1 x + b2 z (+ b3 x z)``. Arrays are over ``at`` (the z values asked for):
    ``x``, ``se``, delta-method ``lo_delta``/``hi_delta``, Fieller ``lo``/``hi`` with ``kind``
    per z (as :func:`fieller`). ``status``/``message`` as in :class:`DoseResponse` for the whole fit."""

    p: float
    status: str
    message: str
    at: np.ndarray
    x: np.ndarray
    se: np.ndarray
    lo_delta: np.ndarray
    hi_delta: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    kind: tuple[str, ...]
    coef: tuple[float, ...]
    cov: np.ndarray
    gof_pvalue: float
    interaction: bool

    @property
    def poor_fit(self) -> bool:
        return math.isfinite(self.gof_pvalue) and self.gof_pvalue < POOR_FIT_P


def dose_response_curve(
    levels: Sequence[float],
    other: Sequence[float],
    successes: Sequence[float],
    trials: Sequence[float],
    at: Sequence[float] | None = None,
    p: float = 0.5,
    *,
    interaction: bool = True,
    z: float = Z95,
) -> CriticalCurve:
    """Critical level of ``levels`` where P = ``p``, as a curve over the second lever ``other``
    (evaluated at ``at``, default its distinct values), with pointwise 95 % delta-method and
    Fieller intervals. ``interaction=False`` fits parallel logits (a common slope in x)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must lie strictly between 0 and 1, got {p!r}")
    zz = np.asarray(other, float).ravel()
    x, k, n = np.asarray(levels, float).ravel(), np.asarray(successes, float).ravel(), np.asarray(trials, float).ravel()
    if not (x.size == zz.size == k.size == n.size):
        raise ValueError("levels, other, successes and trials must have the same length")
    keep = n > 0
    x, zz, k, n = x[keep], zz[keep], k[keep], n[keep]
    grid = np.unique(zz) if at is None else np.asarray(at, float).ravel()
    nan = np.full(grid.size, np.nan)
    empty = CriticalCurve(
        p,
        "no_data",
        "",
        grid,
        nan,
        nan,
        nan,
        nan,
        nan,
        nan,
        ("empty",) * grid.size,
        (),
        np.zeros((0, 0)),
        math.nan,
        interaction,
    )

    def fail(status: str, message: str) -> CriticalCurve:
        return CriticalCurve(**{**empty.__dict__, "status": status, "message": message})

    if x.size == 0:
        return fail("no_data", "no runs")
    if k.sum() == n.sum() or k.sum() == 0:
        return fail(
            "all_above" if k.sum() == n.sum() else "all_below",
            f"all {int(n.sum())} runs {'succeeded' if k.sum() == n.sum() else 'failed'}: no curve to fit",
        )
    if np.unique(x).size < 2 or np.unique(zz).size < 2:
        return fail("one_level", "a curve needs at least two values of each lever")
    cols = [np.ones_like(x), x, zz] + ([x * zz] if interaction else [])
    exog = np.column_stack(cols)
    try:
        res = _fit(exog, k, n)
    except Exception as err:
        return fail("failed", f"the logistic fit failed ({type(err).__name__}: {err}); e.g. perfect separation")
    b = np.asarray(res.params, float)
    cov = np.asarray(res.cov_params(), float)
    df = int(x.size - b.size)
    gof = float(special.chdtrc(df, res.deviance)) if df > 0 else math.nan
    lp = _logit(p)
    xs, ses, lo, hi, kinds = [], [], [], [], []
    for zv in grid:
        c = np.array([1.0, 0.0, zv] + ([0.0] if interaction else []))  # intercept part a(z)
        d = np.array([0.0, 1.0, 0.0] + ([zv] if interaction else []))  # slope s(z)
        a = float(c @ b) - lp
        s = float(d @ b)
        (flo, fhi), kind = fieller(a, s, c @ cov @ c, c @ cov @ d, d @ cov @ d, z)
        xp = -a / s if s != 0 else math.nan
        g = -(c + xp * d) / s if s != 0 else np.full(b.size, np.nan)
        xs.append(xp)
        ses.append(float(math.sqrt(max(g @ cov @ g, 0.0))) if s != 0 else math.nan)
        lo.append(flo)
        hi.append(fhi)
        kinds.append(kind)
    xs_a, se_a = np.array(xs), np.array(ses)
    msg = (
        "ok"
        if not (math.isfinite(gof) and gof < POOR_FIT_P)
        else f"the logistic surface fits poorly (goodness-of-fit p = {gof:.3f}): read the curve with care"
    )
    return CriticalCurve(
        p,
        "ok",
        msg,
        grid,
        xs_a,
        se_a,
        xs_a - z * se_a,
        xs_a + z * se_a,
        np.array(lo),
        np.array(hi),
        tuple(kinds),
        tuple(float(v) for v in b),
        cov,
        gof,
        interaction,
    )
