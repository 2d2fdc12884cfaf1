"""Scenario discovery: the ranges of the uncertainties under which a package fails (PRIM).

PRIM (Friedman & Fisher 1999, the Patient Rule Induction Method, as used for scenario discovery
by Bryant & Lempert 2010) peels a box around the runs of interest (here: runs in which the focal
county did not take off) one small slice of one uncertainty at a time. A box is read by its
**coverage** (the share of all failures that fall inside it) and its **density** (the share of runs
inside it that fail). The implementation is EMA Workbench's (``ema_workbench.analysis.prim``,
BSD licence). From each box's peeling trajectory this module takes the box with the highest
coverage among those whose density is at least ``density`` (default 0.8), or the densest box when
none reaches it, and names only the uncertainties the box restricts.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FailureBox", "discovery_section", "failure_boxes"]

#: smallest number of successful runs (and of failures) for a discovery section
MIN_RUNS = 20
MIN_FAILURES = 5


@dataclass(frozen=True)
class FailureBox:
    """One PRIM box: ``limits`` maps each restricted uncertainty to (low, high); ``coverage``,
    ``density`` and ``mass`` (share of all runs inside) as defined in the module docstring."""

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    mass: float
    runs_inside: int


def failure_boxes(x: pd.DataFrame, failed: np.ndarray, *, density: float = 0.8, boxes: int = 2,
                  peel_alpha: float = 0.05, mass_min: float = 0.05) -> list[FailureBox]:
    """PRIM boxes of the runs with ``failed`` true over the numeric columns of ``x`` (one row per run)."""
    with warnings.catch_warnings():  # ema_workbench warns on import that ipyparallel (unused here) is missing
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

    y = np.asarray(failed, bool)
    x = x.reset_index(drop=True).astype(float)
    logging.getLogger("EMA").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = prim.Prim(x, y.astype(int), peel_alpha=peel_alpha, mass_min=mass_min)
        found: list[FailureBox] = []
        total_fail = int(y.sum())
        for _ in range(boxes):
            box = p.find_box()
            if box is None:
                break
            traj = box.peeling_trajectory
            ok = traj[traj["density"] >= density]
            i = int(ok["coverage"].idxmax()) if len(ok) else int(traj["density"].idxmax())
            box.select(i)
            lims = box.box_lims[i]
            init = p.box_init
            limits = {c: (float(lims.loc[0, c]), float(lims.loc[1, c])) for c in x.columns
                      if (lims.loc[0, c], lims.loc[1, c]) != (init.loc[0, c], init.loc[1, c])}
            inside = len(box.yi)
            if found and float(traj.loc[i, "density"]) < density:
                break  # a later box is kept only when it reaches the density asked for
            found.append(FailureBox(limits, float(traj.loc[i, "coverage"]), float(traj.loc[i, "density"]),
                                    float(traj.loc[i, "mass"]), inside))
            if not limits or inside >= total_fail:
                break
    return found


def _range(lo: float, hi: float, fmt: Any) -> str:
    return f"{fmt(lo)}–{fmt(hi)}"


def discovery_section(rep: Any, good: pd.DataFrame, factors: Sequence[Mapping[str, Any]]) -> None:
    """"Where the package fails": PRIM boxes over the uncertainties of a sweep (``rep``: the report)."""
    from clustersim.sweep.report import Axis, markdown_table

    unc = [f for f in factors if f.get("role") == "uncertainty" and f["name"] in good.columns
           and pd.api.types.is_numeric_dtype(good[f["name"]]) and good[f["name"]].nunique() > 1]
    if not unc or "took_off" not in good.columns:
        return
    rep.add("## Where the package fails (scenario discovery)")
    failed = ~good["took_off"].astype(bool).to_numpy()
    if len(good) < MIN_RUNS or failed.sum() < MIN_FAILURES or (~failed).sum() < MIN_FAILURES:
        rep.add(f"Too few runs for scenario discovery ({len(good)} runs, {int(failed.sum())} without take-off; "
                f"at least {MIN_RUNS} runs and {MIN_FAILURES} of each outcome are needed).")
        return
    axes = {f["name"]: Axis.of(f, sorted(good[f["name"]].unique())) for f in unc}
    found = failure_boxes(good[[f["name"] for f in unc]], failed)
    share = failed.mean()
    rep.add(f"The focal county failed to take off in {int(failed.sum())} of {len(good)} runs ({100 * share:.0f}%). "
            "PRIM (EMA Workbench) looks for ranges of the uncertainties where failure concentrates: coverage is the "
            "share of all failures inside a box, density the share of runs inside it that fail (the box with the "
            "highest coverage at a density of at least 80% is shown).")
    rows, text = [], []
    for k, box in enumerate(found, 1):
        if not box.limits:
            text.append(f"Box {k} restricts no uncertainty: failures are spread over the whole range sampled.")
            continue
        where = " and ".join(f"{axes[n].label} {_range(lo, hi, axes[n].fmt)}" for n, (lo, hi) in box.limits.items())
        text.append(f"Box {k}: the package fails in {100 * box.density:.0f}% of runs where {where} "
                    f"({box.runs_inside} runs, {100 * box.mass:.0f}% of all), which hold {100 * box.coverage:.0f}% of "
                    "all failures.")
        rows.append([str(k), "; ".join(f"{axes[n].label}: {_range(lo, hi, axes[n].fmt)}"
                                       for n, (lo, hi) in box.limits.items()),
                     f"{100 * box.coverage:.0f}%", f"{100 * box.density:.0f}%", f"{100 * box.mass:.0f}%"])
    if not found:
        text.append("PRIM found no box.")
    rep.add(" ".join(text))
    if rows:
        rep.add(markdown_table(["box", "ranges", "coverage", "density", "mass"], rows))
    table = pd.DataFrame([{"box": k, "uncertainty": n, "low": lo, "high": hi, "coverage": b.coverage,
                           "density": b.density, "mass": b.mass} for k, b in enumerate(found, 1)
                          for n, (lo, hi) in b.limits.items()])
    if len(table):
        rep.table("failure_boxes.csv", table)

