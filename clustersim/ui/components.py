"""What the page draws, as plain functions of a model (testable without a browser) and the
Solara components that show them.

* :func:`map_figure`: regions on the map, circle area proportional to firms (or employment),
  split into wedges by sector; the focal county ringed; last year's moves as lines.
* :func:`series_figure`: six small time series (leaders' firms, concentration, focal land price
  and wage, county balances, fee rates, governance).
* :func:`status_rows`: the status panel's label/value pairs (take-off, incentives, jobs).

Figures use matplotlib's object API only (no pyplot, no global backend), as :mod:`clustersim.figures`.
Money in wan, distance in km, time in years.
"""

from __future__ import annotations

import html
import io
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import solara
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Wedge
from matplotlib.ticker import MaxNLocator
from mesa.visualization.utils import update_counter

from clustersim import outputs
from clustersim.figures import COAST_COLOUR, FOCAL_COLOUR, PALETTE

if TYPE_CHECKING:
    from clustersim.model import ClusterModel

SECTOR_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")
MOVE_COLOUR = "#333333"
RIVAL_COLOUR = "#b0b0b0"  # the other counties in the county panels
DPI = 72  # the page shows figures at about this size; more dots only cost drawing time
LEADERS = 4  # counties named in the time series besides the focal one

#: what the map's circles measure; one value per browser session (Solara scopes reactives per session)
map_measure = solara.reactive("firms")


def _sector_colour(k: int) -> str:
    return SECTOR_COLOURS[k % len(SECTOR_COLOURS)]


# ------------------------------------------------------------------------------ figures
def _clear(ax) -> None:
    """Remove what the last update drew, keep the axes (and their tick objects: creating
    those is most of the cost of a fresh matplotlib figure)."""
    for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts]:
        artist.remove()
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()


class MapPlot:
    """The map, one figure reused from step to step (see :func:`map_figure`)."""

    def __init__(self) -> None:
        # fixed margins: a layout engine would draw the figure several times over (3x the cost)
        self.figure = Figure(figsize=(6.4, 5.0), dpi=DPI)
        self.ax = self.figure.add_axes((0.11, 0.09, 0.86, 0.84))
        self.ax.xaxis.set_major_locator(MaxNLocator(5))
        self.ax.yaxis.set_major_locator(MaxNLocator(5))
        self.ax.set_xlabel("km inland from the coast")
        self.ax.set_ylabel("km along the coast")

    def update(self, model: ClusterModel, measure: str = "firms") -> Figure:
        if measure not in ("firms", "employment"):
            raise ValueError(f"measure must be 'firms' or 'employment', not {measure!r}")
        ax = self.ax
        _clear(ax)
        r = model.regions
        by_sector = model.firms_by_sector if measure == "firms" else model.employment_by_sector
        totals = by_sector.sum(axis=0)
        x, y = r.x_km, r.y_km
        span = max(float(np.ptp(x)), float(np.ptp(y)), 100.0)
        biggest = max(float(totals.max()), 1.0)
        radius = 0.09 * span * np.sqrt(totals / biggest)  # km on the map; area proportional to the measure

        ax.axvline(0.0, color=COAST_COLOUR, linewidth=3, zorder=1)
        moves = model.last_moves
        if len(moves):
            counts = moves[:, 2].astype(float)
            segments = np.stack([np.column_stack([x[moves[:, 0]], y[moves[:, 0]]]),
                                 np.column_stack([x[moves[:, 1]], y[moves[:, 1]]])], axis=1)
            ax.add_collection(LineCollection(segments, linewidths=0.6 + 5.0 * counts / counts.max(),
                                             colors=MOVE_COLOUR, alpha=0.35, zorder=2))
        wedges, colours = [], []
        for i in np.flatnonzero(totals > 0):
            start = 90.0
            for k, amount in enumerate(by_sector[:, i]):
                if amount > 0:
                    sweep = 360.0 * amount / totals[i]
                    wedges.append(Wedge((x[i], y[i]), radius[i], start, start + sweep))
                    colours.append(_sector_colour(k))
                    start += sweep
        ax.add_collection(PatchCollection(wedges, facecolors=colours, edgecolors="white", linewidths=0.5,
                                          zorder=3))
        empty = totals <= 0
        ax.scatter(x[empty], y[empty], s=14, facecolors="none", edgecolors="grey", linewidths=0.8, zorder=3)
        f = model.focal
        ax.add_patch(Circle((x[f], y[f]), radius[f] + 0.025 * span, fill=False, edgecolor=FOCAL_COLOUR,
                            linewidth=2.0, zorder=4))
        for i, name in enumerate(r.names):
            ax.annotate(f"{name}\n{totals[i]:,.0f}", (x[i], y[i] - radius[i]), xytext=(0, -2),
                        textcoords="offset points", ha="center", va="top", fontsize=7, zorder=5,
                        color=FOCAL_COLOUR if i == f else "black", fontweight="bold" if i == f else "normal")
        pad = 0.12 * span
        ax.set_xlim(min(x.min(), 0.0) - pad, x.max() + pad)
        ax.set_ylim(y.min() - pad, y.max() + pad)
        ax.set_aspect("equal", adjustable="box")
        unit = "firms" if measure == "firms" else "jobs"
        ax.set_title(f"Year {model.year}: circle area ∝ {unit}, wedges by sector; lines: moves last year",
                     fontsize=10)
        handles = [Line2D([], [], marker="s", linestyle="none", color=_sector_colour(k), label=name)
                   for k, name in enumerate(model.sector_names)]
        handles.append(Line2D([], [], marker="o", linestyle="none", markerfacecolor="none",
                              markeredgecolor=FOCAL_COLOUR, markeredgewidth=2, label=f"focal: {model.focal_name}"))
        handles.append(Line2D([], [], color=MOVE_COLOUR, alpha=0.5, linewidth=2, label="moves"))
        ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.8)
        return self.figure


