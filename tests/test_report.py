"""`clustersim report`: statistics checked against hand computations on small fixed tables, the
sensitivity path on functions with known indices, and the report folder (files, reproducibility,
errors). No model runs: the results tables are written by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clustersim.cli import main
from clustersim.scenario import ScenarioError
from clustersim.sweep.report import (
    MEAN_RESAMPLES,
    MEAN_SEED,
    Z95,
    baseline_table,
    binned_table,
    bootstrap_interval,
    build_report,
    median_interval,
    newcombe_interval,
    package_table,
    sample_problems,
    sensitivity_table,
    t_interval,
    take_off_table,
    welch_interval,
    wilson_interval,
    write_report,
)

T975 = {2: 4.302653, 3: 3.182446, 4: 2.776445, 5: 2.570582}  # Student t 0.975 quantiles (printed tables)


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval written out on plain floats (not the code under test)."""
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_wilson_interval_matches_closed_form_and_published_values():
    from scipy.stats import norm

    assert abs(Z95 - norm.ppf(0.975)) < 1e-12
    # published 95% Wilson intervals (4 decimals): 3/5 -> [0.2307, 0.8824]; 0/4 -> [0, z²/(4+z²)] =
    # [0, 0.4899]; 5/5 -> [5/(5+z²), 1] = [0.5655, 1]; 1/3 -> [0.0615, 0.7923]
    published = {(3, 5): (0.2307, 0.8824), (0, 4): (0.0, 0.4899), (5, 5): (0.5655, 1.0), (1, 3): (0.0615, 0.7923)}
    for (k, n), (low, high) in published.items():
        got = wilson_interval(k, n)
        assert got == pytest.approx(wilson_by_hand(k, n), abs=1e-12)
        assert got == pytest.approx((low, high), abs=5e-5)
    low, high = wilson_interval(np.array([0, 2]), np.array([0, 4]))
    assert math.isnan(low[0]) and math.isnan(high[0]) and (low[1], high[1]) == pytest.approx(wilson_by_hand(2, 4))
    with pytest.raises(ValueError):
        wilson_interval(4, 3)


def test_bootstrap_interval_matches_scipy_and_respects_the_support():
    # the case: incentives paid, mostly nothing and a few large payments. The t interval goes below zero
    # (an amount that cannot be negative); the percentile interval is scipy's and stays within [min, max]
    paid = [0.0] * 13 + [2.0, 2.5, 3.0]
    mean, t_low, _, _ = t_interval(paid)
    assert t_low < 0
    mean, low, high, n = bootstrap_interval([*paid, float("nan")])
    assert (mean, n) == (pytest.approx(7.5 / 16), 16)
    assert (low, high) == pytest.approx(scipy_percentile(paid), rel=1e-12)
    assert 0.0 <= low < mean < high <= 3.0
    # skewed: longer on the side of the long tail
    assert high - mean > mean - low
    assert bootstrap_interval([4.0, 4.0, 4.0]) == (4.0, 4.0, 4.0, 3)  # no spread: the value itself
    mean, low, high, n = bootstrap_interval([7.0])
    assert (mean, n) == (7.0, 1) and math.isnan(low) and math.isnan(high)
    assert bootstrap_interval([])[3] == 0
    # the same values give the same interval on every call (fixed seed), whatever was computed before
    assert bootstrap_interval(paid) == bootstrap_interval(paid)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 1e6), min_size=2, max_size=30))
def test_bootstrap_intervals_of_nonnegative_amounts_are_nonnegative(values):
    mean, low, high, _ = bootstrap_interval(values)
    assert min(values) <= low <= high <= max(values)
    assert low <= mean * (1 + 1e-12) + 1e-12 and mean <= high * (1 + 1e-12) + 1e-12


def test_report_intervals_of_nonnegative_outcomes_are_nonnegative():
    table = package_table(package_results(), "package", ["district", "none"])
    for stem in ("jobs", "incentives_paid", "cost_per_job"):
        lows = table[f"{stem}_low"].dropna()
        assert (lows >= 0).all(), (stem, lows.tolist())
    shares = take_off_table(grid_results(), "subsidy_depth", "fee_rate")
    assert ((shares["final_share_low"] >= 0) & (shares["final_share_high"] <= 1)).all()


def test_t_and_median_intervals_by_hand():
    # values 1..5: mean 3, s = sqrt(2.5), half-width t(0.975, 4) * s / sqrt(5)
    mean, low, high, n = t_interval([1, 2, 3, 4, 5, float("nan")])
    half = 2.776445 * math.sqrt(2.5) / math.sqrt(5)
    assert (mean, low, high, n) == pytest.approx((3.0, 3.0 - half, 3.0 + half, 5), abs=1e-5)
    mean, low, high, n = t_interval([7.0])
    assert (mean, n) == (7.0, 1) and math.isnan(low) and math.isnan(high)  # one value: no spread to estimate
    mean, low, high, n = t_interval([])
    assert n == 0 and math.isnan(mean) and math.isnan(low) and math.isnan(high)
    # n = 6: 2 P(Bin(6, 1/2) <= 0) = 2/64 <= 0.05 but 2 P(<= 1) = 14/64 > 0.05, so [x(1), x(6)]
    assert median_interval([9, 5, 7, 6, np.inf, np.inf]) == (8.0, 5.0, np.inf)
    # n = 5: 2/32 > 0.05, no distribution-free 95% interval
    med, low, high = median_interval([1, 2, 3, 4, 5])
    assert med == 3.0 and math.isnan(low) and math.isnan(high)
    # 3 of 5 never: the median is "never"
    assert median_interval([1, 2, np.inf, np.inf, np.inf])[0] == np.inf


