"""The method of simulated moments on a response surface.

Given runs at design points θ_i (each with the same R replicate seeds: common random numbers)
and their moment vectors, and target moments m*:

1. **Surface.** Each moment's mean over replicates is fitted by least squares as a quadratic in
   the parameters scaled to the stage's box (u in [0, 1]^k; constant, linear, squared and cross
   terms). CRN make the surface smooth in θ even though each run is discrete.
2. **Weights.** Σ, the covariance of one run's moment vector, is the pooled covariance of the
   replicates about their point means (N (R - 1) degrees of freedom); W = diag(Σ)^-1, each moment
   in units of its own run-to-run SD. Not the "efficient" Σ^-1: with correlated moments (the
   inland share in successive years) an estimated Σ^-1 leans on small differences between moments
   whose noise it underrates, and its sandwich intervals were too narrow (Altonji & Segal 1996,
   J. Business & Economic Statistics 14(3): 353-366, on estimated optimal weights in small
   samples). Measured over seeded recoveries (``benchmarks/bench_calibration_coverage.py``,
   docs/calibration.md): with Σ^-1 the SD of (θ̂ - θ0) / SE was 1.4-1.5 and 21 of 26 intervals
   covered; with diag(Σ)^-1 1.0-1.2 and 25 of 26.
3. **Estimate.** θ̂ minimises (s(θ) - m*)' W (s(θ) - m*) over the box (scipy.optimize.least_squares,
   trust-region reflective, started from the three best design points).
4. **Intervals.** With G = ds/dθ at θ̂ (from the surface) and A = (G'WG)^-1 G'W, the covariance
   of θ̂ is A Ω A' with Ω = (1 + 1/R) Σ + V (the MSM sandwich for any W: McFadden 1989;
   Gouriéroux & Monfort 1996, ch. 2): the observed moments are one realisation (Σ), the simulated
   ones a mean of R (Σ / R), and V = x(θ̂)'(X'X)^-1 x(θ̂) S is the surface's prediction error at θ̂
   (S: covariance of the point means about the surface). 95 % intervals are θ̂ ± 1.96 SE. With more
   moments than parameters, J = r' (M Ω M')^+ r with r = s(θ̂) - m* and M = I - G A (Hansen's test
   for a non-optimal W) is chi² with p - k df.
5. **Identification.** S_ij = G_ij (high_j - low_j) / sd_i is how many standard deviations
   moment i moves across parameter j's range; a parameter is *pinned down* when its interval
   is under half its range, *weakly identified* when wider, *not identified* when G' Σ^-1 G is
   singular (no moment responds to it, or fewer moments than parameters).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, stats

from clustersim.sweep.report.stats import Z95


def features(u: np.ndarray) -> np.ndarray:
    """Quadratic features of scaled parameters u (n x k): 1, u_j, u_j², u_j u_l (j < l)."""
    u = np.atleast_2d(u)
    cols = [np.ones(len(u)), *u.T, *(u.T ** 2)]
    cols += [u[:, j] * u[:, m] for j, m in itertools.combinations(range(u.shape[1]), 2)]
    return np.column_stack(cols)


def feature_gradient(u: np.ndarray) -> np.ndarray:
    """d features / d u at one point u (k,): (n_features x k)."""
    k = len(u)
    rows = [np.zeros(k)]
    rows += [np.eye(k)[j] for j in range(k)]
    rows += [2 * u[j] * np.eye(k)[j] for j in range(k)]
    for j, m in itertools.combinations(range(k), 2):
        g = np.zeros(k)
        g[j], g[m] = u[m], u[j]
        rows.append(g)
    return np.array(rows)


class ConstantMoment(ValueError):
    """Some moments take the same value in every replicate: the model does not move them here."""

    def __init__(self, moments: list[str], low: float, high: float):
        self.moments, self.low, self.high = moments, low, high
        super().__init__(f"moments {moments} do not vary between replicates (values {low:g} to {high:g})")


def n_features(k: int) -> int:
    return 1 + 2 * k + k * (k - 1) // 2


@dataclass
class Estimate:
    names: list[str]
    moments: list[str]
    theta: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    low: np.ndarray  # interval
    high: np.ndarray
    target: np.ndarray
    simulated: np.ndarray
    sd: np.ndarray
    sensitivity: np.ndarray  # S (p x k)
    status: list[str]
    j_stat: float | None
    j_df: int
    j_pvalue: float | None
    replicates: int
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self) -> list[dict[str, Any]]:
        return [{"parameter": n, "estimate": float(t), "se": float(s), "low95": float(lo), "high95": float(hi),
                 "identification": st}
                for n, t, s, lo, hi, st in zip(self.names, self.theta, self.se, self.low, self.high, self.status,
                                               strict=True)]

    def fit(self) -> list[dict[str, Any]]:
        scale = self.sd * np.sqrt(1 + 1 / self.replicates)
        return [{"moment": m, "target": float(t), "simulated": float(s), "sd_one_run": float(d),
                 "z": float((s - t) / sc) if sc > 0 else float("nan")}
                for m, t, s, d, sc in zip(self.moments, self.target, self.simulated, self.sd, scale, strict=True)]


def estimate(names: list[str], lo: np.ndarray, hi: np.ndarray, full_lo: np.ndarray, full_hi: np.ndarray,
             theta: np.ndarray, point: np.ndarray, values: np.ndarray, target: np.ndarray,
             moments: list[str]) -> Estimate:
    """MSM estimate from runs: ``theta`` (n x k) parameter values, ``point`` (n,) design point of
    each run, ``values`` (n x p) its moments; ``lo``/``hi`` the stage's box, ``full_lo``/``full_hi``
    the parameters' ranges (for identification)."""
    k, p = len(names), len(moments)
    points, inverse = np.unique(point, return_inverse=True)
    counts = np.bincount(inverse)
    replicates = int(counts.min())
    if replicates < 2:
        raise ValueError("every design point needs at least 2 replicates to estimate the moments' covariance")
    if len(points) < n_features(k) + 1:
        raise ValueError(f"{len(points)} design points cannot fit a quadratic surface in {k} parameters "
                         f"(at least {n_features(k) + 1} needed)")
    means = np.zeros((len(points), p))
    np.add.at(means, inverse, values)
    means /= counts[:, None]
    th = np.zeros((len(points), k))
    th[inverse] = theta
    resid = values - means[inverse]
    sigma = resid.T @ resid / (len(values) - len(points))
    sd = np.sqrt(np.diag(sigma))
    if np.any(sd <= 0):
        flat = [m for m, s in zip(moments, sd, strict=True) if s <= 0]
        raise ConstantMoment(flat, float(means[:, sd <= 0].min()), float(means[:, sd <= 0].max()))
    span = hi - lo
    u = (th - lo) / span
    x_design = features(u)
    coef, *_ = np.linalg.lstsq(x_design, means, rcond=None)  # (n_features x p)
    lack = means - x_design @ coef
    s_res = lack.T @ lack / max(len(points) - x_design.shape[1], 1)  # point means about the surface
    # W = diag(Σ)^-1: each moment in units of its run-to-run SD (module docstring, step 2)
    def residual(v: np.ndarray) -> np.ndarray:
        sim = features(v) @ coef
        return (sim[0] - target) / sd

    def jac(v: np.ndarray) -> np.ndarray:
        dsim = (feature_gradient(v).T @ coef).T  # p x k
        return dsim / sd[:, None]

    starts = np.argsort([residual(x) @ residual(x) for x in u])[:3]
    best = None
    for i in starts:
        sol = optimize.least_squares(residual, u[i], jac=jac, bounds=(0.0, 1.0), method="trf")
        if best is None or sol.cost < best.cost:
            best = sol
    v_hat = best.x
    theta_hat = lo + v_hat * span
    simulated = (features(v_hat) @ coef)[0]
    g = (feature_gradient(v_hat).T @ coef).T / span  # p x k, per unit of θ
    weight = np.diag(1 / sd**2)
    info = g.T @ weight @ g
    full = full_hi - full_lo
    scaled_info = info * np.outer(full, full)
    eig = np.linalg.eigvalsh(scaled_info)
    singular = p < k or eig.min() <= 1e-9 * max(eig.max(), 1e-300)
    j_df = p - k
    j_stat = None
    if singular:
        cov = np.full((k, k), np.inf)
        se = np.full(k, np.inf)
    else:
        # the data's noise (Σ), the simulated mean's (Σ / R) and the surface's prediction error at θ̂
        x_hat = features(v_hat)[0]
        v_fit = float(x_hat @ np.linalg.pinv(x_design.T @ x_design) @ x_hat) * s_res
        omega = (1 + 1 / replicates) * sigma + v_fit
        a = np.linalg.solve(info, g.T @ weight)
        cov = a @ omega @ a.T
        se = np.sqrt(np.diag(cov))
        if j_df > 0:
            m = np.eye(p) - g @ a
            r_raw = simulated - target
            j_stat = float(r_raw @ np.linalg.pinv(m @ omega @ m.T, hermitian=True) @ r_raw)
    low, high = theta_hat - Z95 * se, theta_hat + Z95 * se
    status = []
    for j in range(k):
        if not np.isfinite(se[j]):
            status.append("not identified")
        elif 2 * Z95 * se[j] < 0.5 * full[j]:
            status.append("pinned down")
        else:
            status.append("weakly identified")
    j_p = float(stats.chi2.sf(j_stat, j_df)) if j_stat is not None else None
    sens = g * full[None, :] / sd[:, None]
    at_bound = [names[j] for j in range(k)
                if np.isclose(theta_hat[j], full_lo[j]) or np.isclose(theta_hat[j], full_hi[j])]
    return Estimate(names=list(names), moments=list(moments), theta=theta_hat, se=se, cov=cov, low=low, high=high,
                    target=np.asarray(target, float), simulated=simulated, sd=sd, sensitivity=sens, status=status,
                    j_stat=j_stat, j_df=j_df, j_pvalue=j_p, replicates=replicates,
                    extra={"points": len(points), "runs": len(values), "at_range_bound": at_bound,
                           "information_eigenvalues_range_scaled": eig.tolist()})