def map_figure(model: ClusterModel, measure: str = "firms") -> Figure:
    """Regions in the plane (x = km inland from the coast, y = km along it). Each region is a pie
    whose area is proportional to its ``measure`` ("firms" or "employment") in the current year,
    wedges by sector; the focal county has a red ring; last year's moves are lines whose width
    grows with the number of firms that moved."""
    return MapPlot().update(model, measure)


def _leaders(firms: pd.DataFrame, focal: str) -> list[str]:
    """The focal county and the counties with the most firms in the last year."""
    last = firms.iloc[-1].sort_values(ascending=False, kind="stable")
    return [focal, *[n for n in last.index if n != focal][:LEADERS]]


class SeriesPlot:
    """The six time series, one figure reused from step to step (see :func:`series_figure`)."""

    TITLES = ("Firms in the leading counties", "Concentration", "{focal}: land price and wage",
              "County balance (thousand wan)", "Fee rate (% of revenue)", "Governance quality (0-1)")

    def __init__(self) -> None:
        self.figure = Figure(figsize=(13.0, 5.6), dpi=DPI)
        self.axes = self.figure.subplots(2, 3, sharex=True, gridspec_kw={
            "left": 0.045, "right": 0.99, "bottom": 0.08, "top": 0.95, "wspace": 0.15, "hspace": 0.18}).ravel()
        for ax in self.axes:
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.25)
            # few ticks: tick marks, labels and grid lines are most of the drawing time
            ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        for ax in self.axes[3:]:
            ax.set_xlabel("year", fontsize=8)

    def update(self, model: ClusterModel) -> Figure:
        frame = model.model_frame()
        regions = model.region_frame()
        counties = regions[regions["kind"] == "county"]
        wide = {col: counties.pivot(index="year", columns="region", values=col)
                for col in ("firms", "balance", "fee_rate", "governance")}
        focal = model.focal_name
        leaders = _leaders(wide["firms"], focal)
        colour = {n: FOCAL_COLOUR if n == focal else PALETTE[i % len(PALETTE)] for i, n in enumerate(leaders)}
        years = frame["year"].to_numpy()
        axes = self.axes
        for ax, title in zip(axes, self.TITLES, strict=True):
            _clear(ax)
            ax.set_title(title.format(focal=focal), fontsize=10)

        ax = axes[0]
        for n in leaders:
            ax.plot(wide["firms"].index, wide["firms"][n], color=colour[n], linewidth=2 if n == focal else 1.2,
                    label=n)
        ax.legend(fontsize=7, loc="upper left", frameon=False)

        ax = axes[1]
        ax.plot(years, frame["hhi"], color="black", linewidth=2, label="HHI (county jobs)")
        for k, name in enumerate(model.sector_names):
            ax.plot(years, frame[f"eg_{name}"], color=_sector_colour(k), linewidth=1.2, label=f"EG γ {name}")
        ax.legend(fontsize=7, loc="upper left", frameon=False)

        ax = axes[2]
        ax.plot(years, frame["focal_land_price"], color="#8c564b", linewidth=1.5, label="land price (wan/mu)")
        ax.plot(years, frame["focal_wage"] * 10.0, color="#17becf", linewidth=1.5, label="wage ×10 (wan/worker-yr)")
        ax.legend(fontsize=7, loc="upper left", frameon=False)

        for ax, col, scale in ((axes[3], "balance", 1e-3), (axes[4], "fee_rate", 100.0),
                               (axes[5], "governance", 1.0)):
            data = wide[col] * scale
            others = [n for n in data.columns if n != focal]
            if others:
                ax.plot(data.index, data[others].to_numpy(), color=RIVAL_COLOUR, linewidth=1.0)
            ax.plot(data.index, data[focal], color=FOCAL_COLOUR, linewidth=2.0, label=focal)
        axes[3].axhline(0.0, color="black", linewidth=0.6)

        end = model.incentives_end_year()
        focal_package = model.packages.packages[model.regions.package[model.focal]]
        for ax in axes:
            if focal_package.offers_incentives and math.isfinite(end):
                ax.axvline(end, color="black", linestyle=":", linewidth=1)
            ax.relim()
            ax.autoscale_view()
        axes[5].set_ylim(-0.02, 1.02)
        axes[0].set_xlim(0, max(model.config.years, 1))
        return self.figure