def newcombe_by_hand(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Newcombe's method 10 written out from the hand-computed Wilson intervals."""
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = wilson_by_hand(k1, n1), wilson_by_hand(k2, n2)
    return p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def welch_by_hand(x: list[float], y: list[float]) -> tuple[float, float, float, float]:
    """Welch's interval on plain floats; only the t quantile (fractional df) comes from scipy."""
    from scipy.stats import t

    mx, my = sum(x) / len(x), sum(y) / len(y)
    vx = sum((v - mx) ** 2 for v in x) / (len(x) - 1) / len(x)
    vy = sum((v - my) ** 2 for v in y) / (len(y) - 1) / len(y)
    df = (vx + vy) ** 2 / (vx ** 2 / (len(x) - 1) + vy ** 2 / (len(y) - 1))
    half = t.ppf(0.975, df) * math.sqrt(vx + vy)
    return mx - my, mx - my - half, mx - my + half, df


def test_newcombe_interval_matches_the_published_examples():
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (4 decimals)
    published = {(56, 70, 48, 80): (0.0524, 0.3339), (9, 10, 3, 10): (0.1705, 0.8090),
                 (5, 56, 0, 29): (-0.0381, 0.1926), (0, 10, 0, 20): (-0.1611, 0.2775)}
    for (k1, n1, k2, n2), (low, high) in published.items():
        d, got_low, got_high = newcombe_interval(k1, n1, k2, n2)
        assert d == pytest.approx(k1 / n1 - k2 / n2, abs=1e-15)
        assert (got_low, got_high) == pytest.approx(newcombe_by_hand(k1, n1, k2, n2), abs=1e-12)
        assert (got_low, got_high) == pytest.approx((low, high), abs=5e-5)
    # at the extremes it stays inside [-1, 1]: 0/10 against 10/10 has Wilson intervals [0, u] and [1 - u, 1],
    # u = z²/(10 + z²), so [-1 - 0, -1 + sqrt(u² + u²)] = [-1, -0.6075] (Table II example (f))
    u = Z95 ** 2 / (10 + Z95 ** 2)
    assert newcombe_interval(0, 10, 10, 10) == pytest.approx((-1.0, -1.0, -1.0 + math.sqrt(2) * u), abs=1e-12)
    assert newcombe_interval(0, 10, 10, 10)[2] == pytest.approx(-0.6075, abs=5e-5)
    assert all(math.isnan(v) for v in newcombe_interval(1, 3, 0, 0))


def test_welch_interval_by_hand_and_against_scipy():
    from scipy.stats import ttest_ind

    x, y = [1.0, 2, 3, 4, 9], [0.0, 0.5, 1]
    # means 3.8 and 0.5; s_x² = 38.8 / 4 = 9.7, s_y² = 0.25; se² = 9.7/5 + 0.25/3 = 2.02333,
    # df = se⁴ / ((9.7/5)²/4 + (0.25/3)²/2) = 4.33503
    d, low, high, df = welch_interval([*x, float("nan")], y)
    assert (d, df) == pytest.approx((3.3, 4.33503), abs=1e-5)
    assert (d, low, high, df) == pytest.approx(welch_by_hand(x, y), rel=1e-12)
    ci = ttest_ind(x, y, equal_var=False).confidence_interval(0.95)
    assert (low, high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    # equal variances and sizes: df = 2 (n - 1), the pooled t interval
    assert welch_interval([1.0, 2, 3], [4.0, 5, 6])[3] == pytest.approx(4.0)
    assert welch_interval([2.0, 2.0], [1.0, 1.0])[:3] == (1.0, 1.0, 1.0)  # two constant samples: no spread
    d, low, high, df = welch_interval([5.0], [1.0, 2.0])
    assert d == 3.5 and math.isnan(low) and math.isnan(high) and math.isnan(df)
    assert math.isnan(welch_interval([], [1.0, 2.0])[0])


# ------------------------------------------------------------------------------ a fixed 2 x 2 grid
# cell (subsidy_depth, fee_rate): took off k of n ok runs, plus failed runs
CELLS = {(0.0, 0.01): (0, 4, 1), (2.0, 0.01): (5, 5, 0), (0.0, 0.04): (1, 3, 0), (2.0, 0.04): (3, 5, 0)}


def grid_results() -> pd.DataFrame:
    rows = []
    for point, ((depth, fee), (k, n, failed)) in enumerate(CELLS.items()):
        for r in range(n + failed):
            ok = r < n
            share = 0.1 * (r + 1) + depth * 0.1  # 0.1, 0.2, ... (+0.2 at depth 2)
            rows.append({
                "run_id": f"{point:016x}-{r:04d}", "point_id": f"{point:016x}", "sample_index": point,
                "replicate": r, "seed": 1000 * point + r, "subsidy_depth": depth, "fee_rate": fee,
                "status": "ok" if ok else "failed", "error": "" if ok else "RuntimeError: boom | bad",
                "attempt": 1 if ok else 2, "model_seconds": 0.1, "finished_at": "2026-01-01T00:00:00+00:00",
                "took_off": (r < k) if ok else None,
                "final_share": share if ok else np.nan,
                "net_fiscal_return": (1000.0 * (r - 1) - 4000.0 * fee * 100 + 3000.0 * depth) if ok else np.nan,
            })
    return pd.DataFrame(rows)


def test_take_off_table_matches_hand_counts_and_intervals():
    table = take_off_table(grid_results(), "subsidy_depth", "fee_rate")
    assert len(table) == 4
    for (depth, fee), (k, n, failed) in CELLS.items():
        row = table[(table["subsidy_depth"] == depth) & (table["fee_rate"] == fee)].iloc[0]
        assert (row.n_ok, row.n_failed, row.took_off) == (n, failed, k)  # failed runs are not "no take-off"
        assert row.p_took_off == pytest.approx(k / n)
        assert (row.p_took_off_low, row.p_took_off_high) == pytest.approx(wilson_by_hand(k, n), abs=1e-12)
    # cell (2, 0.04): final shares 0.3, 0.4, 0.5, 0.6, 0.7 -> mean 0.5 with scipy's bootstrap percentile interval
    row = table[(table["subsidy_depth"] == 2.0) & (table["fee_rate"] == 0.04)].iloc[0]
    assert (row.final_share_mean, row.final_share_low, row.final_share_high) == pytest.approx(
        (0.5, *scipy_percentile([0.3, 0.4, 0.5, 0.6, 0.7])), abs=1e-12)
    # cell (0, 0.01): 4 ok runs, net = 1000 (r - 1) - 4000 for r = 0..3 -> -5000, -4000, -3000, -2000:
    # mean -3500; the failed run's NaN is not counted
    row = table[(table["subsidy_depth"] == 0.0) & (table["fee_rate"] == 0.01)].iloc[0]
    assert row.net_fiscal_return_n == 4
    assert (row.net_fiscal_return_mean, row.net_fiscal_return_low, row.net_fiscal_return_high) == pytest.approx(
        (-3500.0, *scipy_percentile([-5000.0, -4000, -3000, -2000])), rel=1e-12)


def scipy_percentile(values) -> tuple[float, float]:
    """The oracle for means' intervals: scipy.stats.bootstrap's percentile interval, same resamples and seed."""
    from scipy.stats import bootstrap

    res = bootstrap((np.asarray(values, float),), np.mean, n_resamples=MEAN_RESAMPLES, method="percentile",
                    rng=np.random.default_rng(MEAN_SEED))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


# ------------------------------------------------------------------------------ packages
def package_results() -> pd.DataFrame:
    # "none": 4 runs, no incentives, 1 take-off. "district": 6 ok runs + 1 failed, 4 take-offs.
    none = pd.DataFrame({"package": "none", "status": "ok", "took_off": [True, False, False, False],
                         "jobs": [0.0, 10.0, 20.0, 30.0], "incentives_paid": 0.0, "extra_revenue": [0.0, 5, 10, 15],
                         "net_fiscal_return": [0.0, 5, 10, 15], "cost_per_job": np.nan, "payback_year": np.nan})
    district = pd.DataFrame({
        "package": "district", "status": ["ok"] * 6 + ["failed"],
        "took_off": [True, True, False, True, True, False, None],
        "jobs": [100.0, 200, 0, 300, 400, 500, np.nan],
        "incentives_paid": [1000.0, 1000, 1000, 1000, 1000, 1000, np.nan],
        "extra_revenue": [1500.0, 1200, 100, 1800, 1100, 400, np.nan],
        "net_fiscal_return": [500.0, 200, -900, 800, 100, -600, np.nan],
        "cost_per_job": [10.0, 5, np.nan, 1000 / 300, 2.5, 2, np.nan],
        "payback_year": [9.0, 5, np.nan, 7, 6, np.nan, np.nan]})
    return pd.concat([none, district], ignore_index=True)


def test_package_table_matches_hand_numbers():
    table = package_table(package_results(), "package", ["district", "none"]).set_index("package")
    d = table.loc["district"]
    assert (d.n_runs, d.n_ok, d.n_failed, d.took_off) == (7, 6, 1, 4)
    assert (d.p_took_off_low, d.p_took_off_high) == pytest.approx(wilson_by_hand(4, 6), abs=1e-12)
    # net fiscal return 500, 200, -900, 800, 100, -600: mean 100/6 with scipy's bootstrap percentile interval
    x = [500.0, 200, -900, 800, 100, -600]
    assert (d.net_fiscal_return_mean, d.net_fiscal_return_low, d.net_fiscal_return_high) == pytest.approx(
        (sum(x) / 6, *scipy_percentile(x)), rel=1e-12)
    # incentives paid are the same in every run: the interval is that amount, not a symmetric band around it
    assert (d.incentives_paid_low, d.incentives_paid_high) == (1000.0, 1000.0)
    # cost per job: the run without jobs has none; mean of the 5 others
    assert d.cost_per_job_n == 5 and d.cost_per_job_mean == pytest.approx((10 + 5 + 1000 / 300 + 2.5 + 2) / 5)
    # payback: 4 of 6 paying runs paid back; median of 5, 6, 7, 9, never, never = (7 + 9) / 2
    assert (d.paid_back, d.payback_eligible) == (4, 6)
    assert (d.p_paid_back_low, d.p_paid_back_high) == pytest.approx(wilson_by_hand(4, 6), abs=1e-12)
    assert (d.payback_year_median, d.payback_year_low, d.payback_year_high) == (8.0, 5.0, math.inf)
    n = table.loc["none"]
    assert (n.n_ok, n.took_off, n.payback_eligible) == (4, 1, 0)  # paid nothing, so nothing to pay back
    assert math.isnan(n.p_paid_back) and math.isnan(n.cost_per_job_mean)
    assert n.jobs_mean == pytest.approx(15.0)


# ------------------------------------------------------------------------------ sensitivity
def _salib_results(kind: str, f, replicates: int = 2) -> tuple[pd.DataFrame, dict]:
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3}
    if kind == "morris":
        from SALib.sample import morris

        x = morris.sample(problem, 20, num_levels=4, seed=7)
        meta = {"design_kind": "morris", "salib_problem": problem, "morris_levels": 4, "samples": 20}
    else:
        from SALib.sample import sobol

        x = sobol.sample(problem, 1024, calc_second_order=False, seed=7)
        meta = {"design_kind": "sobol", "salib_problem": problem, "sobol_second_order": False, "samples": 1024}
    rows = []
    for i, (a, b, c) in enumerate(x):
        for r in range(replicates):
            # replicate noise +-0.5 averages out exactly per sample point
            noise = 0.5 if r % 2 == 0 else -0.5
            rows.append({"sample_index": i, "replicate": r, "a": a, "b": b, "c": c, "status": "ok",
                         "final_share": f(a, b, c) + noise, "took_off": bool(a > 0.5), "net_fiscal_return": 1.0})
    return pd.DataFrame(rows), meta


def test_morris_ranks_a_known_linear_function():
    # y = 3a + 0b + 1c over the unit cube: every elementary effect of a is exactly 3, of b 0, of c 1
    results, meta = _salib_results("morris", lambda a, b, c: 3 * a + c)
    table = sensitivity_table(results, meta)
    fs = table[table["outcome"] == "final_share"].set_index("factor")
    assert fs.loc["a", "mu_star"] == pytest.approx(3.0)
    assert fs.loc["b", "mu_star"] == pytest.approx(0.0, abs=1e-9)
    assert fs.loc["c", "mu_star"] == pytest.approx(1.0)
    assert fs.loc["a", "sigma"] == pytest.approx(0.0, abs=1e-9)  # linear: no spread of effects
    # took_off = [a > 0.5] depends on a only: with 4 levels (0, 1/3, 2/3, 1) a step of a is delta = 2/3
    # (0 <-> 2/3 or 1/3 <-> 1), always across 0.5, so every effect of a is 1 / (2/3) = 1.5;
    # net_fiscal_return is constant and is left out, not reported as 0
    to = table[table["outcome"] == "took_off"].set_index("factor")
    assert to.loc["a", "mu_star"] == pytest.approx(1.5) and to.loc["b", "mu_star"] == 0 and to.loc["c", "mu_star"] == 0
    assert table.attrs["constant"] == ["net_fiscal_return"]
    # a sample point without a successful run makes the indices impossible: an error, not a guess
    broken = results.copy()
    broken.loc[broken["sample_index"] == 3, "status"] = "failed"
    with pytest.raises(ValueError, match="1 of 80 sample points"):
        sensitivity_table(broken, meta)


def test_sobol_first_order_of_a_linear_function():
    # y = 3a + b (+ 0c), a, b, c ~ U(0, 1): Var = (9 + 1) / 12, so S1 = ST = 0.9, 0.1, 0. SALib's
    # estimates with N = 1024 are within a few hundredths (its 95% bootstrap confidence here ~0.02-0.05)
    results, meta = _salib_results("sobol", lambda a, b, c: 3 * a + b)
    fs = sensitivity_table(results, meta, ["final_share"]).set_index("factor")
    assert list(fs["S1"]) == pytest.approx([0.9, 0.1, 0.0], abs=0.05)
    assert list(fs["ST"]) == pytest.approx([0.9, 0.1, 0.0], abs=0.05)


# ------------------------------------------------------------------------------ the report folder
def write_sweep_folder(root, results: pd.DataFrame, meta: dict, factor_names: list[str]):
    """A sweep folder as `clustersim sweep` lays it out: design.json, design.parquet, runs/part-*."""
    root.mkdir(parents=True, exist_ok=True)
    defaults = {"status": "ok", "error": "", "attempt": 1, "model_seconds": 0.1,
                "finished_at": "2026-01-01T00:00:00+00:00"}
    results = results.assign(**{c: v for c, v in defaults.items() if c not in results.columns})
    design_cols = ["run_id", "point_id", "sample_index", "replicate", "seed", *factor_names]
    results[design_cols].to_parquet(root / "design.parquet", index=False)
    (root / "runs").mkdir()
    results.to_parquet(root / "runs" / "part-000001-0a1b2c3d.parquet", index=False)
    (root / "design.json").write_text(json.dumps(meta), encoding="utf-8")
    return root


GRID_META = {
    "experiment": "tiny_grid", "description": "A hand-made 2 x 2 grid.", "design_kind": "grid",
    "factors": [
        {"name": "subsidy_depth", "role": "lever", "parameters": ["focal.subsidy_depth"], "values": [0.0, 2.0],
         "label": "subsidy depth (× face value)"},
        {"name": "fee_rate", "role": "lever", "parameters": ["focal.fee_rate"], "values": [0.01, 0.04],
         "label": "focal fee (share of revenue)"}],
    "replicates": 5, "sweep_seed": 1, "years": 40, "outcomes": ["took_off", "final_share", "net_fiscal_return"],
    "fiscal_baseline": "initial", "focal_county": "county_01", "salib_problem": None, "samples": None,
}


def test_write_report_on_a_grid_folder_is_complete_and_reproducible(tmp_path):
    sweep = write_sweep_folder(tmp_path / "sweep", grid_results(), GRID_META, ["subsidy_depth", "fee_rate"])
    path = write_report(sweep)
    assert path == sweep / "report" / "report.md"
    out = path.parent
    files = sorted(p.name for p in out.iterdir())
    assert files == ["critical_levels.csv", "failed_runs.csv", "final_share.png", "net_fiscal_return.png",
                     "report.md", "take_off_probability.png", "take_off_table.csv"]
    text = path.read_text(encoding="utf-8")
    assert "# Sweep report: tiny_grid" in text and "A hand-made 2 x 2 grid." in text
    assert "**17 ok**, **1 failed**" in text
    # the headline comes from the numbers: p > 50% in cells 5/5 and 3/5; only 5/5 has its lower bound above 50%
    assert ("more likely than not (estimated probability above 50%; a cell at exactly 50% is not counted) in 2 of 4 "
            "combinations") in text
    assert "in 1 of them the whole 95% interval lies above 50%" in text
    assert "RuntimeError: boom \\| bad" in text  # the failed run's error, pipe escaped for Markdown
    lo, hi = wilson_by_hand(3, 5)
    assert f"60% [{100 * lo:.0f}%, {100 * hi:.0f}%]" in text
    csv = pd.read_csv(out / "take_off_table.csv")
    assert list(csv["took_off"]) == [0, 1, 5, 3] and list(csv["n_failed"]) == [1, 0, 0, 0]
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    write_report(sweep)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # byte-identical, PNGs included


def package_folder(root, **meta_extra):
    res = package_results()
    res.insert(0, "run_id", [f"r{i:03d}" for i in range(len(res))])
    res.insert(1, "point_id", res["package"].map({"none": "0" * 16, "district": "1" * 16}))
    res.insert(2, "sample_index", res["package"].map({"none": 0, "district": 1}))
    res.insert(3, "replicate", range(len(res)))
    res.insert(4, "seed", range(len(res)))
    res["error"] = np.where(res["status"] == "ok", "", "ValueError: no")
    meta = {**GRID_META, "experiment": "pk", "design_kind": "packages", "replicates": 7,
            "factors": [{"name": "package", "role": "package", "parameters": [], "values": ["none", "district"],
                         "label": "package"}],
            "packages": {"none": {"label": "no incentives"}, "district": {"label": "district package"}},
            **meta_extra}
    return write_sweep_folder(root, res, meta, ["package"])


def test_baseline_table_matches_hand_numbers():
    table = baseline_table(package_results(), "none", "package", ["none", "district"])
    assert list(table["package"]) == ["district"]  # the baseline has no row of its own
    d = table.iloc[0]
    assert (d.n_ok, d.baseline_n_ok) == (6, 4)  # the failed district run is left out
    # take-off: district 4 of 6, none 1 of 4
    assert d.took_off_diff == pytest.approx(4 / 6 - 1 / 4)
    assert (d.took_off_diff_low, d.took_off_diff_high) == pytest.approx(newcombe_by_hand(4, 6, 1, 4), abs=1e-12)
    # jobs: district 100, 200, 0, 300, 400, 500 (mean 250, s² = 35000) against none 0, 10, 20, 30 (mean 15,
    # s² = 500/3): se² = 35000/6 + 500/12 = 5875, df = 5875² / ((35000/6)²/5 + (500/12)²/3) = 5.0713
    jobs = welch_by_hand([100.0, 200, 0, 300, 400, 500], [0.0, 10, 20, 30])
    assert jobs[0] == 235.0 and jobs[3] == pytest.approx(5.0713, abs=1e-4)
    assert (d.jobs_diff, d.jobs_diff_low, d.jobs_diff_high, d.jobs_diff_df) == pytest.approx(jobs, rel=1e-12)
    net = welch_by_hand([500.0, 200, -900, 800, 100, -600], [0.0, 5, 10, 15])
    assert (d.net_fiscal_return_diff, d.net_fiscal_return_diff_low, d.net_fiscal_return_diff_high) == \
        pytest.approx(net[:3], rel=1e-12)
    rev = welch_by_hand([1500.0, 1200, 100, 1800, 1100, 400], [0.0, 5, 10, 15])
    assert (d.extra_revenue_diff, d.extra_revenue_diff_low, d.extra_revenue_diff_high) == \
        pytest.approx(rev[:3], rel=1e-12)
    # the other way round: the signs flip, the intervals mirror
    back = baseline_table(package_results(), "district", "package").iloc[0]
    assert (back.took_off_diff_low, back.took_off_diff_high) == pytest.approx(
        (-d.took_off_diff_high, -d.took_off_diff_low), abs=1e-12)
    with pytest.raises(ValueError, match="baseline package 'nothing'"):
        baseline_table(package_results(), "nothing")


def test_package_report_against_a_baseline(tmp_path):
    sweep = package_folder(tmp_path / "pk", baseline_package="none")
    text = write_report(sweep).read_text(encoding="utf-8")
    low, high = newcombe_by_hand(4, 6, 1, 4)  # +42 points [-14, +77]
    jobs = welch_by_hand([100.0, 200, 0, 300, 400, 500], [0.0, 10, 20, 30])
    net = welch_by_hand([500.0, 200, -900, 800, 100, -600], [0.0, 5, 10, 15])
    assert ("Compared with **no incentives**, **district package** raises the take-off probability the most, by "
            f"+42 percentage points [{100 * low:+.0f}, {100 * high:+.0f}]; on average it adds "
            f"235 [{jobs[1]:.3g}, {jobs[2]:.3g}] jobs") in text
    # money in wan here (the largest amount is below 10,000 wan)
    assert f"{net[0]:.3g} [{net[1]:.3g}, {net[2]:.3g}] wan of net fiscal return" in text
    # which differences are clear of zero follows from the hand-computed intervals
    rev = welch_by_hand([1500.0, 1200, 100, 1800, 1100, 400], [0.0, 5, 10, 15])
    assert low < 0 < high and jobs[1] > 0 and rev[1] > 0 and net[1] < 0 < net[2]
    assert ("whose 95% interval excludes zero: take-off probability (no package); jobs gained (higher with district "
            "package); extra revenue (higher with district package); net fiscal return (no package)") in text
    assert "### Compared with the baseline: no incentives" in text
    assert f"| district package | +42 pts [{100 * low:+.0f}, {100 * high:+.0f}] | +235 [" in text
    out = sweep / "report"
    assert (out / "packages_vs_baseline.png").is_file()
    csv = pd.read_csv(out / "packages_vs_baseline.csv")
    assert csv["took_off_diff_low"].iloc[0] == pytest.approx(low, abs=1e-12)
    # --baseline picks another package (district minus ... is now none minus district)
    text = write_report(sweep, tmp_path / "other", baseline="district").read_text(encoding="utf-8")
    assert "Compared with **district package**, **no incentives** lowers the take-off probability" in text
    with pytest.raises(ScenarioError, match="must name a package of this sweep: none, district"):
        write_report(sweep, tmp_path / "bad", baseline="nothing")
    grid = write_sweep_folder(tmp_path / "grid", grid_results(), GRID_META, ["subsidy_depth", "fee_rate"])
    with pytest.raises(ScenarioError, match="only for a packages design"):
        write_report(grid, baseline="none")
    # without a baseline, no comparison
    text = write_report(package_folder(tmp_path / "plain")).read_text(encoding="utf-8")
    assert "Compared with" not in text and "Newcombe" not in text


def test_write_report_on_packages_and_morris_folders(tmp_path):
    sweep = package_folder(tmp_path / "pk")
    text = write_report(sweep).read_text(encoding="utf-8")
    lo, hi = wilson_by_hand(4, 6)  # district 4 of 6, none 1 of 4
    assert (f"Take-off is most likely with **district package** (67% [{100 * lo:.0f}%, {100 * hi:.0f}%]) and least "
            "likely with no incentives (25%).") in text
    assert (sweep / "report" / "packages.png").is_file() and (sweep / "report" / "packages_table.csv").is_file()

    results, mmeta = _salib_results("morris", lambda a, b, c: 3 * a + c, replicates=1)
    results.insert(0, "run_id", [f"m{i:04d}" for i in range(len(results))])
    results.insert(1, "point_id", [f"{i:016x}" for i in results["sample_index"]])
    results.insert(4, "seed", range(len(results)))
    mmeta = {**GRID_META, **mmeta, "experiment": "morris", "replicates": 1,
             "factors": [{"name": n, "role": "uncertainty", "parameters": [f"x.{n}"], "low": 0.0, "high": 1.0,
                          "label": f"factor {n}"} for n in "abc"]}
    sweep = write_sweep_folder(tmp_path / "mo", results, mmeta, ["a", "b", "c"])
    text = write_report(sweep).read_text(encoding="utf-8")
    assert "the most influential factor is **factor a** (mu* = 3 ±" in text
    assert "Little effect (below a tenth of the largest): factor b." in text
    assert (sweep / "report" / "sensitivity.png").is_file()


def test_report_command(tmp_path, capsys, monkeypatch):
    from clustersim import cli

    # only this command's parser: the test must not depend on other subcommands' modules
    monkeypatch.setattr(cli, "SUBCOMMANDS", [cli._add_report])
    sweep = write_sweep_folder(tmp_path / "sweep", grid_results(), GRID_META, ["subsidy_depth", "fee_rate"])
    assert main(["report", str(sweep), "--out", str(tmp_path / "elsewhere")]) == 0
    assert (tmp_path / "elsewhere" / "report.md").is_file()
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a sweep folder" in err


def test_one_factor_and_pooled_grids():
    from clustersim.sweep.report import build_report

    results = grid_results()
    # one factor varies: a line chart, the grid table over that factor only
    one = results[results["fee_rate"] == 0.01]
    rep = build_report(one, GRID_META)
    assert set(rep.figures) == {"take_off_probability.png"}
    table = rep.tables["take_off_table.csv"]
    assert list(table.columns[:1]) == ["subsidy_depth"] and list(table["took_off"]) == [0, 5]
    text = "\n".join(rep.lines)
    assert "more likely than not from subsidy depth (× face value) 2 upward" in text
    # a third varying factor is pooled, and the report says so: each (depth, fee) cell holds both values
    pooled = pd.concat([results.assign(agglomeration=0.1), results.assign(agglomeration=0.3)], ignore_index=True)
    meta = {**GRID_META, "factors": [*GRID_META["factors"], {"name": "agglomeration", "role": "uncertainty",
                                                             "parameters": ["agglomeration.localisation"],
                                                             "values": [0.1, 0.3], "label": "localisation"}]}
    rep = build_report(pooled, meta)
    text = "\n".join(rep.lines)
    assert "pool the runs over localisation (2 values)" in text
    table = rep.tables["take_off_table.csv"]
    assert list(table["took_off"]) == [0, 2, 10, 6] and list(table["n_ok"]) == [8, 6, 10, 10]


# ------------------------------------------------------------------------------ range designs
LHS_META = {**GRID_META, "experiment": "lhs", "design_kind": "lhs", "replicates": 1, "samples": 8,
            "factors": [{"name": "depth", "role": "lever", "parameters": ["focal.subsidy_depth"], "low": 0.0,
                         "high": 4.0, "label": "depth"},
                        {"name": "fee", "role": "lever", "parameters": ["focal.fee_rate"], "low": 0.01,
                         "high": 0.05, "label": "fee"}]}


def lhs_results() -> pd.DataFrame:
    depth = [0.2, 0.7, 2.1, 2.6, 2.9, 3.0, 3.3, 4.0, 1.5]
    took = [False, False, True, False, True, True, True, True, None]  # the last run failed
    return pd.DataFrame({
        "run_id": [f"{i:016x}-0000" for i in range(9)], "point_id": [f"{i:016x}" for i in range(9)],
        "sample_index": range(9), "replicate": 0, "seed": range(9), "depth": depth,
        "fee": [0.01 + 0.005 * i for i in range(9)], "status": ["ok"] * 8 + ["failed"], "error": [""] * 8 + ["boom"],
        "took_off": took, "final_share": [0.05, 0.1, 0.4, 0.1, 0.5, 0.6, 0.7, 0.9, np.nan],
        "net_fiscal_return": [1.0, 2, 3, 4, 5, 6, 7, 8, np.nan]})


def test_binned_table_by_hand():
    good = lhs_results().iloc[:8]
    table = binned_table(good, "depth", 0.0, 4.0, 4)
    assert list(table["bin_low"]) == [0.0, 1.0, 2.0, 3.0] and list(table["bin_high"]) == [1.0, 2.0, 3.0, 4.0]
    # [0, 1): 0.2, 0.7 -> 0 of 2; [1, 2): none; [2, 3): 2.1, 2.6, 2.9 -> 2 of 3; [3, 4]: 3.0 (left-closed),
    # 3.3 and 4.0 (the last bin is closed on the right) -> 3 of 3
    assert list(table["n_ok"]) == [2, 0, 3, 3] and list(table["took_off"].iloc[[0, 2, 3]]) == [0, 2, 3]
    assert math.isnan(table["p_took_off"].iloc[1])
    for i, (k, n) in {0: (0, 2), 2: (2, 3), 3: (3, 3)}.items():
        assert (table["p_took_off_low"].iloc[i], table["p_took_off_high"].iloc[i]) == pytest.approx(
            wilson_by_hand(k, n), abs=1e-12)
    assert table["final_share_mean"].iloc[2] == pytest.approx((0.4 + 0.1 + 0.5) / 3)
    with pytest.raises(ValueError, match="outside"):
        binned_table(good, "depth", 0.0, 3.5, 4)


def test_lhs_report_has_a_scatter_and_a_binned_headline(tmp_path):
    rep = build_report(lhs_results(), LHS_META)
    assert {"runs_scatter.png"} <= set(rep.figures) and "take_off_bins.csv" in rep.tables
    text = "\n".join(rep.lines)
    assert "pooled statistics only" not in text
    hi0 = wilson_by_hand(0, 2)[1]
    low, high = newcombe_by_hand(3, 3, 0, 2)  # top bin minus bottom bin: +100 points [+14, +100]
    assert low > 0  # so the text must call it a clear change
    assert (f"the take-off probability goes from 0% [0%, {100 * hi0:.0f}%] at depth 0 to 1 to 100% "
            f"[{100 * wilson_by_hand(3, 3)[0]:.0f}%, 100%] at depth 3 to 4. The difference, +100 percentage points "
            f"[{100 * low:+.0f}, {100 * high:+.0f}] (Newcombe's 95% interval), is a clear change over depth.") in text
    assert "Within each bin of one factor the others vary over their ranges" in text
    # every factor is binned, not only the first: fee 0.01 to 0.05 in 4 bins of 0.01
    assert "### Take-off over depth" in text and "### Take-off over fee" in text
    bins = rep.tables["take_off_bins.csv"]
    assert list(bins["factor"].unique()) == ["depth", "fee"] and list(bins.groupby("factor")["n_ok"].sum()) == [8, 8]
    assert "| 1 to 2 | 0 | 0 | 0 | n/a |" in text  # the empty bin is shown, not dropped
    # the same with overlapping bins: no claim of a change
    flat = lhs_results().assign(took_off=[True, False, True, False, True, False, True, False, None])
    text = "\n".join(build_report(flat, LHS_META).lines)
    assert "could be sampling noise: this sample does not show a clear change over depth" in text
    # reproducible files
    sweep = write_sweep_folder(tmp_path / "lhs", lhs_results(), LHS_META, ["depth", "fee"])
    first = write_report(sweep).parent
    snapshot = {p.name: p.read_bytes() for p in first.iterdir()}
    write_report(sweep)
    assert {p.name: p.read_bytes() for p in first.iterdir()} == snapshot


# ------------------------------------------------------------------------------ too small a sensitivity sample
def test_sample_problems_thresholds():
    def sobol(st, st_conf, s1, s1_conf):
        return pd.DataFrame({"factor": ["a", "b"], "ST": st, "ST_conf": st_conf, "S1": s1, "S1_conf": s1_conf})

    assert sample_problems(sobol([0.5, 0.2], [0.2, 0.1], [0.4, 0.2], [0.1, 0.1]), "sobol") == []
    # the top factor's interval 0.5 ± 0.3 is 0.6 wide, wider than 0.5
    assert sample_problems(sobol([0.5, 0.2], [0.3, 0.1], [0.4, 0.2], [0.1, 0.1]), "sobol") == ["wide"]
    # S1 sums with confidence sqrt(0.1² + 0.1²) = 0.1414: 1.2 is outside [0, 1.1414], 1.1 is not; -0.2 < -0.1414
    assert sample_problems(sobol([0.9, 0.3], [0.1, 0.1], [0.9, 0.3], [0.1, 0.1]), "sobol") == ["s1_sum"]
    assert sample_problems(sobol([0.9, 0.3], [0.1, 0.1], [0.9, 0.2], [0.1, 0.1]), "sobol") == []
    assert sample_problems(sobol([0.9, 0.3], [0.1, 0.1], [-0.3, 0.1], [0.1, 0.1]), "sobol") == ["s1_sum"]
    morris = pd.DataFrame({"factor": ["a", "b"], "mu_star": [3.0, 1.0], "mu_star_conf": [1.4, 0.2]})
    assert sample_problems(morris, "morris") == []
    assert sample_problems(morris.assign(mu_star_conf=[1.6, 0.2]), "morris") == ["wide"]


def test_small_sobol_sample_is_called_too_small():
    from SALib.sample import sobol

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3}
    x = sobol.sample(problem, 4, calc_second_order=False, seed=7)
    rows = [{"sample_index": i, "replicate": 0, "a": a, "b": b, "c": c, "status": "ok",
             "final_share": math.sin(13 * a) + math.cos(17 * b) * c, "took_off": bool(a > 0.5)}
            for i, (a, b, c) in enumerate(x)]
    meta = {**GRID_META, "experiment": "sobol", "design_kind": "sobol", "salib_problem": problem, "samples": 4,
            "sobol_second_order": False, "replicates": 1,
            "factors": [{"name": n, "role": "uncertainty", "parameters": [f"x.{n}"], "low": 0.0, "high": 1.0,
                         "label": f"factor {n}"} for n in "abc"]}
    results = pd.DataFrame(rows)
    table = sensitivity_table(results, meta)
    rep = build_report(results, meta)
    text = "\n".join(rep.lines)
    # 20 sample points for 3 factors: SALib's intervals here are wider than the indices for both outcomes
    assert [bool(sample_problems(part, "sobol")) for _, part in table.groupby("outcome")] == [True, True]
    assert text.count("**the sample is too small to rank the factors**") == 2
    assert "(now N = 4; 16 would roughly halve the intervals" in text
    assert "interactions account for" not in text and "has the largest total effect" not in text
    # a large sample of a known function is not flagged and its interaction share is within 0..100%
    big, big_meta = _salib_results("sobol", lambda a, b, c: 3 * a + b)
    big_meta = {**GRID_META, **big_meta, "replicates": 2,
                "factors": [{"name": n, "role": "uncertainty", "parameters": [f"x.{n}"], "low": 0.0, "high": 1.0,
                             "label": f"factor {n}"} for n in "abc"]}
    text = "\n".join(build_report(big, big_meta).lines)
    assert "too small" not in text and "**factor a** has the largest total effect" in text
    import re

    shares = [int(m) for m in re.findall(r"interactions account for about (-?\d+)%", text)]
    assert shares and all(0 <= s <= 100 for s in shares)


