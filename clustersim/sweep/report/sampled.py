"""Report sections of sampled designs: Morris / Sobol sensitivity indices and the binned
take-off of Latin-hypercube (range) designs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clustersim import units
from clustersim.sweep.report.prose import OUTCOME_TITLES, OUTCOME_WORDS, _title_suffix
from clustersim.sweep.report.stats import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    MONEY,
    RANGE_BINS,
    _s1_sum,
    _took_off,
    binned_table,
    newcombe_interval,
    sample_problems,
    sensitivity_table,
)
from clustersim.sweep.report.tables import (
    Axis,
    Report,
    _grid_markdown,
    _join,
    _pct_ci,
    _points_ci,
    markdown_table,
    money_unit,
)


def _sensitivity_sections(rep: Report, results: pd.DataFrame, meta: Mapping[str, Any]) -> None:
    from clustersim.sweep import report_figures as rf

    kind = meta["design_kind"]
    rep.add(f"## Sensitivity ({'Morris elementary effects' if kind == 'morris' else 'Sobol indices'})")
    try:
        table = sensitivity_table(results, meta)
    except ValueError as err:
        rep.add(f"Sensitivity indices not computed: {err}.")
        return
    labels = {f["name"]: str(f.get("label") or f["name"]) for f in meta["factors"]}
    table.insert(2, "label", [labels.get(n, n) for n in table["factor"]])
    constant = table.attrs.get("constant", [])
    mu_star_text = ("; mu* is the mean absolute change of the outcome when a factor moves across its whole range"
                    if kind == "morris" else "")
    rep.add(f"Replicates averaged per sample point first ({meta.get('replicates')} per point), then SALib's "
            f"{kind} analysis{mu_star_text}; 95% confidence from {BOOTSTRAP_RESAMPLES} bootstrap resamples "
            f"(seed {BOOTSTRAP_SEED})."
            + (f" Left out because they do not vary across the sample: {_join(constant)}." if constant else ""))
    key, conf = ("mu_star", "mu_star_conf") if kind == "morris" else ("ST", "ST_conf")
    for outcome, part in table.groupby("outcome", sort=False):
        ranked = part.sort_values(key, ascending=False, kind="stable")
        top = ranked.iloc[0]
        small = ranked[ranked[key] < 0.1 * top[key]]["label"].tolist()
        words = OUTCOME_WORDS.get(outcome, outcome)
        problems = sample_problems(part, kind)
        if problems:
            fmt, unit = _index_format(outcome in MONEY and kind == "morris")
            reasons = []
            if "wide" in problems:
                reasons.append(f"the largest index, {top.label}'s {key} = {fmt(top[key])}{unit} ± {fmt(top[conf])}, "
                               "has a 95% interval wider than the index itself")
            if "s1_sum" in problems:
                s1, s1_conf = _s1_sum(part)
                reasons.append(f"the first-order indices sum to {s1:.2f} ± {s1_conf:.2f}, clearly outside [0, 1] "
                               "where a variance decomposition puts them")
            rep.add(f"For {words}, **the sample is too small to rank the factors**: {_join(reasons)}. "
                    + _more_samples(meta))
            continue
        if kind == "morris":
            fmt, unit = _index_format(outcome in MONEY)
            second = ranked.iloc[1] if len(ranked) > 1 and ranked.iloc[1].label not in small else None
            sentence = (f"For {words}, the most influential factor is **{top.label}** (mu* = {fmt(top[key])}"
                        f"{unit} ± {fmt(top[conf])})" + (f", then {second.label} ({fmt(second[key])})"
                                                         if second is not None else "") + ".")
        else:
            s1 = float(part["S1"].sum())
            sentence = (f"For {words}, **{top.label}** has the largest total effect (ST = {top[key]:.2f} ± "
                        f"{top[conf]:.2f}); first-order indices sum to {s1:.2f}"
                        + (f", so interactions account for about {1 - s1:.0%} of the variance." if 0.0 <= s1 <= 1.0
                           else ", outside [0, 1] but within its sampling error, so the share of interactions is "
                           "not known."))
        if small:
            sentence += f" Little effect (below a tenth of the largest): {_join(small)}."
        rep.add(sentence)
    if not table.empty:
        shown, titles = table.copy(), dict(OUTCOME_TITLES)
        value_cols = ["mu", "mu_star", "mu_star_conf", "sigma"] if kind == "morris" else []
        for outcome in (o for o in shown["outcome"].unique() if o in MONEY and value_cols):
            rows = shown["outcome"] == outcome
            div, unit = money_unit(shown.loc[rows, "mu_star"])
            shown.loc[rows, value_cols] = shown.loc[rows, value_cols] / div
            titles[outcome] = f"{titles.get(outcome, outcome)} ({unit})"
        fig = rf.sensitivity_chart(shown, kind, outcome_titles=titles,
                                   title=f"{kind.capitalize()} sensitivity, {_title_suffix(meta)}")
        rep.figure("sensitivity.png", fig, "sensitivity indices with 95% confidence bars")
    cols = ["mu_star", "mu_star_conf", "sigma", "mu"] if kind == "morris" else ["S1", "S1_conf", "ST", "ST_conf"]
    rows = [[str(r.outcome), str(r.label)] + [_index_format(r.outcome in MONEY and kind == "morris")[0](r[c])
                                              for c in cols] for _, r in table.iterrows()]
    rep.add(markdown_table(["outcome", "factor", *cols], rows, [False, False] + [True] * len(cols)))
    if any(o in MONEY for o in table["outcome"]):
        rep.add("Indices of money outcomes are in wan.")
    rep.table("sensitivity_table.csv", table)


def _index_format(money: bool) -> tuple[Any, str]:
    """(formatter, unit suffix) of a sensitivity index: money outcomes' Morris indices in wan by the
    rule of :mod:`clustersim.units`, the others with three significant digits."""
    return (units.money, " wan") if money else ((lambda v: f"{v:.3g}"), "")


def _range_sections(rep: Report, good: pd.DataFrame, meta: Mapping[str, Any],
                    factors: Sequence[Mapping[str, Any]]) -> None:
    """Designs over ranges (lhs): a scatter of the successful runs over the first two numeric factors
    (replicates of one point side by side) and, for every numeric factor, the take-off probability in
    equal-width bins of its range."""
    from clustersim.sweep import report_figures as rf

    numeric = [f for f in factors if f["name"] in good.columns and pd.api.types.is_numeric_dtype(good[f["name"]])
               and good[f["name"]].dtype != bool]
    if not numeric or "took_off" not in good.columns:
        return
    first = numeric[0]
    name, label = first["name"], str(first.get("label") or first["name"])
    xa = Axis.of(first, _range_of(first, good[name].astype(float)))
    rep.add(f"## Runs over {label}" + (f" and {numeric[1].get('label') or numeric[1]['name']}"
                                         if len(numeric) > 1 else ""))
    took = _took_off(good)
    share = good["final_share"].astype(float).to_numpy() if "final_share" in good.columns else None
    if len(numeric) > 1:
        second = numeric[1]
        y = good[second["name"]].astype(float).to_numpy()
        y_label = str(second.get("label") or second["name"])
        y_percent = Axis.of(second, [float(y.min()), float(y.max())]).percent
    elif share is not None:
        y, y_label, y_percent = share, "final share of the focal county", True
    else:
        y, y_label, y_percent = np.zeros(len(good)), "", False
    replicate = good["replicate"].to_numpy(int) if "replicate" in good.columns else None
    fig = rf.run_scatter(good[name].astype(float).to_numpy(), y, took, share, x_label=label, y_label=y_label,
                         x_percent=xa.percent, y_percent=y_percent, replicate=replicate,
                         title=f"Each successful run, {_title_suffix(meta, '')}")
    rep.figure("runs_scatter.png", fig, "runs over the first two factors: took off or not, marker area = final "
               "share; the replicates of one point stand side by side")
    tables = []
    for factor in numeric:
        table = _binned_factor(rep, good, factor)
        if table is not None:
            tables.append(table)
    if tables:
        rep.add("Bins are closed on the left (the last also on the right)"
                + ("; a Latin hypercube puts about the same number of points in each." if meta["design_kind"] == "lhs"
                   else ".")
                + (" Within each bin of one factor the others vary over their ranges, so these are averages over "
                   "them, not comparisons with the others held fixed." if len(factors) > 1 else ""))
        rep.table("take_off_bins.csv", pd.concat(tables, ignore_index=True))


def _range_of(factor: Mapping[str, Any], values: pd.Series) -> list[float]:
    """The design's range of ``factor``, widened to its ``values`` (whole-number factors are rounded and can
    fall outside)."""
    low = min(float(values.min()), float(factor["low"]) if factor.get("low") is not None else math.inf)
    high = max(float(values.max()), float(factor["high"]) if factor.get("high") is not None else -math.inf)
    return [low, high]


def _binned_factor(rep: Report, good: pd.DataFrame, factor: Mapping[str, Any]) -> pd.DataFrame | None:
    """One factor's subsection: take-off probability (and the cell means) in equal-width bins of its range,
    with the change from the first to the last bin; the table with a ``factor`` column, or None when the
    factor does not vary."""
    name, label = factor["name"], str(factor.get("label") or factor["name"])
    low, high = _range_of(factor, good[name].astype(float))
    if low == high:
        return None
    xa = Axis.of(factor, [low, high])
    bins = RANGE_BINS if good[name].nunique() >= RANGE_BINS else 1
    table = binned_table(good, name, low, high, bins)
    cells = table[table["n_ok"] > 0]
    first_bin, last_bin = cells.iloc[0], cells.iloc[-1]
    rep.add(f"### Take-off over {label}")

    def where(row: pd.Series) -> str:
        return f"{label} {xa.fmt(row.bin_low)} to {xa.fmt(row.bin_high)}"

    if bins > 1 and len(cells) > 1:
        p_first = _pct_ci(first_bin.p_took_off, first_bin.p_took_off_low, first_bin.p_took_off_high)
        p_last = _pct_ci(last_bin.p_took_off, last_bin.p_took_off_low, last_bin.p_took_off_high)
        text = [f"Binned into {bins} equal parts of its range, the take-off probability goes from {p_first} at "
                f"{where(first_bin)} to {p_last} at {where(last_bin)}."]
        d, d_low, d_high = newcombe_interval(int(last_bin.took_off), int(last_bin.n_ok), int(first_bin.took_off),
                                             int(first_bin.n_ok))
        clear = d_low > 0 or d_high < 0
        text.append(f"The difference, {_points_ci(d, d_low, d_high, 'percentage points')} (Newcombe's 95% "
                    "interval), " + (f"is a clear change over {label}." if clear else
                                     f"could be sampling noise: this sample does not show a clear change over "
                                     f"{label}."))
        rep.add(" ".join(text))
    shown = table.assign(**{name: [f"{xa.fmt(a)} to {xa.fmt(b)}" for a, b in zip(table["bin_low"], table["bin_high"],
                                                                                 strict=True)]})
    rep.add(_grid_markdown(shown, [Axis(name, label)]))
    table.insert(0, "factor", name)
    return table


def _more_samples(meta: Mapping[str, Any]) -> str:
    samples = meta.get("samples")
    if samples:
        now = f"N = {samples}" if meta.get("design_kind") == "sobol" else f"{samples} trajectories"
        return (f"Run the experiment again with a larger `samples` in `[design]` (now {now}; {4 * int(samples)} "
                "would roughly halve the intervals, which shrink as 1/√samples).")
    return "Run the experiment again with a larger `samples` in `[design]`."
