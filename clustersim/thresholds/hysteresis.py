"""Lock-in and hysteresis: does a cluster hold once the incentives stop?

Two experiment kinds (``kind = "withdrawal"`` / ``"ramp"`` in an experiment file,
:mod:`clustersim.sweep.kinds`), each run by ``clustersim sweep`` (crash-safe, resumable, any backend)
with its own run function here, and reported by ``clustersim report``
(:mod:`clustersim.thresholds.lockin_report`):

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
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from clustersim.params import NO_PACKAGE
from clustersim.sweep.kinds import WITHDRAWAL_OUTCOMES, ramp_outcomes
from clustersim.thresholds.dose_response import DoseResponse, dose_response

if TYPE_CHECKING:
    from clustersim.sweep.experiment import Experiment

__all__ = [
    "RAMP_LEVERS",
    "WITHDRAWAL_OUTCOMES",
    "RampAnalysis",
    "WithdrawalAnalysis",
    "hysteresis_band",
    "ramp_analysis",
    "ramp_levels",
    "ramp_outcomes",
    "ramp_run",
    "slope_test",
    "withdrawal_analysis",
    "withdrawal_run",
]

#: ramp levers: name -> the focal county's state array the ramp sets each year
RAMP_LEVERS = {"subsidy_depth": "depth", "fee_rate": "fee_rate"}


# ------------------------------------------------------------------------------ withdrawal
def _focal_package(model: Any) -> Any:
    return model.packages.packages[model.regions.package[model.focal]]


def withdrawal_run(exp: Experiment, row: Mapping[str, Any], after: int) -> dict[str, Any]:
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


def withdrawal_run_fn(exp: Experiment, row: Mapping[str, Any]) -> dict[str, Any]:
    """Run function of kind "withdrawal" (settings in ``exp.study``)."""
    return withdrawal_run(exp, row, after=int(exp.study["after"]))


def ramp_run_fn(exp: Experiment, row: Mapping[str, Any]) -> dict[str, Any]:
    """Run function of kind "ramp" (settings in ``exp.study``)."""
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
    survival rate by duration (with the mean firm count at withdrawal), and two tests of whether
    survival depends on the duration at all: chi-square homogeneity across durations
    (``homogeneity_p``) and the likelihood-ratio test of a zero slope in ``logit P = b0 + b1 T``
    (``slope_p``, with the fitted ``slope`` b1 per year)."""

    duration: DoseResponse
    mass: DoseResponse
    by_duration: pd.DataFrame
    homogeneity_p: float
    slope: float
    slope_p: float
    runs: pd.DataFrame  # the observable ok runs the fits used


def slope_test(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Likelihood-ratio test of b1 = 0 in the logistic regression of the 0/1 outcomes ``y`` on ``x``:
    (b1, p-value). (nan, 1.0) when every y is alike (no variation to explain) or x does not vary."""
    import statsmodels.api as sm

    x, y = np.asarray(x, float), np.asarray(y, float)
    if y.size == 0 or y.min() == y.max() or x.min() == x.max():
        return math.nan, 1.0
    with warnings.catch_warnings():  # separation: the fit runs off to a large slope; the deviance still says it
        warnings.simplefilter("ignore")
        fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial()).fit()
    lr = max(float(fit.null_deviance) - float(fit.deviance), 0.0)
    return float(fit.params[1]), float(stats.chi2.sf(lr, 1))


def withdrawal_analysis(results: pd.DataFrame, lever: str) -> WithdrawalAnalysis:
    """The withdrawal runs' analysis (``lever``: the duration factor's column). Runs that failed or
    whose survival window lies beyond what they ran (``observable`` false) are left out."""
    ok = results if "status" not in results else results[results["status"] == "ok"]
    ok = ok[ok["observable"].astype(bool)].reset_index(drop=True)
    survived = ok["survived"].astype(bool)
    g = ok.assign(survived=survived).groupby(lever).agg(
        survived=("survived", "sum"), runs=("survived", "count"), mass_mean=("mass_at_withdrawal", "mean")
    ).sort_index()
    duration = dose_response(g.index.to_numpy(float), g["survived"], g["runs"], increasing=True)
    mass = dose_response(
        ok["mass_at_withdrawal"].to_numpy(float), survived.astype(float), np.ones(len(ok)), increasing=True
    )
    table = np.column_stack([g["survived"], g["runs"] - g["survived"]])
    homog = 1.0
    if (table.sum(axis=0) > 0).all() and len(g) > 1:
        homog = float(stats.chi2_contingency(table)[1])
    slope, slope_p = slope_test(ok[lever].to_numpy(float), survived.to_numpy(float))
    by = pd.DataFrame({lever: g.index.to_numpy(float), "runs": g["runs"].to_numpy(int),
                       "survived": g["survived"].to_numpy(int), "mass_mean": g["mass_mean"].to_numpy(float)})
    by["p_survived"] = by["survived"] / by["runs"]
    return WithdrawalAnalysis(duration, mass, by, homog, slope, slope_p, ok)


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
        if name != NO_PACKAGE:
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


def ramp_analysis(results: pd.DataFrame, study: Mapping[str, Any], threshold: float) -> RampAnalysis:
    """:func:`hysteresis_band` of a ramp experiment's ok runs (``study``: its ``[ramp]`` settings)."""
    ok = results if "status" not in results else results[results["status"] == "ok"]
    up, _ = ramp_levels(float(study["low"]), float(study["high"]), int(study["steps"]))
    return hysteresis_band(ok, up, threshold, increasing=study["lever"] == "subsidy_depth")
