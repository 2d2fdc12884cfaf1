"""The fiscal counterfactual of a run: the same scenario and seed with the focal county offering
no package, so that the package's own effect on the county's revenue and jobs can be measured
(``clustersim run --counterfactual``, ``fiscal_baseline = "counterfactual"`` in experiments,
``clustersim.run(..., counterfactual=True)``)."""

from __future__ import annotations

from typing import Any

from clustersim.params import NO_PACKAGE, Scenario
from clustersim.scenario import apply_overrides

__all__ = ["without_focal_package"]


def without_focal_package(scenario: Scenario, focal: str) -> Scenario:
    """``scenario`` with the county ``focal`` offering no package and every other setting kept
    (its other ``[[regions]]`` overrides included): the fiscal counterfactual."""
    overrides: dict[str, Any] = {f"regions.{i}.package": NO_PACKAGE
                                 for i, r in enumerate(scenario.regions) if r.name == focal}
    if not overrides:
        overrides["regions"] = [*scenario.model_dump()["regions"], {"name": focal, "package": NO_PACKAGE}]
    return apply_overrides(scenario, {**overrides, "focal_county": focal}, source="--counterfactual")
