"""The brief of a take-off sweep (a grid over a subsidy lever and, optionally, a second lever such as
the fee): for each level of the second lever, the subsidy level from which take-off becomes more
likely than not (the threshold tools' dose-response fit with its Fieller interval), the highest
take-off probability found, and a map of the probabilities."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from clustersim.brief import numbers as nb
from clustersim.brief.text import Brief, caveats, method
from clustersim.i18n import translator
from clustersim.scenario import ScenarioError

__all__ = ["build_takeoff_brief"]


def _level(value: float, name: str) -> str:
    return f"{100 * float(value):g}%" if "fee" in name else f"{float(value):g}"


def build_takeoff_brief(results: pd.DataFrame, meta: Mapping[str, Any], lang: str = "zh") -> Brief:
    from clustersim.sweep.report import take_off_table
    from clustersim.thresholds import dose_response

    _ = translator(lang)
    levers = [f for f in meta["factors"] if f.get("role") == "lever"]
    if meta.get("design_kind") != "grid" or not levers:
        raise ScenarioError("brief", "design", meta.get("design_kind"),
                            "a take-off brief needs a grid over one or two levers (e.g. experiments/take_off.toml)")
    x = levers[0]["name"]
    y = levers[1]["name"] if len(levers) > 1 else None
    table = take_off_table(results, x, y)
    groups = [(None, table)] if y is None else list(table.groupby(y, sort=True))
    answer = [_("Where does the cluster take off? The subsidy depth from which take-off becomes more likely than "
                "not:")]
    rows = []
    for value, g in groups:
        g = g.sort_values(x)
        fit = dose_response(g[x].astype(float).to_numpy(), g["took_off"].to_numpy(float), g["n_ok"].to_numpy(float),
                            p=0.5, increasing=True)
        if fit.located and fit.x is not None:
            critical = f"{fit.x:.2g}" + nb.interval(f"{fit.ci_fieller[0]:.2g}", f"{fit.ci_fieller[1]:.2g}", lang)
        elif (g["p_took_off"] > 0.5).all():
            critical = _("already likely at the lowest depth tried")
        elif (g["p_took_off"] <= 0.5).all():
            critical = _("not within the depths tried")
        else:
            critical = _("not located by the runs")
        best = g.loc[g["p_took_off"].idxmax()]
        p_best = nb.share(best["p_took_off"], lang) + nb.interval(nb.share(best["p_took_off_low"], lang),
                                                                 nb.share(best["p_took_off_high"], lang), lang)
        level = "" if y is None else _level(value, y)
        rows.append([level, critical, p_best, f"{float(best[x]):g}", str(int(g["n_ok"].min()))])
        where = _("At fee rate {fee}").format(fee=level) if y is not None else _("For this county")
        answer.append(_("{where}: {critical}; highest take-off probability {p} at depth {depth}.").format(
            where=where, critical=critical, p=p_best, depth=f"{float(best[x]):g}"))
    answer.append(_("How sure: each cell was simulated {n} times; the ranges in brackets are 95 % intervals.").format(
        n=int(table["n_ok"].min())))
    header = [_("Fee rate") if y is not None else "", _("Depth where take-off becomes likely"),
              _("Highest take-off probability"), _("at depth"), _("Runs per cell")]
    brief = Brief(
        lang=lang, title=_("Policy brief: where does the cluster take off?"),
        subtitle=_("Focal county {county}; {years} years simulated; money in 10,000 yuan (wan).").format(
            county=meta.get("focal_county", ""), years=meta.get("years", "")),
        answer=answer, questions=[(_("Where does it take off?"), "grid")], table_header=header, table_rows=rows,
        caveats_title=_("What the model leaves out"), caveats=caveats(_), method=method(_),
        comparison=pd.DataFrame())
    brief.extra_figures.append(("grid", _grid_figure(table, x, y, lang)))
    return brief


def _grid_figure(table: pd.DataFrame, x: str, y: str | None, lang: str):
    from matplotlib.figure import Figure

    from clustersim.brief.fonts import use_cjk_font

    use_cjk_font()
    _ = translator(lang)
    xs = sorted(table[x].astype(float).unique())
    ys = [None] if y is None else sorted(table[y].astype(float).unique())
    grid = np.full((len(ys), len(xs)), np.nan)
    for _i, r in table.iterrows():
        grid[0 if y is None else ys.index(float(r[y])), xs.index(float(r[x]))] = r["p_took_off"]
    fig = Figure(figsize=(7.0, 1.0 + 0.55 * len(ys)), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(100 * grid, cmap="RdBu", vmin=0, vmax=100, aspect="auto", origin="lower")
    for i in range(len(ys)):
        for j in range(len(xs)):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.0%}", ha="center", va="center", fontsize=9)
    ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
    ax.set_xlabel(_("Subsidy depth (1 = face value)"))
    if y is not None:
        ax.set_yticks(range(len(ys)), [_level(v, y) for v in ys])
        ax.set_ylabel(_("Fee rate"))
    else:
        ax.set_yticks([])
    fig.colorbar(im, ax=ax, label=_("Take-off probability") + " (%)")
    return fig
