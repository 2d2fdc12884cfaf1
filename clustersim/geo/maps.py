"""Maps of real geography: county outlines filled by firms or jobs, origins in grey, the focal
county outlined in red, the largest counties named in Chinese with pinyin, moves as arrows.
Used by the ``run`` overview figure (:func:`clustersim.figures.overview_figure`) and the UI map
(:class:`clustersim.ui.realmap.OutlineMapPlot`). Coordinates are the layout's projected km."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from matplotlib import colormaps
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize

CMAP = colormaps["YlOrRd"]
MOVE_CMAP = colormaps["Blues"]
ORIGIN_FILL = "#bdbdbd"
EDGE = "#ffffff"


def rings(shapes: Sequence, tolerance_km: float = 1.0) -> tuple[list[np.ndarray], np.ndarray]:
    """Exterior rings of every region's polygons, simplified to ``tolerance_km`` (drawing cost),
    and the region index of each ring."""
    out, owner = [], []
    for i, geom in enumerate(shapes):
        simple = shapely.simplify(geom, tolerance_km, preserve_topology=True)
        for poly in getattr(simple, "geoms", [simple]):
            out.append(np.asarray(poly.exterior.coords)[:, :2])
            owner.append(i)
    return out, np.array(owner, dtype=np.int64)


def fill_colours(values: np.ndarray, is_origin: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, float]:
    """RGBA per ring: counties on a 0..max scale of ``values`` (white at 0), origins grey; and the max."""
    county_values = np.where(is_origin, 0.0, values)
    top = max(float(county_values.max()), 1.0)
    colours = CMAP(Normalize(0.0, top)(county_values))
    colours[values <= 0] = (1.0, 1.0, 1.0, 1.0)
    colours[is_origin] = (0.74, 0.74, 0.74, 1.0)
    return colours[owner], top


def fill(ax, ring_list: list[np.ndarray], zorder: float = 2) -> PolyCollection:
    coll = PolyCollection(ring_list, edgecolors="#9e9e9e", linewidths=0.3, zorder=zorder)
    ax.add_collection(coll, autolim=False)
    return coll


def move_arrows(ax, x: np.ndarray, y: np.ndarray, moves: np.ndarray, zorder: float = 4):
    """One quiver of last year's moves (rows: origin, destination, firms), darker for more firms."""
    if not len(moves):
        return None
    counts = moves[:, 2].astype(float)
    o, d = moves[:, 0], moves[:, 1]
    return ax.quiver(x[o], y[o], x[d] - x[o], y[d] - y[o], counts, cmap=MOVE_CMAP,
                     norm=Normalize(-0.5 * counts.max(), counts.max()), angles="xy", scale_units="xy", scale=1.0,
                     width=0.004, alpha=0.8, zorder=zorder)


def top_counties(values: np.ndarray, is_origin: np.ndarray, focal: int | None, k: int = 5) -> list[int]:
    """The focal county and the ``k`` counties with the largest values (ties: first in order)."""
    order = [int(i) for i in np.argsort(-np.where(is_origin, -np.inf, values), kind="stable") if not is_origin[i]]
    picked = [i for i in order if values[i] > 0][:k]
    return ([focal] if focal is not None and focal not in picked else []) + picked


def label(ax, x: float, y: float, name: str, pinyin: str | None, value: float, focal: bool, zorder: float = 5):
    text = f"{name}\n{pinyin}\n{value:,.0f}" if pinyin else f"{name}\n{value:,.0f}"
    return ax.annotate(text, (x, y), ha="center", va="center", fontsize=7, zorder=zorder,
                       color="#b2182b" if focal else "black", fontweight="bold" if focal else "normal",
                       bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
