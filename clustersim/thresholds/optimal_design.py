"""Where to put runs to locate a critical level: design calculus for the logistic dose-response.

For ``logit P(x) = b0 + b1 x`` and runs at levels x_i (n_i runs each), the Fisher information of
(b0, b1) is ``M = sum n_i P_i (1 - P_i) f_i f_i'`` with ``f_i = (1, x_i)``; the fit's covariance is
about ``M^-1``, and the critical level ``x_p = (logit p - b0) / b1`` has the 95 % Fieller interval of
:func:`~clustersim.thresholds.dose_response.fieller`. This module holds:

- :func:`fieller_half_width`: the Fieller half-width for given coefficients and covariance,
  vectorised (inf when the slope is not clearly non-zero);
- :func:`next_batch`: the levels of the next batch of an adaptive search, chosen one run at a time
  to minimise the expected Fieller half-width after the batch, averaged over coefficients drawn from
  the current fit's approximate posterior N(b̂, V) (a pseudo-Bayesian sequential c-optimal design,
  Chaloner & Larntz 1989; the criterion is the quantity the search stops on);
- :func:`runs_needed` and :func:`oracle_two_point`: how many runs a design needs to reach a given
  half-width when the true take-off probability is known at each level (the expected-data fit of
  the logistic model to the true curve, i.e. what a large sample of that design would give), and
  the best two-level design for a known curve: the "oracle" against which an adaptive search is
  judged;
- :func:`fit_shouldered`, :func:`shouldered_runs_needed` and :func:`location_bound`: a logistic
  curve between a floor and a ceiling fitted to counts (take-off rates that level off above 0 and
  below 1); the runs a design needs when that four-parameter curve is fitted instead of the
  logistic one; and the fewest runs any design could need when everything about the curve but its
  position is known (every run at the level where a run says most about the position): a floor
  under every search, whatever model it fits.

Levels are in the lever's unit (e.g. subsidy depth, × face value); half-widths in the same unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from clustersim.thresholds.dose_response import Z95

__all__ = [
    "OracleDesign",
    "ShoulderedCurve",
    "fieller_half_width",
    "fit_shouldered",
    "information",
    "location_bound",
    "next_batch",
    "oracle_two_point",
    "runs_needed",
    "shouldered_runs_needed",
]

#: quasi-random standard-normal pairs for averaging the criterion over the fit's posterior; fixed so
#: that a batch's levels depend only on the runs before it (a resumed search plans the same batch)
_DRAWS = stats.norm.ppf(stats.qmc.Sobol(d=2, scramble=True, seed=20261206).random(64) * 0.998 + 0.001)
#: candidate levels per batch, evenly over the window searched
_CANDIDATES = 81


def _expit(eta: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-eta))


def information(levels: np.ndarray, runs: np.ndarray, b0: np.ndarray, b1: np.ndarray) -> np.ndarray:
    """Fisher information of (b0, b1) from ``runs`` runs at each of ``levels``, for every
    coefficient pair given (b0, b1 broadcast together): shape ``(*b0.shape, 2, 2)``."""
    x = np.asarray(levels, float)
    n = np.asarray(runs, float)
    b0 = np.asarray(b0, float)[..., None]
    b1 = np.asarray(b1, float)[..., None]
    pr = _expit(b0 + b1 * x)
    w = n * pr * (1.0 - pr)
    m00, m01, m11 = w.sum(-1), (w * x).sum(-1), (w * x * x).sum(-1)
    return np.stack([np.stack([m00, m01], -1), np.stack([m01, m11], -1)], -2)


def fieller_half_width(a0: np.ndarray, b1: np.ndarray, cov: np.ndarray, z: float = Z95) -> np.ndarray:
    """Half-width of the 95 % Fieller interval of ``x = -a0 / b1`` (``a0 = b0 - logit p``) with
    coefficient covariance ``cov`` (shape ``(..., 2, 2)``); inf where the interval is not bounded."""
    a0, b1 = np.asarray(a0, float), np.asarray(b1, float)
    v00, v01, v11 = cov[..., 0, 0], cov[..., 0, 1], cov[..., 1, 1]
    z2 = z * z
    qa = b1 * b1 - z2 * v11
    qb = 2.0 * (a0 * b1 - z2 * v01)
    qc = a0 * a0 - z2 * v00
    disc = qb * qb - 4.0 * qa * qc
    with np.errstate(invalid="ignore", divide="ignore"):
        hw = np.sqrt(np.maximum(disc, 0.0)) / (2.0 * qa)
    return np.where((qa > 0) & (disc >= 0), hw, np.inf)


def _inverse(m: np.ndarray) -> np.ndarray:
    det = m[..., 0, 0] * m[..., 1, 1] - m[..., 0, 1] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.stack([np.stack([m[..., 1, 1], -m[..., 0, 1]], -1), np.stack([-m[..., 0, 1], m[..., 0, 0]], -1)], -2)
        inv = inv / det[..., None, None]
    return np.where((det > 0)[..., None, None], inv, np.inf)


def next_batch(
    coef: tuple[float, float],
    cov: np.ndarray,
    levels: np.ndarray,
    size: int,
    low: float,
    high: float,
    p: float = 0.5,
) -> np.ndarray:
    """The ``size`` levels of the next batch, given the current fit (``coef`` = (b0, b1) and its
    covariance ``cov``) and the levels of every run so far.

    Runs are added one at a time, each at the candidate level that most lowers the mean, over 64
    fixed draws of (b0, b1) from N(coef, cov), of the Fieller half-width the fit would have after the
    batch (capped at the range, so that a draw with a slope near zero counts as "not located" without
    dominating). Averaging over the posterior spreads the batch while the slope is uncertain and
    concentrates it near the estimate as the fit firms up: the locally c-optimal design (all runs at
    x_p) is the limit of a well-known slope. Candidates: 81 levels evenly over x̂ ± 4/|b1| within
    [low, high]. Deterministic: the same runs give the same batch."""
    b = np.asarray(coef, float)
    cov = np.asarray(cov, float)
    lp = math.log(p / (1.0 - p))
    xp = min(max((lp - b[0]) / b[1], low), high)
    reach = 4.0 / abs(b[1])
    lo, hi = max(low, xp - reach), min(high, xp + reach)
    if hi - lo < (high - low) / 100:
        lo, hi = max(low, xp - (high - low) / 200), min(high, xp + (high - low) / 200)
    cand = np.linspace(lo, hi, _CANDIDATES)
    try:
        chol = np.linalg.cholesky(cov + 1e-12 * np.eye(2))
    except np.linalg.LinAlgError:
        chol = np.diag(np.sqrt(np.maximum(np.diag(cov), 0.0)))
    draws = b + _DRAWS @ chol.T  # (S, 2)
    b0s, b1s = draws[:, 0], draws[:, 1]
    x_old = np.unique(levels)
    n_old = np.array([np.sum(levels == v) for v in x_old], float)
    m = information(x_old, n_old, b0s, b1s)  # (S, 2, 2)
    pr = _expit(b0s[:, None] + b1s[:, None] * cand[None, :])  # (S, K)
    w = pr * (1.0 - pr)
    add = np.stack([np.stack([w, w * cand], -1), np.stack([w * cand, w * cand * cand], -1)], -2)  # (S, K, 2, 2)
    cap = high - low
    chosen = []
    for _ in range(size):
        trial = m[:, None] + add
        hw = np.minimum(fieller_half_width((b0s - lp)[:, None], b1s[:, None], _inverse(trial)), cap)
        k = int(np.argmin(hw.mean(0)))
        chosen.append(cand[k])
        m = m + add[:, k]
    return np.sort(np.array(chosen))


# ------------------------------------------------------------------------------ oracle
def _fit_expected(levels: np.ndarray, weights: np.ndarray, probs: np.ndarray) -> np.ndarray | None:
    """The logistic coefficients a very large sample of the design would give: the root of the
    score equations ``sum w_i (P_i - expit(b0 + b1 x_i)) f_i = 0`` (Newton, from the line through
    the logits). None when the design cannot fit a slope (one level)."""
    x, w, q = (np.asarray(a, float) for a in (levels, weights, probs))
    keep = w > 0
    x, w, q = x[keep], w[keep], np.clip(q[keep], 1e-6, 1 - 1e-6)
    if np.unique(x).size < 2:
        return None
    f = np.column_stack([np.ones_like(x), x])
    lq = np.log(q / (1 - q))
    b = np.linalg.lstsq(f * np.sqrt(w)[:, None], lq * np.sqrt(w), rcond=None)[0]
    for _ in range(100):
        pr = _expit(f @ b)
        score = f.T @ (w * (q - pr))
        info = (f * (w * pr * (1 - pr))[:, None]).T @ f
        step = np.linalg.solve(info, score)
        b = b + step
        if np.max(np.abs(step)) < 1e-12:
            break
    return b


def runs_needed(levels: np.ndarray, weights: np.ndarray, probs: np.ndarray, half_width: float, p: float = 0.5) -> float:
    """Runs (in all) a design needs for a 95 % Fieller half-width of ``half_width`` when the true
    probability at ``levels`` is ``probs`` and a share ``weights`` of the runs goes to each level.

    The fit is the expected-data fit (:func:`_fit_expected`); its covariance with n runs is
    ``M^-1 / n`` (M the information per run at the fitted coefficients, as the fit itself would
    report it); n solves Fieller half-width = ``half_width``. inf when the design cannot get there
    (flat fit)."""
    w = np.asarray(weights, float) / np.sum(weights)
    b = _fit_expected(levels, w, probs)
    if b is None or b[1] == 0:
        return math.inf
    m1 = information(np.asarray(levels, float), w, np.array(b[0]), np.array(b[1]))
    v1 = _inverse(m1)
    a0 = b[0] - math.log(p / (1 - p))

    def hw(n: float) -> float:
        return float(fieller_half_width(a0, b[1], v1 / n))

    lo, hi = 1.0, 2.0
    while hw(hi) > half_width:
        lo, hi = hi, hi * 2
        if hi > 1e9:
            return math.inf
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if hw(mid) > half_width else (lo, mid)
    return hi


@dataclass(frozen=True)
class OracleDesign:
    """The best two-level design for a known curve: ``levels`` (a, c), the share ``weight`` of the
    runs at a, the ``runs`` it needs in all, and ``x`` the critical level its fit estimates."""

    levels: tuple[float, float]
    weight: float
    runs: float
    x: float


def oracle_two_point(
    levels: np.ndarray, probs: np.ndarray, half_width: float, p: float = 0.5, shares: int = 19
) -> OracleDesign:
    """The two-level design (any pair of ``levels``, run shares 5 %, 10 %, ..., 95 % at the lower)
    that needs the fewest runs for ``half_width`` when the true probabilities at ``levels`` are
    ``probs`` (as :func:`runs_needed`), among the pairs whose probabilities bracket ``p``. Two
    levels are the fewest that still estimate the slope; for a logistic curve the locally
    c-optimal design for x_p that does so is a two-level one. With two levels the fit is exact (the
    line through the two logits), so every candidate is evaluated at once."""
    x = np.asarray(levels, float)
    q = np.clip(np.asarray(probs, float), 1e-6, 1 - 1e-6)
    i, j = np.triu_indices(x.size, 1)
    keep = (q[i] - p) * (q[j] - p) < 0  # a pair that does not bracket the target only extrapolates
    i, j = i[keep], j[keep]
    if i.size == 0:
        return OracleDesign((math.nan, math.nan), math.nan, math.inf, math.nan)
    s = np.linspace(0.05, 0.95, shares)
    i, j, s = _pairs(i, j, s)
    la, lc = np.log(q[i] / (1 - q[i])), np.log(q[j] / (1 - q[j]))
    b1 = (lc - la) / (x[j] - x[i])
    b0 = la - b1 * x[i]
    wa, wc = s * q[i] * (1 - q[i]), (1 - s) * q[j] * (1 - q[j])
    m = np.empty((s.size, 2, 2))
    m[:, 0, 0] = wa + wc
    m[:, 0, 1] = m[:, 1, 0] = wa * x[i] + wc * x[j]
    m[:, 1, 1] = wa * x[i] ** 2 + wc * x[j] ** 2
    v1 = _inverse(m)
    a0 = b0 - math.log(p / (1 - p))
    lo, hi = np.zeros(s.size), np.full(s.size, 1e9)
    for _ in range(80):  # bisection on log n, all designs at once
        mid = np.sqrt(np.maximum(lo, 1.0) * hi)
        wide = fieller_half_width(a0, b1, v1 / mid[:, None, None]) > half_width
        lo, hi = np.where(wide, mid, lo), np.where(wide, hi, mid)
    k = int(np.argmin(hi))
    if hi[k] >= 1e9:
        return OracleDesign((math.nan, math.nan), math.nan, math.inf, math.nan)
    return OracleDesign((float(x[i[k]]), float(x[j[k]])), float(s[k]), float(hi[k]), float(-a0[k] / b1[k]))


def _pairs(i: np.ndarray, j: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (pair, share) combination, flattened."""
    return np.repeat(i, s.size), np.repeat(j, s.size), np.tile(s, i.size)