def series_figure(model: ClusterModel) -> Figure:
    """Six panels over the years so far (x axis: the scenario's whole run, so the curves grow):
    firms in the leading counties; HHI and Ellison-Glaeser gamma by sector; the focal county's
    land price and wage; every county's fiscal balance (thousand wan), fee rate and governance
    (focal in red). A dotted line marks the year the focal county's incentives end."""
    return SeriesPlot().update(model)


# ------------------------------------------------------------------------------ status
def _wan(value: float) -> str:
    return f"{value:,.0f} wan"


def status_rows(model: ClusterModel) -> list[tuple[str, str]]:
    """The status panel as (label, value) pairs: the run, the focal county's current policy,
    take-off, incentives (paid against the extra revenue since year 0) and jobs."""
    r, f = model.regions, model.focal
    cfg = model.config
    package = model.packages.packages[r.package[f]]
    package_name = model.packages.names[r.package[f]]
    offers = package.offers_incentives
    end = model.incentives_end_year()
    rule = cfg.take_off
    take_off = outputs.focal_take_off(model)
    fiscal = outputs.focal_fiscal_return(model)
    frame = model.model_frame()
    jobs0 = float(frame["focal_employment"].iloc[0])

    if take_off.took_off:
        verdict = "YES"
    elif take_off.observable:
        verdict = "no"
    else:
        verdict = "not yet observable"
    if not offers:
        since = "no incentives offered"
    elif not math.isfinite(end):
        since = "incentives never end"
    elif model.year >= end:
        since = f"{model.year - end:g} years (ended in year {end:g})"
    else:
        since = f"still paid (they end in year {end:g})"
    rows = [
        ("Scenario", f"{cfg.name}, seed {model.seed}"),
        ("Year", f"{model.year} of {cfg.years}" + ("" if model.running else " (run complete: press Reset)")),
        ("Focal county", model.focal_name),
        ("Package", f"{package_name} at subsidy depth {r.depth[f]:.2f}" if offers else "none"),
        ("Fee rate, governance", f"{r.fee_rate[f]:.1%}, {r.governance[f]:.2f}"),
        ("Take-off", verdict),
        (f"Focal share of county {'jobs' if rule.measure == 'employment' else 'firms'}",
         f"{take_off.final_share:.1%} (take-off: ≥ {rule.threshold:.0%} in each of the last {rule.hold_years} "
         "years, all after incentives end)"),
        ("Years since incentives ended", since),
        ("Incentives paid", _wan(fiscal.incentives_paid)),
        ("Extra revenue since year 0", _wan(fiscal.extra_revenue)),
        ("Net fiscal return", _wan(fiscal.net_return)),
        ("Jobs", f"{r.employment[f]:,.0f} ({r.employment[f] - jobs0:+,.0f} since year 0)"),
        ("Firms", f"{r.firms[f]:,.0f} of {r.firms[r.is_county].sum():,.0f} in counties"),
        ("Fiscal balance", _wan(float(r.balance[f]))),
    ]
    return rows


def status_html(model: ClusterModel) -> str:
    cells = "".join(f"<tr><th style='text-align:left;padding:2px 12px 2px 0;font-weight:500'>{html.escape(k)}</th>"
                    f"<td class='cs-{_slug(k)}'>{html.escape(v)}</td></tr>" for k, v in status_rows(model))
    return f"<table style='font-size:14px;border-collapse:collapse'>{cells}</table>"


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (Agg, through ``Figure.savefig``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


# ------------------------------------------------------------------------------ Solara components
@solara.component
def MapView(model: ClusterModel):
    """The map, redrawn after every step (Mesa bumps ``update_counter``)."""
    counter = update_counter.get()
    measure = map_measure.value
    plot = solara.use_memo(MapPlot, [])
    data = solara.use_memo(lambda: png(plot.update(model, measure)), [model, counter, measure])
    with solara.Column(gap="2px"):
        solara.ToggleButtonsSingle(value=map_measure, values=["firms", "employment"], dense=True)
        solara.Image(data, format="png")


@solara.component
def SeriesView(model: ClusterModel):
    counter = update_counter.get()
    plot = solara.use_memo(SeriesPlot, [])
    data = solara.use_memo(lambda: png(plot.update(model)), [model, counter])
    solara.Image(data, format="png")


@solara.component
def StatusView(model: ClusterModel):
    counter = update_counter.get()
    text = solara.use_memo(lambda: status_html(model), [model, counter])
    with solara.Card("Status", classes=["cs-status"], style={"flex": "1 1 360px", "max-width": "620px"}):
        solara.HTML(tag="div", unsafe_innerHTML=text)


@solara.component
def Dashboard(model: ClusterModel):
    """The main area: map and status side by side, the time series below."""
    with solara.Column(style={"padding": "8px"}):
        with solara.Row(style={"align-items": "flex-start"}):
            MapView(model)
            StatusView(model)
        SeriesView(model)
