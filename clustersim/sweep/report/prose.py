"""The report's sections: what each kind of design says in words, with its figures and tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clustersim import units
from clustersim.sweep.outcomes import OUTCOMES
from clustersim.sweep.report.stats import (
    BASELINE_PANELS,
    CELL_MEANS,
    GRID_MEANS,
    MEAN_RESAMPLES,
    MEAN_SEED,
    PACKAGE_PANELS,
    _took_off,
    baseline_table,
    bootstrap_interval,
    ok_mask,
    package_table,
    take_off_table,
    wilson_interval,
)
from clustersim.sweep.report.tables import (
    Axis,
    Report,
    _baseline_units,
    _cost_markdown,
    _grid_markdown,
    _join,
    _num,
    _num_ci,
    _outcomes_markdown,
    _package_markdown,
    _package_units,
    _pct,
    _pct_ci,
    _points_ci,
    _signed_ci,
    markdown_table,
    money_unit,
)

INITIAL_BASELINE_CAVEAT = (
    " With the initial baseline (the county's year-0 revenue and jobs held constant), every firm the county gains "
    "counts as gained by its policy, including firms that would have come anyway; an experiment with "
    "fiscal_baseline = \"counterfactual\" measures the policy's own effect.")

OUTCOME_TITLES = {"final_share": "final share", "took_off": "take-off rate", "net_fiscal_return": "net fiscal return"}
OUTCOME_WORDS = {"final_share": "the focal county's final share", "took_off": "the take-off rate",
                 "net_fiscal_return": "the net fiscal return"}


# ------------------------------------------------------------------------------ sections
def _title_suffix(meta: Mapping[str, Any], pooled: str = "") -> str:
    n = meta.get("replicates")
    reps = f"{n} replicate{'' if n == 1 else 's'} per point{pooled}"
    return f"{reps}, {meta.get('years')} years"


def _varying(results: pd.DataFrame, factors: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [f for f in factors if f["name"] in results.columns and results[f["name"]].nunique(dropna=False) > 1]


def _grid_sections(rep: Report, results: pd.DataFrame, meta: Mapping[str, Any],
                   factors: Sequence[Mapping[str, Any]]) -> None:
    varying = _varying(results, factors)
    if not varying:
        _overall_section(rep, results, meta)
        return
    axes = [Axis.of(f, sorted(results[f["name"]].dropna().unique())) for f in varying[:2]]
    pooled = varying[2:]
    pooled_text = ""
    if pooled:
        names = _join([f"{f.get('label') or f['name']} ({results[f['name']].nunique()} values)" for f in pooled])
        rep.add(f"The grid has {len(varying)} varying factors; the figures and tables show the first two and pool "
                f"the runs over {names}: each cell's probability and means are over all its replicates and those "
                "values together.")
        pooled_text = " (pooled over " + ", ".join(f["name"] for f in pooled) + ")"
    if len(axes) == 1:
        _one_factor_section(rep, results, meta, axes[0], pooled_text)
    else:
        _two_factor_sections(rep, results, meta, axes[0], axes[1], pooled_text)


def _one_factor_section(rep: Report, results: pd.DataFrame, meta: Mapping[str, Any], ax: Axis, pooled: str) -> None:
    from clustersim.sweep import report_figures as rf

    table = take_off_table(results, ax.name, extra=meta.get("requested_outcomes", ()))
    rep.add(f"## Take-off probability against {ax.label}")
    if "took_off" in table.columns:
        cells = table[table["n_ok"] > 0]
        first, last = cells.iloc[0], cells.iloc[-1]
        likely = cells[cells["p_took_off"] > 0.5][ax.name].tolist()
        p_first = _pct_ci(first.p_took_off, first.p_took_off_low, first.p_took_off_high)
        p_last = _pct_ci(last.p_took_off, last.p_took_off_low, last.p_took_off_high)
        rep.add(f"The take-off probability goes from {p_first} at {ax.label} {ax.fmt(first[ax.name])} to {p_last} "
                f"at {ax.fmt(last[ax.name])}. Take-off is more likely than not "
                f"{_where(likely, cells[ax.name].tolist(), ax)}.")
        numeric = pd.api.types.is_numeric_dtype(table[ax.name])
        fig = rf.probability_line(table[ax.name].tolist(), table["p_took_off"].to_numpy(float),
                                  table["p_took_off_low"].to_numpy(float), table["p_took_off_high"].to_numpy(float),
                                  tick_labels=[ax.fmt(v) for v in table[ax.name]], numeric=numeric, x_label=ax.title,
                                  title=f"Take-off probability, {_title_suffix(meta, pooled)}")
        rep.figure("take_off_probability.png", fig, "take-off probability with 95% Wilson band")
    rep.add(_grid_markdown(table, [ax]))
    _cost_section(rep, table, [ax], meta)
    rep.table("take_off_table.csv", table)


def _two_factor_sections(rep: Report, results: pd.DataFrame, meta: Mapping[str, Any], xa: Axis, ya: Axis,
                         pooled: str) -> None:
    from clustersim.sweep import report_figures as rf

    table = take_off_table(results, xa.name, ya.name, extra=meta.get("requested_outcomes", ()))
    xs = sorted(table[xa.name].unique())
    ys = sorted(table[ya.name].unique())

    def grid(column: str) -> np.ndarray:
        wide = table.pivot(index=ya.name, columns=xa.name, values=column).reindex(index=ys, columns=xs)
        return wide.to_numpy(float)

    ticks = dict(x_ticks=[xa.fmt(v) for v in xs], y_ticks=[ya.fmt(v) for v in ys], x_label=xa.title,
                 y_label=ya.title)
    suffix = _title_suffix(meta, pooled)
    cells = table[table["n_ok"] > 0]
    where = f"of {xa.label} and {ya.label}"
    if "took_off" in table.columns:
        rep.add("## Take-off probability")
        k, n = int(cells["took_off"].sum()), int(cells["n_ok"].sum())
        likely, sure = cells[cells["p_took_off"] > 0.5], cells[cells["p_took_off_low"] > 0.5]
        text = [f"Over all {len(cells)} combinations {where}, the focal county took off in {k} of {n} "
                f"successful runs ({_pct(k / n)})."]
        if likely.empty:
            best = cells.loc[cells["p_took_off"].idxmax()]
            text.append(f"Take-off is not more likely than not anywhere in the grid: the highest probability is "
                        f"{_pct_ci(best.p_took_off, best.p_took_off_low, best.p_took_off_high)}, at "
                        f"{_at(best, xa, ya)}.")
        else:
            text.append(f"Take-off is more likely than not (estimated probability above 50%; a cell at exactly 50% "
                        f"is not counted) in {len(likely)} of {len(cells)} combinations, "
                        + (f"and in {len(sure)} of them the whole 95% interval lies above 50%." if len(sure) else
                           "but in none of them does the whole 95% interval lie above 50% (more replicates would "
                           "narrow the intervals)."))
            for yv in ys:
                row = cells[cells[ya.name] == yv]
                hits = row[row["p_took_off"] > 0.5][xa.name].tolist()
                text.append(f"With {ya.label} at {ya.fmt(yv)}, it is more likely than not "
                            f"{_where(hits, row[xa.name].tolist(), xa)}.")
        rep.add(" ".join(text))
        annotations = [[f"{_pct(p)}\n{int(k)}/{int(n)}" if n > 0 else "no runs" for p, k, n in zip(*row, strict=True)]
                       for row in zip(grid("p_took_off"), grid("took_off"), grid("n_ok"), strict=True)]
        numeric = all(pd.api.types.is_numeric_dtype(results[a.name]) for a in (xa, ya))
        fig = rf.grid_heatmap(grid("p_took_off"), **ticks, title=f"Take-off probability, {suffix}",
                              colorbar_label="take-off probability", kind="probability", annotations=annotations,
                              contour=None if numeric else 0.5)
        if numeric:  # the fitted 50 % curve with its band (clustersim.thresholds), not an interpolated contour
            from clustersim.thresholds.report_sections import critical_section

            critical_section(rep, fig, results[ok_mask(results)], xa, ya, xs, ys)
        else:
            rep.figure("take_off_probability.png", fig, "take-off probability heatmap with its 50% contour")
    if "final_share_mean" in table.columns:
        rep.add("## Final share of the focal county")
        lo, hi = cells.loc[cells["final_share_mean"].idxmin()], cells.loc[cells["final_share_mean"].idxmax()]
        rep.add(f"The focal county's mean share in the last year (share of the take-off measure among counties) "
                f"ranges from {_pct(lo.final_share_mean, 1)} at {_at(lo, xa, ya)} to {_pct(hi.final_share_mean, 1)} "
                f"at {_at(hi, xa, ya)}.")
        values = grid("final_share_mean")
        notes = [[_pct(v) for v in row] for row in values]
        fig = rf.grid_heatmap(values, **ticks, title=f"Mean final share of the focal county, {suffix}",
                              colorbar_label="mean final share", kind="share", annotations=notes)
        rep.figure("final_share.png", fig, "mean final share heatmap")
    if "net_fiscal_return_mean" in table.columns:
        rep.add("## Net fiscal return of the focal county")
        scale, unit = money_unit(table["net_fiscal_return_mean"])
        pos, sure = cells[cells["net_fiscal_return_mean"] > 0], cells[cells["net_fiscal_return_low"] > 0]
        neg_sure = cells[cells["net_fiscal_return_high"] < 0]
        lo = cells.loc[cells["net_fiscal_return_mean"].idxmin()]
        hi = cells.loc[cells["net_fiscal_return_mean"].idxmax()]
        baseline = meta.get("fiscal_baseline", "initial")
        rep.add(f"Net fiscal return = extra revenue (against the {baseline} baseline) minus incentives paid, "
                f"summed over the {meta.get('years')} years. Its mean is positive (the incentives paid for "
                f"themselves within the run) in {len(pos)} of {len(cells)} combinations; the 95% interval lies "
                f"wholly above zero in {len(sure)} and wholly below in {len(neg_sure)}. It ranges from "
                f"{_num(lo.net_fiscal_return_mean, scale)} {unit} at {_at(lo, xa, ya)} to "
                f"{_num(hi.net_fiscal_return_mean, scale)} {unit} at {_at(hi, xa, ya)}."
                + (INITIAL_BASELINE_CAVEAT if baseline == "initial" else ""))
        values = grid("net_fiscal_return_mean") / scale
        notes = [[units.compact(v) for v in row] for row in values]
        fig = rf.grid_heatmap(values, **ticks, title=f"Mean net fiscal return of the focal county, {suffix}",
                              colorbar_label=f"mean net fiscal return ({unit})", kind="diverging",
                              annotations=notes)
        rep.figure("net_fiscal_return.png", fig, "mean net fiscal return heatmap")
    rep.add("## Table", "Each cell: successful runs, failed runs, take-off probability with its 95% Wilson "
            "interval, and means with 95% bootstrap percentile intervals across runs.")
    rep.add(_grid_markdown(table, [xa, ya]))
    _cost_section(rep, table, [xa, ya], meta)
    rep.table("take_off_table.csv", table)


def _requested_outcomes(meta: Mapping[str, Any], results: pd.DataFrame) -> list[str]:
    """Numeric outcomes the experiment chose itself (an ``outcomes`` list that leaves some out) beyond
    those every grid report shows; none when it keeps the default (every outcome)."""
    chosen = list(meta.get("outcomes") or [])
    if not chosen or set(OUTCOMES) - {o for o in OUTCOMES if o.startswith("eg_")} <= set(chosen):
        return []
    return [o for o in chosen if o not in CELL_MEANS and o != "took_off" and o in results.columns
            and pd.api.types.is_numeric_dtype(results[o]) and results[o].dtype != bool]


def _cost_section(rep: Report, table: pd.DataFrame, axes: Sequence[Axis], meta: Mapping[str, Any]) -> None:
    """Jobs, incentives paid, extra revenue, cost per job and payback of every cell, and the means of the
    outcomes the experiment asked for."""
    if any(f"{s}_mean" in table.columns for s in ("jobs", "incentives_paid", "extra_revenue", "cost_per_job")):
        rep.add("## Jobs and cost in every cell",
                f"Means across runs with 95% bootstrap intervals: focal jobs gained and money over the "
                f"{meta.get('years')} years (against the {meta.get('fiscal_baseline', 'initial')} baseline), cost "
                "per job gained (runs that gained jobs only), and payback among runs that paid any incentive (share "
                "that paid back within the run, Wilson 95%; median payback year, \"never\" counting as later than "
                "every year, with its order-statistic interval).")
        rep.add(_cost_markdown(table, axes, _package_units(table)))
    extra = [o for o in meta.get("requested_outcomes", []) if f"{o}_mean" in table.columns]
    if extra:
        rep.add("## Further outcomes", "Outcomes this experiment asked for: means across runs with 95% bootstrap "
                "intervals, in the outcome's own unit (see the outcomes in docs/ODD.md).")
        rep.add(_outcomes_markdown(table, axes, extra))


def _at(row: pd.Series, xa: Axis, ya: Axis) -> str:
    return f"{xa.label} {xa.fmt(row[xa.name])}, {ya.label} {ya.fmt(row[ya.name])}"


def _where(hits: Sequence[Any], all_values: Sequence[Any], ax: Axis) -> str:
    """"from 2 upward", "up to 1", "at 1 and 3", "at every ..." or "at no ... tried"."""
    values = sorted(all_values)
    hits = sorted(hits)
    if not hits:
        return f"at no {ax.label} tried"
    if hits == values:
        return f"at every {ax.label} tried"
    if hits == values[len(values) - len(hits):]:
        return f"from {ax.label} {ax.fmt(hits[0])} upward"
    if hits == values[: len(hits)]:
        return f"up to {ax.label} {ax.fmt(hits[-1])}"
    return f"at {ax.label} " + _join([ax.fmt(v) for v in hits])


def _package_sections(rep: Report, results: pd.DataFrame, meta: Mapping[str, Any],
                      factors: Sequence[Mapping[str, Any]]) -> None:
    from clustersim.sweep import report_figures as rf

    pkg = next((f for f in factors if f.get("role") == "package"), {"name": "package"})
    col = pkg["name"]
    order = [str(v) for v in pkg.get("values") or []] or None
    table = package_table(results, col, order)
    known = meta.get("packages") or {}
    labels = [str((known.get(p) or {}).get("label") or p) for p in table[col]]
    table.insert(1, "label", labels)
    others = [f for f in _varying(results, factors) if f["name"] != col]
    pooled = ""
    rep.add("## Package comparison")
    if others:
        names = _join([f"{f.get('label') or f['name']} ({results[f['name']].nunique()} values)" for f in others])
        rep.add(f"Packages were crossed with {names}; each package's figures pool all those runs.")
        pooled = " (pooled over " + ", ".join(f["name"] for f in others) + ")"
    cells = table[table["n_ok"] > 0].reset_index(drop=True)
    cell_labels = cells["label"].tolist()
    units = _package_units(table)
    scale, unit = units.get("net_fiscal_return", (1.0, "wan"))
    baseline = meta.get("baseline_package")
    diffs = baseline_table(results, str(baseline), col, list(table[col])) if baseline else None
    if diffs is not None and diffs.empty:  # the baseline is the only package
        diffs = None
    label_of = dict(zip(table[col], table["label"], strict=True))
    if diffs is not None:
        rep.add(*_baseline_headline(diffs, col, str(baseline), label_of))
    text = []
    if "p_took_off" in cells.columns:
        best = cells.loc[cells["p_took_off"].idxmax()]
        worst = cells.loc[cells["p_took_off"].idxmin()]
        p_best = _pct_ci(best.p_took_off, best.p_took_off_low, best.p_took_off_high)
        text.append(f"Take-off is most likely with **{best.label}** ({p_best}) and least likely with {worst.label} "
                    f"({_pct(worst.p_took_off)}).")
    if "net_fiscal_return_mean" in cells.columns:
        best = cells.loc[cells["net_fiscal_return_mean"].idxmax()]
        worst = cells.loc[cells["net_fiscal_return_mean"].idxmin()]
        positive = cells[cells["net_fiscal_return_low"] > 0]["label"].tolist()
        text.append(f"Best mean net fiscal return: {best.label} ({_num(best.net_fiscal_return_mean, scale)} "
                    f"{unit}); worst: {worst.label} ({_num(worst.net_fiscal_return_mean, scale)} {unit}); "
                    + (f"the 95% interval lies above zero for {_join(positive)}." if positive else
                       "no package's 95% interval lies wholly above zero."))
    paying = cells[cells["incentives_paid_mean"] > 0] if "incentives_paid_mean" in cells.columns else cells
    if "cost_per_job_mean" in paying.columns and paying["cost_per_job_mean"].notna().any():
        cheap = paying.loc[paying["cost_per_job_mean"].idxmin()]
        div, per_job = units["cost_per_job"]
        text.append(f"Among packages that pay incentives, the lowest mean cost per job gained: {cheap.label} "
                    f"({_num(cheap.cost_per_job_mean, div)} {per_job}).")
    if "p_paid_back" in cells.columns:
        majority = cells[cells["p_paid_back"] > 0.5]["label"].tolist()
        text.append(f"Incentives pay back within the run in more than half of the runs for "
                    f"{_join(majority) if majority else 'no package'}.")
    rep.add(" ".join(text))
    panels = []
    if "p_took_off" in cells.columns:
        panels.append(("take-off probability", cells["p_took_off"], cells["p_took_off_low"],
                       cells["p_took_off_high"], "probability"))
    for stem, title, kind in PACKAGE_PANELS:
        if f"{stem}_mean" in cells.columns:
            div, unit_label = units[stem]
            panels.append((f"{title} ({unit_label})", cells[f"{stem}_mean"] / div, cells[f"{stem}_low"] / div,
                           cells[f"{stem}_high"] / div, kind))
    if "p_paid_back" in cells.columns:
        panels.append(("share of paying runs that pay back", cells["p_paid_back"], cells["p_paid_back_low"],
                       cells["p_paid_back_high"], "probability"))
    fig = rf.package_chart(cell_labels, [(t, np.asarray(m, float), np.asarray(lo, float), np.asarray(hi, float), k)
                                         for t, m, lo, hi, k in panels],
                           title=f"Named packages, {_title_suffix(meta, pooled)}: means with 95% intervals")
    rep.figure("packages.png", fig, "package comparison, small multiples with 95% intervals")
    rep.add(_package_markdown(table, units))
    rep.add("Intervals: take-off probability and payback share, Wilson 95%; jobs, money and cost per job, "
            "95% bootstrap percentile interval of the mean across runs (cost per job over runs that gained jobs "
            "only); median payback year over runs that paid any incentive, \"never\" counting as later than every "
            "year, with a distribution-free 95% interval from order statistics (n/a below 6 runs).")
    rep.table("packages_table.csv", table)
    if diffs is not None:
        _baseline_section(rep, diffs, col, str(baseline), label_of, meta, pooled)


def _gains_and_losses(items: Sequence[tuple[float, float, float, float, str]]) -> str:
    """"adds 1,200 jobs [300, 2,100] and 5 wan [1, 9] of net fiscal return" (or "... but loses ..."):
    ``items`` are ``(difference, low, high, divisor, what)`` with ``what`` the text after the number.
    A loss is shown as a positive amount with the difference's bounds negated and swapped, so that
    the number and its interval are of the same amount."""
    gains, losses = [], []
    for d, low, high, scale, what in items:
        if not np.isfinite(d):
            continue
        loss = d < 0
        if loss:
            d, low, high = -d, -high, -low
        interval = f" [{_num(low, scale)}, {_num(high, scale)}]" if np.isfinite(low) else ""
        (losses if loss else gains).append(what.format(f"{_num(d, scale)}{interval}"))
    parts = ([f"adds {_join(gains)}"] if gains else []) + ([f"loses {_join(losses)}"] if losses else [])
    return " but ".join(parts)


def _baseline_headline(diffs: pd.DataFrame, col: str, baseline: str, label_of: Mapping[str, str]) -> list[str]:
    """The section's first sentences: what the best package adds to the baseline, and which
    differences are clear of sampling error."""
    base_label = label_of.get(baseline, baseline)
    base_n = int(diffs["baseline_n_ok"].iloc[0])
    if base_n == 0:
        return [f"No run of the baseline, {base_label}, succeeded: no package can be compared with it."]
    valid = diffs[diffs["n_ok"] > 0]
    if valid.empty:
        return []
    units = _baseline_units(diffs)
    key = "took_off_diff" if "took_off_diff" in valid.columns else next(
        (f"{s}_diff" for s, _, _ in BASELINE_PANELS if f"{s}_diff" in valid.columns), None)
    if key is None:
        return []
    top = valid.loc[valid[key].idxmax()]
    name = label_of.get(top[col], top[col])
    items = []
    for stem, what, kind in BASELINE_PANELS:
        if f"{stem}_diff" in valid.columns:
            div, unit = units[stem]
            items.append((top[f"{stem}_diff"], top[f"{stem}_diff_low"], top[f"{stem}_diff_high"], div,
                          "{} jobs" if kind == "count" else f"{{}} {unit} of {what}"))
    change_text = _gains_and_losses(items)
    lead = f"Compared with **{base_label}**, **{name}**"
    if key == "took_off_diff":
        change = ("raises the take-off probability the most" if top.took_off_diff > 0
                  else "lowers the take-off probability the least" if top.took_off_diff < 0
                  else "leaves the take-off probability unchanged, the best of all packages")
        by = _points_ci(top.took_off_diff, top.took_off_diff_low, top.took_off_diff_high, "percentage points")
        sentence = f"{lead} {change}, by {by}" + (f"; on average it {change_text}" if change_text else "") + "."
    else:
        sentence = f"{lead} on average {change_text}."
    text = [sentence]
    clear = []
    for stem, what in (("took_off", "take-off probability"), *((s, w) for s, w, _ in BASELINE_PANELS)):
        if f"{stem}_diff" not in valid.columns:
            continue
        up = [label_of.get(v, v) for v in valid.loc[valid[f"{stem}_diff_low"] > 0, col]]
        down = [label_of.get(v, v) for v in valid.loc[valid[f"{stem}_diff_high"] < 0, col]]
        sides = ([f"higher with {_join(up)}"] if up else []) + ([f"lower with {_join(down)}"] if down else [])
        clear.append(f"{what} ({', '.join(sides) if sides else 'no package'})")
    runs = sorted(set(valid["n_ok"].astype(int)) | {base_n})
    per = f"{runs[0]} runs per package" if len(runs) == 1 else "these runs"
    text.append(f"Differences from {base_label} whose 95% interval excludes zero: {'; '.join(clear)}. Every other "
                f"difference cannot be told apart from sampling noise with {per}.")
    return [" ".join(text)]


def _baseline_section(rep: Report, diffs: pd.DataFrame, col: str, baseline: str, label_of: Mapping[str, str],
                      meta: Mapping[str, Any], pooled: str) -> None:
    from clustersim.sweep import report_figures as rf

    base_label = label_of.get(baseline, baseline)
    rep.add(f"### Compared with the baseline: {base_label}")
    rep.add(f"Each package minus the baseline package, {base_label}, over successful "
            "runs: the difference in take-off probability in percentage points with Newcombe's hybrid score 95% "
            "interval, and the difference in mean jobs gained, extra revenue and net fiscal return with Welch's 95% "
            "t interval. Every package's runs have their own seeds, so the two samples are independent and the "
            "intervals are those for independent samples (they do not pair runs).")
    units = _baseline_units(diffs)
    cells = diffs[diffs["n_ok"] > 0].reset_index(drop=True)
    labels = [label_of.get(v, v) for v in cells[col]]
    panels = []
    if "took_off_diff" in cells.columns:
        panels.append(("take-off probability (percentage points)", cells["took_off_diff"],
                       cells["took_off_diff_low"], cells["took_off_diff_high"], "difference"))
    for stem, what, _ in BASELINE_PANELS:
        if f"{stem}_diff" in cells.columns:
            div, unit = units[stem]
            panels.append((f"{what} ({unit})", cells[f"{stem}_diff"] / div, cells[f"{stem}_diff_low"] / div,
                           cells[f"{stem}_diff_high"] / div, "money"))
    if panels and not cells.empty and int(diffs["baseline_n_ok"].iloc[0]) > 0:
        fig = rf.package_chart(labels, [(t, np.asarray(m, float), np.asarray(lo, float), np.asarray(hi, float), k)
                                        for t, m, lo, hi, k in panels],
                               title=f"Each package minus {base_label}, {_title_suffix(meta, pooled)}: "
                                     "differences with 95% intervals")
        rep.figure("packages_vs_baseline.png", fig, f"each package minus {base_label}, with 95% intervals")
    header = ["package"]
    if "took_off_diff" in diffs.columns:
        header.append("P(take-off), points")
    stems = [(s, w) for s, w, _ in BASELINE_PANELS if f"{s}_diff" in diffs.columns]
    header += [f"{w} ({units[s][1]})" for s, w in stems]
    rows = []
    for _, r in diffs.iterrows():
        row = [str(label_of.get(r[col], r[col]))]
        if "took_off_diff" in diffs.columns:
            row.append(_points_ci(r.took_off_diff, r.took_off_diff_low, r.took_off_diff_high))
        row += [_signed_ci(r[f"{s}_diff"], r[f"{s}_diff_low"], r[f"{s}_diff_high"], units[s][0]) for s, _ in stems]
        rows.append(row)
    rep.add(markdown_table(header, rows, [False] + [True] * (len(header) - 1)))
    rep.table("packages_vs_baseline.csv", diffs)


def _overall_section(rep: Report, results: pd.DataFrame, meta: Mapping[str, Any]) -> None:
    good = results[ok_mask(results)]
    rep.add("## All runs together")
    parts = []
    if "took_off" in good.columns:
        k, n = int(_took_off(good).sum()), len(good)
        low, high = wilson_interval(k, n)
        parts.append(f"The focal county took off in {k} of {n} successful runs ({_pct_ci(k / n, low, high)}).")
    for name in GRID_MEANS:
        if name in good.columns:
            mean, low, high, _ = bootstrap_interval(good[name])
            if name == "final_share":
                parts.append(f"Mean final share {_pct_ci(mean, low, high)}.")
            else:
                scale, unit = money_unit([mean, low, high])
                parts.append(f"Mean net fiscal return {_num_ci(mean, low, high, scale)} {unit}.")
    rep.add(" ".join(parts))


def _method_section(rep: Report, kind: str, *, differences: bool = False) -> None:
    rep.add("## Method",
            "Take-off probability: k runs that took off among n successful runs, with the 95% Wilson score "
            "interval (centre (p + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p(1-p)/n + z²/4n²), z = 1.96). "
            "Means across runs: 95% bootstrap percentile interval, the 2.5% and 97.5% quantiles of the means of "
            f"{MEAN_RESAMPLES:,} resamples of the runs drawn with replacement (scipy.stats.bootstrap, seed "
            f"{MEAN_SEED}). A resampled mean lies between the smallest and largest run, so the interval never "
            "leaves the outcome's range (amounts that cannot be negative get no negative bound, shares stay "
            "within 0-100%) and is longer on the side where the runs are skewed. With fewer than about 10 runs "
            "it is too narrow (a resample cannot show what the runs did not), so read such intervals as a lower "
            "bound on the uncertainty. " + units.UNIT_NOTE + " Text, tables and CSV files give amounts in full; "
            "figures shorten them with k (thousand) and M (million) wan.")
    if kind == "grid":
        rep.add("Heatmaps place the factor values at evenly spaced positions (one column or row per value, "
                "whatever the spacing of the values); curves drawn over them are mapped piecewise-linearly. "
                "Critical levels (numeric levers): a binomial GLM with logit link, logit P = b0 + b1 x, fitted to "
                "each row's runs; the 50% level is x = -b0/b1 with a 95% Fieller interval (every x with "
                "(b0 + b1 x)² ≤ 1.96² (v00 + 2x v01 + x² v11)) and a delta-method interval; rows whose runs all "
                "took off, all failed, or step from 0 to 1 between two levels get a sentence, not a number. The "
                "curve over the heatmap is one logistic surface in both levers with their interaction, with its "
                "pointwise 95% Fieller band; its deviance goodness-of-fit p-value is stated. Non-numeric levers "
                "keep a dashed 50% contour interpolated between cell centres.")
    if differences:
        rep.add("Differences of take-off probabilities p1 - p2 of two independent sets of runs: Newcombe's hybrid "
                "score 95% interval from the two Wilson intervals [l1, u1] and [l2, u2], "
                "[p1 - p2 - √((p1 - l1)² + (u2 - p2)²), p1 - p2 + √((u1 - p1)² + (p2 - l2)²)]."
                + (" Differences of means: Welch's 95% interval, difference ± t(0.975, ν)·se with "
                   "se = √(s1²/n1 + s2²/n2) and the Welch-Satterthwaite degrees of freedom "
                   "ν = se⁴ / ((s1²/n1)²/(n1-1) + (s2²/n2)²/(n2-1))." if kind == "packages" else ""))


def _failed_section(rep: Report, results: pd.DataFrame, factors: Sequence[Mapping[str, Any]]) -> None:
    failed = results[~ok_mask(results)]
    rep.add("## Failed runs")
    if failed.empty:
        rep.add("None.")
        return
    names = [f["name"] for f in factors if f["name"] in failed.columns]
    rep.add(f"{len(failed)} run(s) failed after their last attempt; they are excluded from every statistic above.")
    rows = []
    for _, r in failed.iterrows():
        error = str(r.get("error", "") or "")
        point = ", ".join(f"{n} = {r[n]}" for n in names)
        attempt = r.get("attempt")
        rows.append([str(r.get("run_id", "")), point, "" if attempt is None or pd.isna(attempt) else str(int(attempt)),
                     error if len(error) <= 200 else error[:197] + "..."])
    rep.add(markdown_table(["run", "point", "attempts", "error"], rows, [False, False, True, False]))
    keep = [c for c in ("run_id", "point_id", "sample_index", "replicate", "seed", *names, "attempt", "error")
            if c in failed.columns]
    rep.table("failed_runs.csv", failed[keep])
