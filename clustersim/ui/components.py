"""What the page draws, as plain functions of a model (testable without a browser) and the
Solara components that show them.

* :func:`map_figure`: regions on the map, circle area proportional to firms (or employment),
  split into wedges by sector; the focal county ringed; last year's moves as lines.
* :func:`series_figure`: six small time series (leaders' firms, concentration, focal land price
  and wage, county balances, fee rates, governance), one figure each, with the live policy
  changes marked.
* :func:`status_rows`: the status panel's label/value pairs (policy, take-off, incentives, jobs).

The page keeps one :class:`MapPlot` and one :class:`SeriesPlot` per session and redraws only what
changed (:class:`_Blitter`): drawing text is most of matplotlib's time, and the axes, ticks and
legends rarely change. Figures use matplotlib's object API only (no pyplot, no global backend),
as :mod:`clustersim.figures`. Money in wan, distance in km, time in years.

Every text they draw or show comes from the message catalogue (:mod:`clustersim.i18n`) in the
language passed as ``lang`` ("en" or "zh"); Chinese text is set in Noto Sans CJK SC, which
:mod:`clustersim.figures` adds to matplotlib's fonts. Names from the scenario (counties, sectors,
packages) are shown as written there.
"""

from __future__ import annotations

import html
import io
import math
from typing import TYPE_CHECKING

import matplotlib.image as mimage
import numpy as np
import solara
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Wedge
from matplotlib.ticker import FuncFormatter, MaxNLocator
from mesa.visualization.utils import update_counter

from clustersim import outputs, units
from clustersim.brief import numbers
from clustersim.figures import COAST_COLOUR, FOCAL_COLOUR, PALETTE
from clustersim.i18n import N_, NP_, Translator, translator

if TYPE_CHECKING:
    from clustersim.model import ClusterModel
    from clustersim.ui.session import SessionModel

SECTOR_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")
MOVE_COLOUR = "#333333"
RIVAL_COLOUR = "#b0b0b0"  # the other counties in the county panels
LIVE_COLOUR = "#c51b8a"   # a policy change made while the model ran
#: the time-series panel where a live change of each control is labelled (every panel gets its line)
LIVE_PANEL = {"subsidy_depth": 0, "strategic_competition": 0, "fee_rate": 4, "fee_trap": 4, "governance": 5}
DPI = 72  # the page shows figures at about this size; more dots only cost drawing time
LEADERS = 4  # counties named in the time series besides the focal one
#: font sizes in points (= pixels at DPI 72) of the map and the charts: readable on a laptop screen
FONT = {"title": 12, "tick": 10, "legend": 9, "label": 9, "note": 9}

#: what the map's circles measure; one value per browser session (Solara scopes reactives per session)
map_measure = solara.reactive("firms")


def _sector_colour(k: int) -> str:
    return SECTOR_COLOURS[k % len(SECTOR_COLOURS)]


# ------------------------------------------------------------------------------ figures
def clear_artists(ax) -> None:
    """Remove what the last update drew, keep the axes (and their tick objects: creating
    those is most of the cost of a fresh matplotlib figure)."""
    for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts]:
        artist.remove()
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()


