"""How ClusterSim shows money: the one presentation rule, used by ``run``, the reports, the figures and the UI.

The model computes and stores every amount in **wan** (万元, 10,000 yuan), the unit of the policy
documents (investment thresholds in wan, land prices in wan per mu), and every output shows it in wan
too: the run summary, report text and tables, figure axes, the UI. There is no switching to million or
billion yuan. Amounts are written in full with thousands separators (``3,270,092 wan``), amounts below
1,000 wan with three significant digits (``0.57 wan per job``); only where space is short (figure ticks,
heatmap cells) are large amounts shortened with k (thousand) and M (million), still in wan
(``16.1M`` on an axis titled "... (wan)"). Per-unit amounts say what they are per: "wan per job",
"wan/mu", "wan per worker-year". docs/units.md states the rule for readers.
"""

from __future__ import annotations

import math

__all__ = ["UNIT", "UNIT_NOTE", "YUAN_PER_WAN", "compact", "money", "money_ci", "scale"]

UNIT = "wan"
YUAN_PER_WAN = 10_000
#: one sentence for a report's Method section, a figure caption or a help text
UNIT_NOTE = "Money is in wan (万元; 1 wan = 10,000 yuan), as in the policy documents."


def scale() -> tuple[float, str]:
    """``(divisor, unit)`` for amounts in wan: always ``(1.0, "wan")``; callers that used to pick a
    unit by size ask here, so the rule has one home."""
    return 1.0, UNIT


def money(value: float | None, *, unit: bool = False) -> str:
    """An amount in wan as text: ``"3,270,092"`` (1,000 and above: whole wan with separators),
    ``"0.57"`` / ``"19.7"`` (below: three significant digits), ``"n/a"`` for None or nan, ``"never"``
    / ``"-inf"`` for infinities; with ``unit``, followed by " wan"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    v = float(value)
    if math.isinf(v):
        return "never" if v > 0 else "-inf"
    text = format(v, ",.0f") if abs(v) >= 1000 else format(v, ".3g")
    return f"{text} {UNIT}" if unit else text


def money_ci(mean: float, low: float, high: float) -> str:
    """``"1,419 [-3,157, 5,995]"``: an amount in wan with its interval (the mean alone when the bounds
    are not finite; "n/a" when the mean is not)."""
    if not math.isfinite(mean):
        return "n/a"
    text = money(mean)
    return f"{text} [{money(low)}, {money(high)}]" if math.isfinite(low) else text


def compact(value: float, _pos: object = None) -> str:
    """Short text for a figure tick or heatmap cell (a matplotlib ``FuncFormatter`` function):
    ``16.1M``, ``250k``, ``12``, ``0.57`` (three significant digits)."""
    if not math.isfinite(value):
        return "n/a"
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"
