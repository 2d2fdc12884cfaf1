"""Command-line argument types shared by every subcommand (``run``, ``sweep``, ``demo``, ``ui``)
and by scripts that take ``--set``-style assignments. Kept apart from :mod:`clustersim.cli` so
that nothing below the command line imports the command line."""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Callable, Sequence
from typing import Any

from clustersim.scenario import ScenarioError

__all__ = ["parse_assignments", "whole_number"]


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: a whole number in ``low..high`` (no upper limit when ``high`` is None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            limits = f"at least {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"{value} must be {limits}")
        return value

    return parse


def parse_assignments(items: Sequence[str]) -> dict[str, Any]:
    """``["firms.review_rate=0.1", "choice.utility=log"]`` -> dotted overrides. Values are
    read as TOML (numbers, booleans, lists, quoted strings); anything else is a bare string."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError("--set", item, allowed="write KEY=VALUE, e.g. firms.review_rate=0.1")
        try:
            out[key] = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[key] = text.strip()
    return out