def _encode(canvas: FigureCanvasAgg) -> bytes:
    """The canvas as PNG. Fast zlib level: the image travels over a local socket, and level 1
    is about as small as level 6 for these flat-coloured figures."""
    buf = io.BytesIO()
    mimage.imsave(buf, np.asarray(canvas.buffer_rgba()), format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()


class _Blitter:
    """Draws a figure whose *static* artists (axes, ticks, labels, titles, legends, markers) change
    rarely and whose *dynamic* artists change every step. Text is most of matplotlib's drawing
    time, so the static layer is drawn only when its ``key`` changes and kept as a pixel copy
    (``copy_from_bbox``); otherwise the copy is restored and only the dynamic artists are drawn on
    it (``draw_artist``). Dynamic artists must be drawn last in a full draw too (zorder above the
    static ones of their axes), so both ways give the same pixels. ``on_top`` are static artists
    drawn above the dynamic ones (an opaque legend): their pixels are restored at the end."""

    def __init__(self, figure: Figure) -> None:
        self.canvas = FigureCanvasAgg(figure)
        self.key: object = None
        self._background = None
        self._on_top: list = []

    def render(self, key: object, dynamic: list, on_top: list = ()) -> bytes:
        canvas = self.canvas
        if key != self.key or self._background is None:
            for artist in dynamic:
                artist.set_visible(False)
            canvas.draw()
            for artist in dynamic:
                artist.set_visible(True)
            self._background = canvas.copy_from_bbox(canvas.figure.bbox)
            renderer = canvas.get_renderer()
            self._on_top = [canvas.copy_from_bbox(a.get_window_extent(renderer)) for a in on_top]
            self.key = key
        else:
            canvas.restore_region(self._background)
        for artist in dynamic:
            artist.axes.draw_artist(artist)
        for region in self._on_top:
            canvas.restore_region(region)
        return _encode(canvas)


class MapPlot:
    """The map, one figure reused from step to step (see :func:`map_figure`). :meth:`png` redraws
    only what moves (circles, lines, labels, title) on a kept copy of the axes and legend."""

    def __init__(self) -> None:
        # fixed margins: a layout engine would draw the figure several times over (3x the cost)
        self.figure = Figure(figsize=(6.4, 5.0), dpi=DPI)
        self.ax = self.figure.add_axes((0.11, 0.09, 0.86, 0.84))
        self.ax.xaxis.set_major_locator(MaxNLocator(5))
        self.ax.yaxis.set_major_locator(MaxNLocator(5))
        self.ax.tick_params(labelsize=FONT["tick"])
        # the year changes every step, the caption with the measure: a long title costs 5 ms to draw.
        # y given: no automatic title placement, which would push every title off the figure while
        # the year is hidden for the static layer
        self._year = self.ax.set_title("", loc="left", fontsize=FONT["title"], fontweight="bold", y=1.0)
        self._caption = self.ax.set_title("", loc="right", fontsize=FONT["legend"], y=1.0)
        self._blit = _Blitter(self.figure)
        self._dynamic: list = []
        self._static_key: object = None

    def update(self, model: ClusterModel, measure: str = "firms", lang: str = "en") -> Figure:
        if measure not in ("firms", "employment"):
            raise ValueError(f"measure must be 'firms' or 'employment', not {measure!r}")
        _ = translator(lang)
        ax = self.ax
        r = model.regions
        x, y = r.x_km, r.y_km
        span = max(float(np.ptp(x)), float(np.ptp(y)), 100.0)
        for artist in self._dynamic:
            artist.remove()
        self._dynamic = []
        static_key = (model.focal_name, tuple(model.sector_names), x.tobytes(), y.tobytes(), measure, lang)
        if static_key != self._static_key:
            self._draw_static(model, span, _)
            self._static_key = static_key

        by_sector = model.firms_by_sector if measure == "firms" else model.employment_by_sector
        totals = by_sector.sum(axis=0)
        biggest = max(float(totals.max()), 1.0)
        radius = 0.09 * span * np.sqrt(totals / biggest)  # km on the map; area proportional to the measure
        moves = model.last_moves
        if len(moves):
            counts = moves[:, 2].astype(float)
            segments = np.stack([np.column_stack([x[moves[:, 0]], y[moves[:, 0]]]),
                                 np.column_stack([x[moves[:, 1]], y[moves[:, 1]]])], axis=1)
            self._dynamic.append(ax.add_collection(LineCollection(
                segments, linewidths=0.6 + 5.0 * counts / counts.max(), colors=MOVE_COLOUR, alpha=0.35,
                zorder=2), autolim=False))
        wedges, colours = [], []
        for i in np.flatnonzero(totals > 0):
            start = 90.0
            for k, amount in enumerate(by_sector[:, i]):
                if amount > 0:
                    sweep = 360.0 * amount / totals[i]
                    wedges.append(Wedge((x[i], y[i]), radius[i], start, start + sweep))
                    colours.append(_sector_colour(k))
                    start += sweep
        self._dynamic.append(ax.add_collection(PatchCollection(
            wedges, facecolors=colours, edgecolors="white", linewidths=0.5, zorder=3), autolim=False))
        empty = totals <= 0
        self._dynamic.append(ax.scatter(x[empty], y[empty], s=14, facecolors="none", edgecolors="grey",
                                        linewidths=0.8, zorder=3))
        f = model.focal
        self._dynamic.append(ax.add_patch(Circle((x[f], y[f]), radius[f] + 0.025 * span, fill=False,
                                                 edgecolor=FOCAL_COLOUR, linewidth=2.0, zorder=4)))
        ring = np.where(np.arange(len(r.names)) == f, 0.025 * span, 0.0)  # the focal ring is wider than its pie
        for i, name in enumerate(r.names):
            # below the circle (and ring), with a white halo: readable over lines and neighbouring circles
            self._dynamic.append(ax.annotate(
                f"{name}\n{totals[i]:,.0f}", (x[i], y[i] - radius[i] - ring[i]), xytext=(0, -3),
                textcoords="offset points", ha="center", va="top", fontsize=FONT["label"], zorder=5,
                color=FOCAL_COLOUR if i == f else "black", fontweight="bold" if i == f else "normal",
                path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")]))
        self._year.set_text(_("Year {year}").format(year=model.year))
        self._caption.set_text(_("circle area ∝ firms; lines: moves last year") if measure == "firms"
                               else _("circle area ∝ jobs; lines: moves last year"))
        return self.figure

    def _draw_static(self, model: ClusterModel, span: float, _: Translator) -> None:
        ax = self.ax
        clear_artists(ax)
        ax.set_xlabel(_("km inland from the coast"), fontsize=FONT["tick"])
        ax.set_ylabel(_("km along the coast"), fontsize=FONT["tick"])
        r = model.regions
        x, y = r.x_km, r.y_km
        ax.axvline(0.0, color=COAST_COLOUR, linewidth=3, zorder=1)
        pad = 0.12 * span
        ax.set_xlim(min(x.min(), 0.0) - pad, x.max() + pad)
        ax.set_ylim(y.min() - pad, y.max() + pad)
        ax.set_aspect("equal", adjustable="box")
        handles = [Line2D([], [], marker="s", linestyle="none", color=_sector_colour(k), label=name)
                   for k, name in enumerate(model.sector_names)]
        handles.append(Line2D([], [], marker="o", linestyle="none", markerfacecolor="none",
                              markeredgecolor=FOCAL_COLOUR, markeredgewidth=2,
                              label=_("focal: {county}").format(county=model.focal_name)))
        handles.append(Line2D([], [], color=MOVE_COLOUR, alpha=0.5, linewidth=2, label=_("moves")))
        # opaque and above the circles: the blitter puts its pixels back after drawing them
        ax.legend(handles=handles, loc="upper left", fontsize=FONT["legend"], framealpha=1.0).set_zorder(6)

    def png(self) -> bytes:
        """The figure as last updated, as PNG (the same pixels as ``png(self.figure)``)."""
        return self._blit.render(self._static_key, [*self._dynamic, self._year], on_top=[self.ax.get_legend()])


def map_figure(model: ClusterModel, measure: str = "firms", lang: str = "en") -> Figure:
    """Regions in the plane (x = km inland from the coast, y = km along it). Each region is a pie
    whose area is proportional to its ``measure`` ("firms" or "employment") in the current year,
    wedges by sector; the focal county has a red ring; last year's moves are lines whose width
    grows with the number of firms that moved."""
    return _map_plot(model).update(model, measure, lang)


def _map_plot(model: ClusterModel):
    """A map for the model's geography: outlines for real places (:mod:`clustersim.ui.realmap`)."""
    if model.layout.shapes is not None:
        from clustersim.ui.realmap import OutlineMapPlot

        return OutlineMapPlot()
    return MapPlot()


def _leaders(firms: np.ndarray, names: list[str], focal: str, previous: list[str] | None = None) -> list[str]:
    """The focal county, then the :data:`LEADERS` counties with the most firms in the last year,
    in name order (``firms``: years x counties, columns in ``names`` order). With the ``previous``
    leaders, a county takes the place of the weakest of them only once it has 10 % (and at least
    two firms) more: the legend does not flicker while two counties run neck and neck."""
    last = dict(zip(names, firms[-1], strict=True))
    ranked = sorted((n for n in names if n != focal), key=lambda n: (-last[n], n))
    chosen = ranked[:LEADERS]
    if previous is not None and previous[0] == focal and set(previous[1:]) <= set(names):
        chosen = list(previous[1:])
        for outsider in ranked:
            if outsider in chosen:
                continue
            weakest = min(chosen, key=lambda n: (last[n], n))
            if last[outsider] >= 1.1 * last[weakest] + 2:
                chosen[chosen.index(weakest)] = outsider
    return [focal, *sorted(chosen)]


def _nice_limits(lo: float, hi: float) -> tuple[float, float]:
    """Round limits around data in [lo, hi] with room to grow (half the data's span in the
    direction it can grow, never below zero for data that is not), so that most steps keep them."""
    span = hi - lo
    if span <= 0:
        span = abs(hi) if hi != 0 else 1.0
    low = lo - 0.5 * span if lo < 0 else max(0.0, lo - 0.05 * span)
    high = hi + 0.5 * span if hi > 0 or lo >= 0 else min(0.0, hi + 0.05 * span)
    ticks = MaxNLocator(4).tick_values(low, high)
    low, high = min(float(ticks[0]), low), max(float(ticks[-1]), high)
    # a tick computed as -1e-13 must not give data that is never negative a negative axis
    return (max(low, 0.0) if lo >= 0 else low), (min(high, 0.0) if hi < 0 else high)


class SeriesPlot:
    """The six time series (see :func:`series_figure`), one small figure per panel, each reused
    from step to step. :meth:`png` draws only the curves on a kept copy of a panel while its
    title, legend, limits and markers stay the same; y limits grow in round steps with room to
    spare, so a panel's frame is redrawn only now and then (and the others' not at all)."""

    TITLES = (N_("Firms in the leading counties"), N_("Concentration"), N_("{focal}: land price and wage"),
              N_("County balance (wan)"), N_("Fee rate (% of revenue)"), N_("Governance quality (0-1)"))
    SIZE = (4.33, 2.8)  # inches at DPI: three panels side by side make the width of the old single figure

    def __init__(self) -> None:
        self.figures = [Figure(figsize=self.SIZE, dpi=DPI) for _ in self.TITLES]
        self.axes = [fig.add_axes((0.13, 0.16, 0.84, 0.74)) for fig in self.figures]
        for ax in self.axes:
            ax.tick_params(labelsize=FONT["tick"])
            ax.grid(alpha=0.25)
            # few ticks: tick marks, labels and grid lines are most of the drawing time
            ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        self._blits = [_Blitter(fig) for fig in self.figures]
        self._curves: list[list[Line2D]] = [[] for _ in self.axes]
        self._keys: list[object] = [None] * len(self.axes)
        self._model: SessionModel | None = None
        self._run = 0  # counts the models drawn: a new one starts with fresh limits and leaders
        self._leaders: list[str] | None = None
        self._limits: list[tuple[float, float] | None] = [None] * len(self.axes)

    def _curve_specs(self, model: SessionModel, _: Translator) -> list[list[tuple]]:
        """Per panel, the curves as (x, y, colour, linewidth, legend label or None), drawn in
        that order."""
        timeline = model.timeline
        names = timeline.county_names
        years = np.arange(len(timeline), dtype=float)
        mv = model.datacollector.model_vars
        focal = model.focal_name
        j_focal = names.index(focal)
        firms = timeline.county("firms")
        self._leaders = _leaders(firms, names, focal, self._leaders)
        specs: list[list[tuple]] = [[] for _ in self.axes]
        for i, n in enumerate(self._leaders):
            colour = FOCAL_COLOUR if n == focal else PALETTE[(i - 1) % len(PALETTE)]
            specs[0].append((years, firms[:, names.index(n)], colour, 2.0 if n == focal else 1.2, n))
        specs[1].append((years, np.asarray(mv["hhi"], float), "black", 2.0, _("HHI (county jobs)")))
        for k, name in enumerate(model.sector_names):
            specs[1].append((years, np.asarray(mv[f"eg_{name}"], float), _sector_colour(k), 1.2,
                             _("EG γ {sector}").format(sector=name)))
        specs[2].append((years, np.asarray(mv["focal_land_price"], float), "#8c564b", 1.5, _("land price (wan/mu)")))
        specs[2].append((years, np.asarray(mv["focal_wage"], float) * 10.0, "#17becf", 1.5,
                         _("wage × 10 (wan/worker-yr)")))
        for panel, field, scale in ((3, "balance", 1.0), (4, "fee_rate", 100.0), (5, "governance", 1.0)):
            data = timeline.county(field) * scale
            for j in range(len(names)):
                if j != j_focal:
                    specs[panel].append((years, data[:, j], RIVAL_COLOUR, 1.0, None))
            specs[panel].append((years, data[:, j_focal], FOCAL_COLOUR, 2.0, focal))
        return specs

    def update(self, model: SessionModel, lang: str = "en") -> list[Figure]:
        _ = translator(lang)
        if model is not self._model:
            self._limits = [None] * len(self.axes)
            self._leaders = None
            self._model = model
            self._run += 1
        specs = self._curve_specs(model, _)
        end = model.incentives_end_year()
        focal_package = model.packages.packages[model.regions.package[model.focal]]
        end_line = end if focal_package.offers_incentives and math.isfinite(end) else None
        changes = tuple((c.year, c.field, c.describe(_)) for c in model.live_changes)
        for p, panel in enumerate(specs):
            legend = tuple((s[4], s[2], s[3]) for s in panel if s[4] is not None) if p < 3 else ()
            if self._keys[p] is not None and p == 0 and legend != self._keys[p][2]:
                self._limits[p] = None  # other leaders: the old limits may be far too wide
            if p == 5:
                self._limits[p] = (-0.02, 1.02)
            else:
                values = np.concatenate([s[1] for s in panel])
                values = values[np.isfinite(values)]
                lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
                now = self._limits[p]
                if now is None or lo < now[0] or hi > now[1]:
                    self._limits[p] = _nice_limits(lo, hi)
            key = (self._run, model.focal_name, legend, self._limits[p], end_line, changes, model.config.years, lang)
            if key != self._keys[p]:
                self._draw_static(p, model, legend, end_line, changes, _)
                self._keys[p] = key
            ax, curves = self.axes[p], self._curves[p]
            while len(curves) < len(panel):
                curves.append(ax.add_line(Line2D([], [], zorder=2)))
            while len(curves) > len(panel):
                curves.pop().remove()
            for line, (xs, ys, colour, width, _label) in zip(curves, panel, strict=True):
                line.set_data(xs, ys)
                line.set_color(colour)
                line.set_linewidth(width)
        return self.figures

    def _draw_static(self, p: int, model: SessionModel, legend: tuple, end_line: float | None,
                     changes: tuple, _: Translator) -> None:
        ax = self.axes[p]
        for artist in [*ax.lines, *ax.texts]:
            if all(artist is not c for c in self._curves[p]):
                artist.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        ax.set_title(_(self.TITLES[p]).format(focal=model.focal_name), fontsize=FONT["title"])
        if p >= 3:
            ax.set_xlabel(_("year"), fontsize=FONT["tick"], labelpad=1)
        if p == 3:  # balances in wan reach millions: 1.5M, 250k (units.compact); in Chinese 150亿, 25亿
            ax.yaxis.set_major_formatter(FuncFormatter(units.compact if _.lang == "en" else compact_zh))
        ax.set_xlim(0, max(model.config.years, 1))
        ax.set_ylim(*self._limits[p])
        if p == 3:
            ax.axhline(0.0, color="black", linewidth=0.6, zorder=1)
        if end_line is not None:
            ax.axvline(end_line, color="black", linestyle=":", linewidth=1, zorder=1)
        labels: dict[int, list[str]] = {}
        for year, field, text in changes:
            if year not in labels:
                ax.axvline(year, color=LIVE_COLOUR, linestyle="--", linewidth=1.2, zorder=1)
                labels[year] = []
            if LIVE_PANEL[field] == p:  # labelled in the panel of what it changed
                labels[year].append(text)
        for year, texts in labels.items():
            if texts:  # reading up along the line, left of it
                ax.text(year, 0.98, ", ".join(texts) + " ", transform=ax.get_xaxis_transform(), rotation=90,
                        ha="right", va="top", fontsize=FONT["note"], color=LIVE_COLOUR, zorder=1)
        handles = [Line2D([], [], color=c, linewidth=w, label=label) for label, c, w in legend]
        if p == 0 and end_line is not None:
            handles.append(Line2D([], [], color="black", linestyle=":", linewidth=1,
                                  label=_("incentives end (year {year})").format(year=f"{end_line:g}")))
        if p == 0 and changes:
            handles.append(Line2D([], [], color=LIVE_COLOUR, linestyle="--", linewidth=1.2,
                                  label=_("policy changed live")))
        if handles:
            # under the curves (zorder 1), where the blitter draws them: the same pixels either way
            ax.legend(handles=handles, fontsize=FONT["legend"], loc="upper left", frameon=False,
                      handlelength=1.5, labelspacing=0.3).set_zorder(1)

    def png(self) -> list[bytes]:
        """Each panel as last updated, as PNG (the same pixels as ``png(figure)``)."""
        return [blit.render(key, [*curves, *ax.spines.values()])
                for blit, key, curves, ax in zip(self._blits, self._keys, self._curves, self.axes, strict=True)]


def compact_zh(value: float, _pos: object = None) -> str:
    """A tick of an amount in wan, the Chinese way (:func:`clustersim.units.compact` in English):
    ``150亿`` (10,000 wan and more, in 亿元), ``2500万`` (in 万元), ``0`` alone."""
    if not math.isfinite(value):
        return "–"
    if abs(value) >= 1e4:
        return f"{value / 1e4:.3g}亿"
    return "0" if value == 0 else f"{value:.4g}万"  # below 10,000: at most four digits, never an exponent


def series_figure(model: SessionModel, lang: str = "en") -> list[Figure]:
    """Six panels over the years so far, one figure each (x axis: the scenario's whole run, so
    the curves grow): firms in the leading counties; HHI and Ellison-Glaeser gamma by sector;
    the focal county's land price and wage; every county's fiscal balance (wan), fee
    rate and governance (focal in red). A dotted line marks the year the focal county's
    incentives end, a dashed one each live policy change (labelled in the panel of what changed)."""
    return SeriesPlot().update(model, lang)


# ------------------------------------------------------------------------------ status
def _money(value: float, lang: str) -> str:
    """Wan in English ("12,345 wan"), 万元 / 亿元 in Chinese (:func:`clustersim.brief.numbers.money`)."""
    return units.money(value, unit=True) if lang == "en" else numbers.money(value, lang)


def status_items(model: SessionModel, lang: str = "en") -> list[tuple[str, str]]:
    """The status panel as (English label, value in ``lang``) pairs: the run, the focal county's
    current policy and the last changes made to it while the model ran, take-off, incentives
    (paid against the extra revenue since year 0) and jobs. The English label is the row's
    catalogue id (and names its CSS class); :func:`status_rows` translates it."""
    _ = translator(lang)
    r, f = model.regions, model.focal
    cfg = model.config
    package = model.packages.packages[r.package[f]]
    package_name = model.packages.names[r.package[f]]
    offers = package.offers_incentives
    end = model.incentives_end_year()
    rule = cfg.take_off
    frame = model.model_frame()
    take_off = outputs.focal_take_off(model, frame)
    fiscal = outputs.focal_fiscal_return(model, frame=frame)
    jobs0 = frame["focal_employment"].iloc[0]

    if take_off.took_off:
        verdict = _("YES")
    elif take_off.observable:
        verdict = _("no")
    else:
        verdict = _("not yet observable")
    if not offers:
        since = _("no incentives offered")
    elif not math.isfinite(end):
        since = _("incentives never end")
    elif model.year >= end:
        since = _("{years} years (ended in year {end})").format(years=f"{model.year - end:g}", end=f"{end:g}")
    else:
        since = _("still paid (they end in year {end})").format(end=f"{end:g}")
    year = _("{year} of {years}").format(year=model.year, years=cfg.years)
    switches = _("fee trap {fee_trap}, strategic competition {competition}").format(
        fee_trap=_(_on_off(cfg.counties.fee_trap)), competition=_(_on_off(cfg.counties.strategic_competition)))
    share = (NP_("status", "Focal share of county jobs") if rule.measure == "employment"
             else NP_("status", "Focal share of county firms"))
    jobs = float(r.employment[f])
    return [
        (NP_("status", "Scenario"), _("{scenario}, seed {seed}").format(scenario=cfg.name, seed=model.seed)),
        (NP_("status", "Year"), year if model.running else _("{year} (run complete: press Reset)").format(year=year)),
        (NP_("status", "Focal county"), model.focal_name),
        (NP_("status", "Package"), _("{package} at subsidy depth {depth}").format(
            package=package_name, depth=f"{r.depth[f]:.2f}") if offers else _("none")),
        (NP_("status", "Fee rate, governance"), f"{r.fee_rate[f]:.1%}, {r.governance[f]:.2f}"),
        (NP_("status", "Switches"), switches),
        (NP_("status", "Changed while running"), _changes(model.live_changes, _)),
        (NP_("status", "Take-off"), verdict),
        (share, _("{share} (take-off: ≥ {threshold} in each of the last {years} years, all after incentives end)"
                  ).format(share=f"{take_off.final_share:.1%}", threshold=f"{rule.threshold:.0%}",
                           years=rule.hold_years)),
        (NP_("status", "Years since incentives ended"), since),
        (NP_("status", "Incentives paid"), _money(fiscal.incentives_paid, lang)),
        (NP_("status", "Extra revenue since year 0"), _money(fiscal.extra_revenue, lang)),
        (NP_("status", "Net fiscal return"), _money(fiscal.net_return, lang)),
        (NP_("status", "Jobs"), _("{jobs} ({change} since year 0)").format(
            jobs=f"{jobs:,.0f}", change=f"{jobs - jobs0:+,.0f}")),
        (NP_("status", "Firms"), _("{firms} of {total} in counties").format(firms=f"{r.firms[f]:,.0f}",
                                                                 total=f"{r.firms[r.is_county].sum():,.0f}")),
        (NP_("status", "Fiscal balance"), _money(float(r.balance[f]), lang)),
        (NP_("status", "Parks, specialisation"), _layout(outputs.park_and_specialisation(model), _)),
    ]


def status_rows(model: SessionModel, lang: str = "en") -> list[tuple[str, str]]:
    """The status panel as (label, value) pairs in ``lang`` (see :func:`status_items`)."""
    _ = translator(lang)
    return [(_.pgettext("status", label), value) for label, value in status_items(model, lang)]


def _on_off(value: bool) -> str:
    from clustersim.ui.session import on_off

    return on_off(bool(value))


def _layout(layout: dict[str, float], _: Translator) -> str:
    spec = layout["specialisation"]
    return _("{share} of county jobs in parks (target ≥ 50 %); specialisation {value}").format(
        share=f"{layout['park_share']:.0%}",
        value=_("n/a") if not math.isfinite(spec) else _("{value} (0 duplicates .. 2)").format(value=f"{spec:.2f}"))


def _changes(changes: list, _: Translator, shown: int = 3) -> str:
    if not changes:
        return _("nothing yet (the policy controls act at once)")
    text = _("; ").join(_("year {year}: {change}").format(year=c.year, change=c.describe(_)) for c in changes[-shown:])
    if len(changes) <= shown:
        return text
    return _("{count} earlier …; {changes}").format(count=len(changes) - shown, changes=text)


def status_html(model: SessionModel, lang: str = "en") -> str:
    """The status panel as an HTML table; each value cell has the CSS class ``cs-<English label>``
    (the year's also carries the year as ``data-year``, whatever the language)."""
    _ = translator(lang)
    cells = []
    for key, value in status_items(model, lang):
        extra = f"data-year='{model.year}' " if key == "Year" else ""
        cells.append(f"<tr><th style='text-align:left;padding:2px 12px 2px 0;font-weight:500'>"
                     f"{html.escape(_.pgettext('status', key))}</th><td {extra}class='cs-{_slug(key)}'>"
                     f"{html.escape(value)}</td></tr>")
    return f"<table style='font-size:14px;border-collapse:collapse'>{''.join(cells)}</table>"


def _slug(label: str) -> str:
    """CSS class of a status row: "Fee rate, governance" -> "fee-rate-governance"."""
    return "-".join("".join(c if c.isalnum() else " " for c in label.lower()).split())


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (Agg, through ``Figure.savefig``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


# ------------------------------------------------------------------------------ Solara components
@solara.component
def MapView(model: SessionModel, lang: str = "en"):
    """The map, redrawn after every step (Mesa bumps ``update_counter``)."""
    _ = translator(lang)
    with solara.Column(gap="2px"):
        # its own component: a step redraws the image, not the switch
        with solara.ToggleButtonsSingle(value=map_measure, dense=True, classes=["cs-measure"]):
            solara.Button(_("firms"), value="firms")
            solara.Button(_("employment"), value="employment")
        _MapImage(model, lang)


@solara.component
def _MapImage(model: SessionModel, lang: str):
    counter = update_counter.get()
    measure = map_measure.value
    plots = solara.use_memo(dict, [])
    def draw() -> bytes:
        with model.lock:  # not half-way through a step that Play runs in another thread
            real = model.layout.shapes is not None
            plot = plots[real] if real in plots else plots.setdefault(real, _map_plot(model))
            plot.update(model, measure, lang)
        return plot.png()

    data = solara.use_memo(draw, [model, counter, measure, lang])
    solara.Image(data, format="png")


@solara.component
def SeriesView(model: SessionModel, lang: str = "en"):
    counter = update_counter.get()
    plot = solara.use_memo(SeriesPlot, [])

    def draw() -> list[bytes]:
        with model.lock:
            plot.update(model, lang)
        return plot.png()

    images = solara.use_memo(draw, [model, counter, lang])
    grid = {"display": "grid", "grid-template-columns": "repeat(3, max-content)"}  # three panels a row
    with solara.Div(classes=["cs-series"], style=grid):
        for data in images:
            solara.Image(data, format="png")


@solara.component
def StatusView(model: SessionModel, lang: str = "en"):
    counter = update_counter.get()
    def table() -> str:
        with model.lock:
            return status_html(model, lang)

    text = solara.use_memo(table, [model, counter, lang])
    _ = translator(lang)
    with solara.Card(_("Status"), classes=["cs-status"],
                     style={"flex": "1 1 360px", "max-width": "620px"}):
        solara.HTML(tag="div", unsafe_innerHTML=text)


@solara.component
def Dashboard(model: SessionModel, lang: str = "en"):
    """The main area: map and status side by side, the time series below."""
    with solara.Column(style={"padding": "8px"}):
        with solara.Row(style={"align-items": "flex-start"}):
            MapView(model, lang)
            StatusView(model, lang)
        SeriesView(model, lang)
        solara.HTML(tag="div", unsafe_innerHTML=glossary_html(lang), classes=["cs-glossary"],
                    style={"font-size": "14px", "max-width": "1000px", "color": "#333"})


#: plain words for the charts' abbreviations, shown under the charts; each term also explains itself on hover
GLOSSARY = (
    (N_("HHI"), N_("Herfindahl–Hirschman index of county jobs"),
     N_("how concentrated the jobs in counties are: 1 = all in one county, 1/8 = spread evenly over eight")),
    (N_("EG γ"), N_("Ellison–Glaeser index, one per sector"),
     N_("how much more a sector's firms cluster than if they were placed at random: about 0 = no clustering, "
        "above 0.05 = strongly clustered")),
    (N_("wage × 10"), N_("the focal county's wage multiplied by 10"),
     N_("so that it shares the axis with the land price: divide by 10 for wan per worker-year")),
    (N_("dotted line"), N_("the year the focal county's incentives end"),
     N_("after it no firm receives anything from its package; take-off is judged after this year")),
)


def glossary_html(lang: str = "en") -> str:
    """"Reading the charts": the glossary as HTML in ``lang``."""
    _ = translator(lang)
    e = html.escape
    terms = []
    for term, long, what in GLOSSARY:
        title = _("{term}: {what}").format(term=_(long), what=_(what))
        abbr = f"<abbr title='{e(title, quote=True)}' style='cursor:help'><b>{e(_(term))}</b></abbr>"
        terms.append(_("{term}: {what}.").format(term=abbr, what=e(_(what))))
    return f"<p><b>{e(_('Reading the charts.'))}</b> {' '.join(terms)}</p>"
