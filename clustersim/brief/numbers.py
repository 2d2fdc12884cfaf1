"""Numbers as a non-specialist reads them, in Chinese or English.

Money arrives in wan (万元). English keeps the project's units rule (:mod:`clustersim.units`): wan in
full with thousands separators. Chinese follows Chinese convention: amounts of 10,000 wan and more in
亿元 (1 亿元 = 10,000 万元), smaller ones in 万元; head counts of 10,000 and more in 万人. Shares are
whole percentages. Every number the brief prints goes through these functions once, so the text and
the tables show the same strings.
"""

from __future__ import annotations

import math

from clustersim import units

__all__ = ["count", "interval", "money", "share", "year"]


def _ok(value: float | None) -> bool:
    return value is not None and math.isfinite(float(value))


def share(value: float | None, lang: str) -> str:
    return f"{float(value):.0%}" if _ok(value) else "–"


def money(value: float | None, lang: str) -> str:
    if not _ok(value):
        return "–"
    v = float(value)
    if lang == "zh":
        return f"{v / 1e4:,.3g}亿元" if abs(v) >= 1e4 else f"{v:,.3g}万元" if abs(v) < 1000 else f"{v:,.0f}万元"
    return units.money(v, unit=True)


def count(value: float | None, lang: str) -> str:
    if not _ok(value):
        return "–"
    v = float(value)
    if lang == "zh":
        return f"{v / 1e4:.3g}万人" if abs(v) >= 1e4 else f"{v:,.0f}人"
    return f"{v:,.0f}"


def year(value: float | None, lang: str) -> str:
    if value is not None and math.isinf(float(value)):
        return "从未" if lang == "zh" else "never"
    if not _ok(value):
        return "–"
    return f"第{float(value):.0f}年" if lang == "zh" else f"year {float(value):.0f}"


def interval(low: str, high: str, lang: str) -> str:
    return f"（{low}至{high}）" if lang == "zh" else f" ({low} to {high})"
