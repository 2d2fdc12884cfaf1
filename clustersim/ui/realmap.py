"""The UI map for real geography (``source = "china"`` or ``"geojson"``): county outlines filled
by firms or jobs, origins grey, the focal county outlined in red, last year's moves as arrows,
the focal county and the three largest named in Chinese and pinyin. Like
:class:`clustersim.ui.components.MapPlot` it keeps one figure and redraws only what changes
(fills, arrows, labels, title) over a cached background (outlines' axes, legend)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from clustersim.figures import FOCAL_COLOUR
from clustersim.geo import maps
from clustersim.i18n import Translator, translator

if TYPE_CHECKING:
    from clustersim.model import ClusterModel

DPI = 72


class OutlineMapPlot:
    def __init__(self) -> None:
        from clustersim.ui.components import _Blitter

        self.figure = Figure(figsize=(6.4, 5.0), dpi=DPI)
        self.ax = self.figure.add_axes((0.1, 0.09, 0.56, 0.84))  # the legend sits to the right
        self.ax.xaxis.set_major_locator(MaxNLocator(5))
        self.ax.yaxis.set_major_locator(MaxNLocator(5))
        self._year = self.ax.set_title("", loc="left", fontsize=10, fontweight="bold", y=1.0)
        self._caption = None
        self._blit = _Blitter(self.figure)
        self._dynamic: list = []
        self._static_key: object = None
        self._fill = None
        self._owner = np.zeros(0, dtype=np.int64)

    def update(self, model: ClusterModel, measure: str = "firms", lang: str = "en") -> Figure:
        if measure not in ("firms", "employment"):
            raise ValueError(f"measure must be 'firms' or 'employment', not {measure!r}")
        _ = translator(lang)
        layout, r, ax = model.layout, model.regions, self.ax
        key = (model.focal_name, tuple(layout.names), lang)
        if key != self._static_key:
            self._draw_static(model, _)
            self._static_key = key
        for artist in self._dynamic:
            artist.remove()
        values = (r.firms if measure == "firms" else r.employment).astype(float)
        colours, top = maps.fill_colours(values, r.is_origin, self._owner)
        self._fill.set_facecolor(colours)
        self._dynamic = []
        arrows = maps.move_arrows(ax, r.x_km, r.y_km, model.last_moves)
        if arrows is not None:
            self._dynamic.append(arrows)
        for i in maps.top_counties(values, r.is_origin, model.focal, 3):
            self._dynamic.append(maps.label(ax, r.x_km[i], r.y_km[i], r.names[i], layout.labels[i], values[i],
                                            i == model.focal))
        self._year.set_text(_("Year {year}").format(year=model.year))
        caption = (_("fill: firms\n(darkest {top})\narrows: moves last year") if measure == "firms"
                   else _("fill: jobs\n(darkest {top})\narrows: moves last year"))
        self._caption.set_text(caption.format(top=f"{top:,.0f}"))
        return self.figure

    def _draw_static(self, model: ClusterModel, _: Translator) -> None:
        from clustersim.ui.components import clear_artists

        ax, layout = self.ax, model.layout
        clear_artists(ax)
        ax.set_xlabel(_("km east"))
        ax.set_ylabel(_("km north"))
        self._caption = ax.text(1.03, 0.45, "", transform=ax.transAxes, fontsize=8, va="top", clip_on=False)
        ring_list, self._owner = maps.rings(layout.shapes)
        self._fill = maps.fill(ax, ring_list)
        self._fill.remove()  # drawn with the dynamic artists (its colours change every step)
        ax.add_collection(self._fill, autolim=False)
        for ring in (g for g, o in zip(ring_list, self._owner, strict=True) if o == model.focal):
            ax.plot(ring[:, 0], ring[:, 1], color=FOCAL_COLOUR, linewidth=2.0, zorder=3.5)
        allx = np.concatenate([g[:, 0] for g in ring_list])
        ally = np.concatenate([g[:, 1] for g in ring_list])
        ax.set_xlim(allx.min(), allx.max())
        ax.set_ylim(ally.min(), ally.max())
        ax.set_aspect("equal", adjustable="box")
        pinyin = layout.labels[model.focal]
        handles = [Patch(facecolor=maps.ORIGIN_FILL, label=_("origins")),
                   Patch(facecolor=maps.CMAP(0.8), label=_("counties: darker = more")),
                   Line2D([], [], color=FOCAL_COLOUR, linewidth=2,
                          label=_("focal: {county}").format(county=f"{model.focal_name} {pinyin}")),
                   Line2D([], [], color="#1f4e79", alpha=0.55, linewidth=2, label=_("moves"))]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)

    def png(self) -> bytes:
        focal_lines = list(self.ax.lines)  # above the fills, which are drawn every time
        return self._blit.render(self._static_key, [self._fill, *focal_lines, *self._dynamic, self._year,
                                                     self._caption])