def test_sobol_sum_outside_unit_interval_prints_no_interaction_share(monkeypatch):
    import clustersim.sweep.report.sampled as report  # the module whose section calls it

    # S1 sums to 1.10 with confidence sqrt(0.3² + 0.3²) = 0.42: outside [0, 1] but within sampling error, so
    # not flagged, and "interactions account for about -10%" must not be printed
    table = pd.DataFrame({"outcome": "final_share", "factor": ["a", "b"], "S1": [0.7, 0.4], "S1_conf": [0.3, 0.3],
                          "ST": [0.8, 0.5], "ST_conf": [0.1, 0.1]})
    table.attrs["constant"] = []
    monkeypatch.setattr(report, "sensitivity_table", lambda results, meta: table.copy())
    meta = {**GRID_META, "design_kind": "sobol", "samples": 64, "sobol_second_order": False,
            "salib_problem": {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]},
            "factors": [{"name": n, "role": "uncertainty", "parameters": [f"x.{n}"], "low": 0.0, "high": 1.0,
                         "label": n} for n in "ab"]}
    results = pd.DataFrame({"sample_index": [0], "a": [0.5], "b": [0.5], "status": ["ok"], "final_share": [0.1]})
    text = "\n".join(build_report(results, meta).lines)
    assert ("**a** has the largest total effect (ST = 0.80 ± 0.10); first-order indices sum to 1.10, outside [0, 1] "
            "but within its sampling error, so the share of interactions is not known.") in text
    assert "interactions account for" not in text
    table.loc[:, "S1"] = [0.5, 0.3]  # sum 0.8: interactions about 20%
    text = "\n".join(build_report(results, meta).lines)
    assert "sum to 0.80, so interactions account for about 20% of the variance." in text


