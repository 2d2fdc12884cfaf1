"""Report sections of the lock-in experiment kinds (``clustersim report`` on a withdrawal or ramp sweep).

- **withdrawal**: survival 10 (``after``) or more years after the withdrawal against the duration T
  of the offer (rates with Wilson intervals and the fitted logistic curve) and against the focal
  county's firm count at withdrawal (every run, and the fitted curve); the critical duration and the
  critical mass with their 95 % Fieller intervals; two tests of whether survival depends on T at all.
- **ramp**: the up and down branches of the focal share with the 10-90 % range of the replicates,
  the per-level table, and the band of levels where both states persist, or the sentence that there
  is none.

The analyses are :func:`~clustersim.thresholds.hysteresis.withdrawal_analysis` and
:func:`~clustersim.thresholds.hysteresis.ramp_analysis`; shares are the focal county's share of the
take-off measure among counties, durations in years, masses in firms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from clustersim.thresholds.dose_response import DoseResponse
from clustersim.thresholds.hysteresis import RampAnalysis, WithdrawalAnalysis, ramp_analysis, withdrawal_analysis

__all__ = ["describe_band", "lockin_sections", "ramp_figure", "withdrawal_duration_figure", "withdrawal_mass_figure"]

LEVER_LABELS = {"subsidy_depth": "subsidy depth (× face value)", "fee_rate": "fee rate"}


def lockin_sections(rep: Any, results: pd.DataFrame, meta: Mapping[str, Any]) -> None:
    """Add the sections of a withdrawal or ramp sweep (``results``: its ok runs) to the report ``rep``."""
    if meta["experiment_kind"] == "withdrawal":
        _withdrawal_sections(rep, results, meta)
    else:
        _ramp_sections(rep, results, meta)


# ------------------------------------------------------------------------------ withdrawal
def _fit_curve(ax: Any, fit: DoseResponse, lo: float, hi: float, label: str) -> None:
    if fit.coef and fit.status in ("ok", "extrapolated", "flat"):
        xs = np.linspace(lo, hi, 200)
        ax.plot(xs, 1 / (1 + np.exp(-(fit.coef[0] + fit.coef[1] * xs))), color="black", label=label)


def _critical_span(ax: Any, fit: DoseResponse, label: str) -> None:
    if fit.status in ("ok", "extrapolated") and fit.fieller_kind == "bounded" and fit.x is not None:
        ax.axvspan(*fit.ci_fieller, color="orange", alpha=0.2, label=f"{label}, 95% Fieller interval")
        ax.axvline(fit.x, color="orange", linewidth=1.5)


def withdrawal_duration_figure(a: WithdrawalAnalysis, lever: str, title: str) -> Any:
    """Survival rate by duration with 95 % Wilson intervals, the logistic fit and the critical duration."""
    from matplotlib.figure import Figure

    from clustersim.sweep.report import wilson_interval

    by = a.by_duration
    lo, hi = wilson_interval(by["survived"].to_numpy(), by["runs"].to_numpy())
    fig = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = fig.subplots()
    ax.errorbar(by[lever], by["p_survived"], yerr=[by["p_survived"] - lo, hi - by["p_survived"]], fmt="o",
                capsize=4, label="survival rate with 95% Wilson interval")
    _fit_curve(ax, a.duration, float(by[lever].min()), float(by[lever].max()), "logistic fit")
    _critical_span(ax, a.duration, "critical duration")
    _survival_axes(ax, 0.02, "years the package is offered before withdrawal", title)
    return fig


def withdrawal_mass_figure(a: WithdrawalAnalysis, title: str) -> Any:
    """Every run's outcome (survived 1 / not 0) against the focal firm count at withdrawal, the
    logistic fit and the critical mass. Points are spread vertically by a fixed pattern (no
    randomness), so the figure is the same on every call."""
    from matplotlib.figure import Figure

    runs = a.runs
    mass = runs["mass_at_withdrawal"].to_numpy(float)
    y = runs["survived"].astype(float).to_numpy()
    spread = ((np.arange(y.size) * 0.618034) % 1.0 - 0.5) * 0.06
    fig = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = fig.subplots()
    ax.scatter(mass, y + spread, s=12, alpha=0.5, color="#1f77b4", label="runs (1 survived, 0 not)")
    if mass.size:
        _fit_curve(ax, a.mass, float(mass.min()), float(mass.max()), "logistic fit")
    _critical_span(ax, a.mass, "critical mass")
    _survival_axes(ax, 0.08, "focal county's firms at withdrawal", title)
    return fig


def _survival_axes(ax: Any, margin: float, xlabel: str, title: str) -> None:
    """The 50 % line, a probability axis with ``margin`` either side, labels, title and legend."""
    ax.axhline(0.5, color="grey", linestyle=":")
    ax.set_ylim(-margin, 1 + margin)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("P(cluster survives)")
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8)


def _critical_row(name: str, unit: str, fit: DoseResponse) -> dict[str, Any]:
    return {"quantity": name, "unit": unit, "status": fit.status, "estimate": fit.x, "fieller_low": fit.ci_fieller[0],
            "fieller_high": fit.ci_fieller[1], "fieller_kind": fit.fieller_kind, "delta_low": fit.ci_delta[0],
            "delta_high": fit.ci_delta[1], "gof_pvalue": fit.gof_pvalue, "message": fit.message}


def _withdrawal_sections(rep: Any, results: pd.DataFrame, meta: Mapping[str, Any]) -> None:
    from clustersim.sweep.report import markdown_table, wilson_interval

    study = meta["study"]
    lever, after = study["lever"], int(study["after"])
    rule = meta.get("take_off_rule") or {}
    a = withdrawal_analysis(results, lever)
    unobservable = int((~results["observable"].astype(bool)).sum())
    rep.add("## Withdrawal: does the cluster hold once the package is withdrawn?")
    rep.add(f"The focal county offers its package for T years, then withdraws it (firms that came keep what they "
            f"were promised). A run **survives** when the focal county's share is at least "
            f"{rule.get('threshold', float('nan')):.0%} in each of the {rule.get('hold_years', '?')} years starting "
            f"{after} years after the offer ends. {len(a.runs)} runs"
            + (f" ({unobservable} more ended before their survival window and are left out)" if unobservable else "")
            + ".")
    rep.add(f"- **Critical duration** (the T at which survival becomes more likely than not): {a.duration.text()} "
            "years.\n"
            f"- **Critical mass** (the focal county's firm count at withdrawal at which survival becomes more likely "
            f"than not): {a.mass.text('{:.0f}')} firms.\n"
            f"- Does survival depend on T at all? Likelihood-ratio test of a zero slope in logit P = b0 + b1 T: "
            f"b1 = {a.slope:.3g} per year, p = {a.slope_p:.3g}; chi-square test of equal survival across "
            f"durations: p = {a.homogeneity_p:.3g}.")
    # (the mass fit is over single runs, whose deviance says nothing about the fit: no such note for it)
    if a.duration.poor_fit:
        rep.add(f"The logistic curve fits survival against the duration poorly (goodness-of-fit p = "
                f"{a.duration.gof_pvalue:.3f}): read the rates by duration rather than the fitted level.")
    rep.figure("withdrawal_duration.png", withdrawal_duration_figure(a, lever, f"Survival {after}+ years after "
               "withdrawal, by years offered"), "survival by duration with the fitted curve and critical duration")
    rep.figure("withdrawal_mass.png", withdrawal_mass_figure(a, f"Survival {after}+ years after withdrawal, by firms "
               "at withdrawal"), "survival by firm count at withdrawal with the fitted curve and critical mass")
    by = a.by_duration
    lo, hi = wilson_interval(by["survived"].to_numpy(), by["runs"].to_numpy())
    rows = [[f"{r[lever]:g}", f"{int(r['runs'])}", f"{int(r['survived'])}",
             f"{r['p_survived']:.0%} [{lw:.0%}, {hg:.0%}]", f"{r['mass_mean']:.1f}"]
            for (_, r), lw, hg in zip(by.iterrows(), lo, hi, strict=True)]
    rep.add(markdown_table(["years offered", "runs", "survived", "P(survives) [95% Wilson]",
                            "mean firms at withdrawal"], rows, right=[True] * 5))
    rep.table("withdrawal_by_duration.csv", by.assign(wilson_low=lo, wilson_high=hi))
    rep.table("withdrawal_critical.csv", pd.DataFrame([_critical_row("critical_duration", "years", a.duration),
                                                       _critical_row("critical_mass", "firms", a.mass)]))
    rep.add("## Method",
            "Critical duration: a binomial GLM with logit link, logit P = b0 + b1 T, fitted to the survivors per "
            "duration; the 50% level is T = -b0/b1 with a 95% Fieller interval (every T with (b0 + b1 T)² ≤ "
            "1.96² (v00 + 2T v01 + T² v11)), a delta-method interval in withdrawal_critical.csv, and a sentence "
            "instead of a number when the runs do not locate it (all survived, none did, a step between two "
            "durations, a flat or unbounded fit). Critical mass: the same fit on the single runs against the firm "
            "count in the last year of the offer (its deviance goodness-of-fit p-value, in withdrawal_critical.csv, is "
            "not a test of fit for single runs). Survival rates: 95% Wilson score intervals. Independence of T: "
            "the likelihood-ratio test of b1 = 0 (1 degree of freedom) and Pearson's chi-square test of a "
            "durations × (survived, not) table.")


# ------------------------------------------------------------------------------ ramp
def _level_fmt(lever: str) -> Any:
    return (lambda v: f"{100 * v:.3g}%") if lever == "fee_rate" else (lambda v: f"{v:.3g}")


def ramp_figure(analysis: RampAnalysis, lever_label: str, title: str) -> Any:
    """Up and down branches of the focal share (mean and 10-90 % of the replicates), the take-off
    threshold, and the hysteresis band if any."""
    from matplotlib.figure import Figure

    t = analysis.table
    fig = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = fig.subplots()
    for branch, colour, marker in (("up", "#1f77b4", "^"), ("down", "#d62728", "v")):
        ax.fill_between(t["level"], t[f"share_{branch}_low"], t[f"share_{branch}_high"], color=colour, alpha=0.2,
                        linewidth=0)
        ax.plot(t["level"], t[f"share_{branch}_mean"], color=colour, marker=marker,
                label=f"{'raising' if branch == 'up' else 'lowering'} the lever (mean, 10-90% of replicates)")
    ax.axhline(analysis.threshold, color="grey", linestyle=":", label="take-off threshold")
    if analysis.band is not None:
        ax.axvspan(analysis.band[0], analysis.band[1], color="orange", alpha=0.15, label="hysteresis band")
    ax.set_xlabel(lever_label)
    ax.set_ylabel("focal share at the end of each hold")
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8)
    return fig


def describe_band(analysis: RampAnalysis, lever_label: str, *, increasing: bool = True, fmt: Any = None) -> str:
    """The band in words; ``increasing``: the lever helps the cluster (subsidy depth), else it hurts (a fee)."""
    fmt = fmt or (lambda v: f"{v:.3g}")
    if analysis.band is None:
        t = analysis.table
        held = (t["cluster_up"] >= 0.5) & (t["cluster_down"] >= 0.5)
        none = (t["cluster_up"] < 0.5) & (t["cluster_down"] < 0.5)
        head = f"**No hysteresis**: at no {lever_label} tried do both states persist"
        if held.all():
            return (f"{head}: at every level, on the way up and on the way down, at least half the replicates hold "
                    "a cluster. The ramp never dissolves the cluster once it has formed, so this range shows lock-in "
                    "of the cluster but cannot locate a band (a wider range might).")
        if none.all():
            return (f"{head}: at every level, on the way up and on the way down, fewer than half the replicates hold "
                    "a cluster. The ramp never creates one, so there is no state to lock in within this range.")
        return (f"{head} (the way up and the way down agree within noise, exact McNemar test at 5%). That is a "
                "result: in this configuration the cluster follows the lever and does not hold once it is reversed.")
    lo, hi = analysis.band
    if increasing:
        how = ("raised from below, fewer than half the replicates hold a cluster; lowered from above, at least half "
               "keep it")
    else:
        how = ("raised from below, at least half the replicates keep the cluster they formed; lowered from above, "
               "fewer than half form one")
    return (f"**Hysteresis band**: at {lever_label} {fmt(lo)}–{fmt(hi)} both states persist: {how} (exact McNemar "
            "test on the paired replicates, 5%).")


def _ramp_sections(rep: Any, results: pd.DataFrame, meta: Mapping[str, Any]) -> None:
    from clustersim.sweep.report import markdown_table

    study = meta["study"]
    lever = study["lever"]
    label, fmt = LEVER_LABELS.get(lever, lever), _level_fmt(lever)
    threshold = float((meta.get("take_off_rule") or {}).get("threshold", math.nan))
    a = ramp_analysis(results, study, threshold)
    inc = lever == "subsidy_depth"
    n = len(results)
    rep.add("## Ramp: raising the lever slowly, then lowering it back")
    rep.add(f"Each of {n} runs sets the focal county's {label} to {study['steps']} levels from {fmt(study['low'])} "
            f"to {fmt(study['high'])}, {study['settle']} years at each, then back down; the focal share at the end "
            f"of each hold is one point of the way up or the way down. A run holds a cluster at a level when that "
            f"share is at least {threshold:.0%}.")
    rep.add(describe_band(a, label, increasing=inc, fmt=fmt))
    rep.figure("ramp.png", ramp_figure(a, label, "Focal share, raising then lowering the lever"),
               "up and down branches of the focal share with replicate bands")
    t = a.table
    rows = [[fmt(r["level"]), f"{round(r['cluster_up'] * n)}/{n}", f"{round(r['cluster_down'] * n)}/{n}",
             f"{r['share_up_mean']:.0%} [{r['share_up_low']:.0%}, {r['share_up_high']:.0%}]",
             f"{r['share_down_mean']:.0%} [{r['share_down_low']:.0%}, {r['share_down_high']:.0%}]",
             f"{r['mcnemar_p']:.3g}", "yes" if r["both_states"] else ""] for _, r in t.iterrows()]
    rep.add(markdown_table([label, "cluster, way up", "cluster, way down", "share up (mean [10%, 90%])",
                            "share down (mean [10%, 90%])", "McNemar p", "both states"], rows))
    rep.table("ramp.csv", t)
    rep.add("## Method",
            "A level is in the hysteresis band when the two branches disagree about the state in the direction of "
            "lock-in (at least half the replicates hold a cluster on one branch and fewer than half on the other) "
            "and the paired replicates differ beyond noise: the exact McNemar test (a binomial test on the runs "
            "whose state differs between the branches) at 5%. Bands of the share: the 10% and 90% quantiles of "
            "the replicates.")
