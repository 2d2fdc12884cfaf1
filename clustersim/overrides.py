"""Override paths: the names by which a scenario field can be changed, wherever overrides are
accepted (``clustersim run --set``, experiment files, ``clustersim.run(...)`` and the keyword
parameters of :class:`~clustersim.model.ClusterModel`).

A path is the field's dotted location in the scenario (``firms.review_rate``, ``regions.0.fee_rate``)
or one of these, resolved against the scenario being changed:

- ``regions.<name>.<field>``: the ``[[regions]]`` entry of the region called ``<name>``
  (e.g. ``regions.county_01.fee_rate``), created if the scenario has none for it yet;
- ``focal.<field>``: the focal county's ``[[regions]]`` entry (created if missing);
- ``focal_package.<field>``: the package the focal county offers (an error if it offers none);
- ``counties.<field>``: a field of ``[counties]`` (county behaviour) if it is one, otherwise every
  county's default trait ``geography.county.<field>``.

Keyword parameters write ``__`` for ``.`` (``focal__subsidy_depth=2``). Values may be numpy
scalars or arrays (they become plain Python numbers, booleans and lists).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from clustersim.params import NO_PACKAGE, Counties, RegionTraits, Scenario
from clustersim.scenario import ScenarioError, unknown_key_hint

__all__ = ["SHORTHANDS", "from_keywords", "needs_resolving", "plain_value", "region_entry", "resolve"]

SHORTHANDS = ("focal", "focal_package", "counties")


def plain_value(value: Any) -> Any:
    """``value`` with numpy scalars and arrays turned into Python numbers, booleans and lists
    (tuples become lists), inside lists and tables too."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    return value


def from_keywords(params: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword parameters (``focal__subsidy_depth=2``) as dotted overrides (``focal.subsidy_depth``)."""
    return {key.replace("__", "."): value for key, value in params.items()}


def _is_shorthand(dotted: str) -> bool:
    head, dot, rest = dotted.partition(".")
    return bool(dot and rest) and head in SHORTHANDS


def _is_region_name(dotted: str) -> bool:
    parts = dotted.split(".")
    return len(parts) >= 3 and parts[0] == "regions" and not parts[1].isdigit()


def needs_resolving(dotted: str) -> bool:
    """Whether ``dotted`` is a shorthand or names a region (not a plain dotted path)."""
    return _is_shorthand(dotted) or _is_region_name(dotted)


def region_entry(scenario: Scenario, name: str, fail: Callable[[str], Exception]) -> tuple[Scenario, int]:
    """Index of region ``name``'s ``[[regions]]`` entry in ``scenario``, after adding an empty
    one if there was none (returned scenario). ``fail(allowed)`` builds the error raised when
    ``name`` names no region of the scenario's layout."""
    for i, r in enumerate(scenario.regions):
        if r.name == name:
            return scenario, i
    from clustersim.geography import RegionFileError, build_layout

    try:
        names = build_layout(scenario).names
    except RegionFileError as err:
        raise ScenarioError(err.path, err.field, err.value, err.allowed) from None
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise fail(f"names no region; did you mean {close[0]!r}?" if close else f"names no region; regions are {shown}")
    from clustersim.scenario import apply_plain

    regions = [*scenario.model_dump()["regions"], {"name": name}]
    return apply_plain(scenario, {"regions": regions}, "regions"), len(regions) - 1


def _focal_name(scenario: Scenario) -> str:
    from clustersim.geography import RegionFileError, focal_county_name

    try:
        return focal_county_name(scenario)
    except RegionFileError as err:
        raise ScenarioError(err.path, err.field, err.value, err.allowed) from None


def _focal_package(scenario: Scenario, focal: str) -> str:
    for r in scenario.regions:
        if r.name == focal and r.package is not None:
            return r.package
    return scenario.geography.county.package


def resolve(scenario: Scenario, overrides: Mapping[str, Any], source: str) -> Scenario:
    """Apply ``overrides`` (plain paths, shorthands and region names) to ``scenario``: plain
    paths first (they may change the focal county or the regions), then the others, resolved
    against the result. Errors name the path as written."""
    from clustersim.scenario import apply_plain

    plain = {k: v for k, v in overrides.items() if not needs_resolving(k)}
    special = {k: v for k, v in overrides.items() if needs_resolving(k)}
    current = apply_plain(scenario, plain, source) if plain else scenario
    written: dict[str, str] = {}
    resolved: dict[str, Any] = {}
    focal = None
    for key, value in special.items():
        def fail(allowed: str, key: str = key, value: Any = value) -> ScenarioError:
            return ScenarioError(source, key, value, allowed)

        head, _, rest = key.partition(".")
        if head == "regions":
            name, _, field = rest.partition(".")
            current, i = region_entry(current, name, fail)
            real = f"regions.{i}.{field}"
        elif head == "focal":
            focal = focal or _focal_name(current)
            current, i = region_entry(current, focal, fail)
            real = f"regions.{i}.{rest}"
        elif head == "focal_package":
            focal = focal or _focal_name(current)
            package = special.get("focal.package") if isinstance(special.get("focal.package"), str) \
                else _focal_package(current, focal)
            if package == NO_PACKAGE:
                raise fail(f"the focal county ({focal}) offers no package, so focal_package.* names nothing")
            real = f"packages.{package}.{rest}"
        else:  # counties
            first = rest.split(".")[0]
            if first in Counties.model_fields:
                real = key
            elif first in RegionTraits.model_fields:
                real = f"geography.county.{rest}"
            else:
                keys = [*Counties.model_fields, *RegionTraits.model_fields]
                raise fail(unknown_key_hint(first, keys, "key (of [counties] or geography.county)"))
        resolved[real] = value
        written[real] = key
    try:
        return apply_plain(current, resolved, source)
    except ScenarioError as err:
        if err.field in written:
            raise ScenarioError(source, written[err.field], err.value, err.allowed) from None
        raise
