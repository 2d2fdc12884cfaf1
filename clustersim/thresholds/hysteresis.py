"""Lock-in and hysteresis: does a cluster hold once the incentives stop?

Two experiments, each a sweep (crash-safe, any backend) with its own run function:

**withdrawal** (:func:`withdrawal_run`): the focal county offers its package for T years
(``focal_package.duration_years``, the experiment's grid lever), then withdraws it (firms that came
keep the rebates they were promised). A run *survives* when the focal county's share of the
relocated industry is at least the take-off threshold in each of the ``hold_years`` years starting
``after`` years after the withdrawal (default 10). From the runs: the **critical duration** (the T at
which survival becomes more likely than not) and the **critical mass** (the focal county's firm
count at withdrawal at which it does), each a logistic dose-response with its Fieller interval.

**ramp** (:func:`ramp_run`): one run raises a lever of the focal county (its subsidy depth or its fee
rate) step by step from ``low`` to ``high`` and back, holding each level ``settle`` years; the focal
share at the end of each hold is recorded on the way up and on the way down. A level is in the
**hysteresis band** when the no-cluster state persists there on the way up (fewer than half the
replicates hold a cluster) and the cluster state persists on the way down (at least half do), and
the two branches differ beyond noise (exact McNemar test on the paired replicates, 5 %). No band
is a result: the report says so.

Shares are the focal county's share of the take-off measure (employment or firms) among counties;
years are model years.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from clustersim.sweep.experiment import Experiment
from clustersim.thresholds.dose_response import DoseResponse, dose_response


@dataclasses.dataclass(frozen=True, eq=False)
class StudyExperiment(Experiment):
    """An experiment run as a withdrawal or ramp study: ``study`` holds the study's settings."""

    study: dict[str, Any] = dataclasses.field(default_factory=dict)

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "study": self.study}


__all__ = ["RAMP_LEVERS", "hysteresis_band", "ramp_levels", "ramp_run", "withdrawal_analysis", "withdrawal_run"]

WITHDRAWAL_OUTCOMES = (
    "survived",
    "observable",
    "withdrawal_year",
    "mass_at_withdrawal",
    "share_at_withdrawal",
    "share_after",
)
#: ramp levers: name -> the focal county's state array the ramp sets each year
RAMP_LEVERS = {"subsidy_depth": "depth", "fee_rate": "fee_rate"}


# ------------------------------------------------------------------------------ studies
def study_experiment(exp: Experiment, outcomes: tuple[str, ...], study: Mapping[str, Any]) -> Any:
    """``exp`` with the study's outcomes and settings (part of the settings fingerprint, so a
    resumed study with other settings is refused)."""
    values = {f.name: getattr(exp, f.name) for f in dataclasses.fields(exp)}
    return StudyExperiment(**{**values, "outcomes": tuple(outcomes)}, study=dict(study))


# ------------------------------------------------------------------------------ withdrawal
def _focal_package(model: Any) -> Any:
    return model.packages.packages[model.regions.package[model.focal]]


def withdrawal_run(exp: Experiment, row: Mapping[str, Any], after: int = 10) -> dict[str, Any]:
    """One withdrawal run (sweep ``run_fn``): the design row's scenario, run until ``after`` +
    ``hold_years`` years past the year the focal package is withdrawn."""
    from clustersim.scenario import build_model

    point = {f.name: row[f.name] for f in exp.factors}
    scenario = exp.scenario_for(point, int(row["seed"]))
    model = build_model(scenario, source=exp.path)
    pkg = _focal_package(model)
    end = pkg.end_year()
    if not math.isfinite(end):
        raise ValueError("the focal package is never withdrawn (duration_years is none): give it a duration")
    w = int(end)
    hold = scenario.take_off.hold_years
    model.run(w + after + hold - 1)
    shares = model.model_frame()["focal_share"].to_numpy(float)
    firms = model.model_frame()["focal_firms"].to_numpy(float)
    window = shares[w + after : w + after + hold]
    observable = window.size == hold
    return {
        "survived": bool(observable and (window >= scenario.take_off.threshold).all()),
        "observable": observable,
        "withdrawal_year": float(w),
        "mass_at_withdrawal": float(firms[w - 1]),
        "share_at_withdrawal": float(shares[w - 1]),
        "share_after": float(window[-1]) if window.size else math.nan,
    }


