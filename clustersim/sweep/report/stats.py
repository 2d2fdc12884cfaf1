"""Statistics of a sweep's results: intervals (Wilson, bootstrap percentile, Student t, Newcombe, Welch,
order-statistic median) and the tables they fill (grid cells, packages, differences from a baseline, bins of a
range, Morris / Sobol indices). Numbers only: no formatting, no prose."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975): two-sided 95 % normal quantile
GRID_MEANS = ("final_share", "net_fiscal_return")
PACKAGE_PANELS = (  # column stem, panel title, unit kind
    ("jobs", "jobs gained", "count"),
    ("incentives_paid", "incentives paid", "money"),
    ("extra_revenue", "extra revenue", "money"),
    ("net_fiscal_return", "net fiscal return", "money"),
    ("cost_per_job", "cost per job", "money"),
)
BASELINE_PANELS = (  # differences from the baseline package: column stem, what is compared, unit kind
    ("jobs", "jobs gained", "count"),
    ("extra_revenue", "extra revenue", "money"),
    ("net_fiscal_return", "net fiscal return", "money"),
)
PACKAGE_MEANS = tuple(stem for stem, _, _ in PACKAGE_PANELS)
CELL_MEANS = (*GRID_MEANS, *(m for m in PACKAGE_MEANS if m not in GRID_MEANS))  # every cell of a grid
BASELINE_MEANS = tuple(stem for stem, _, _ in BASELINE_PANELS)
RANGE_BINS = 4  # range designs: the take-off probability in this many equal-width bins of the first factor
SENSITIVITY_OUTCOMES = ("final_share", "took_off", "net_fiscal_return")
MONEY = frozenset({"incentives_paid", "extra_revenue", "net_fiscal_return", "cost_per_job", "focal_balance"})
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20240917  # fixed, so the SALib confidence intervals (bootstrap) are reproducible
MEAN_RESAMPLES = 9999  # bootstrap resamples for the interval of a mean across runs
MEAN_SEED = 20261206  # fixed, so every mean's bootstrap interval is reproducible (the same for the same values)


# ------------------------------------------------------------------------------ statistics
def wilson_interval(k: Any, n: Any, z: float = Z95) -> tuple[Any, Any]:
    """Wilson score interval for a binomial proportion ``k / n`` (scalars or arrays).

    With ``p = k / n``::

        centre = (p + z² / (2n)) / (1 + z² / n)
        half   = z / (1 + z² / n) · sqrt(p (1 - p) / n + z² / (4 n²))

    and the interval ``[centre - half, centre + half]``, which stays inside [0, 1] and is not
    degenerate at k = 0 or k = n (unlike the Wald interval). ``(nan, nan)`` where ``n == 0``.
    """
    k_arr, n_arr = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    if np.any(k_arr < 0) or np.any(k_arr > n_arr):
        raise ValueError(f"need 0 <= k <= n, got k = {k!r}, n = {n!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k_arr / n_arr
        shrink = 1.0 + z * z / n_arr
        centre = (p + z * z / (2.0 * n_arr)) / shrink
        half = z / shrink * np.sqrt(p * (1.0 - p) / n_arr + z * z / (4.0 * n_arr * n_arr))
    low, high = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def _finite_mean(values: Any) -> tuple[np.ndarray, float, tuple[float, float, float, int] | None]:
    """The finite ``values``, their mean, and the whole answer of an interval function when there
    are fewer than two of them (``(nan, nan, nan, 0)`` or ``(mean, nan, nan, 1)``), else None."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return x, math.nan, (math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    return x, mean, ((mean, math.nan, math.nan, 1) if x.size == 1 else None)


