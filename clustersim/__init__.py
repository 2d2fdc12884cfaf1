"""ClusterSim: an agent-based model of industrial cluster formation and relocation among
competing counties (firms leaving a high-cost coast; counties courting them with incentive
packages, fees and governance).

The Python API (docs/api.md), importable from here:

- :func:`run` one scenario in one call -> :class:`RunResult` (model, tidy tables, outcomes);
- :func:`experiment` from a file or a dict, :func:`run_experiment` -> a DataFrame of its sweep;
- :func:`salib_problem` and :func:`evaluate` for SALib; :func:`ema_model` for the EMA Workbench
  (``pip install 'clustersim[ema]'``);
- :class:`ClusterModel` (a Mesa model: ``mesa.batch_run``, SolaraViz), :class:`Scenario`,
  :func:`load_scenario`, :func:`apply_overrides`, :class:`ScenarioError`;

and the ``clustersim`` command (:mod:`clustersim.cli`).
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("clustersim")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

# imported on first use, so that `clustersim --help` does not load Mesa, pandas or the EMA Workbench
_EXPORTS = {
    "run": "clustersim.api", "RunResult": "clustersim.api", "experiment": "clustersim.api",
    "run_experiment": "clustersim.api", "salib_problem": "clustersim.api", "evaluate": "clustersim.api",
    "ema_model": "clustersim.ema",
    "ClusterModel": "clustersim.model",
    "Scenario": "clustersim.params",
    "load_scenario": "clustersim.scenario", "apply_overrides": "clustersim.scenario",
    "ScenarioError": "clustersim.scenario", "build_model": "clustersim.scenario",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'clustersim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
