"""Which kind of file a TOML document is: a scenario (``clustersim run``, ``ui --scenario``) or an
experiment (``clustersim sweep``), so that a file given to the wrong command is refused with the
command it is for rather than with the first key the other schema does not know."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clustersim.scenario import ScenarioError

__all__ = ["EXPERIMENT_ONLY", "SCENARIO_ONLY", "require_experiment", "require_scenario"]

#: top-level keys only an experiment has (``name``, ``years``, ``packages``, ``take_off`` are in both)
EXPERIMENT_ONLY = ("base_scenario", "levers", "uncertainties", "design", "sweep_seed", "replicates", "outcomes",
                   "overrides", "fiscal_baseline")
#: top-level keys only a scenario has
SCENARIO_ONLY = ("seed", "focal_county", "geography", "regions", "sectors", "firms", "agglomeration", "transport",
                 "markets", "choice", "taxes", "counties")


def _keys(raw: dict[str, Any], among: tuple[str, ...]) -> list[str]:
    return [k for k in raw if k in among]


def require_scenario(path: Path, raw: dict[str, Any]) -> None:
    """ScenarioError unless ``raw`` (the TOML document at ``path``) can be a scenario: it must not be
    empty (an empty file is far more often a mistake than a wish for the defaults; ``name = "defaults"``
    asks for them) and must not be an experiment."""
    if not raw:
        raise ScenarioError(path, "file", allowed='is empty; a scenario sets at least one field (write '
                            'name = "defaults" to run the model\'s defaults)')
    found = _keys(raw, EXPERIMENT_ONLY)
    if found:
        raise ScenarioError(path, "file", allowed=f"is an experiment, not a scenario (it sets {', '.join(found)}); "
                            f"run it with `clustersim sweep {path}`")


def require_experiment(path: Path, raw: dict[str, Any]) -> None:
    """ScenarioError unless ``raw`` (the TOML document at ``path``) can be an experiment: not empty,
    and not a scenario (no ``base_scenario`` but fields only a scenario has)."""
    if not raw:
        raise ScenarioError(path, "file", allowed="is empty; an experiment needs name, base_scenario, sweep_seed "
                            "and its levers or uncertainties (see experiments/README.md)")
    found = _keys(raw, SCENARIO_ONLY)
    if "base_scenario" not in raw and found:
        raise ScenarioError(path, "file", allowed=f"is a scenario, not an experiment (it sets {', '.join(found)} "
                            f"and no base_scenario); run it with `clustersim run {path}`")
