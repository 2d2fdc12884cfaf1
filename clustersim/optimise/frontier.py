"""The cost-probability frontier of a cheapest-package search as a table and a figure (wan; robust
take-off probability at the search's quantile; cost with its 95 % bootstrap interval over the runs)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from clustersim.i18n import translator
from clustersim.optimise.search import Evaluation, frontier

__all__ = ["frontier_figure", "frontier_table"]


def frontier_table(evaluations: Sequence[Evaluation]) -> pd.DataFrame:
    rows = []
    for e in frontier(evaluations):
        rows.append({**{k: v for k, v in e.params.items()}, "robust_p": e.robust_p, "pooled_p": e.pooled_p,
                     "cost_pv": e.cost, "cost_pv_low": e.cost_low, "cost_pv_high": e.cost_high})
    return pd.DataFrame(rows)


def frontier_figure(table: pd.DataFrame, target: float, lang: str = "en", chosen: float | None = None):
    """Robust take-off probability against cost, with the cost intervals and the target line."""
    from matplotlib.figure import Figure

    from clustersim.brief.fonts import use_cjk_font
    from clustersim.units import compact

    use_cjk_font()
    _ = translator(lang)
    fig = Figure(figsize=(7.0, 3.6), layout="constrained")
    ax = fig.subplots()
    x = table["cost_pv"].to_numpy(float)
    err = [(x - table["cost_pv_low"].to_numpy(float)).clip(0), (table["cost_pv_high"].to_numpy(float) - x).clip(0)]
    ax.errorbar(x, 100 * table["robust_p"].to_numpy(float), xerr=err, fmt="o-", color="#b2182b", ecolor="#777",
                capsize=3, drawstyle="steps-post")
    ax.axhline(100 * target, color="#555", ls="--", lw=1)
    if chosen is not None:
        ax.axvline(chosen, color="#2166ac", ls=":", lw=1.2)
    ax.xaxis.set_major_formatter(compact)
    ax.set_xlabel(_("Present value of incentives paid (wan)"))
    ax.set_ylabel(_("Take-off probability, robust (%)"))
    ax.set_title(_("Cheapest package for each take-off probability"))
    return fig
