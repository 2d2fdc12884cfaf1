"""The lab's comparison: each designed package against offering nothing, from the sweep report's
own tables (:func:`~clustersim.sweep.report.package_table` and
:func:`~clustersim.sweep.report.baseline_table`), so the lab shows exactly what ``clustersim
report`` writes for the same runs.

Money in wan, jobs in persons, years as model years. Fiscal outcomes of a package's run are
against the same run (same seed) without the package (``fiscal_baseline = "counterfactual"``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clustersim.i18n import N_
from clustersim.lab.form import BASELINE

__all__ = ["METRICS", "comparison", "comparison_figure"]

#: (stem in the comparison table, English label, kind) in the order the lab shows them
METRICS: tuple[tuple[str, str, str], ...] = (
    ("took_off", N_("Take-off probability"), "share"),
    ("took_off_diff", N_("Take-off probability added"), "share"),
    ("jobs", N_("Jobs gained"), "count"),
    ("incentives_paid", N_("Incentives paid"), "money"),
    ("extra_revenue", N_("Extra revenue"), "money"),
    ("net_fiscal_return", N_("Net fiscal return"), "money"),
    ("cost_per_job", N_("Cost per job"), "money"),
    ("payback_year", N_("Payback year (median)"), "year"),
)


def comparison(results: pd.DataFrame, meta: Mapping[str, Any], package: str = "package",
               baseline: str = BASELINE) -> pd.DataFrame:
    """One row per package (``baseline`` first): label, runs, and for each metric of :data:`METRICS`
    its value with ``_low``/``_high`` (95 % intervals as the report computes them).

    Jobs, extra revenue and net fiscal return are "against doing nothing in the same world": with
    ``fiscal_baseline = "counterfactual"`` (the lab's experiments) each run already measures them
    against its own same-seed run without the package, so the package's mean is shown; with the
    initial state as fiscal baseline they are the difference from the baseline package (Welch)."""
    from clustersim.sweep.report import baseline_table, package_table

    if results.empty:
        return pd.DataFrame()
    names = [str(n) for n in dict.fromkeys(results[package].astype(str))]
    order = [baseline] + [n for n in names if n != baseline]
    table = package_table(results, package, order)
    diffs = baseline_table(results, baseline, package, order) if len(order) > 1 else pd.DataFrame()
    paired = meta.get("fiscal_baseline") == "counterfactual"
    labels = {k: str((v or {}).get("label") or k) for k, v in (meta.get("packages") or {}).items()}
    rows = []
    for _, r in table.iterrows():
        name = str(r[package])
        row: dict[str, Any] = {"package": name, "label": labels.get(name, name), "n_ok": int(r["n_ok"])}
        row.update(took_off=r["p_took_off"], took_off_low=r["p_took_off_low"], took_off_high=r["p_took_off_high"])
        d = diffs[diffs[package].astype(str) == name] if not diffs.empty else diffs
        if len(d):
            row.update(took_off_diff=d.iloc[0]["took_off_diff"], took_off_diff_low=d.iloc[0]["took_off_diff_low"],
                       took_off_diff_high=d.iloc[0]["took_off_diff_high"])
        else:
            row.update(took_off_diff=np.nan, took_off_diff_low=np.nan, took_off_diff_high=np.nan)
        for stem in ("jobs", "incentives_paid", "extra_revenue", "net_fiscal_return", "cost_per_job"):
            if not paired and stem in ("jobs", "extra_revenue", "net_fiscal_return"):
                src = d.iloc[0] if len(d) else None
                row.update({stem + sfx: (src[f"{stem}_diff{sfx}"] if src is not None else 0.0)
                            for sfx in ("", "_low", "_high")})
                continue
            row.update({stem: r.get(f"{stem}_mean", np.nan), f"{stem}_low": r.get(f"{stem}_low", np.nan),
                        f"{stem}_high": r.get(f"{stem}_high", np.nan)})
        row.update(payback_year=r.get("payback_year_median", np.nan),
                   payback_year_low=r.get("payback_year_low", np.nan),
                   payback_year_high=r.get("payback_year_high", np.nan))
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_figure(table: pd.DataFrame, gettext: Callable[[str], str],
                      metrics: Sequence[str] = ("took_off", "jobs", "net_fiscal_return", "cost_per_job")):
    """A row of panels, one per metric: each package's value with its 95 % interval (whiskers)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from clustersim.brief.fonts import use_cjk_font

    use_cjk_font()
    labels = {stem: label for stem, label, _ in METRICS}
    fig = Figure(figsize=(3.2 * len(metrics), 0.5 * len(table) + 1.6), layout="constrained")
    axes = fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
    y = np.arange(len(table))[::-1]
    for ax, stem in zip(axes, metrics, strict=True):
        v = table[stem].astype(float).to_numpy()
        lo = table[f"{stem}_low"].astype(float).to_numpy()
        hi = table[f"{stem}_high"].astype(float).to_numpy()
        scale = 100.0 if stem.startswith("took_off") else 1.0
        err = np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)]) * scale
        ax.errorbar(v * scale, y, xerr=np.nan_to_num(err), fmt="o", color="#b2182b", ecolor="#555", capsize=3)
        ax.axvline(0, color="#999", lw=0.8)
        ax.set_title(gettext(labels[stem]), fontsize=10)
        ax.set_yticks(y, [str(x) for x in table["label"]])
    return fig
