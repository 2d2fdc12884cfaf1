"""How a report shows numbers: factor axes, percentages and money with their units, Markdown tables of grid
cells, packages and differences, and the in-memory :class:`Report` the sections fill."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clustersim import units
from clustersim.sweep.report.stats import (
    BASELINE_PANELS,
    PACKAGE_PANELS,
)

# (from |amount| in wan, divisor, unit): the largest that applies is used in Markdown tables and figures


# ------------------------------------------------------------------------------ formatting
@dataclass(frozen=True)
class Axis:
    """A factor as shown in tables and figures: its label and how its values print."""

    name: str
    label: str
    percent: bool = False

    @classmethod
    def of(cls, factor: Mapping[str, Any], values: Sequence[Any]) -> Axis:
        label = factor.get("label") or factor["name"]
        last = [str(p).rsplit(".", 1)[-1] for p in factor.get("parameters") or ()]
        numeric = [float(v) for v in values if isinstance(v, int | float | np.number)]
        percent = (bool(last) and all(s.endswith(("_rate", "_share")) for s in last)
                   and len(numeric) == len(values) and all(0.0 <= v <= 1.0 for v in numeric))
        return cls(factor["name"], str(label), percent)

    @property
    def title(self) -> str:
        return f"{self.label} [%]" if self.percent else self.label

    def fmt(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        v = float(value)
        return f"{100 * v:.3g}%" if self.percent else f"{v:.4g}"


def _pct(p: float, digits: int = 0) -> str:
    return "n/a" if not np.isfinite(p) else f"{100 * p:.{digits}f}%"


def _pct_ci(p: float, low: float, high: float) -> str:
    if not np.isfinite(p):
        return "n/a"
    return f"{_pct(p)} [{_pct(low)}, {_pct(high)}]" if np.isfinite(low) else _pct(p)


def _num(v: float, scale: float = 1.0, spec: str = ",.3g") -> str:
    if not np.isfinite(v):
        return "n/a" if not (isinstance(v, float) and math.isinf(v)) else ("never" if v > 0 else "-inf")
    x = v / scale
    return format(x, ",.0f") if abs(x) >= 1000 else format(x, spec)


def _num_ci(mean: float, low: float, high: float, scale: float = 1.0, spec: str = ",.3g") -> str:
    if not np.isfinite(mean):
        return "n/a"
    text = _num(mean, scale, spec)
    return f"{text} [{_num(low, scale, spec)}, {_num(high, scale, spec)}]" if np.isfinite(low) else text


def money_unit(*columns: Any) -> tuple[float, str]:
    """(divisor, unit) for amounts in wan: whatever the ``columns`` hold, :func:`clustersim.units.scale`
    (wan, undivided): every report shows money in the one unit of :mod:`clustersim.units`."""
    return units.scale()


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] | None = None) -> str:
    """A GitHub Markdown table from strings (pipes escaped, newlines flattened)."""
    def cell(text: Any) -> str:
        return " ".join(str(text).split()).replace("|", "\\|")

    right = right if right is not None else [False] * len(header)
    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join("---:" if r else ":---" for r in right) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ------------------------------------------------------------------------------ the report
@dataclass
class Report:
    """What ``write_report`` writes: Markdown lines, figures and CSV tables by file name."""

    lines: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def add(self, *paragraphs: str) -> None:
        for p in paragraphs:
            self.lines += [p, ""]

    def figure(self, name: str, fig: Any, caption: str) -> None:
        self.figures[name] = fig
        self.add(f"![{caption}]({name})")

    def table(self, name: str, frame: pd.DataFrame) -> None:
        self.tables[name] = frame
        self.add(f"Full table with every column: [{name}]({name}).")


def _grid_markdown(table: pd.DataFrame, axes: Sequence[Axis]) -> str:
    header = [a.title for a in axes] + ["runs ok", "failed"]
    right = [False] * len(axes) + [True, True]
    has_p = "p_took_off" in table.columns
    if has_p:
        header += ["took off", "P(take-off) [95% CI]"]
        right += [True, True]
    if "final_share_mean" in table.columns:
        header.append("mean final share [95% CI]")
        right.append(True)
    scale, unit = money_unit(table["net_fiscal_return_mean"]) if "net_fiscal_return_mean" in table.columns else (1, "")
    if "net_fiscal_return_mean" in table.columns:
        header.append(f"mean net fiscal return, {unit} [95% CI]")
        right.append(True)
    rows = []
    for _, r in table.iterrows():
        row = [a.fmt(r[a.name]) for a in axes] + [str(int(r.n_ok)), str(int(r.n_failed))]
        if has_p:
            row += [str(int(r.took_off)) if r.n_ok else "0", _pct_ci(r.p_took_off, r.p_took_off_low, r.p_took_off_high)]
        if "final_share_mean" in table.columns:
            row.append(_pct_ci(r.final_share_mean, r.final_share_low, r.final_share_high))
        if "net_fiscal_return_mean" in table.columns:
            row.append(_num_ci(r.net_fiscal_return_mean, r.net_fiscal_return_low, r.net_fiscal_return_high, scale))
        rows.append(row)
    return markdown_table(header, rows, right)


def _package_units(table: pd.DataFrame) -> dict[str, tuple[float, str]]:
    """(divisor, unit) per package outcome: the fiscal totals share one money unit, cost per job has its own."""
    def cols(*stems: str) -> list[pd.Series]:
        return [table[f"{s}_{k}"] for s in stems if f"{s}_mean" in table for k in ("mean", "low", "high")]

    totals = money_unit(*cols("incentives_paid", "extra_revenue", "net_fiscal_return"))
    per_job = money_unit(*cols("cost_per_job"))
    return {"jobs": (1.0, "persons"), "incentives_paid": totals, "extra_revenue": totals, "net_fiscal_return": totals,
            "cost_per_job": (per_job[0], f"{per_job[1]} per job")}


def _package_markdown(table: pd.DataFrame, units: Mapping[str, tuple[float, str]]) -> str:
    header = ["package", "runs ok", "failed"]
    if "p_took_off" in table.columns:
        header.append("P(take-off)")
    stems = [(s, t) for s, t, _ in PACKAGE_PANELS if f"{s}_mean" in table.columns]
    header += _money_header(table, stems, units)
    rows = []
    for _, r in table.iterrows():
        row = [str(r.label), str(int(r.n_ok)), str(int(r.n_failed))]
        if "p_took_off" in table.columns:
            row.append(_pct_ci(r.p_took_off, r.p_took_off_low, r.p_took_off_high))
        rows.append(row + _money_cells(table, r, stems, units))
    return markdown_table(header, rows, [False] + [True] * (len(header) - 1))


def _cost_markdown(table: pd.DataFrame, axes: Sequence[Axis], units: Mapping[str, tuple[float, str]]) -> str:
    """Jobs, money and payback of every grid cell (or bin): the package table's columns per cell."""
    stems = [(s, t) for s, t, _ in PACKAGE_PANELS if f"{s}_mean" in table.columns and s != "net_fiscal_return"]
    header = [a.title for a in axes] + ["runs ok", *_money_header(table, stems, units)]
    rows = [[a.fmt(r[a.name]) for a in axes] + [str(int(r.n_ok))] + _money_cells(table, r, stems, units)
            for _, r in table.iterrows()]
    return markdown_table(header, rows, [False] * len(axes) + [True] * (len(header) - len(axes)))


