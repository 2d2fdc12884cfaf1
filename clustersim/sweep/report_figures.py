"""Figures for sweep reports (see :mod:`clustersim.sweep.report`).

Every function returns a matplotlib ``Figure`` built with the object API (no pyplot state), like
:mod:`clustersim.figures`. Colormaps are colour-blind safe: viridis for probabilities, cividis for
shares, ColorBrewer RdBu (centred at 0: red losses, blue gains) for money that can be negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from clustersim import units
from clustersim.figures import PALETTE

if TYPE_CHECKING:
    import pandas as pd

LINE_COLOUR, SECOND_COLOUR = PALETTE[0], PALETTE[3]  # the run figures' blue and orange
CMAPS = {"probability": "viridis", "share": "cividis", "diverging": "RdBu"}


def grid_heatmap(values: np.ndarray, *, x_ticks: Sequence[str], y_ticks: Sequence[str], x_label: str, y_label: str,
                 title: str, colorbar_label: str, kind: str = "probability",
                 annotations: Sequence[Sequence[str]] | None = None, contour: float | None = None) -> Figure:
    """A heatmap of ``values`` (shape ``(len(y_ticks), len(x_ticks))``, nan = no data, drawn grey)
    at evenly spaced categorical positions, one cell per factor value.

    ``kind``: "probability" (viridis, 0..1), "share" (cividis, 0..max) or "diverging" (RdBu with
    limits ±max|value|, so 0 is the neutral colour). ``annotations``: text per cell, same shape.
    ``contour``: a level (e.g. 0.5) drawn as a dashed line interpolated linearly between cell
    centres; needs at least 2 × 2 cells and values on both sides of the level, else not drawn.
    """
    values = np.asarray(values, dtype=float)
    ny, nx = values.shape
    if (ny, nx) != (len(y_ticks), len(x_ticks)):
        raise ValueError(f"values have shape {values.shape}, ticks give {(len(y_ticks), len(x_ticks))}")
    finite = values[np.isfinite(values)]
    if kind == "probability":
        vmin, vmax = 0.0, 1.0
    elif kind == "share":
        vmin, vmax = 0.0, max(float(finite.max()) if finite.size else 1.0, 1e-9)
    elif kind == "diverging":
        span = float(np.abs(finite).max()) if finite.size else 1.0
        vmin, vmax = -(span or 1.0), span or 1.0
    else:
        raise ValueError(f"kind must be probability, share or diverging, not {kind!r}")
    fig = Figure(figsize=(max(6.0, 1.05 * nx + 3.0), max(4.5, 0.75 * ny + 2.5)), layout="constrained")
    ax = fig.subplots()
    ax.set_facecolor("#bdbdbd")
    masked = np.ma.masked_invalid(values)
    mesh = ax.pcolormesh(np.arange(nx + 1) - 0.5, np.arange(ny + 1) - 0.5, masked, cmap=CMAPS[kind],
                         vmin=vmin, vmax=vmax, shading="flat", edgecolors="white", linewidth=0.5)
    bar = fig.colorbar(mesh, ax=ax, label=colorbar_label)
    if kind in ("probability", "share"):
        bar.formatter = PercentFormatter(1.0, decimals=0)
    else:
        bar.formatter = FuncFormatter(units.compact)
    if annotations is not None:
        for j in range(ny):
            for i in range(nx):
                v = values[j, i]
                dark = True
                if np.isfinite(v):
                    r, g, b, _ = mesh.cmap(mesh.norm(v))
                    dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
                ax.text(i, j, annotations[j][i], ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
    handles = []
    if contour is not None and nx >= 2 and ny >= 2 and finite.size and finite.min() < contour < finite.max():
        lines = ax.contour(np.arange(nx), np.arange(ny), masked, levels=[contour], colors="black", linewidths=2.0,
                           linestyles="--")
        lines.set(path_effects=[patheffects.withStroke(linewidth=4, foreground="white")])
        handles.append(Line2D([], [], color="black", linestyle="--", linewidth=2, label=f"{contour:.0%} contour"))
    ax.set_xticks(range(nx), list(x_ticks))
    ax.set_yticks(range(ny), list(y_ticks))
    ax.set_xlim(-0.5, nx - 0.5)
    ax.set_ylim(-0.5, ny - 0.5)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(title, fontsize=11)
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False, fontsize=8)
    return fig


def probability_line(x: Sequence[float | str], p: np.ndarray, low: np.ndarray, high: np.ndarray, *,
                     tick_labels: Sequence[str], numeric: bool, x_label: str, title: str) -> Figure:
    """Take-off probability against one factor, with its 95 % Wilson band and a 50 % guide line.
    Numeric factors sit at their values; others at evenly spaced positions."""
    pos = np.asarray(x, dtype=float) if numeric else np.arange(len(x), dtype=float)
    fig = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = fig.subplots()
    ax.fill_between(pos, low, high, color=LINE_COLOUR, alpha=0.2, linewidth=0, label="95% Wilson interval")
    ax.plot(pos, p, marker="o", color=LINE_COLOUR, label="take-off probability")
    ax.axhline(0.5, color="black", linestyle=":", linewidth=1, label="50%")
    ax.set_xticks(pos, list(tick_labels))
    ax.set_ylim(0.0, 1.0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(x_label)
    ax.set_ylabel("take-off probability")
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return fig


def package_chart(labels: Sequence[str], panels: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray, str]], *,
                  title: str) -> Figure:
    """Small multiples: one panel per outcome ``(title, mean, low, high, kind)``, horizontal bars per
    package with 95 % interval whiskers (none where a bound is nan). ``kind`` "probability" fixes the
    axis to 0..100 %, "difference" (of probabilities) to -100..+100 %."""
    n = len(panels)
    cols = min(n, 4)
    rows = -(-n // cols)
    fig = Figure(figsize=(3.6 * cols + 1.5, 0.35 * len(labels) * rows + 1.6 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, sharey=True, squeeze=False).ravel()
    pos = np.arange(len(labels))
    for ax, (name, mean, low, high, kind) in zip(axes, panels, strict=False):
        mean, low, high = (np.asarray(a, dtype=float) for a in (mean, low, high))
        err = np.vstack([np.where(np.isfinite(low), mean - low, 0.0), np.where(np.isfinite(high), high - mean, 0.0)])
        colour = np.where(np.nan_to_num(mean) < 0, "#b2182b", LINE_COLOUR)
        ax.barh(pos, np.nan_to_num(mean), xerr=np.nan_to_num(err), color=colour, alpha=0.8,
                error_kw={"elinewidth": 1, "capsize": 3})
        ax.axvline(0.0, color="black", linewidth=0.8)
        for y in pos[~np.isfinite(mean)]:
            ax.annotate("n/a", (0.0, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
        if kind in ("probability", "difference"):
            ax.set_xlim(0.0 if kind == "probability" else -1.0, 1.0)
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        else:
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.xaxis.set_major_formatter(FuncFormatter(units.compact))
        ax.set_title(name, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax.set_yticks(pos, list(labels))
    axes[0].invert_yaxis()  # shared y: first package on top in every panel
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=11)
    return fig


TOOK_OFF_COLOUR, NO_TAKE_OFF_COLOUR = "#0072B2", "#D55E00"  # Okabe-Ito blue and vermillion


def run_scatter(x: np.ndarray, y: np.ndarray, took_off: np.ndarray, share: np.ndarray | None, *, x_label: str,
                y_label: str, title: str, x_percent: bool = False, y_percent: bool = False,
                replicate: np.ndarray | None = None) -> Figure:
    """One marker per run at ``(x, y)``: a blue circle if it took off, a vermillion cross if not
    (crosses drawn on top); marker area proportional to the run's final share when ``share`` is
    given. ``replicate`` (0, 1, ...): the replicates of one point are drawn side by side, each moved
    right by ``(replicate - (R - 1) / 2) · step`` with ``step = min(2.5 %, 20 % / R)`` of the x range
    (R replicates), so that none hides another. ``x_percent`` / ``y_percent``: the axis holds shares, shown in %."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if replicate is not None and x.size:
        reps = np.asarray(replicate, dtype=float)
        span = float(np.ptp(x)) or 1.0
        step = min(0.025, 0.2 / (float(reps.max()) + 1.0)) * span
        x = x + (reps - float(reps.max()) / 2.0) * step
    took = np.asarray(took_off, dtype=bool)
    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    ax = fig.subplots()

    def area(s: np.ndarray) -> np.ndarray:
        return 12.0 + 240.0 * np.clip(np.nan_to_num(s), 0.0, 1.0)

    sizes = area(np.asarray(share, dtype=float)) if share is not None else np.full(x.size, 36.0)
    ax.scatter(x[took], y[took], s=sizes[took], marker="o", color=TOOK_OFF_COLOUR, alpha=0.6, linewidths=0)
    ax.scatter(x[~took], y[~took], s=sizes[~took], marker="x", color=NO_TAKE_OFF_COLOUR, alpha=0.9, linewidths=1.2)
    handles: list = [Line2D([], [], linestyle="", marker="o", markersize=8, color=TOOK_OFF_COLOUR, alpha=0.6),
                     Line2D([], [], linestyle="", marker="x", markersize=8, color=NO_TAKE_OFF_COLOUR)]
    labels = [f"took off ({int(took.sum())} runs)", f"did not take off ({int((~took).sum())} runs)"]
    if share is not None:
        for level in (0.1, 0.5, 1.0):
            handles.append(ax.scatter([], [], s=area(np.array([level]))[0], marker="o", facecolors="none",
                                      edgecolors="grey"))
            labels.append(f"final share {level:.0%}")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8,
              labelspacing=1.2)
    if x_percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    if y_percent:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    if not y_label:
        ax.set_yticks([])
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    return fig