def t_interval(values: Any) -> tuple[float, float, float, int]:
    """``(mean, low, high, n)``: mean of the finite ``values`` with the 95 % Student t interval
    ``mean ± t(0.975, n - 1) · s / sqrt(n)`` (s the sample standard deviation, ddof 1).
    Non-finite values (e.g. cost per job of a run without jobs) are left out and not counted in n.
    The bounds are nan when n < 2; everything is nan when n == 0."""
    from scipy.stats import t

    x, mean, early = _finite_mean(values)
    if early is not None:
        return early
    n = int(x.size)
    half = float(t.ppf(0.975, n - 1)) * float(x.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half, n


def bootstrap_interval(values: Any, *, n_resamples: int = MEAN_RESAMPLES,
                       seed: int = MEAN_SEED) -> tuple[float, float, float, int]:
    """``(mean, low, high, n)``: mean of the finite ``values`` with the 95 % bootstrap percentile
    interval (:func:`scipy.stats.bootstrap`, ``method="percentile"``, ``n_resamples`` resamples drawn
    with a generator seeded by ``seed``): the 2.5 % and 97.5 % quantiles of the means of resamples of
    the runs drawn with replacement.

    Every resample mean lies between the smallest and largest value, so the interval respects the
    outcome's support (never below 0 for amounts that cannot be negative, inside [0, 1] for shares)
    and follows its skew, unlike the symmetric t interval. Non-finite values (e.g. cost per job of a
    run without jobs) are left out and not counted in n. Bounds nan when n < 2 (everything nan when
    n == 0); ``[mean, mean]`` when all values are equal."""
    from scipy.stats import bootstrap

    x, mean, early = _finite_mean(values)
    if early is not None:
        return early
    n = int(x.size)
    if np.ptp(x) == 0.0:  # the mean of equal values is that value (the float sum can round it)
        return float(x[0]), float(x[0]), float(x[0]), n
    res = bootstrap((x,), np.mean, n_resamples=n_resamples, confidence_level=0.95, method="percentile",
                    vectorized=True, rng=np.random.default_rng(seed))
    # a resampled mean of equal values can round one ulp outside them: clip to [min, max], where it lies exactly
    low, high = np.clip([res.confidence_interval.low, res.confidence_interval.high], x.min(), x.max())
    return mean, float(low), float(high), n


def newcombe_interval(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> tuple[float, float, float]:
    """``(d, low, high)``: the difference ``d = p1 - p2`` of two independent proportions
    ``p1 = k1 / n1``, ``p2 = k2 / n2`` with Newcombe's hybrid score interval (Newcombe 1998,
    Statistics in Medicine 17:873, method 10), built from the two Wilson intervals
    ``[l1, u1]``, ``[l2, u2]`` (:func:`wilson_interval`)::

        low  = d - sqrt((p1 - l1)² + (u2 - p2)²)
        high = d + sqrt((u1 - p1)² + (p2 - l2)²)

    It stays inside [-1, 1] and is not degenerate at 0 or n successes. All nan when n1 or n2 is 0."""
    if n1 <= 0 or n2 <= 0:
        return math.nan, math.nan, math.nan
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, z)
    l2, u2 = wilson_interval(k2, n2, z)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def welch_interval(x: Any, y: Any) -> tuple[float, float, float, float]:
    """``(d, low, high, df)``: the difference ``d = mean(x) - mean(y)`` of the means of two
    independent samples (finite values only) with Welch's 95 % interval ``d ± t(0.975, df) · se``::

        se = sqrt(s_x² / n_x + s_y² / n_y)
        df = se⁴ / ((s_x² / n_x)² / (n_x - 1) + (s_y² / n_y)² / (n_y - 1))   (Welch-Satterthwaite)

    (s the sample standard deviations, ddof 1). Bounds and df are nan when either sample has fewer
    than 2 values; everything is nan when either is empty. When both samples are constant the
    interval is ``[d, d]`` and df is nan."""
    from scipy.stats import t

    a, b = (np.asarray(v, dtype=float) for v in (x, y))
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 or b.size == 0:
        return math.nan, math.nan, math.nan, math.nan
    d = float(a.mean()) - float(b.mean())
    if a.size < 2 or b.size < 2:
        return d, math.nan, math.nan, math.nan
    va, vb = float(a.var(ddof=1)) / a.size, float(b.var(ddof=1)) / b.size
    if va + vb == 0.0:
        return d, d, d, math.nan
    df = (va + vb) ** 2 / (va * va / (a.size - 1) + vb * vb / (b.size - 1))
    half = float(t.ppf(0.975, df)) * math.sqrt(va + vb)
    return d, d - half, d + half, df


def median_interval(values: Any) -> tuple[float, float, float]:
    """``(median, low, high)`` of ``values`` (``inf`` allowed, e.g. "never paid back") with the
    distribution-free interval ``[x(j), x(n+1-j)]`` of the order statistics, j the largest whole
    number with ``2 · P(Binomial(n, 1/2) <= j - 1) <= 0.05`` (coverage >= 95 %). Bounds are nan when
    no such j exists (n < 6); all nan for no values."""
    from scipy.stats import binom

    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, math.nan
    median = float(np.median(x))  # +inf ("never") sorts last: the median is inf when half or more are inf
    j = 0
    while j + 1 <= n // 2 and 2.0 * float(binom.cdf(j, n, 0.5)) <= 0.05:
        j += 1
    if j == 0:
        return median, math.nan, math.nan
    return median, float(x[j - 1]), float(x[n - j])


def ok_mask(results: pd.DataFrame) -> pd.Series:
    """True for successful runs: ``status == "ok"``; every row when there is no ``status`` column
    (a table from ``load_results`` without failed runs)."""
    if "status" not in results.columns:
        return pd.Series(True, index=results.index)
    return results["status"].astype(str).eq("ok")


def _took_off(ok_rows: pd.DataFrame) -> np.ndarray:
    col = ok_rows["took_off"]
    if col.isna().any():
        raise ValueError("a successful run has no took_off value")
    return col.astype(bool).to_numpy()


def _proportion_columns(prefix: str, k: int, n: int) -> dict[str, float]:
    low, high = wilson_interval(k, n)
    return {prefix: k, f"p_{prefix}": k / n if n else math.nan, f"p_{prefix}_low": low, f"p_{prefix}_high": high}


def _mean_columns(name: str, values: Any) -> dict[str, float]:
    mean, low, high, n = bootstrap_interval(values)
    return {f"{name}_mean": mean, f"{name}_low": low, f"{name}_high": high, f"{name}_n": n}


def _group_row(group: pd.DataFrame, good: pd.DataFrame, means: Sequence[str], *,
               payback: bool = False) -> dict[str, Any]:
    """Run counts of ``group`` (``good``: its successful runs), take-off probability with its Wilson
    interval (with a ``took_off`` column), bootstrap intervals of the ``means`` present and, with
    ``payback`` and a ``payback_year`` column, :func:`payback_columns`."""
    row: dict[str, Any] = {"n_runs": len(group), "n_ok": len(good), "n_failed": len(group) - len(good)}
    if "took_off" in group.columns:
        row.update(_proportion_columns("took_off", int(_took_off(good).sum()), len(good)))
    for name in means:
        if name in group.columns:
            row.update(_mean_columns(name, good[name]))
    if payback and "payback_year" in group.columns:
        row.update(payback_columns(good))
    return row


def payback_columns(good: pd.DataFrame) -> dict[str, Any]:
    """Payback of successful runs ``good``: among runs that paid any incentive, ``payback_eligible``
    (their number), ``paid_back`` (k) and its share with Wilson bounds (``p_paid_back*``), and the
    median payback year (never = later than any year, so the median is ``inf`` when most runs never
    pay back) with its order-statistic interval (``payback_year_median/_low/_high``)."""
    paying = good[good["incentives_paid"].astype(float) > 0] if "incentives_paid" in good.columns else good
    years = paying["payback_year"].astype(float).to_numpy()
    row: dict[str, Any] = {"payback_eligible": len(paying)}
    row.update(_proportion_columns("paid_back", int(np.isfinite(years).sum()), len(paying)))
    median, low, high = median_interval(np.where(np.isfinite(years), years, np.inf))
    row.update(payback_year_median=median, payback_year_low=low, payback_year_high=high)
    return row


def summarise(results: pd.DataFrame, by: Sequence[str], means: Sequence[str] = GRID_MEANS, *,
              payback: bool = False) -> pd.DataFrame:
    """One row per combination of the ``by`` columns (sorted by value): ``n_runs``, ``n_ok``,
    ``n_failed``; with a ``took_off`` column, ``took_off`` (k), ``p_took_off`` and its Wilson bounds
    ``p_took_off_low/high``; for each of ``means`` present, ``<name>_mean/_low/_high/_n``
    (:func:`bootstrap_interval`); with ``payback``, :func:`payback_columns`."""
    results = results.reset_index(drop=True)
    ok = ok_mask(results)
    rows = []
    for key, group in results.groupby(list(by), sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key, strict=True)),
                     **_group_row(group, group[ok.loc[group.index]], means, payback=payback)})
    return pd.DataFrame(rows)