def _money_header(table: pd.DataFrame, stems: Sequence[tuple[str, str]],
                  units: Mapping[str, tuple[float, str]]) -> list[str]:
    header = [f"{title} ({units[stem][1]})" for stem, title in stems]
    if "p_paid_back" in table.columns:
        header += ["pays back", "median payback year"]
    return header


def _money_cells(table: pd.DataFrame, r: pd.Series, stems: Sequence[tuple[str, str]],
                 units: Mapping[str, tuple[float, str]]) -> list[str]:
    row = [_num_ci(r[f"{stem}_mean"], r[f"{stem}_low"], r[f"{stem}_high"], units[stem][0]) for stem, _ in stems]
    if "p_paid_back" in table.columns:
        share = (f"{int(r.paid_back)}/{int(r.payback_eligible)}: "
                 f"{_pct_ci(r.p_paid_back, r.p_paid_back_low, r.p_paid_back_high)}"
                 if r.payback_eligible else "n/a (no incentives paid)")
        row += [share, _num_ci(r.payback_year_median, r.payback_year_low, r.payback_year_high, 1.0, ".4g")]
    return row


def _outcomes_markdown(table: pd.DataFrame, axes: Sequence[Axis], outcomes: Sequence[str]) -> str:
    """Means with intervals of further ``outcomes`` (an experiment's own choice) per cell, in their own units."""
    header = [a.title for a in axes] + ["runs ok"] + [f"{o} [95% CI]" for o in outcomes]
    rows = [[a.fmt(r[a.name]) for a in axes] + [str(int(r.n_ok))]
            + [_num_ci(r[f"{o}_mean"], r[f"{o}_low"], r[f"{o}_high"]) for o in outcomes]
            for _, r in table.iterrows()]
    return markdown_table(header, rows, [False] * len(axes) + [True] * (len(header) - len(axes)))


def _baseline_units(diffs: pd.DataFrame) -> dict[str, tuple[float, str]]:
    money = money_unit(*[diffs[f"{s}_diff{k}"] for s, _, kind in BASELINE_PANELS if kind == "money"
                         and f"{s}_diff" in diffs for k in ("", "_low", "_high")])
    return {s: ((1.0, "persons") if kind == "count" else money) for s, _, kind in BASELINE_PANELS}


def _signed(v: float, scale: float = 1.0) -> str:
    return f"+{_num(v, scale)}" if np.isfinite(v) and v > 0 else _num(v, scale)


def _signed_ci(d: float, low: float, high: float, scale: float = 1.0) -> str:
    if not np.isfinite(d):
        return "n/a"
    return f"{_signed(d, scale)} [{_signed(low, scale)}, {_signed(high, scale)}]" if np.isfinite(low) \
        else _signed(d, scale)


def _points_ci(d: float, low: float, high: float, unit: str = "pts") -> str:
    """A difference of probabilities in percentage points: "+40 pts [+10, +62]"."""
    if not np.isfinite(d):
        return "n/a"
    def pts(v: float) -> str:
        whole = round(100 * v)
        return "0" if whole == 0 else f"{whole:+d}"

    return f"{pts(d)} {unit} [{pts(low)}, {pts(high)}]"