# ------------------------------------------------------------------------------ jobs and cost of every grid cell
def test_grid_report_carries_jobs_cost_and_payback_of_every_cell_and_the_asked_outcomes():
    results = grid_results()
    ok = results["status"] == "ok"
    # cell (2, 0.01): 5 runs, jobs 100 r, incentives 1000 each, extra revenue 1500, payback in year 4 + r
    results["jobs"] = np.where(ok, 100.0 * results["replicate"], np.nan)
    results["incentives_paid"] = np.where(ok, 1000.0 * results["subsidy_depth"] / 2, np.nan)
    results["extra_revenue"] = np.where(ok, 1500.0, np.nan)
    results["cost_per_job"] = results["incentives_paid"] / results["jobs"].where(results["jobs"] > 0)
    results["payback_year"] = np.where(ok & (results["subsidy_depth"] > 0), 4.0 + results["replicate"], np.nan)
    results["hhi"] = np.where(ok, 0.25, np.nan)
    meta = {**GRID_META, "outcomes": ["took_off", "final_share", "net_fiscal_return", "hhi"]}
    rep = build_report(results, meta)
    text = "\n".join(rep.lines)
    table = rep.tables["take_off_table.csv"].set_index(["subsidy_depth", "fee_rate"])
    cell = table.loc[(2.0, 0.01)]
    assert cell.jobs_mean == pytest.approx(200.0) and cell.incentives_paid_mean == pytest.approx(1000.0)
    assert (cell.incentives_paid_low, cell.incentives_paid_high) == (1000.0, 1000.0)
    # cost per job over the 4 runs with jobs: 1000/100, 1000/200, 1000/300, 1000/400
    assert cell.cost_per_job_n == 4 and cell.cost_per_job_mean == pytest.approx((10 + 5 + 10 / 3 + 2.5) / 4)
    assert (cell.paid_back, cell.payback_eligible, cell.payback_year_median) == (5, 5, 6.0)
    assert table.loc[(0.0, 0.01)].payback_eligible == 0  # paid nothing
    assert "## Jobs and cost in every cell" in text
    assert "| 2 | 1% | 5 | 200 [" in text and "5/5: 100% [" in text and "n/a (no incentives paid)" in text
    # the outcome the experiment asked for appears, with its interval
    assert "## Further outcomes" in text and "hhi [95% CI]" in text and "| 2 | 1% | 5 | 0.25 [0.25, 0.25] |" in text
    # with the default (every outcome) there is no further-outcomes table
    from clustersim.sweep.outcomes import OUTCOMES

    every = {**GRID_META, "outcomes": list(OUTCOMES)}
    assert "## Further outcomes" not in "\n".join(build_report(results, every).lines)


def test_a_cell_at_exactly_half_is_not_more_likely_than_not():
    results = grid_results()
    half = (results["subsidy_depth"] == 0.0) & (results["fee_rate"] == 0.01) & (results["status"] == "ok")
    results.loc[half & (results["replicate"] < 2), "took_off"] = True  # 2 of 4: 50%
    text = "\n".join(build_report(results, GRID_META).lines)
    assert "in 2 of 4 combinations" in text  # still only 5/5 and 3/5
    assert "With focal fee (share of revenue) at 1%, it is more likely than not from subsidy depth (× face value) 2 " \
        "upward." in text