def withdrawal_run_fn(exp: Any, row: Mapping[str, Any]) -> dict[str, Any]:
    """Sweep ``run_fn`` of a withdrawal study (``exp``: a :func:`study_experiment`)."""
    return withdrawal_run(exp, row, after=int(exp.study["after"]))


def ramp_run_fn(exp: Any, row: Mapping[str, Any]) -> dict[str, Any]:
    """Sweep ``run_fn`` of a ramp study (``exp``: a :func:`study_experiment`)."""
    st = exp.study
    return ramp_run(
        exp,
        row,
        lever=st["lever"],
        low=float(st["low"]),
        high=float(st["high"]),
        steps=int(st["steps"]),
        settle=int(st["settle"]),
    )


@dataclasses.dataclass(frozen=True)
class WithdrawalAnalysis:
    """Critical duration (years of the offer) and critical mass (focal firms at withdrawal), the
    survival rate by duration, and a homogeneity test across durations (chi-square p-value)."""

    duration: DoseResponse
    mass: DoseResponse
    by_duration: pd.DataFrame
    homogeneity_p: float


def withdrawal_analysis(results: pd.DataFrame, lever: str) -> WithdrawalAnalysis:
    ok = results[(results["status"] == "ok") & results["observable"].astype(bool)] if "status" in results else results
    g = ok.groupby(lever)["survived"].agg(["sum", "count"]).sort_index()
    duration = dose_response(g.index.to_numpy(float), g["sum"], g["count"], increasing=True)
    mass = dose_response(
        ok["mass_at_withdrawal"].to_numpy(float), ok["survived"].astype(float), np.ones(len(ok)), increasing=True
    )
    table = np.column_stack([g["sum"], g["count"] - g["sum"]])
    homog = 1.0
    if (table.sum(axis=0) > 0).all() and len(g) > 1:
        homog = float(stats.chi2_contingency(table)[1])
    by = pd.DataFrame({lever: g.index, "runs": g["count"].to_numpy(), "survived": g["sum"].to_numpy()})
    by["p_survived"] = by["survived"] / by["runs"]
    return WithdrawalAnalysis(duration, mass, by, homog)


