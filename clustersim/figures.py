"""Figures drawn from a run's tidy region table (``regions.parquet`` / ``outputs.region_table``).

Every function returns a matplotlib ``Figure`` built with the object API: pyplot and its global
backend are never touched, and ``Figure.savefig`` renders PNG with Agg, so the same code serves
the ``run`` command (headless), sweep reports and the browser UI.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from clustersim.geo.fonts import use_cjk_font

use_cjk_font()  # Chinese county names (real geography) render with a CJK font, not as boxes

COAST_COLOUR = "#7f7f7f"
FOCAL_COLOUR = "#d62728"
OTHER_COLOUR = "#d9d9d9"
PALETTE = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def overview_figure(regions: pd.DataFrame, *, focal: str | None = None, title: str = "",
                    incentives_end: float | None = None, top: int = 5, outlines: dict | None = None,
                    moves: np.ndarray | None = None) -> Figure:
    """Two panels. Left: firms by region over time, stacked (coast at the bottom, the ``top``
    largest counties at the end coloured and labelled, the rest grouped). Right: a map
    (x = km inland from the coast, y = km along it) with circle area proportional to each
    region's firms in the last year; the coast is the line x = 0, the focal county ringed.

    ``regions`` needs columns ``year, region, kind, firms, x_km, y_km``. With ``outlines`` (region
    name -> projected polygon, km: real geography) the map draws the counties' boundaries filled by
    their firms instead, the largest named in Chinese and pinyin, and ``moves`` (rows: origin,
    destination, firms, as region indices in ``outlines`` order) as arrows.
    """
    needed = {"year", "region", "kind", "firms", "x_km", "y_km"}
    missing = needed - set(regions.columns)
    if missing:
        raise ValueError(f"regions table lacks columns: {', '.join(sorted(missing))}")
    fig = Figure(figsize=(13, 5.5), layout="constrained")
    ax_time, ax_map = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
    colours = _county_colours(regions, focal, top)
    _firms_over_time(ax_time, regions, colours, incentives_end)
    if outlines:
        _outline_map(ax_map, regions, outlines, focal, top, moves)
    else:
        _region_map(ax_map, regions, colours, focal)
    if title:
        fig.suptitle(title, fontsize=13, fontweight="bold")
    return fig


def outlines_of(layout) -> dict | None:
    """Region name -> projected outline (km) of a real-geography layout, else None."""
    return dict(zip(layout.names, layout.shapes, strict=True)) if layout.shapes is not None else None


def save_figure(fig: Figure, path: Path, dpi: int = 120) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


def _county_colours(regions: pd.DataFrame, focal: str | None, top: int) -> dict[str, str]:
    """Colours for the largest counties in the last year (and the focal county, always)."""
    last = regions[(regions["year"] == regions["year"].max()) & (regions["kind"] == "county")]
    ranked = last.sort_values("firms", ascending=False, kind="stable")
    leaders = [n for n in ranked["region"] if n != focal][: max(0, top - (focal is not None))]
    colours = dict(zip(leaders, PALETTE, strict=False))
    if focal is not None and focal in set(last["region"]):
        colours[focal] = FOCAL_COLOUR
    return colours


def _firms_over_time(ax, regions: pd.DataFrame, colours: dict[str, str], incentives_end: float | None) -> None:
    wide = regions.pivot_table(index="year", columns="region", values="firms", aggfunc="sum").fillna(0.0)
    kinds = regions.drop_duplicates("region").set_index("region")["kind"]
    coast = [n for n in wide.columns if kinds[n] == "origin"]
    named = sorted(colours, key=lambda n: -wide[n].iloc[-1])
    rest = [n for n in wide.columns if n not in coast and n not in colours]
    layers, labels, fills = [], [], []
    if coast:
        layers.append(wide[coast].sum(axis=1))
        labels.append("coast" if len(coast) == 1 else f"coast ({len(coast)} regions)")
        fills.append(COAST_COLOUR)
    if rest:
        layers.append(wide[rest].sum(axis=1))
        labels.append(f"other counties ({len(rest)})")
        fills.append(OTHER_COLOUR)
    pinyin = regions.drop_duplicates("region").set_index("region")["pinyin"] if "pinyin" in regions else None
    for n in reversed(named):
        layers.append(wide[n])
        labels.append(n if pinyin is None else f"{n} {pinyin[n]}")
        fills.append(colours[n])
    years = wide.index.to_numpy()
    ax.stackplot(years, *[layer.to_numpy() for layer in layers], labels=labels, colors=fills,
                 edgecolor="white", linewidth=0.4)
    if incentives_end is not None and math.isfinite(incentives_end) and years[0] < incentives_end <= years[-1]:
        ax.axvline(incentives_end, color="black", linestyle=":", linewidth=1)
        ax.annotate("focal incentives end", (incentives_end, 0.0), xycoords=("data", "axes fraction"),
                    xytext=(3, 4), textcoords="offset points", fontsize=8, color="white", va="bottom")
    ax.set_xlim(years[0], years[-1])
    ax.set_xlabel("year")
    ax.set_ylabel("firms")
    ax.set_title("Firms by region")
    handles, labs = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labs[::-1], loc="upper left", fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.3)


def _region_map(ax, regions: pd.DataFrame, colours: dict[str, str], focal: str | None) -> None:
    year = regions["year"].max()
    last = regions[regions["year"] == year]
    counties = last[last["kind"] == "county"]
    origins = last[last["kind"] == "origin"]
    biggest = max(float(counties["firms"].max()) if len(counties) else 0.0, 1.0)
    # marker area in points^2: the largest county gets 1500, every county at least 12
    area = np.maximum(1500.0 * counties["firms"].to_numpy(float) / biggest, 12.0)
    fill = [colours.get(n, OTHER_COLOUR) for n in counties["region"]]
    ax.axvline(0.0, color=COAST_COLOUR, linewidth=3, zorder=1)
    ax.scatter(counties["x_km"], counties["y_km"], s=area, c=fill, alpha=0.85,
               edgecolors="black", linewidths=0.5, zorder=3)
    label_all = len(counties) <= 12
    for (_, row), a in zip(counties.iterrows(), area, strict=True):
        if label_all or row["region"] in colours:
            ax.annotate(f"{row['region']}\n{int(row['firms'])}", (row["x_km"], row["y_km"]), fontsize=7,
                        ha="center", va="top", xytext=(0, -(math.sqrt(a) / 2 + 3)), textcoords="offset points")
    handles = [Line2D([], [], marker="s", linestyle="-", color=COAST_COLOUR, markersize=7, linewidth=3,
                      label="coast (origin), x = 0")]
    if focal is not None and focal in set(counties["region"]):
        i = int(np.flatnonzero(counties["region"].to_numpy() == focal)[0])
        f = counties.iloc[i]
        ring = (math.sqrt(area[i]) + 10.0) ** 2
        ax.scatter([f["x_km"]], [f["y_km"]], s=ring, facecolors="none", edgecolors=FOCAL_COLOUR,
                   linewidths=2, zorder=4)
        handles.append(Line2D([], [], marker="o", linestyle="none", markerfacecolor="none", markersize=10,
                              markeredgecolor=FOCAL_COLOUR, markeredgewidth=2, label=f"focal county ({focal})"))
    ax.scatter(origins["x_km"], origins["y_km"], marker="s", s=60, color=COAST_COLOUR, zorder=3)
    for _, row in origins.iterrows():
        ax.annotate(f"{row['region']}\n{int(row['firms'])} firms", (row["x_km"], row["y_km"]), fontsize=7,
                    xytext=(6, 0), textcoords="offset points", va="center")
    ax.margins(0.12)
    ax.set_xlabel("km inland from the coast")
    ax.set_ylabel("km along the coast")
    ax.set_title(f"Where the firms are in year {int(year)} (circle area ∝ firms)")
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8,
              frameon=False)
    ax.set_aspect("equal", adjustable="datalim")
    ax.grid(alpha=0.2)


def _outline_map(ax, regions: pd.DataFrame, outlines: dict, focal: str | None, top: int,
                 moves: np.ndarray | None) -> None:
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    from clustersim.geo import maps

    year = regions["year"].max()
    last = regions[regions["year"] == year].set_index("region").loc[list(outlines)]
    names = list(outlines)
    values = last["firms"].to_numpy(float)
    is_origin = (last["kind"] == "origin").to_numpy()
    ring_list, owner = maps.rings(list(outlines.values()))
    coll = maps.fill(ax, ring_list)
    colours, biggest = maps.fill_colours(values, is_origin, owner)
    coll.set_facecolor(colours)
    x, y = last["x_km"].to_numpy(float), last["y_km"].to_numpy(float)
    f = names.index(focal) if focal in names else None
    if f is not None:
        for ring in (r for r, o in zip(ring_list, owner, strict=True) if o == f):
            ax.plot(ring[:, 0], ring[:, 1], color=FOCAL_COLOUR, linewidth=2, zorder=3)
    if moves is not None:
        maps.move_arrows(ax, x, y, moves)
    pinyin = last["pinyin"].tolist() if "pinyin" in last.columns else [None] * len(names)
    for i in maps.top_counties(values, is_origin, f, min(top, 3)):
        maps.label(ax, x[i], y[i], names[i], pinyin[i], values[i], i == f)
    o = np.flatnonzero(is_origin)
    ax.annotate(f"origins: {', '.join(names[i] for i in o)}\n{values[o].sum():,.0f} firms",
                (x[o].mean(), y[o].min()), xytext=(0, -4), textcoords="offset points", fontsize=7,
                ha="center", va="top", color="#424242")
    allx = np.concatenate([r[:, 0] for r in ring_list])
    ally = np.concatenate([r[:, 1] for r in ring_list])
    ax.set_xlim(allx.min(), allx.max())
    ax.set_ylim(ally.min(), ally.max())
    ax.set_aspect("equal", adjustable="box")
    ax.figure.colorbar(ScalarMappable(Normalize(0.0, biggest), maps.CMAP), ax=ax, shrink=0.7,
                       label="firms in the county")
    ax.set_xlabel("km east")
    ax.set_ylabel("km north")
    arrows = "; arrows: moves" if moves is not None and len(moves) else ""
    ax.set_title(f"Firms in year {int(year)} (origins grey{arrows})")
