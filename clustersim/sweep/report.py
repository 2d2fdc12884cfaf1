"""Sweep reports: figures, CSV tables and a Markdown summary of a results folder.

``clustersim report DIR [--out OUT]`` reads ``DIR/design.json`` (the design's meta), ``DIR/design.parquet``
and the runs (:func:`clustersim.sweep.store.load_results` with failed runs) and writes into ``OUT``
(default ``DIR/report/``) ``report.md``, PNG figures and CSV tables. What it shows depends on the design:

- grid over two or more factors: heatmaps of the take-off probability (with its 50 % contour), of the mean
  final share and of the mean net fiscal return over the first two varying factors (the others pooled);
- grid over one factor: the take-off probability against it, with its Wilson band;
- named packages: a comparison table and a small-multiple bar chart; with a baseline package
  (``[design] baseline`` or ``--baseline``), each other package's difference from it;
- Morris / Sobol: sensitivity indices with their bootstrap confidence bars, and a plain warning when
  the sample is too small to rank the factors;
- other designs over ranges (lhs): a scatter of the runs over the first two factors and the take-off
  probability in four equal-width bins of the first factor.

Statistics (all at 95 %, computed over the successful runs; failed runs are counted apart, never as
"did not take off"):

- take-off probability ``p = k / n`` with the Wilson score interval (:func:`wilson_interval`);
- means with the Student t interval ``mean ± t(0.975, n - 1) · s / sqrt(n)`` across runs (:func:`t_interval`);
- median payback year with the distribution-free order-statistic interval (:func:`median_interval`);
- package minus baseline: Newcombe's hybrid score interval for a difference of proportions
  (:func:`newcombe_interval`), Welch's t interval for a difference of means (:func:`welch_interval`).

The report holds no dates and is built in a fixed order with fixed formats, so the same results give a
byte-identical ``report.md`` (and PNGs) on every call. Money is in wan (10,000 CNY) in the CSV tables; the
Markdown tables and figures switch to million yuan (100 wan) or billion yuan (100,000 wan) for large amounts.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clustersim.scenario import ScenarioError

__all__ = [
    "add_report",
    "baseline_table",
    "binned_table",
    "median_interval",
    "newcombe_interval",
    "package_table",
    "sensitivity_table",
    "summarise",
    "t_interval",
    "take_off_table",
    "welch_interval",
    "wilson_interval",
    "write_report",
]

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
BASELINE_MEANS = tuple(stem for stem, _, _ in BASELINE_PANELS)
RANGE_BINS = 4  # range designs: the take-off probability in this many equal-width bins of the first factor
SENSITIVITY_OUTCOMES = ("final_share", "took_off", "net_fiscal_return")
MONEY = frozenset({"incentives_paid", "extra_revenue", "net_fiscal_return", "cost_per_job", "focal_balance"})
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20240917  # fixed, so the SALib confidence intervals (bootstrap) are reproducible
# (from |amount| in wan, divisor, unit): the largest that applies is used in Markdown tables and figures
MONEY_UNITS = ((1_000_000.0, 100_000.0, "billion yuan"), (10_000.0, 100.0, "million yuan"), (0.0, 1.0, "wan"))


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


def t_interval(values: Any) -> tuple[float, float, float, int]:
    """``(mean, low, high, n)``: mean of the finite ``values`` with the 95 % Student t interval
    ``mean ± t(0.975, n - 1) · s / sqrt(n)`` (s the sample standard deviation, ddof 1).
    Non-finite values (e.g. cost per job of a run without jobs) are left out and not counted in n.
    The bounds are nan when n < 2; everything is nan when n == 0."""
    from scipy.stats import t

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    half = float(t.ppf(0.975, n - 1)) * float(x.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half, n


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
    mean, low, high, n = t_interval(values)
    return {f"{name}_mean": mean, f"{name}_low": low, f"{name}_high": high, f"{name}_n": n}


def _group_row(group: pd.DataFrame, good: pd.DataFrame, means: Sequence[str]) -> dict[str, Any]:
    """Run counts of ``group`` (``good``: its successful runs), take-off probability with its Wilson
    interval (with a ``took_off`` column) and t intervals of the ``means`` present."""
    row: dict[str, Any] = {"n_runs": len(group), "n_ok": len(good), "n_failed": len(group) - len(good)}
    if "took_off" in group.columns:
        row.update(_proportion_columns("took_off", int(_took_off(good).sum()), len(good)))
    for name in means:
        if name in group.columns:
            row.update(_mean_columns(name, good[name]))
    return row


def summarise(results: pd.DataFrame, by: Sequence[str], means: Sequence[str] = GRID_MEANS) -> pd.DataFrame:
    """One row per combination of the ``by`` columns (sorted by value): ``n_runs``, ``n_ok``,
    ``n_failed``; with a ``took_off`` column, ``took_off`` (k), ``p_took_off`` and its Wilson bounds
    ``p_took_off_low/high``; for each of ``means`` present, ``<name>_mean/_low/_high/_n`` (t interval)."""
    results = results.reset_index(drop=True)
    ok = ok_mask(results)
    rows = []
    for key, group in results.groupby(list(by), sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key, strict=True)), **_group_row(group, group[ok.loc[group.index]], means)})
    return pd.DataFrame(rows)


def take_off_table(results: pd.DataFrame, x: str, y: str | None = None) -> pd.DataFrame:
    """The grid table: :func:`summarise` over ``x`` (and ``y``) with the mean final share and net
    fiscal return; any other factor is pooled."""
    return summarise(results, [x] if y is None else [x, y], GRID_MEANS)


def package_table(results: pd.DataFrame, package: str = "package", order: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per package (in ``order``, default first appearance), pooled over any other factor:
    run counts; take-off probability with its Wilson interval; mean and t interval of jobs,
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
        row: dict[str, Any] = {package: name, **_group_row(group, good, PACKAGE_MEANS)}
        if "payback_year" in results.columns:
            paying = good[good["incentives_paid"].astype(float) > 0] if "incentives_paid" in good.columns else good
            years = paying["payback_year"].astype(float).to_numpy()
            row.update(payback_eligible=len(paying))
            row.update(_proportion_columns("paid_back", int(np.isfinite(years).sum()), len(paying)))
            median, low, high = median_interval(np.where(np.isfinite(years), years, np.inf))
            row.update(payback_year_median=median, payback_year_low=low, payback_year_high=high)
        rows.append(row)
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


# ------------------------------------------------------------------------------ formatting
@dataclass(frozen=True)
class Axis:
    """A factor as shown in tables and figures: its label and how its values print."""

    name: str
    label: str
    percent: bool = False

    @classmethod
    def of(cls, factor: Mapping[str, Any], values: Sequence[Any]) -> Axis:
        label = factor.get("label") or factor["name"]
        last = [str(p).rsplit(".", 1)[-1] for p in factor.get("parameters") or ()]
        numeric = [float(v) for v in values if isinstance(v, int | float | np.number)]
        percent = (bool(last) and all(s.endswith(("_rate", "_share")) for s in last)
                   and len(numeric) == len(values) and all(0.0 <= v <= 1.0 for v in numeric))
        return cls(factor["name"], str(label), percent)

    @property
    def title(self) -> str:
        return f"{self.label} [%]" if self.percent else self.label

    def fmt(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        v = float(value)
        return f"{100 * v:.3g}%" if self.percent else f"{v:.4g}"


def _pct(p: float, digits: int = 0) -> str:
    return "n/a" if not np.isfinite(p) else f"{100 * p:.{digits}f}%"


def _pct_ci(p: float, low: float, high: float) -> str:
    if not np.isfinite(p):
        return "n/a"
    return f"{_pct(p)} [{_pct(low)}, {_pct(high)}]" if np.isfinite(low) else _pct(p)


def _num(v: float, scale: float = 1.0, spec: str = ",.3g") -> str:
    if not np.isfinite(v):
        return "n/a" if not (isinstance(v, float) and math.isinf(v)) else ("never" if v > 0 else "-inf")
    x = v / scale
    return format(x, ",.0f") if abs(x) >= 1000 else format(x, spec)


def _num_ci(mean: float, low: float, high: float, scale: float = 1.0, spec: str = ",.3g") -> str:
    if not np.isfinite(mean):
        return "n/a"
    text = _num(mean, scale, spec)
    return f"{text} [{_num(low, scale, spec)}, {_num(high, scale, spec)}]" if np.isfinite(low) else text


def money_unit(*columns: Any) -> tuple[float, str]:
    """(divisor, unit) for wan amounts, from the largest finite |value|: wan below 10,000 wan, million
    yuan (÷100) below 1,000,000 wan, billion yuan (÷100,000) above."""
    values = np.concatenate([np.asarray(c, dtype=float).ravel() for c in columns]) if columns else np.array([])
    values = values[np.isfinite(values)]
    biggest = float(np.abs(values).max()) if values.size else 0.0
    return next((div, unit) for start, div, unit in MONEY_UNITS if biggest >= start)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] | None = None) -> str:
    """A GitHub Markdown table from strings (pipes escaped, newlines flattened)."""
    def cell(text: Any) -> str:
        return " ".join(str(text).split()).replace("|", "\\|")

    right = right if right is not None else [False] * len(header)
    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join("---:" if r else ":---" for r in right) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ------------------------------------------------------------------------------ the report
@dataclass
class Report:
    """What ``write_report`` writes: Markdown lines, figures and CSV tables by file name."""

    lines: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def add(self, *paragraphs: str) -> None:
        for p in paragraphs:
            self.lines += [p, ""]

    def figure(self, name: str, fig: Any, caption: str) -> None:
        self.figures[name] = fig
        self.add(f"![{caption}]({name})")

    def table(self, name: str, frame: pd.DataFrame) -> None:
        self.tables[name] = frame
        self.add(f"Full table with every column: [{name}]({name}).")


def read_sweep(sweep_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """(design runs, results with failed runs, meta) of a sweep folder; ScenarioError when it is
    not one or its ``design.json`` lacks what a report needs."""
    from clustersim.sweep.store import DESIGN_JSON, load_design, results_of

    design, meta = load_design(sweep_dir)
    if not isinstance(meta, dict) or "design_kind" not in meta or "factors" not in meta:
        raise ScenarioError(Path(sweep_dir) / DESIGN_JSON, "design_kind",
                            allowed="design.json lacks design_kind / factors")
    return design, results_of(sweep_dir, design, include_failed=True), meta


def build_report(results: pd.DataFrame, meta: Mapping[str, Any], *, design: pd.DataFrame | None = None) -> Report:
    """The whole report in memory (no files): Markdown lines, figures and tables. ``design``: the
    full design (to count runs not run yet); default: ``results`` is the whole design."""
    results = results.reset_index(drop=True)
    ok = ok_mask(results)
    rep = Report()
    rep.add(f"# Sweep report: {meta.get('experiment', 'sweep')}")
    if meta.get("description"):
        rep.add(str(meta["description"]).strip())
    kind = meta["design_kind"]
    factors = list(meta["factors"])
    replicates, years = meta.get("replicates"), meta.get("years")
    n_design = len(design) if design is not None else len(results)
    n_ok, n_failed = int(ok.sum()), int((~ok).sum())
    n_missing = max(n_design - len(results), 0)
    described = _join([f"{f.get('label') or f['name']} ({f['role']})" for f in factors])
    plural = "" if replicates == 1 else "s"
    rep.add(f"Design: **{kind}** over {described}; {replicates} replicate{plural} per point, {years} years per run, "
            f"focal county {meta.get('focal_county', 'n/a')}, sweep seed {meta.get('sweep_seed', 'n/a')}, "
            f"fiscal baseline {meta.get('fiscal_baseline', 'initial')}.",
            f"Runs: {n_design} in the design, **{n_ok} ok**, **{n_failed} failed**"
            + (f", {n_missing} not run (an unfinished sweep: `clustersim sweep --resume`)" if n_missing else "")
            + ". Failed runs are left out of every statistic (never counted as \"no take-off\") and listed at the end.")
    if n_ok == 0:
        rep.add("No successful run: nothing to report.")
    elif kind == "grid":
        _grid_sections(rep, results, meta, factors)
    elif kind == "packages":
        _package_sections(rep, results, meta, factors)
    elif kind in ("morris", "sobol"):
        _sensitivity_sections(rep, results, meta)
    else:
        _range_sections(rep, results[ok], meta, factors)
        _overall_section(rep, results, meta)
    if n_ok:  # PRIM boxes of the uncertainties under which the package fails (clustersim.thresholds)
        from clustersim.thresholds.discovery import discovery_section

        discovery_section(rep, results[ok], factors)
    ranged = kind not in ("grid", "packages", "morris", "sobol")
    _method_section(rep, kind, differences=n_ok > 0 and (ranged or bool(meta.get("baseline_package"))))
    _failed_section(rep, results, factors)
    return rep


def write_report(sweep_dir: str | Path, out_dir: str | Path | None = None, *, baseline: str | None = None) -> Path:
    """Read a sweep folder and write ``report.md``, its PNG figures and CSV tables into ``out_dir``
    (default ``sweep_dir/report``). Returns the path of ``report.md``. ``baseline``: for a packages
    design, the package to compare the others with, instead of the design's ``baseline_package``.
    ScenarioError if ``sweep_dir`` is not a sweep folder or a baseline names no package of it."""
    from clustersim.figures import save_figure

    sweep_dir = Path(sweep_dir)
    design, results, meta = read_sweep(sweep_dir)
    meta = _with_baseline(meta, sweep_dir, baseline)
    rep = build_report(results, meta, design=design)
    out = Path(out_dir) if out_dir is not None else sweep_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    for fname, fig in rep.figures.items():
        save_figure(fig, out / fname)
    for fname, frame in rep.tables.items():
        frame.to_csv(out / fname, index=False, lineterminator="\n")
    path = out / "report.md"
    path.write_text("\n".join(rep.lines).rstrip("\n") + "\n", encoding="utf-8")
    return path


def _with_baseline(meta: dict[str, Any], sweep_dir: Path, baseline: str | None) -> dict[str, Any]:
    """``meta`` with ``baseline_package`` set to ``baseline`` (if given), checked against the packages."""
    if baseline is not None:
        if meta["design_kind"] != "packages":
            raise ScenarioError("--baseline", "baseline", baseline,
                                f"only for a packages design (this sweep's design is {meta['design_kind']!r})")
        meta = {**meta, "baseline_package": baseline}
    chosen = meta.get("baseline_package")
    if chosen is None:
        return meta
    pkg = next((f for f in meta["factors"] if f.get("role") == "package"), None)
    names = [str(v) for v in (pkg or {}).get("values") or []]
    if chosen not in names:
        where, what = ("--baseline", "baseline") if baseline is not None else (
            Path(sweep_dir) / "design.json", "baseline_package")
        raise ScenarioError(where, what, chosen, f"must name a package of this sweep: {', '.join(names) or 'none'}")
    return meta


# ------------------------------------------------------------------------------ sections
def _title_suffix(meta: Mapping[str, Any], pooled: str = "") -> str:
    n = meta.get("replicates")
    reps = f"{n} replicate{'' if n == 1 else 's'} per point{pooled}"
    return f"{reps}, {meta.get('years')} years"


def _varying(results: pd.DataFrame, factors: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [f for f in factors if f["name"] in results.columns and results[f["name"]].nunique(dropna=False) > 1]


def _grid_sections(rep: Report, results: pd.DataFrame, meta: Mapping[str, Any],
                   factors: Sequence[Mapping[str, Any]]) -> None:
    varying = _varying(results, factors)
    if not varying:
        _overall_section(rep, results, meta)
        return
    axes = [Axis.of(f, sorted(results[f["name"]].dropna().unique())) for f in varying[:2]]
    pooled = varying[2:]
    pooled_text = ""
    if pooled:
        names = _join([f"{f.get('label') or f['name']} ({results[f['name']].nunique()} values)" for f in pooled])
        rep.add(f"The grid has {len(varying)} varying factors; the figures and tables show the first two and pool "
                f"the runs over {names}: each cell's probability and means are over all its replicates and those "
                "values together.")
        pooled_text = " (pooled over " + ", ".join(f["name"] for f in pooled) + ")"
    if len(axes) == 1:
        _one_factor_section(rep, results, meta, axes[0], pooled_text)
    else:
        _two_factor_sections(rep, results, meta, axes[0], axes[1], pooled_text)


def _one_factor_section(rep: Report, results: pd.DataFrame, meta: Mapping[str, Any], ax: Axis, pooled: str) -> None:
    from clustersim.sweep import report_figures as rf

    table = take_off_table(results, ax.name)
    rep.add(f"## Take-off probability against {ax.label}")
    if "took_off" in table.columns:
        cells = table[table["n_ok"] > 0]
        first, last = cells.iloc[0], cells.iloc[-1]
        likely = cells[cells["p_took_off"] >= 0.5][ax.name].tolist()
        p_first = _pct_ci(first.p_took_off, first.p_took_off_low, first.p_took_off_high)
        p_last = _pct_ci(last.p_took_off, last.p_took_off_low, last.p_took_off_high)
        rep.add(f"The take-off probability goes from {p_first} at {ax.label} {ax.fmt(first[ax.name])} to {p_last} "
                f"at {ax.fmt(last[ax.name])}. Take-off is more likely than not "
                f"{_where(likely, cells[ax.name].tolist(), ax)}.")
        numeric = pd.api.types.is_numeric_dtype(table[ax.name])
        fig = rf.probability_line(table[ax.name].tolist(), table["p_took_off"].to_numpy(float),
                                  table["p_took_off_low"].to_numpy(float), table["p_took_off_high"].to_numpy(float),
                                  tick_labels=[ax.fmt(v) for v in table[ax.name]], numeric=numeric, x_label=ax.title,
                                  title=f"Take-off probability, {_title_suffix(meta, pooled)}")
        rep.figure("take_off_probability.png", fig, "take-off probability with 95% Wilson band")
    rep.add(_grid_markdown(table, [ax]))
    rep.table("take_off_table.csv", table)


def _two_factor_sections(rep: Report, results: pd.DataFrame, meta: Mapping[str, Any], xa: Axis, ya: Axis,
                         pooled: str) -> None:
    from clustersim.sweep import report_figures as rf

    table = take_off_table(results, xa.name, ya.name)
    xs = sorted(table[xa.name].unique())
    ys = sorted(table[ya.name].unique())

    def grid(column: str) -> np.ndarray:
        wide = table.pivot(index=ya.name, columns=xa.name, values=column).reindex(index=ys, columns=xs)
        return wide.to_numpy(float)

    ticks = dict(x_ticks=[xa.fmt(v) for v in xs], y_ticks=[ya.fmt(v) for v in ys], x_label=xa.title,
                 y_label=ya.title)
    suffix = _title_suffix(meta, pooled)
    cells = table[table["n_ok"] > 0]
    where = f"of {xa.label} and {ya.label}"
    if "took_off" in table.columns:
        rep.add("## Take-off probability")
        k, n = int(cells["took_off"].sum()), int(cells["n_ok"].sum())
        likely, sure = cells[cells["p_took_off"] >= 0.5], cells[cells["p_took_off_low"] > 0.5]
        text = [f"Over all {len(cells)} combinations {where}, the focal county took off in {k} of {n} "
                f"successful runs ({_pct(k / n)})."]
        if likely.empty:
            best = cells.loc[cells["p_took_off"].idxmax()]
            text.append(f"Take-off is not more likely than not anywhere in the grid: the highest probability is "
                        f"{_pct_ci(best.p_took_off, best.p_took_off_low, best.p_took_off_high)}, at "
                        f"{_at(best, xa, ya)}.")
        else:
            text.append(f"Take-off is more likely than not (estimated probability at least 50%) in {len(likely)} "
                        f"of {len(cells)} combinations, "
                        + (f"and in {len(sure)} of them the whole 95% interval lies above 50%." if len(sure) else
                           "but in none of them does the whole 95% interval lie above 50% (more replicates would "
                           "narrow the intervals)."))
            for yv in ys:
                row = cells[cells[ya.name] == yv]
                hits = row[row["p_took_off"] >= 0.5][xa.name].tolist()
                text.append(f"With {ya.label} at {ya.fmt(yv)}, it is more likely than not "
                            f"{_where(hits, row[xa.name].tolist(), xa)}.")
        rep.add(" ".join(text))
        annotations = [[f"{_pct(p)}\n{int(k)}/{int(n)}" if n > 0 else "no runs" for p, k, n in zip(*row, strict=True)]
                       for row in zip(grid("p_took_off"), grid("took_off"), grid("n_ok"), strict=True)]
        numeric = all(pd.api.types.is_numeric_dtype(results[a.name]) for a in (xa, ya))
        fig = rf.grid_heatmap(grid("p_took_off"), **ticks, title=f"Take-off probability, {suffix}",
                              colorbar_label="take-off probability", kind="probability", annotations=annotations,
                              contour=None if numeric else 0.5)
        if numeric:  # the fitted 50 % curve with its band (clustersim.thresholds), not an interpolated contour
            from clustersim.thresholds.report_sections import critical_section

            critical_section(rep, fig, results[ok_mask(results)], xa, ya, xs, ys)
        else:
            rep.figure("take_off_probability.png", fig, "take-off probability heatmap with its 50% contour")
    if "final_share_mean" in table.columns:
        rep.add("## Final share of the focal county")
        lo, hi = cells.loc[cells["final_share_mean"].idxmin()], cells.loc[cells["final_share_mean"].idxmax()]
        rep.add(f"The focal county's mean share in the last year (share of the take-off measure among counties) "
                f"ranges from {_pct(lo.final_share_mean, 1)} at {_at(lo, xa, ya)} to {_pct(hi.final_share_mean, 1)} "
                f"at {_at(hi, xa, ya)}.")
        values = grid("final_share_mean")
        notes = [[_pct(v) for v in row] for row in values]
        fig = rf.grid_heatmap(values, **ticks, title=f"Mean final share of the focal county, {suffix}",
                              colorbar_label="mean final share", kind="share", annotations=notes)
        rep.figure("final_share.png", fig, "mean final share heatmap")
    if "net_fiscal_return_mean" in table.columns:
        rep.add("## Net fiscal return of the focal county")
        scale, unit = money_unit(table["net_fiscal_return_mean"])
        pos, sure = cells[cells["net_fiscal_return_mean"] > 0], cells[cells["net_fiscal_return_low"] > 0]
        neg_sure = cells[cells["net_fiscal_return_high"] < 0]
        lo = cells.loc[cells["net_fiscal_return_mean"].idxmin()]
        hi = cells.loc[cells["net_fiscal_return_mean"].idxmax()]
        baseline = meta.get("fiscal_baseline", "initial")
        rep.add(f"Net fiscal return = extra revenue (against the {baseline} baseline) minus incentives paid, "
                f"summed over the {meta.get('years')} years. Its mean is positive (the incentives paid for "
                f"themselves within the run) in {len(pos)} of {len(cells)} combinations; the 95% interval lies "
                f"wholly above zero in {len(sure)} and wholly below in {len(neg_sure)}. It ranges from "
                f"{_num(lo.net_fiscal_return_mean, scale)} {unit} at {_at(lo, xa, ya)} to "
                f"{_num(hi.net_fiscal_return_mean, scale)} {unit} at {_at(hi, xa, ya)}."
                + (INITIAL_BASELINE_CAVEAT if baseline == "initial" else ""))
        values = grid("net_fiscal_return_mean") / scale
        notes = [[_num(v * scale, scale) for v in row] for row in values]
        fig = rf.grid_heatmap(values, **ticks, title=f"Mean net fiscal return of the focal county, {suffix}",
                              colorbar_label=f"mean net fiscal return ({unit})", kind="diverging",
                              annotations=notes)
        rep.figure("net_fiscal_return.png", fig, "mean net fiscal return heatmap")
    rep.add("## Table", "Each cell: successful runs, failed runs, take-off probability with its 95% Wilson "
            "interval, and means with 95% t intervals across runs.")
    rep.add(_grid_markdown(table, [xa, ya]))
    rep.table("take_off_table.csv", table)


def _at(row: pd.Series, xa: Axis, ya: Axis) -> str:
    return f"{xa.label} {xa.fmt(row[xa.name])}, {ya.label} {ya.fmt(row[ya.name])}"


def _where(hits: Sequence[Any], all_values: Sequence[Any], ax: Axis) -> str:
    """"from 2 upward", "up to 1", "at 1 and 3", "at every ..." or "at no ... tried"."""
    values = sorted(all_values)
    hits = sorted(hits)
    if not hits:
        return f"at no {ax.label} tried"
    if hits == values:
        return f"at every {ax.label} tried"
    if hits == values[len(values) - len(hits):]:
        return f"from {ax.label} {ax.fmt(hits[0])} upward"
    if hits == values[: len(hits)]:
        return f"up to {ax.label} {ax.fmt(hits[-1])}"
    return f"at {ax.label} " + _join([ax.fmt(v) for v in hits])


def _grid_markdown(table: pd.DataFrame, axes: Sequence[Axis]) -> str:
    header = [a.title for a in axes] + ["runs ok", "failed"]
    right = [False] * len(axes) + [True, True]
    has_p = "p_took_off" in table.columns
    if has_p:
        header += ["took off", "P(take-off) [95% CI]"]
        right += [True, True]
    if "final_share_mean" in table.columns:
        header.append("mean final share [95% CI]")
        right.append(True)
    scale, unit = money_unit(table["net_fiscal_return_mean"]) if "net_fiscal_return_mean" in table.columns else (1, "")
    if "net_fiscal_return_mean" in table.columns:
        header.append(f"mean net fiscal return, {unit} [95% CI]")
        right.append(True)
    rows = []
    for _, r in table.iterrows():
        row = [a.fmt(r[a.name]) for a in axes] + [str(int(r.n_ok)), str(int(r.n_failed))]
        if has_p:
            row += [str(int(r.took_off)) if r.n_ok else "0", _pct_ci(r.p_took_off, r.p_took_off_low, r.p_took_off_high)]
        if "final_share_mean" in table.columns:
            row.append(_pct_ci(r.final_share_mean, max(r.final_share_low, 0.0), min(r.final_share_high, 1.0)))
        if "net_fiscal_return_mean" in table.columns:
            row.append(_num_ci(r.net_fiscal_return_mean, r.net_fiscal_return_low, r.net_fiscal_return_high, scale))
        rows.append(row)
    return markdown_table(header, rows, right)


INITIAL_BASELINE_CAVEAT = (
    " With the initial baseline (the county's year-0 revenue and jobs held constant), every firm the county gains "
    "counts as gained by its policy, including firms that would have come anyway; an experiment with "
    "fiscal_baseline = \"counterfactual\" measures the policy's own effect.")


def _package_sections(rep: Report, results: pd.DataFrame, meta: Mapping[str, Any],
                      factors: Sequence[Mapping[str, Any]]) -> None:
    from clustersim.sweep import report_figures as rf

    pkg = next((f for f in factors if f.get("role") == "package"), {"name": "package"})
    col = pkg["name"]
    order = [str(v) for v in pkg.get("values") or []] or None
    table = package_table(results, col, order)
    known = meta.get("packages") or {}
    labels = [str((known.get(p) or {}).get("label") or p) for p in table[col]]
    table.insert(1, "label", labels)
    others = [f for f in _varying(results, factors) if f["name"] != col]
    pooled = ""
    rep.add("## Package comparison")
    if others:
        names = _join([f"{f.get('label') or f['name']} ({results[f['name']].nunique()} values)" for f in others])
        rep.add(f"Packages were crossed with {names}; each package's figures pool all those runs.")
        pooled = " (pooled over " + ", ".join(f["name"] for f in others) + ")"
    cells = table[table["n_ok"] > 0].reset_index(drop=True)
    cell_labels = cells["label"].tolist()
    units = _package_units(table)
    scale, unit = units.get("net_fiscal_return", (1.0, "wan"))
    baseline = meta.get("baseline_package")
    diffs = baseline_table(results, str(baseline), col, list(table[col])) if baseline else None
    if diffs is not None and diffs.empty:  # the baseline is the only package
        diffs = None
    label_of = dict(zip(table[col], table["label"], strict=True))
    if diffs is not None:
        rep.add(*_baseline_headline(diffs, col, str(baseline), label_of))
    text = []
    if "p_took_off" in cells.columns:
        best = cells.loc[cells["p_took_off"].idxmax()]
        worst = cells.loc[cells["p_took_off"].idxmin()]
        p_best = _pct_ci(best.p_took_off, best.p_took_off_low, best.p_took_off_high)
        text.append(f"Take-off is most likely with **{best.label}** ({p_best}) and least likely with {worst.label} "
                    f"({_pct(worst.p_took_off)}).")
    if "net_fiscal_return_mean" in cells.columns:
        best = cells.loc[cells["net_fiscal_return_mean"].idxmax()]
        worst = cells.loc[cells["net_fiscal_return_mean"].idxmin()]
        positive = cells[cells["net_fiscal_return_low"] > 0]["label"].tolist()
        text.append(f"Best mean net fiscal return: {best.label} ({_num(best.net_fiscal_return_mean, scale)} "
                    f"{unit}); worst: {worst.label} ({_num(worst.net_fiscal_return_mean, scale)} {unit}); "
                    + (f"the 95% interval lies above zero for {_join(positive)}." if positive else
                       "no package's 95% interval lies wholly above zero."))
    paying = cells[cells["incentives_paid_mean"] > 0] if "incentives_paid_mean" in cells.columns else cells
    if "cost_per_job_mean" in paying.columns and paying["cost_per_job_mean"].notna().any():
        cheap = paying.loc[paying["cost_per_job_mean"].idxmin()]
        div, per_job = units["cost_per_job"]
        text.append(f"Among packages that pay incentives, the lowest mean cost per job gained: {cheap.label} "
                    f"({_num(cheap.cost_per_job_mean, div)} {per_job}).")
    if "p_paid_back" in cells.columns:
        majority = cells[cells["p_paid_back"] > 0.5]["label"].tolist()
        text.append(f"Incentives pay back within the run in more than half of the runs for "
                    f"{_join(majority) if majority else 'no package'}.")
    rep.add(" ".join(text))
    panels = []
    if "p_took_off" in cells.columns:
        panels.append(("take-off probability", cells["p_took_off"], cells["p_took_off_low"],
                       cells["p_took_off_high"], "probability"))
    for stem, title, kind in PACKAGE_PANELS:
        if f"{stem}_mean" in cells.columns:
            div, unit_label = units[stem]
            panels.append((f"{title} ({unit_label})", cells[f"{stem}_mean"] / div, cells[f"{stem}_low"] / div,
                           cells[f"{stem}_high"] / div, kind))
    if "p_paid_back" in cells.columns:
        panels.append(("share of paying runs that pay back", cells["p_paid_back"], cells["p_paid_back_low"],
                       cells["p_paid_back_high"], "probability"))
    fig = rf.package_chart(cell_labels, [(t, np.asarray(m, float), np.asarray(lo, float), np.asarray(hi, float), k)
                                         for t, m, lo, hi, k in panels],
                           title=f"Named packages, {_title_suffix(meta, pooled)}: means with 95% intervals")
    rep.figure("packages.png", fig, "package comparison, small multiples with 95% intervals")
    rep.add(_package_markdown(table, units))
    rep.add("Intervals: take-off probability and payback share, Wilson 95%; jobs, money and cost per job, "
            "95% t interval of the mean across runs (cost per job over runs that gained jobs only); median "
            "payback year over runs that paid any incentive, \"never\" counting as later than every year, with "
            "a distribution-free 95% interval from order statistics (n/a below 6 runs).")
    rep.table("packages_table.csv", table)
    if diffs is not None:
        _baseline_section(rep, diffs, col, str(baseline), label_of, meta, pooled)


def _baseline_units(diffs: pd.DataFrame) -> dict[str, tuple[float, str]]:
    money = money_unit(*[diffs[f"{s}_diff{k}"] for s, _, kind in BASELINE_PANELS if kind == "money"
                         and f"{s}_diff" in diffs for k in ("", "_low", "_high")])
    return {s: ((1.0, "persons") if kind == "count" else money) for s, _, kind in BASELINE_PANELS}


def _signed(v: float, scale: float = 1.0) -> str:
    return f"+{_num(v, scale)}" if np.isfinite(v) and v > 0 else _num(v, scale)


def _signed_ci(d: float, low: float, high: float, scale: float = 1.0) -> str:
    if not np.isfinite(d):
        return "n/a"
    return f"{_signed(d, scale)} [{_signed(low, scale)}, {_signed(high, scale)}]" if np.isfinite(low) \
        else _signed(d, scale)


def _points_ci(d: float, low: float, high: float, unit: str = "pts") -> str:
    """A difference of probabilities in percentage points: "+40 pts [+10, +62]"."""
    if not np.isfinite(d):
        return "n/a"
    def pts(v: float) -> str:
        whole = round(100 * v)
        return "0" if whole == 0 else f"{whole:+d}"

    return f"{pts(d)} {unit} [{pts(low)}, {pts(high)}]"


def _gains_and_losses(items: Sequence[tuple[float, float, float, float, str]]) -> str:
    """"adds 1,200 jobs [300, 2,100] and 5 wan [1, 9] of net fiscal return" (or "... but loses ..."):
    ``items`` are ``(difference, low, high, divisor, what)`` with ``what`` the text after the number.
    A loss is shown as a positive amount with the difference's bounds negated and swapped, so that
    the number and its interval are of the same amount."""
    gains, losses = [], []
    for d, low, high, scale, what in items:
        if not np.isfinite(d):
            continue
        loss = d < 0
        if loss:
            d, low, high = -d, -high, -low
        interval = f" [{_num(low, scale)}, {_num(high, scale)}]" if np.isfinite(low) else ""
        (losses if loss else gains).append(what.format(f"{_num(d, scale)}{interval}"))
    parts = ([f"adds {_join(gains)}"] if gains else []) + ([f"loses {_join(losses)}"] if losses else [])
    return " but ".join(parts)


def _baseline_headline(diffs: pd.DataFrame, col: str, baseline: str, label_of: Mapping[str, str]) -> list[str]:
    """The section's first sentences: what the best package adds to the baseline, and which
    differences are clear of sampling error."""
    base_label = label_of.get(baseline, baseline)
    base_n = int(diffs["baseline_n_ok"].iloc[0])
    if base_n == 0:
        return [f"No run of the baseline, {base_label}, succeeded: no package can be compared with it."]
    valid = diffs[diffs["n_ok"] > 0]
    if valid.empty:
        return []
    units = _baseline_units(diffs)
    key = "took_off_diff" if "took_off_diff" in valid.columns else next(
        (f"{s}_diff" for s, _, _ in BASELINE_PANELS if f"{s}_diff" in valid.columns), None)
    if key is None:
        return []
    top = valid.loc[valid[key].idxmax()]
    name = label_of.get(top[col], top[col])
    items = []
    for stem, what, kind in BASELINE_PANELS:
        if f"{stem}_diff" in valid.columns:
            div, unit = units[stem]
            items.append((top[f"{stem}_diff"], top[f"{stem}_diff_low"], top[f"{stem}_diff_high"], div,
                          "{} jobs" if kind == "count" else f"{{}} {unit} of {what}"))
    change_text = _gains_and_losses(items)
    lead = f"Compared with **{base_label}**, **{name}**"
    if key == "took_off_diff":
        change = ("raises the take-off probability the most" if top.took_off_diff > 0
                  else "lowers the take-off probability the least" if top.took_off_diff < 0
                  else "leaves the take-off probability unchanged, the best of all packages")
        by = _points_ci(top.took_off_diff, top.took_off_diff_low, top.took_off_diff_high, "percentage points")
        sentence = f"{lead} {change}, by {by}" + (f"; on average it {change_text}" if change_text else "") + "."
    else:
        sentence = f"{lead} on average {change_text}."
    text = [sentence]
    clear = []
    for stem, what in (("took_off", "take-off probability"), *((s, w) for s, w, _ in BASELINE_PANELS)):
        if f"{stem}_diff" not in valid.columns:
            continue
        up = [label_of.get(v, v) for v in valid.loc[valid[f"{stem}_diff_low"] > 0, col]]
        down = [label_of.get(v, v) for v in valid.loc[valid[f"{stem}_diff_high"] < 0, col]]
        sides = ([f"higher with {_join(up)}"] if up else []) + ([f"lower with {_join(down)}"] if down else [])
        clear.append(f"{what} ({', '.join(sides) if sides else 'no package'})")
    runs = sorted(set(valid["n_ok"].astype(int)) | {base_n})
    per = f"{runs[0]} runs per package" if len(runs) == 1 else "these runs"
    text.append(f"Differences from {base_label} whose 95% interval excludes zero: {'; '.join(clear)}. Every other "
                f"difference cannot be told apart from sampling noise with {per}.")
    return [" ".join(text)]


def _baseline_section(rep: Report, diffs: pd.DataFrame, col: str, baseline: str, label_of: Mapping[str, str],
                      meta: Mapping[str, Any], pooled: str) -> None:
    from clustersim.sweep import report_figures as rf

    base_label = label_of.get(baseline, baseline)
    rep.add(f"### Compared with the baseline: {base_label}")
    rep.add(f"Each package minus the baseline package, {base_label}, over successful "
            "runs: the difference in take-off probability in percentage points with Newcombe's hybrid score 95% "
            "interval, and the difference in mean jobs gained, extra revenue and net fiscal return with Welch's 95% "
            "t interval. Every package's runs have their own seeds, so the two samples are independent and the "
            "intervals are those for independent samples (they do not pair runs).")
    units = _baseline_units(diffs)
    cells = diffs[diffs["n_ok"] > 0].reset_index(drop=True)
    labels = [label_of.get(v, v) for v in cells[col]]
    panels = []
    if "took_off_diff" in cells.columns:
        panels.append(("take-off probability (percentage points)", cells["took_off_diff"],
                       cells["took_off_diff_low"], cells["took_off_diff_high"], "difference"))
    for stem, what, _ in BASELINE_PANELS:
        if f"{stem}_diff" in cells.columns:
            div, unit = units[stem]
            panels.append((f"{what} ({unit})", cells[f"{stem}_diff"] / div, cells[f"{stem}_diff_low"] / div,
                           cells[f"{stem}_diff_high"] / div, "money"))
    if panels and not cells.empty and int(diffs["baseline_n_ok"].iloc[0]) > 0:
        fig = rf.package_chart(labels, [(t, np.asarray(m, float), np.asarray(lo, float), np.asarray(hi, float), k)
                                        for t, m, lo, hi, k in panels],
                               title=f"Each package minus {base_label}, {_title_suffix(meta, pooled)}: "
                                     "differences with 95% intervals")
        rep.figure("packages_vs_baseline.png", fig, f"each package minus {base_label}, with 95% intervals")
    header = ["package"]
    if "took_off_diff" in diffs.columns:
        header.append("P(take-off), points")
    stems = [(s, w) for s, w, _ in BASELINE_PANELS if f"{s}_diff" in diffs.columns]
    header += [f"{w} ({units[s][1]})" for s, w in stems]
    rows = []
    for _, r in diffs.iterrows():
        row = [str(label_of.get(r[col], r[col]))]
        if "took_off_diff" in diffs.columns:
            row.append(_points_ci(r.took_off_diff, r.took_off_diff_low, r.took_off_diff_high))
        row += [_signed_ci(r[f"{s}_diff"], r[f"{s}_diff_low"], r[f"{s}_diff_high"], units[s][0]) for s, _ in stems]
        rows.append(row)
    rep.add(markdown_table(header, rows, [False] + [True] * (len(header) - 1)))
    rep.table("packages_vs_baseline.csv", diffs)


def _package_units(table: pd.DataFrame) -> dict[str, tuple[float, str]]:
    """(divisor, unit) per package outcome: the fiscal totals share one money unit, cost per job has its own."""
    def cols(*stems: str) -> list[pd.Series]:
        return [table[f"{s}_{k}"] for s in stems if f"{s}_mean" in table for k in ("mean", "low", "high")]

    totals = money_unit(*cols("incentives_paid", "extra_revenue", "net_fiscal_return"))
    per_job = money_unit(*cols("cost_per_job"))
    return {"jobs": (1.0, "persons"), "incentives_paid": totals, "extra_revenue": totals, "net_fiscal_return": totals,
            "cost_per_job": (per_job[0], f"{per_job[1]} per job")}


def _package_markdown(table: pd.DataFrame, units: Mapping[str, tuple[float, str]]) -> str:
    header = ["package", "runs ok", "failed"]
    if "p_took_off" in table.columns:
        header.append("P(take-off)")
    stems = [(s, t) for s, t, _ in PACKAGE_PANELS if f"{s}_mean" in table.columns]
    for stem, title in stems:
        header.append(f"{title} ({units[stem][1]})")
    if "p_paid_back" in table.columns:
        header += ["pays back", "median payback year"]
    rows = []
    for _, r in table.iterrows():
        row = [str(r.label), str(int(r.n_ok)), str(int(r.n_failed))]
        if "p_took_off" in table.columns:
            row.append(_pct_ci(r.p_took_off, r.p_took_off_low, r.p_took_off_high))
        for stem, _ in stems:
            div = units[stem][0]
            row.append(_num_ci(r[f"{stem}_mean"], r[f"{stem}_low"], r[f"{stem}_high"], div))
        if "p_paid_back" in table.columns:
            share = (f"{int(r.paid_back)}/{int(r.payback_eligible)}: "
                     f"{_pct_ci(r.p_paid_back, r.p_paid_back_low, r.p_paid_back_high)}"
                     if r.payback_eligible else "n/a (no incentives paid)")
            row += [share, _num_ci(r.payback_year_median, r.payback_year_low, r.payback_year_high, 1.0, ".4g")]
        rows.append(row)
    return markdown_table(header, rows, [False] + [True] * (len(header) - 1))


OUTCOME_TITLES = {"final_share": "final share", "took_off": "take-off rate", "net_fiscal_return": "net fiscal return"}
OUTCOME_WORDS = {"final_share": "the focal county's final share", "took_off": "the take-off rate",
                 "net_fiscal_return": "the net fiscal return"}


def _sensitivity_sections(rep: Report, results: pd.DataFrame, meta: Mapping[str, Any]) -> None:
    from clustersim.sweep import report_figures as rf

    kind = meta["design_kind"]
    rep.add(f"## Sensitivity ({'Morris elementary effects' if kind == 'morris' else 'Sobol indices'})")
    try:
        table = sensitivity_table(results, meta)
    except ValueError as err:
        rep.add(f"Sensitivity indices not computed: {err}.")
        return
    labels = {f["name"]: str(f.get("label") or f["name"]) for f in meta["factors"]}
    table.insert(2, "label", [labels.get(n, n) for n in table["factor"]])
    constant = table.attrs.get("constant", [])
    mu_star_text = ("; mu* is the mean absolute change of the outcome when a factor moves across its whole range"
                    if kind == "morris" else "")
    rep.add(f"Replicates averaged per sample point first ({meta.get('replicates')} per point), then SALib's "
            f"{kind} analysis{mu_star_text}; 95% confidence from {BOOTSTRAP_RESAMPLES} bootstrap resamples "
            f"(seed {BOOTSTRAP_SEED})."
            + (f" Left out because they do not vary across the sample: {_join(constant)}." if constant else ""))
    key, conf = ("mu_star", "mu_star_conf") if kind == "morris" else ("ST", "ST_conf")
    for outcome, part in table.groupby("outcome", sort=False):
        ranked = part.sort_values(key, ascending=False, kind="stable")
        top = ranked.iloc[0]
        small = ranked[ranked[key] < 0.1 * top[key]]["label"].tolist()
        words = OUTCOME_WORDS.get(outcome, outcome)
        problems = sample_problems(part, kind)
        if problems:
            div, unit = money_unit(part[key]) if outcome in MONEY and kind == "morris" else (1.0, "")
            reasons = []
            if "wide" in problems:
                reasons.append(f"the largest index, {top.label}'s {key} = {top[key] / div:.3g}"
                               f"{' ' + unit if unit else ''} ± {top[conf] / div:.3g}, has a 95% interval wider "
                               "than the index itself")
            if "s1_sum" in problems:
                s1, s1_conf = _s1_sum(part)
                reasons.append(f"the first-order indices sum to {s1:.2f} ± {s1_conf:.2f}, clearly outside [0, 1] "
                               "where a variance decomposition puts them")
            rep.add(f"For {words}, **the sample is too small to rank the factors**: {_join(reasons)}. "
                    + _more_samples(meta))
            continue
        if kind == "morris":
            div, unit = money_unit(part[key]) if outcome in MONEY else (1.0, "")
            unit = f" {unit}" if unit else ""
            second = ranked.iloc[1] if len(ranked) > 1 and ranked.iloc[1].label not in small else None
            sentence = (f"For {words}, the most influential factor is **{top.label}** (mu* = {top[key] / div:.3g}"
                        f"{unit} ± {top[conf] / div:.3g})" + (f", then {second.label} ({second[key] / div:.3g})"
                                                              if second is not None else "") + ".")
        else:
            s1 = float(part["S1"].sum())
            sentence = (f"For {words}, **{top.label}** has the largest total effect (ST = {top[key]:.2f} ± "
                        f"{top[conf]:.2f}); first-order indices sum to {s1:.2f}"
                        + (f", so interactions account for about {1 - s1:.0%} of the variance." if 0.0 <= s1 <= 1.0
                           else ", outside [0, 1] but within its sampling error, so the share of interactions is "
                           "not known."))
        if small:
            sentence += f" Little effect (below a tenth of the largest): {_join(small)}."
        rep.add(sentence)
    if not table.empty:
        shown, titles = table.copy(), dict(OUTCOME_TITLES)
        value_cols = ["mu", "mu_star", "mu_star_conf", "sigma"] if kind == "morris" else []
        for outcome in (o for o in shown["outcome"].unique() if o in MONEY and value_cols):
            rows = shown["outcome"] == outcome
            div, unit = money_unit(shown.loc[rows, "mu_star"])
            shown.loc[rows, value_cols] = shown.loc[rows, value_cols] / div
            titles[outcome] = f"{titles.get(outcome, outcome)} ({unit})"
        fig = rf.sensitivity_chart(shown, kind, outcome_titles=titles,
                                   title=f"{kind.capitalize()} sensitivity, {_title_suffix(meta)}")
        rep.figure("sensitivity.png", fig, "sensitivity indices with 95% confidence bars")
    cols = ["mu_star", "mu_star_conf", "sigma", "mu"] if kind == "morris" else ["S1", "S1_conf", "ST", "ST_conf"]
    rows = [[str(r.outcome), str(r.label)] + [f"{r[c]:.3g}" for c in cols] for _, r in table.iterrows()]
    rep.add(markdown_table(["outcome", "factor", *cols], rows, [False, False] + [True] * len(cols)))
    if any(o in MONEY for o in table["outcome"]):
        rep.add("Indices of money outcomes are in wan.")
    rep.table("sensitivity_table.csv", table)


def _range_sections(rep: Report, good: pd.DataFrame, meta: Mapping[str, Any],
                    factors: Sequence[Mapping[str, Any]]) -> None:
    """Designs over ranges (lhs): a scatter of the successful runs over the first two numeric factors and
    the take-off probability in equal-width bins of the first."""
    from clustersim.sweep import report_figures as rf

    numeric = [f for f in factors if f["name"] in good.columns and pd.api.types.is_numeric_dtype(good[f["name"]])
               and good[f["name"]].dtype != bool]
    if not numeric or "took_off" not in good.columns:
        return
    first = numeric[0]
    name, label = first["name"], str(first.get("label") or first["name"])
    values = good[name].astype(float)
    # the design's range; widened to the values (whole-number factors are rounded and can fall outside)
    low = min(float(values.min()), float(first["low"]) if first.get("low") is not None else math.inf)
    high = max(float(values.max()), float(first["high"]) if first.get("high") is not None else -math.inf)
    xa = Axis.of(first, [low, high])
    others = [str(f.get("label") or f["name"]) for f in factors if f["name"] != name]
    rep.add(f"## Runs over {label}" + (f" and {numeric[1].get('label') or numeric[1]['name']}"
                                         if len(numeric) > 1 else ""))
    took = _took_off(good)
    share = good["final_share"].astype(float).to_numpy() if "final_share" in good.columns else None
    if len(numeric) > 1:
        second = numeric[1]
        y = good[second["name"]].astype(float).to_numpy()
        y_label = str(second.get("label") or second["name"])
        y_percent = Axis.of(second, [float(y.min()), float(y.max())]).percent
    elif share is not None:
        y, y_label, y_percent = share, "final share of the focal county", True
    else:
        y, y_label, y_percent = np.zeros(len(good)), "", False
    fig = rf.run_scatter(values.to_numpy(), y, took, share, x_label=label, y_label=y_label, x_percent=xa.percent,
                         y_percent=y_percent, title=f"Each successful run, {_title_suffix(meta)}")
    rep.figure("runs_scatter.png", fig, "runs over the first two factors: took off or not, marker area = final share")
    if low == high:
        return
    bins = RANGE_BINS if good[name].nunique() >= RANGE_BINS else 1
    table = binned_table(good, name, low, high, bins)
    cells = table[table["n_ok"] > 0]
    first_bin, last_bin = cells.iloc[0], cells.iloc[-1]

    def where(row: pd.Series) -> str:
        return f"{label} {xa.fmt(row.bin_low)} to {xa.fmt(row.bin_high)}"

    if bins > 1 and len(cells) > 1:
        p_first = _pct_ci(first_bin.p_took_off, first_bin.p_took_off_low, first_bin.p_took_off_high)
        p_last = _pct_ci(last_bin.p_took_off, last_bin.p_took_off_low, last_bin.p_took_off_high)
        text = [f"Binned into {bins} equal parts of its range, the take-off probability goes from {p_first} at "
                f"{where(first_bin)} to {p_last} at {where(last_bin)}."]
        d, d_low, d_high = newcombe_interval(int(last_bin.took_off), int(last_bin.n_ok), int(first_bin.took_off),
                                             int(first_bin.n_ok))
        clear = d_low > 0 or d_high < 0
        text.append(f"The difference, {_points_ci(d, d_low, d_high, 'percentage points')} (Newcombe's 95% "
                    "interval), " + (f"is a clear change over {label}." if clear else
                                     f"could be sampling noise: this sample does not show a clear change over "
                                     f"{label}."))
        if others:
            text.append(f"Within each bin the other factors ({_join(others)}) vary over their ranges, so these are "
                        "averages over them, not a comparison with the others held fixed.")
        rep.add(" ".join(text))
    shown = table.assign(**{name: [f"{xa.fmt(a)} to {xa.fmt(b)}" for a, b in zip(table["bin_low"], table["bin_high"],
                                                                                 strict=True)]})
    rep.add(_grid_markdown(shown, [Axis(name, label)]))
    rep.add("Bins are closed on the left (the last also on the right)"
            + ("; a Latin hypercube puts about the same number of points in each." if meta["design_kind"] == "lhs"
               else "."))
    rep.table("take_off_bins.csv", table)


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


def _more_samples(meta: Mapping[str, Any]) -> str:
    samples = meta.get("samples")
    if samples:
        now = f"N = {samples}" if meta.get("design_kind") == "sobol" else f"{samples} trajectories"
        return (f"Run the experiment again with a larger `samples` in `[design]` (now {now}; {4 * int(samples)} "
                "would roughly halve the intervals, which shrink as 1/√samples).")
    return "Run the experiment again with a larger `samples` in `[design]`."


def _overall_section(rep: Report, results: pd.DataFrame, meta: Mapping[str, Any]) -> None:
    good = results[ok_mask(results)]
    rep.add("## All runs together")
    parts = []
    if "took_off" in good.columns:
        k, n = int(_took_off(good).sum()), len(good)
        low, high = wilson_interval(k, n)
        parts.append(f"The focal county took off in {k} of {n} successful runs ({_pct_ci(k / n, low, high)}).")
    for name in GRID_MEANS:
        if name in good.columns:
            mean, low, high, _ = t_interval(good[name])
            if name == "final_share":
                parts.append(f"Mean final share {_pct_ci(mean, low, high)}.")
            else:
                scale, unit = money_unit([mean, low, high])
                parts.append(f"Mean net fiscal return {_num_ci(mean, low, high, scale)} {unit}.")
    rep.add(" ".join(parts))


def _method_section(rep: Report, kind: str, *, differences: bool = False) -> None:
    rep.add("## Method",
            "Take-off probability: k runs that took off among n successful runs, with the 95% Wilson score "
            "interval (centre (p + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p(1-p)/n + z²/4n²), z = 1.96). "
            "Means: 95% Student t interval across runs, mean ± t(0.975, n-1)·s/√n (shown clipped to 0-100% for "
            "shares; the CSV files keep the raw bounds). Money in wan (10,000 CNY) in the CSV files; "
            "1 million yuan = 100 wan, 1 billion yuan = 100,000 wan.")
    if kind == "grid":
        rep.add("Heatmaps place the factor values at evenly spaced positions (one column or row per value, "
                "whatever the spacing of the values); curves drawn over them are mapped piecewise-linearly. "
                "Critical levels (numeric levers): a binomial GLM with logit link, logit P = b0 + b1 x, fitted to "
                "each row's runs; the 50% level is x = -b0/b1 with a 95% Fieller interval (every x with "
                "(b0 + b1 x)² ≤ 1.96² (v00 + 2x v01 + x² v11)) and a delta-method interval; rows whose runs all "
                "took off, all failed, or step from 0 to 1 between two levels get a sentence, not a number. The "
                "curve over the heatmap is one logistic surface in both levers with their interaction, with its "
                "pointwise 95% Fieller band; its deviance goodness-of-fit p-value is stated. Non-numeric levers "
                "keep a dashed 50% contour interpolated between cell centres.")
    if differences:
        rep.add("Differences of take-off probabilities p1 - p2 of two independent sets of runs: Newcombe's hybrid "
                "score 95% interval from the two Wilson intervals [l1, u1] and [l2, u2], "
                "[p1 - p2 - √((p1 - l1)² + (u2 - p2)²), p1 - p2 + √((u1 - p1)² + (p2 - l2)²)]."
                + (" Differences of means: Welch's 95% interval, difference ± t(0.975, ν)·se with "
                   "se = √(s1²/n1 + s2²/n2) and the Welch-Satterthwaite degrees of freedom "
                   "ν = se⁴ / ((s1²/n1)²/(n1-1) + (s2²/n2)²/(n2-1))." if kind == "packages" else ""))


def _failed_section(rep: Report, results: pd.DataFrame, factors: Sequence[Mapping[str, Any]]) -> None:
    failed = results[~ok_mask(results)]
    rep.add("## Failed runs")
    if failed.empty:
        rep.add("None.")
        return
    names = [f["name"] for f in factors if f["name"] in failed.columns]
    rep.add(f"{len(failed)} run(s) failed after their last attempt; they are excluded from every statistic above.")
    rows = []
    for _, r in failed.iterrows():
        error = str(r.get("error", "") or "")
        point = ", ".join(f"{n} = {r[n]}" for n in names)
        attempt = r.get("attempt")
        rows.append([str(r.get("run_id", "")), point, "" if attempt is None or pd.isna(attempt) else str(int(attempt)),
                     error if len(error) <= 200 else error[:197] + "..."])
    rep.add(markdown_table(["run", "point", "attempts", "error"], rows, [False, False, True, False]))
    keep = [c for c in ("run_id", "point_id", "sample_index", "replicate", "seed", *names, "attempt", "error")
            if c in failed.columns]
    rep.table("failed_runs.csv", failed[keep])


# ------------------------------------------------------------------------------ command line
def add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write figures, tables and a Markdown summary of a sweep's results",
                       description="Read a sweep folder (written by `clustersim sweep`) and write report.md, PNG "
                                   "figures and CSV tables: take-off probability heatmaps for grids, a comparison "
                                   "for named packages, sensitivity indices for Morris/Sobol designs.")
    p.add_argument("sweep_dir", metavar="DIR", type=Path, help="a sweep's results folder, e.g. results/take_off")
    p.add_argument("--out", type=Path, metavar="OUT", help="output folder (default: DIR/report)")
    p.add_argument("--baseline", metavar="PACKAGE",
                   help="packages designs: compare every package with this one (default: the experiment's "
                        "[design] baseline, if any)")
    p.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    path = write_report(args.sweep_dir, args.out, baseline=args.baseline)
    print(f"wrote {path}")
    return 0