# ------------------------------------------------------------------------------ ramp
def ramp_levels(low: float, high: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The up branch (``steps`` levels from low to high) and the down branch (high to low)."""
    up = np.linspace(low, high, steps)
    return up, up[::-1].copy()


def ramp_run(
    exp: Experiment, row: Mapping[str, Any], *, lever: str, low: float, high: float, steps: int, settle: int
) -> dict[str, Any]:
    """One ramp run: the focal county's ``lever`` (a key of :data:`RAMP_LEVERS`) set to each level of
    the up then the down branch for ``settle`` years; records the focal share at the end of each
    hold as ``up_<i>`` and ``down_<i>`` (i indexes the ascending levels, on both branches)."""
    from clustersim.scenario import apply_overrides, build_model

    point = {f.name: row[f.name] for f in exp.factors}
    scenario = exp.scenario_for(point, int(row["seed"]))
    if lever == "subsidy_depth":  # the offer stays open for the whole ramp
        model0 = build_model(scenario, source=exp.path)
        name = model0.packages.names[model0.regions.package[model0.focal]]
        if name != "none":
            scenario = apply_overrides(scenario, {f"packages.{name}.duration_years": None})
    model = build_model(scenario, source=exp.path)
    state = getattr(model.regions, RAMP_LEVERS[lever])
    up, down = ramp_levels(low, high, steps)
    out: dict[str, Any] = {}
    for branch, levels in (("up", up), ("down", down)):
        for level in levels:
            state[model.focal] = level
            model.run(settle)
            i = int(np.argmin(np.abs(up - level)))
            out[f"{branch}_{i}"] = float(model.model_frame()["focal_share"].iloc[-1])
    return out


def ramp_outcomes(steps: int) -> tuple[str, ...]:
    return tuple(f"{b}_{i}" for b in ("up", "down") for i in range(steps))


@dataclasses.dataclass(frozen=True)
class RampAnalysis:
    """Per level (ascending): the share of replicates holding a cluster on the way up and on the way
    down, mean shares with their spread, the exact McNemar p-value, and the hysteresis band."""

    table: pd.DataFrame
    band: tuple[float, float] | None
    threshold: float


def hysteresis_band(
    results: pd.DataFrame, levels: np.ndarray, threshold: float, *, increasing: bool = True, alpha: float = 0.05
) -> RampAnalysis:
    """The band of levels where both states persist (module docstring). ``increasing``: the lever
    helps the cluster (subsidy depth) rather than hurting it (fee rate); for a lever that hurts, the
    no-cluster state is the one reached on the way up from the cluster side, so the roles swap."""
    rows = []
    for i, level in enumerate(levels):
        up = results[f"up_{i}"].to_numpy(float)
        down = results[f"down_{i}"].to_numpy(float)
        cu, cd = up >= threshold, down >= threshold
        # paired replicates: discordant pairs decide (exact McNemar = binomial test on them)
        b, c = int((cu & ~cd).sum()), int((~cu & cd).sum())
        p = float(stats.binomtest(c, b + c, 0.5).pvalue) if b + c else 1.0
        rows.append(
            {
                "level": float(level),
                "cluster_up": float(cu.mean()),
                "cluster_down": float(cd.mean()),
                "share_up_mean": float(up.mean()),
                "share_up_low": float(np.quantile(up, 0.1)),
                "share_up_high": float(np.quantile(up, 0.9)),
                "share_down_mean": float(down.mean()),
                "share_down_low": float(np.quantile(down, 0.1)),
                "share_down_high": float(np.quantile(down, 0.9)),
                "mcnemar_p": p,
            }
        )
    table = pd.DataFrame(rows)
    if increasing:
        both = (table["cluster_up"] < 0.5) & (table["cluster_down"] >= 0.5)
    else:
        both = (table["cluster_up"] >= 0.5) & (table["cluster_down"] < 0.5)
    table["both_states"] = both & (table["mcnemar_p"] < alpha)
    hits = table.loc[table["both_states"], "level"]
    band = (float(hits.min()), float(hits.max())) if len(hits) else None
    return RampAnalysis(table, band, threshold)


# ------------------------------------------------------------------------------ figures and text
def ramp_figure(analysis: RampAnalysis, lever_label: str, title: str) -> Any:
    from matplotlib.figure import Figure

    t = analysis.table
    fig = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = fig.subplots()
    for branch, colour, marker in (("up", "#1f77b4", "^"), ("down", "#d62728", "v")):
        ax.fill_between(
            t["level"], t[f"share_{branch}_low"], t[f"share_{branch}_high"], color=colour, alpha=0.2, linewidth=0
        )
        ax.plot(
            t["level"],
            t[f"share_{branch}_mean"],
            color=colour,
            marker=marker,
            label=f"{'raising' if branch == 'up' else 'lowering'} the lever (mean, 10-90% of replicates)",
        )
    ax.axhline(analysis.threshold, color="grey", linestyle=":", label="take-off threshold")
    if analysis.band is not None:
        ax.axvspan(analysis.band[0], analysis.band[1], color="orange", alpha=0.15, label="hysteresis band")
    ax.set_xlabel(lever_label)
    ax.set_ylabel("focal share at the end of each hold")
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8)
    return fig


def withdrawal_figure(analysis: WithdrawalAnalysis, lever: str, title: str) -> Any:
    from matplotlib.figure import Figure

    from clustersim.sweep.report import wilson_interval

    by = analysis.by_duration
    lo, hi = wilson_interval(by["survived"].to_numpy(), by["runs"].to_numpy())
    fig = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = fig.subplots()
    ax.errorbar(
        by[lever],
        by["p_survived"],
        yerr=[by["p_survived"] - lo, hi - by["p_survived"]],
        fmt="o",
        capsize=4,
        label="survival rate with 95% Wilson interval",
    )
    d = analysis.duration
    if d.coef and d.status in ("ok", "extrapolated", "flat"):
        xs = np.linspace(float(by[lever].min()), float(by[lever].max()), 200)
        ax.plot(xs, 1 / (1 + np.exp(-(d.coef[0] + d.coef[1] * xs))), color="black", label="logistic fit")
    if d.located:
        ax.axvspan(*d.ci_fieller, color="orange", alpha=0.2, label="critical duration, 95% Fieller")
    ax.axhline(0.5, color="grey", linestyle=":")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("years the package is offered before withdrawal")
    ax.set_ylabel("P(cluster survives)")
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8)
    return fig


def describe_band(analysis: RampAnalysis, lever_label: str, *, increasing: bool = True) -> str:
    """The band in words; ``increasing``: the lever helps the cluster (subsidy depth), else it hurts (a fee)."""
    if analysis.band is None:
        return (f"No hysteresis: at no {lever_label} tried do both states persist (the way up and the way down agree "
                "within noise, exact McNemar test at 5%). That is a result: in this configuration the cluster "
                "follows the lever and does not hold once it is reversed.")
    lo, hi = analysis.band
    if increasing:
        how = ("raised from below, fewer than half the replicates hold a cluster; lowered from above, at least half "
               "keep it")
    else:
        how = ("raised from below, at least half the replicates keep the cluster they formed; lowered from above, "
               "fewer than half form one")
    return (f"Hysteresis band: at {lever_label} {lo:.3g}–{hi:.3g} both states persist: {how} (exact McNemar test on "
            "the paired replicates, 5%).")


def write_withdrawal_report(out: Path, analysis: WithdrawalAnalysis, lever: str, after: int) -> Path:
    from clustersim.figures import save_figure

    out.mkdir(parents=True, exist_ok=True)
    save_figure(withdrawal_figure(analysis, lever, f"Survival {after}+ years after withdrawal"), out / "withdrawal.png")
    analysis.by_duration.to_csv(out / "withdrawal_by_duration.csv", index=False, lineterminator="\n")
    lines = [
        "# Withdrawal: does the cluster hold once the package is withdrawn?",
        "",
        f"A run survives when the focal share is at the take-off threshold or above in each of the hold years "
        f"starting {after} years after the offer ends.",
        "",
        "![survival by duration](withdrawal.png)",
        "",
        f"- Critical duration (years of the offer at which survival becomes more likely than not): "
        f"{analysis.duration.text()}.",
        f"- Critical mass (focal firms at withdrawal at which survival becomes more likely than not): "
        f"{analysis.mass.text('{:.0f}')}.",
        f"- Does survival depend on the duration at all? Chi-square test of equal survival across durations: "
        f"p = {analysis.homogeneity_p:.3g}.",
        "",
    ]
    path = out / "withdrawal.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_ramp_report(out: Path, analysis: RampAnalysis, lever_label: str, *, increasing: bool = True) -> Path:
    from clustersim.figures import save_figure

    out.mkdir(parents=True, exist_ok=True)
    save_figure(ramp_figure(analysis, lever_label, "Focal share, raising then lowering the lever"), out / "ramp.png")
    analysis.table.to_csv(out / "ramp.csv", index=False, lineterminator="\n")
    lines = [
        "# Ramp: raising the lever slowly, then lowering it back",
        "",
        "![up and down branches](ramp.png)",
        "",
        describe_band(analysis, lever_label),
        "",
    ]
    path = out / "ramp.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
