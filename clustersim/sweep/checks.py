"""Package warnings for a whole sweep (:mod:`clustersim.package_checks` at every design point): printed
when the sweep starts and kept in ``design.json`` (``package_warnings``) for the report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clustersim.package_checks import model_warnings
from clustersim.scenario import build_model

__all__ = ["CHECK_POINTS_UP_TO", "sweep_warnings"]

CHECK_POINTS_UP_TO = 2000  # a model is built per point (a few ms each): larger designs check this many


def sweep_warnings(exp: Any, points: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per distinct warning over the design ``points`` (factor name -> value) of the
    experiment ``exp``, with how many points it applies to and the first of them."""
    unique = list({_key(p): p for p in points}.values())[:CHECK_POINTS_UP_TO]
    found: dict[str, list[Mapping[str, Any]]] = {}
    for point in unique:
        for text in model_warnings(build_model(exp.scenario_for(point, 0))):
            found.setdefault(text, []).append(point)
    out = []
    for text, where in found.items():
        first = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in where[0].items())
        count = "every point" if len(where) == len(unique) else f"{len(where)} of {len(unique)} points"
        out.append(f"{text} [{count}; e.g. {first}]" if first else text)
    return out


def _key(point: Mapping[str, Any]) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in point.items()))