def take_off_table(results: pd.DataFrame, x: str, y: str | None = None, extra: Sequence[str] = ()) -> pd.DataFrame:
    """The grid table: :func:`summarise` over ``x`` (and ``y``) with the mean final share, net fiscal
    return, jobs, incentives paid, extra revenue and cost per job (:data:`CELL_MEANS`), the ``extra``
    outcomes' means, and payback; any other factor is pooled."""
    means = [*CELL_MEANS, *(o for o in extra if o not in CELL_MEANS)]
    return summarise(results, [x] if y is None else [x, y], means, payback=True)


def package_table(results: pd.DataFrame, package: str = "package", order: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per package (in ``order``, default first appearance), pooled over any other factor:
    run counts; take-off probability with its Wilson interval; mean and bootstrap interval of jobs,
    incentives paid, extra revenue, net fiscal return and cost per job (runs with jobs gained only);
    payback: among runs that paid any incentive, ``paid_back`` (k) and its share with Wilson bounds
    (``p_paid_back*``), and the median payback year (never = later than any year, so the median is
    ``inf`` when most runs never pay back) with its order-statistic interval."""
    results = results.reset_index(drop=True)
    ok = ok_mask(results)
    packages = results[package].astype(str)
    names = list(order) if order is not None else list(dict.fromkeys(packages))
    rows = []
    for name in names:
        group = results[packages == name]
        good = group[ok.loc[group.index]]
        rows.append({package: name, **_group_row(group, good, PACKAGE_MEANS, payback=True)})
    return pd.DataFrame(rows)


def baseline_table(results: pd.DataFrame, baseline: str, package: str = "package",
                   order: Sequence[str] | None = None) -> pd.DataFrame:
    """Each package other than ``baseline`` (in ``order``, default first appearance) against the
    baseline package, over successful runs pooled over any other factor: ``n_ok`` and
    ``baseline_n_ok``; with ``took_off``, the difference of take-off probabilities
    ``took_off_diff`` (package minus baseline) with Newcombe's interval ``took_off_diff_low/high``
    (:func:`newcombe_interval`); for each of :data:`BASELINE_MEANS` present, the difference of means
    ``<name>_diff`` with Welch's interval ``<name>_diff_low/high`` and its ``<name>_diff_df``
    (:func:`welch_interval`). Runs of different packages have different seeds, so the two samples
    are independent. ValueError if ``baseline`` is not a package of ``results``."""
    results = results.reset_index(drop=True)
    names = list(order) if order is not None else list(dict.fromkeys(results[package].astype(str)))
    if baseline not in names:
        raise ValueError(f"baseline package {baseline!r} is not one of {', '.join(names)}")
    good = results[ok_mask(results)]
    good_names = good[package].astype(str)
    by_name = {name: good[good_names == name] for name in names}
    base = by_name[baseline]
    rows = []
    for name in names:
        if name == baseline:
            continue
        group = by_name[name]
        row: dict[str, Any] = {package: name, "n_ok": len(group), "baseline_n_ok": len(base)}
        if "took_off" in results.columns:
            d, low, high = newcombe_interval(int(_took_off(group).sum()), len(group),
                                             int(_took_off(base).sum()), len(base))
            row.update(took_off_diff=d, took_off_diff_low=low, took_off_diff_high=high)
        for outcome in BASELINE_MEANS:
            if outcome in results.columns:
                d, low, high, df = welch_interval(group[outcome], base[outcome])
                row.update({f"{outcome}_diff": d, f"{outcome}_diff_low": low, f"{outcome}_diff_high": high,
                            f"{outcome}_diff_df": df})
        rows.append(row)
    return pd.DataFrame(rows)


def binned_table(results: pd.DataFrame, x: str, low: float, high: float, bins: int = RANGE_BINS) -> pd.DataFrame:
    """:func:`summarise` over ``bins`` equal-width bins of ``x`` on ``[low, high]`` (each bin closed
    on the left, the last also on the right; values outside are an error): columns ``bin`` (0-based),
    ``bin_low``, ``bin_high``, then the counts, take-off probability with its Wilson interval and the
    means of :data:`GRID_MEANS`. Every bin has a row, with ``n_runs = 0`` where no run fell in it."""
    if not (math.isfinite(low) and math.isfinite(high) and low < high) or bins < 1:
        raise ValueError(f"need finite low < high and bins >= 1, got {low!r}, {high!r}, {bins!r}")
    values = results[x].astype(float).to_numpy()
    if np.any(values < low) or np.any(values > high) or np.isnan(values).any():
        raise ValueError(f"{x}: values outside [{low:g}, {high:g}]")
    edges = np.linspace(low, high, bins + 1)
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    table = summarise(results.assign(bin=index), ["bin"])
    full = pd.DataFrame({"bin": np.arange(bins), "bin_low": edges[:-1], "bin_high": edges[1:]})
    table = full.merge(table, on="bin", how="left")
    for col in ("n_runs", "n_ok", "n_failed"):
        table[col] = table[col].fillna(0).astype(int)
    return table


def expected_sample_points(meta: Mapping[str, Any]) -> int | None:
    """Number of SALib sample points of a Morris / Sobol design from its meta (None if unknown)."""
    if meta.get("n_points") is not None:
        return int(meta["n_points"])
    samples, problem = meta.get("samples"), meta.get("salib_problem") or {}
    d = problem.get("num_vars")
    if samples is None or d is None:
        return None
    if meta["design_kind"] == "morris":
        return int(samples) * (int(d) + 1)
    if meta["design_kind"] == "sobol":
        return int(samples) * (2 * int(d) + 2 if meta.get("sobol_second_order") else int(d) + 2)
    return None


def sensitivity_table(results: pd.DataFrame, meta: Mapping[str, Any], outcomes: Sequence[str] | None = None, *,
                      num_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> pd.DataFrame:
    """Morris or Sobol indices (long format: ``outcome, factor`` then ``mu, mu_star, mu_star_conf,
    sigma`` or ``S1, S1_conf, ST, ST_conf``) for each outcome present (default
    :data:`SENSITIVITY_OUTCOMES`; ``took_off`` enters as the take-off rate).

    Replicates are averaged per sample point first (successful runs only), keeping sample order;
    the sample matrix X is rebuilt from the factor columns in ``sample_index`` order. Every sample
    point needs at least one successful run (SALib's estimators use whole trajectories / blocks):
    otherwise ValueError. Outcomes that do not vary across sample points are left out and named in
    ``table.attrs["constant"]``. Confidence: SALib's bootstrap (``num_resamples``, fixed ``seed``), 95 %.
    """
    kind = meta.get("design_kind")
    if kind not in ("morris", "sobol"):
        raise ValueError(f"sensitivity indices need a morris or sobol design, not {kind!r}")
    problem = {k: meta["salib_problem"][k] for k in ("num_vars", "names", "bounds")}
    names = list(problem["names"])
    keys = ("mu", "mu_star", "mu_star_conf", "sigma") if kind == "morris" else ("S1", "S1_conf", "ST", "ST_conf")
    results = results.reset_index(drop=True)
    good = results[ok_mask(results)]
    points = good.groupby("sample_index", sort=True)
    expected = expected_sample_points(meta)
    if expected is None:
        expected = int(results["sample_index"].max()) + 1
    have = points.size().index.to_numpy()
    if len(have) != expected or not np.array_equal(have, np.arange(expected)):
        raise ValueError(f"{expected - len(have)} of {expected} sample points have no successful run; "
                         "Morris and Sobol indices need every point")
    x = points[names].first().to_numpy(float)
    chosen = [o for o in (outcomes if outcomes is not None else SENSITIVITY_OUTCOMES) if o in results.columns]
    rows: list[dict[str, Any]] = []
    constant: list[str] = []
    for outcome in chosen:
        y = good[outcome].astype(float).groupby(good["sample_index"], sort=True).mean().to_numpy(float)
        if not np.isfinite(y).all():
            raise ValueError(f"{outcome}: a sample point has no finite value")
        if np.ptp(y) == 0.0:
            constant.append(outcome)
            continue
        if kind == "morris":
            from SALib.analyze import morris

            res = morris.analyze(problem, x, y, num_resamples=num_resamples, conf_level=0.95,
                                 num_levels=int(meta.get("morris_levels") or 4), seed=seed)
        else:
            from SALib.analyze import sobol

            res = sobol.analyze(problem, y, calc_second_order=bool(meta.get("sobol_second_order")),
                                num_resamples=num_resamples, conf_level=0.95, seed=seed)
        for i, name in enumerate(names):
            rows.append({"outcome": outcome, "factor": name, **{k: float(res[k][i]) for k in keys}})
    table = pd.DataFrame(rows, columns=["outcome", "factor", *keys])
    table.attrs["constant"] = constant
    return table


def sample_problems(part: pd.DataFrame, kind: str) -> list[str]:
    """Why one outcome's indices (the rows of :func:`sensitivity_table` for that outcome) cannot rank
    the factors; empty if nothing says so:

    - ``"wide"``: the top-ranked factor's 95 % interval (``index ± conf``, SALib's half-width) is wider
      than the index, ``2 · conf > index`` (mu* for Morris, ST for Sobol), or its conf is not finite;
    - ``"s1_sum"`` (Sobol): the first-order indices sum to ``S = Σ S1`` outside [0, 1] by more than
      their combined confidence ``sqrt(Σ S1_conf²)`` (the factors' bootstrap errors taken as independent).
    """
    key, conf = ("mu_star", "mu_star_conf") if kind == "morris" else ("ST", "ST_conf")
    top = part.sort_values(key, ascending=False, kind="stable").iloc[0]
    out = []
    if not np.isfinite(top[conf]) or 2.0 * top[conf] > top[key]:
        out.append("wide")
    if kind == "sobol":
        s1, s1_conf = _s1_sum(part)
        if not np.isfinite(s1_conf) or s1 < -s1_conf or s1 > 1.0 + s1_conf:
            out.append("s1_sum")
    return out


def _s1_sum(part: pd.DataFrame) -> tuple[float, float]:
    """Σ S1 and its confidence sqrt(Σ S1_conf²)."""
    return float(part["S1"].sum()), math.sqrt(float((part["S1_conf"].astype(float) ** 2).sum()))
