"""Report sections for critical levels: the fitted 50 % curve over a two-lever heatmap, and the
critical level of the first lever at each value of the second, with 95 % intervals.

Two fits are made from the same runs (see docs/thresholds.md):

- for each value z of the second lever, a separate logistic dose-response in the first lever x
  (:func:`~clustersim.thresholds.dose_response.dose_response`): the numbers the prose and the table
  quote, each with its Fieller interval, or a sentence when the data do not locate it;
- one surface ``logit P = b0 + b1 x + b2 z + b3 x z``
  (:func:`~clustersim.thresholds.dose_response.dose_response_curve`): the curve drawn over the heatmap,
  with its pointwise 95 % Fieller band; its goodness of fit is stated, and when it is poor the
  report says the per-row estimates are the ones to read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clustersim.thresholds.dose_response import DoseResponse, dose_response, dose_response_curve

__all__ = ["critical_levels", "critical_rows_markdown", "critical_sentences", "overlay_critical_curve"]

TARGET = 0.5


def _counts(results: pd.DataFrame, x: str, outcome: str = "took_off") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    g = results.groupby(x)[outcome].agg(["sum", "count"]).sort_index()
    return g.index.to_numpy(float), g["sum"].to_numpy(float), g["count"].to_numpy(float)


def direction(results: pd.DataFrame, x: str) -> bool | None:
    """True when take-off rises with ``x`` over all runs pooled, False when it falls, None if unclear."""
    lv, k, n = _counts(results, x)
    fit = dose_response(lv, k, n)
    if fit.coef:
        return bool(fit.coef[1] > 0)
    return None


def critical_levels(good: pd.DataFrame, x: str, y: str) -> tuple[pd.DataFrame, dict[Any, DoseResponse]]:
    """Per value of ``y``: the level of ``x`` at which take-off becomes more likely than not
    (successful runs ``good`` only). Returns a tidy table and the fits by ``y`` value."""
    inc = direction(good, x)
    fits: dict[Any, DoseResponse] = {}
    rows = []
    for yv in sorted(good[y].unique()):
        part = good[good[y] == yv]
        lv, k, n = _counts(part, x)
        fit = dose_response(lv, k, n, p=TARGET, increasing=inc)
        fits[yv] = fit
        lo, hi = fit.ci_fieller
        rows.append(
            {
                y: yv,
                "status": fit.status,
                "critical_level": fit.x,
                "se": fit.se,
                "fieller_low": lo,
                "fieller_high": hi,
                "fieller_kind": fit.fieller_kind,
                "delta_low": fit.ci_delta[0],
                "delta_high": fit.ci_delta[1],
                "gof_pvalue": fit.gof_pvalue,
                "runs": int(n.sum()),
                "took_off": int(k.sum()),
                "message": fit.message,
            }
        )
    return pd.DataFrame(rows), fits


def _fmt(v: float) -> str:
    return f"{v:.2f}"


def critical_phrase(fit: DoseResponse, x_label: str, increasing: bool | None) -> str:
    """What one fit says, in words."""
    side = "above" if increasing is not False else "below"
    if fit.status == "ok" and fit.fieller_kind == "bounded":
        lo, hi = fit.ci_fieller
        out = f"take-off becomes more likely than not {side} {x_label} {_fmt(fit.x)} [{_fmt(lo)}, {_fmt(hi)}]"
        if fit.poor_fit:
            out += f" (the logistic curve fits these runs poorly: goodness-of-fit p = {fit.gof_pvalue:.3f})"
        return out
    if fit.status == "extrapolated" and fit.fieller_kind == "bounded":
        lo, hi = fit.ci_fieller
        lo_tried, hi_tried = fit.level_range
        inside_likely = (fit.x < lo_tried) == (increasing is not False)
        side_of_half = "above" if inside_likely else "below"
        out = (  # the fit's verdict, which a single cell's rate may contradict on noise
            f"the fitted curve stays {side_of_half} 50% at every {x_label} tried ({_fmt(lo_tried)}–{_fmt(hi_tried)}): "
            f"its 50% level, {_fmt(fit.x)} [{_fmt(lo)}, {_fmt(hi)}], lies outside that range"
        )
        if fit.poor_fit:
            out += f" (the logistic curve fits these runs poorly: goodness-of-fit p = {fit.gof_pvalue:.3f})"
        return out
    return fit.message


def critical_sentences(
    fits: Mapping[Any, DoseResponse], x_label: str, y_label: str, y_fmt: Any, increasing: bool | None
) -> list[str]:
    return [
        f"At {y_label} {y_fmt(yv)}, {critical_phrase(fit, x_label, increasing)}{_counts_note(fit)}."
        for yv, fit in fits.items()
    ]


def _counts_note(fit: DoseResponse) -> str:
    if fit.status in ("flat", "separated", "failed") and fit.n_trials:
        return f" ({fit.n_trials} runs over {fit.n_levels} levels)"
    return ""


def critical_rows_markdown(table: pd.DataFrame, y: str, y_fmt: Any) -> tuple[list[str], list[list[str]]]:
    header = [y, "critical level", "95% Fieller", "95% delta", "fit p", "runs (took off)"]
    rows = []
    for r in table.itertuples(index=False):
        d = r._asdict()
        located = d["status"] in ("ok", "extrapolated") and d["fieller_kind"] == "bounded"
        rows.append(
            [
                y_fmt(d[y]),
                _fmt(d["critical_level"]) if located else d["status"].replace("_", " "),
                f"[{_fmt(d['fieller_low'])}, {_fmt(d['fieller_high'])}]" if located else d["fieller_kind"],
                f"[{_fmt(d['delta_low'])}, {_fmt(d['delta_high'])}]" if located else "",
                "" if not math.isfinite(d["gof_pvalue"]) else f"{d['gof_pvalue']:.2f}",
                f"{d['runs']} ({d['took_off']})",
            ]
        )
    return header, rows


def surface(good: pd.DataFrame, x: str, y: str, at: Sequence[float]):
    g = good.groupby([x, y])["took_off"].agg(["sum", "count"]).reset_index()
    return dose_response_curve(
        g[x].to_numpy(float),
        g[y].to_numpy(float),
        g["sum"].to_numpy(float),
        g["count"].to_numpy(float),
        at=at,
        p=TARGET,
    )


def overlay_critical_curve(
    fig: Any,
    good: pd.DataFrame,
    x: str,
    y: str,
    xs: Sequence[float],
    ys: Sequence[float],
    fits: Mapping[Any, DoseResponse],
) -> Any:
    """Draw, on the heatmap ``fig`` (categorical cells at xs, ys), the surface fit's 50 % curve with
    its pointwise 95 % Fieller band, and each row's own estimate with its interval. Cell positions
    map to values piecewise-linearly. Returns the surface fit (a ``CriticalCurve``)."""
    from matplotlib.lines import Line2D

    ax = fig.axes[0]
    xs_a, ys_a = np.asarray(xs, float), np.asarray(ys, float)
    fine = np.linspace(ys_a[0], ys_a[-1], 200)
    curve = surface(good, x, y, fine)

    def px(v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, float)
        out = np.interp(v, xs_a, np.arange(xs_a.size))
        out[(v < xs_a[0]) | (v > xs_a[-1]) | ~np.isfinite(v)] = np.nan
        return out

    py = np.interp(fine, ys_a, np.arange(ys_a.size))
    handles = []
    if curve.status == "ok":
        bounded = np.array([k == "bounded" for k in curve.kind])
        lo = np.where(bounded, np.clip(curve.lo, xs_a[0], xs_a[-1]), np.nan)
        hi = np.where(bounded, np.clip(curve.hi, xs_a[0], xs_a[-1]), np.nan)
        ax.fill_betweenx(py, px(lo), px(hi), color="white", alpha=0.35, linewidth=0)
        ax.plot(px(curve.x), py, color="black", linestyle="--", linewidth=2)
        handles.append(
            Line2D(
                [],
                [],
                color="black",
                linestyle="--",
                linewidth=2,
                label="fitted 50% curve (logistic surface) with 95% band",
            )
        )
    for j, yv in enumerate(ys):
        fit = fits.get(yv)
        if fit is None or fit.status != "ok" or fit.fieller_kind != "bounded":
            continue
        a, b = px(np.array([fit.ci_fieller[0], fit.ci_fieller[1]]))
        a = 0.0 if np.isnan(a) else a
        b = xs_a.size - 1.0 if np.isnan(b) else b
        ax.errorbar(
            [px(np.array([fit.x]))[0]],
            [j],
            xerr=[[px(np.array([fit.x]))[0] - a], [b - px(np.array([fit.x]))[0]]],
            fmt="D",
            color="#d62728",
            markersize=6,
            capsize=4,
            linewidth=1.5,
        )
    handles.append(
        Line2D(
            [], [], color="#d62728", marker="D", linestyle="-", label="50% level of each row with 95% Fieller interval"
        )
    )
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False, fontsize=8)
    return curve


def critical_section(
    rep: Any, fig: Any, good: pd.DataFrame, xa: Any, ya: Any, xs: Sequence[float], ys: Sequence[float]
) -> None:
    """The heatmap with the fitted curve, then "Where take-off becomes more likely than not":
    prose, a Markdown table and ``critical_levels.csv`` (``rep``: the sweep report being built;
    ``xa``/``ya``: its axes, the first lever is the dose)."""
    from clustersim.sweep.report import markdown_table

    table, fits = critical_levels(good, xa.name, ya.name)
    curve = overlay_critical_curve(fig, good, xa.name, ya.name, xs, ys, fits)
    rep.figure(
        "take_off_probability.png",
        fig,
        "take-off probability heatmap with the fitted 50% curve and its "
        "95% band, and each row's 50% level with its interval",
    )
    inc = direction(good, xa.name)
    rep.add(f"### Where take-off becomes more likely than not ({xa.label})")
    fit_note = (
        "The dashed curve is one logistic surface in both levers (with their interaction), drawn with its "
        "pointwise 95% Fieller band; the diamonds are each row's own logistic fit in "
        f"{xa.label} with its 95% Fieller interval."
    )
    if curve.status == "ok" and curve.poor_fit:
        fit_note += (
            f" The single surface fits the runs poorly (goodness-of-fit p = {curve.gof_pvalue:.3f}): read "
            "the per-row estimates below, not the curve."
        )
    elif curve.status == "ok" and math.isfinite(curve.gof_pvalue):
        fit_note += f" The surface fits the runs acceptably (goodness-of-fit p = {curve.gof_pvalue:.2f})."
    elif curve.status != "ok":
        fit_note += f" No surface could be fitted: {curve.message}."
    rep.add(" ".join(critical_sentences(fits, xa.label, ya.label, ya.fmt, inc)), fit_note)
    header, rows = critical_rows_markdown(table, ya.name, ya.fmt)
    rep.add(markdown_table(header, rows))
    rep.table("critical_levels.csv", table)