# ------------------------------------------------------------------------------ the floor under every design
@dataclass(frozen=True)
class ShoulderedCurve:
    """``P(x) = floor + (ceiling - floor) expit(slope (x - mid))``: a logistic rise between two
    shoulders (the four-parameter logistic of bioassay). ``deviance`` and ``gof_pvalue``: the fit's
    deviance against the saturated model and its chi-squared p-value (levels - 4 degrees of freedom)."""

    floor: float
    ceiling: float
    slope: float
    mid: float
    deviance: float = math.nan
    gof_pvalue: float = math.nan

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.floor + (self.ceiling - self.floor) * _expit(self.slope * (np.asarray(x, float) - self.mid))

    def derivative(self, x: np.ndarray) -> np.ndarray:
        e = _expit(self.slope * (np.asarray(x, float) - self.mid))
        return (self.ceiling - self.floor) * self.slope * e * (1.0 - e)

    def level(self, p: float = 0.5) -> float:
        """The level at which P = p (nan when p is not between the shoulders)."""
        u = (p - self.floor) / (self.ceiling - self.floor)
        if not 0.0 < u < 1.0:
            return math.nan
        return self.mid + math.log(u / (1.0 - u)) / self.slope


def fit_shouldered(levels: np.ndarray, successes: np.ndarray, trials: np.ndarray) -> ShoulderedCurve:
    """Maximum-likelihood fit of :class:`ShoulderedCurve` to counts per level (binomial
    likelihood, scipy's bounded L-BFGS-B from a grid of starting points; the rise is increasing,
    0 <= floor < ceiling <= 1). Needs at least five levels, so that the goodness of fit has a
    degree of freedom."""
    from scipy import optimize

    x, k, n = (np.asarray(a, float) for a in (levels, successes, trials))
    keep = n > 0
    x, k, n = x[keep], k[keep], n[keep]
    if np.unique(x).size < 5:
        raise ValueError(f"fit_shouldered needs runs at 5 or more levels, not {np.unique(x).size}")
    span = float(x.max() - x.min())

    def nll(th: np.ndarray) -> float:
        pr = np.clip(ShoulderedCurve(*th)(x), 1e-12, 1 - 1e-12)
        return float(-(k * np.log(pr) + (n - k) * np.log1p(-pr)).sum())

    rate = k / n
    bounds = [(0.0, 1.0), (0.0, 1.0), (1e-3 / span, 100.0 / span), (x.min() - span, x.max() + span)]
    best = None
    for mid in np.linspace(x.min(), x.max(), 9):
        for slope in (1.0 / span, 4.0 / span, 16.0 / span):
            start = [max(0.0, rate.min() - 0.01), min(1.0, rate.max() + 0.01), slope, mid]
            r = optimize.minimize(nll, start, method="L-BFGS-B", bounds=bounds)
            if r.x[1] > r.x[0] and (best is None or r.fun < best.fun):
                best = r
    if best is None:
        raise ValueError("fit_shouldered: no increasing rise fits these counts")
    curve = ShoulderedCurve(*(float(v) for v in best.x))
    pr = np.clip(curve(x), 1e-12, 1 - 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = 2.0 * float(
            np.sum(
                np.where(k > 0, k * np.log(k / (n * pr)), 0.0)
                + np.where(n > k, (n - k) * np.log((n - k) / (n * (1 - pr))), 0.0)
            )
        )
    df = x.size - 4
    return ShoulderedCurve(*(float(v) for v in best.x), deviance=dev, gof_pvalue=float(stats.chi2.sf(dev, df)))


def shouldered_runs_needed(
    curve: ShoulderedCurve,
    levels: np.ndarray,
    weights: np.ndarray,
    half_width: float,
    p: float = 0.5,
    z: float = Z95,
) -> float:
    """Runs (in all) a design needs for a 95 % delta-method half-width ``half_width`` of the level
    where P = p when the four parameters of ``curve`` (the truth) are all estimated: n runs with a
    share ``weights`` at each of ``levels`` give (floor, ceiling, slope, mid) the covariance
    ``M^-1 / n``, ``M = sum w_i J_i J_i' / (P_i (1 - P_i))`` with ``J_i = dP_i / d(parameters)``,
    and x_p = mid + logit(u) / slope, u = (p - floor) / (ceiling - floor), its variance
    ``g' M^-1 g / n``. inf when the design cannot estimate four parameters (fewer than four
    levels) or p is not between the shoulders."""
    f, c, b, m = curve.floor, curve.ceiling, curve.slope, curve.mid
    u = (p - f) / (c - f)
    if not 0.0 < u < 1.0:
        return math.inf
    x = np.asarray(levels, float)
    w = np.asarray(weights, float) / np.sum(weights)
    e = _expit(b * (x - m))
    pr = np.clip(f + (c - f) * e, 1e-12, 1 - 1e-12)
    rise = (c - f) * e * (1.0 - e)
    jac = np.stack([1.0 - e, e, rise * (x - m), -rise * b])  # dP / d(floor, ceiling, slope, mid)
    info = (jac * (w / (pr * (1.0 - pr)))) @ jac.T
    if np.linalg.matrix_rank(info) < 4:
        return math.inf
    du = u * (1.0 - u) * (c - f) ** 2 * b
    grad = np.array([(p - c) / du, -(p - f) / du, -math.log(u / (1.0 - u)) / b**2, 1.0])
    return float(z * z * grad @ np.linalg.solve(info, grad) / half_width**2)


def location_bound(curve, levels: np.ndarray, half_width: float, z: float = Z95) -> tuple[float, float]:
    """``(runs, level)``: the fewest runs for a 95 % half-width ``half_width`` of the critical level
    when everything about the true curve ``curve`` (a :class:`ShoulderedCurve`, or anything with
    ``__call__`` and ``derivative``) is known except where it lies (a shift of the whole curve), and
    every run goes to the candidate ``level`` where one run says most about the shift.

    A binomial run at x carries Fisher information ``P'(x)² / (P (1 - P))`` about the shift, so n
    runs there give a standard error of ``1 / sqrt(n I(x))`` and the half-width ``z / sqrt(n I)``:
    ``runs = z² / (h² max I)``. Every real design must also learn the rest of the curve and find
    the level first, so it needs more (for the logistic ``expit(b (x - m))`` this is the
    known-slope bound ``4 z² / (b² h²)`` at x = m)."""
    x = np.asarray(levels, float)
    pr = np.clip(curve(x), 1e-12, 1 - 1e-12)
    info = curve.derivative(x) ** 2 / (pr * (1.0 - pr))
    k = int(np.argmax(info))
    if info[k] <= 0:
        return math.inf, math.nan
    return float(z * z / (half_width * half_width * info[k])), float(x[k])