def sensitivity_chart(table: pd.DataFrame, kind: str, *, title: str,
                      outcome_titles: dict[str, str] | None = None) -> Figure:
    """One panel per outcome: Morris mu* (bars) with its 95 % confidence, or Sobol S1 and ST side by
    side with theirs. ``table``: :func:`clustersim.sweep.report.sensitivity_table` plus a ``label`` column."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig = Figure(figsize=(4.2 * len(outcomes) + 1.5, 0.45 * table["factor"].nunique() + 2.0), layout="constrained")
    axes = fig.subplots(1, len(outcomes), squeeze=False, sharey=True).ravel()
    for ax, outcome in zip(axes, outcomes, strict=True):
        part = table[table["outcome"] == outcome]
        pos = np.arange(len(part))
        labels = part["label"] if "label" in part.columns else part["factor"]
        if kind == "morris":
            ax.barh(pos, part["mu_star"], xerr=part["mu_star_conf"], color=LINE_COLOUR, alpha=0.8,
                    error_kw={"elinewidth": 1, "capsize": 3})
            ax.set_xlabel("mu*: mean |change| over the factor's range")
        else:
            ax.barh(pos - 0.2, part["S1"], height=0.4, xerr=part["S1_conf"], color=LINE_COLOUR,
                    label="S1 (first order)", error_kw={"elinewidth": 1, "capsize": 3})
            ax.barh(pos + 0.2, part["ST"], height=0.4, xerr=part["ST_conf"], color=SECOND_COLOUR, label="ST (total)",
                    error_kw={"elinewidth": 1, "capsize": 3})
            ax.axvline(0.0, color="black", linewidth=0.8)
            ax.set_xlabel("Sobol index (share of variance)")
            ax.legend(fontsize=8, frameon=False, loc="lower right")
        ax.set_yticks(pos, list(labels))
        ax.xaxis.set_major_formatter(FuncFormatter(units.compact))
        ax.set_title((outcome_titles or {}).get(outcome, outcome), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0].invert_yaxis()  # shared y: first factor on top in every panel
    fig.suptitle(title, fontsize=11)
    return fig
