"""An EMA Workbench model from an experiment (``pip install 'clustersim[ema]'``).

The experiment format mirrors EMA's: its ``[levers]`` become EMA levers, its ``[uncertainties]``
EMA uncertainties, its outcomes EMA outcomes, its replicates EMA replications::

    from ema_workbench import MultiprocessingEvaluator, perform_experiments
    import clustersim

    model = clustersim.ema_model("experiments/take_off.toml", replicates=4)
    experiments, outcomes = perform_experiments(model, policies=20)

A factor with a ``range`` becomes a :class:`~ema_workbench.RealParameter` (or an
:class:`~ema_workbench.IntegerParameter` for whole-number parameters) with that range; one with
``values`` a :class:`~ema_workbench.CategoricalParameter` of those values; the named packages of a
packages design a categorical lever ``package``. Every numeric outcome becomes a
:class:`~ema_workbench.ScalarOutcome` whose value is ``aggregate`` (default: the mean) over the
replicates, so ``took_off`` is the probability of take-off. A run's seed comes from the
experiment's sweep seed, the point's values and the replicate, exactly as in ``clustersim sweep``:
results do not depend on the evaluator, the number of processes or the order of the experiments,
and a point that is also on the experiment's own design gets the very runs of its sweep.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clustersim.scenario import ScenarioError

if TYPE_CHECKING:
    from ema_workbench import ReplicatorModel

    from clustersim.sweep.experiment import Experiment, Factor

__all__ = ["ReplicateRunner", "ema_model", "ema_parameter"]

#: outcomes that are not numbers and so cannot be EMA scalar outcomes
NON_NUMERIC = frozenset({"leader"})


class ReplicateRunner:
    """The function EMA calls once per replicate: ``runner(**factor_values, replicate=r)`` ->
    the run's outcomes. Picklable (it holds the experiment only), so any evaluator can ship it."""

    def __init__(self, experiment: Experiment) -> None:
        self.experiment = experiment

    def __call__(self, replicate: int, **values: Any) -> dict[str, Any]:
        from clustersim.sweep.design import point_id, run_seed
        from clustersim.sweep.runner import run_point

        exp = self.experiment
        point = {f.name: f.coerce(values[f.name]) for f in exp.factors}
        seed = run_seed(exp.sweep_seed, point_id(point), int(replicate))
        return run_point(exp, {**point, "seed": seed})


def ema_parameter(factor: Factor) -> Any:
    """The EMA parameter of one experiment factor (see the module docstring)."""
    from ema_workbench import CategoricalParameter, IntegerParameter, RealParameter

    if factor.values is not None:
        return CategoricalParameter(factor.name, list(factor.values))
    if factor.kind == "int":
        return IntegerParameter(factor.name, round(factor.low), round(factor.high))  # type: ignore[arg-type]
    return RealParameter(factor.name, float(factor.low), float(factor.high))  # type: ignore[arg-type]


def ema_model(source: Experiment | Mapping[str, Any] | str | Path, *, replicates: int | None = None,
              years: int | None = None,
              aggregate: Callable[[list], float] | Mapping[str, Callable[[list], float]] = np.mean,
              name: str | None = None) -> ReplicatorModel:
    """An EMA Workbench ``ReplicatorModel`` of an experiment (a file, a dict or an
    :class:`~clustersim.sweep.experiment.Experiment`): levers, uncertainties, outcomes and
    replications from the experiment; ``replicates`` and ``years`` replace its own; ``aggregate``: the
    function (or outcome name -> function) that turns the replicates' values into EMA's scalar
    outcome (default ``numpy.mean``); ``name``: the EMA model name (default the experiment's, as
    a Python identifier)."""
    try:
        from ema_workbench import ReplicatorModel, ScalarOutcome
    except ImportError:
        raise ScenarioError("clustersim.ema_model()", "ema_workbench", allowed=(
            "is not installed: pip install 'clustersim[ema]' (the EMA Workbench needs Python >= 3.12)")) from None
    from clustersim.api import experiment

    exp = experiment(source, replicates=replicates, years=years)
    label = name or "".join(c if c.isalnum() or c == "_" else "_" for c in exp.name)
    if not label.isidentifier():
        label = f"m_{label}"
    model = ReplicatorModel(label, function=ReplicateRunner(exp))
    model.replications = [{"replicate": r} for r in range(exp.replicates)]
    model.levers = [ema_parameter(f) for f in exp.factors if f.role in ("lever", "package")]
    model.uncertainties = [ema_parameter(f) for f in exp.factors if f.role == "uncertainty"]
    names = [o for o in exp.outcomes if o not in NON_NUMERIC]
    if isinstance(aggregate, Mapping):
        unknown = sorted(set(aggregate) - set(names))
        if unknown:
            raise ScenarioError("clustersim.ema_model()", "aggregate", unknown[0],
                                f"names no numeric outcome of the experiment; outcomes: {', '.join(names)}")
        functions = {o: aggregate.get(o, np.mean) for o in names}
    else:
        functions = dict.fromkeys(names, aggregate)
    model.outcomes = [ScalarOutcome(o, function=functions[o]) for o in names]
    return model
