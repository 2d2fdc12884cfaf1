"""The Python API, re-exported from ``clustersim`` (see docs/api.md):

- :func:`run`: one scenario (an object, a file or the name of a shipped one) with overrides, seed,
  years, outcomes and the optional same-seed counterfactual, in one call; returns a
  :class:`RunResult` (the model, its tidy tables, the outcomes);
- :func:`experiment`: an experiment from a file or a dict;
- :func:`run_experiment`: its sweep, returned as a DataFrame (in a temporary folder, or in the
  crash-safe results folder ``out`` when one is given);
- :func:`salib_problem` and :func:`evaluate`: SALib's problem dict of an experiment and the
  outcome of every row of a SALib sample (replicates averaged), for a sensitivity analysis driven
  from SALib itself.

Overrides take every path of :mod:`clustersim.overrides` (``focal.subsidy_depth``,
``regions.county_03.fee_rate``, ...); keyword parameters write ``__`` for ``.``. Errors are
:class:`~clustersim.scenario.ScenarioError`, whose one-line message names the call, file or
argument at fault. Money in wan, time in model years.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clustersim.configs import ConfigLike, to_scenario
from clustersim.overrides import from_keywords
from clustersim.scenario import ScenarioError, apply_overrides, build_model

if TYPE_CHECKING:
    from clustersim.model import ClusterModel
    from clustersim.sweep.experiment import Experiment

__all__ = ["RunResult", "evaluate", "experiment", "run", "run_experiment", "salib_problem"]

RUN_FN = "clustersim.sweep.runner:run_point"


@dataclass
class RunResult:
    """One finished run. ``tables``: ``model`` (one row per year), ``regions`` (one row per region
    and year, with position and the ``focal`` flag) and ``firms`` (the final firms), the tables
    ``clustersim run`` writes as Parquet; ``outcomes``: the sweep outcomes of the run (take-off,
    fiscal return, ...; see ``clustersim.sweep.outcomes.OUTCOMES``); ``counterfactual``: the
    same-seed run without the focal package, when asked for (then the fiscal baseline)."""

    model: ClusterModel
    outcomes: dict[str, Any]
    counterfactual: ClusterModel | None = None
    source: str | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """What ``summary.json`` of ``clustersim run`` holds (without timings)."""
        from clustersim import outputs

        return outputs.run_summary(self.model, source=self.source, counterfactual=self.counterfactual)

    def write(self, out: str | Path) -> dict[str, Path]:
        """Write the tables (``model.parquet``, ``regions.parquet``, ``firms.parquet``) and
        ``summary.json`` to ``out``, atomically, as ``clustersim run --no-figure`` does."""
        from clustersim import outputs

        out = Path(out)
        written = {name: outputs.write_parquet(df, out / f"{name}.parquet") for name, df in self.tables.items()}
        written["summary"] = outputs.write_json(self.summary(), out / "summary.json")
        return written


def run(scenario: ConfigLike = None, *, overrides: Mapping[str, Any] | None = None, seed: int | None = None,
        years: int | None = None, outcomes: Sequence[str] | None = None, counterfactual: bool = False,
        **params: Any) -> RunResult:
    """Run one scenario and measure it.

    ``scenario``: a :class:`~clustersim.params.Scenario`, a scenario file or the name of a shipped
    scenario (default: the built-in defaults). ``overrides``: dotted paths -> values;
    ``**params``: the same as keywords with ``__`` for ``.`` (``focal__subsidy_depth=2``).
    ``seed`` and ``years``: default the scenario's, as in ``clustersim run``. ``outcomes``: the
    outcome names to keep (default all). ``counterfactual``: also run the focal county without
    its package, same seed, as the fiscal baseline (``clustersim run --counterfactual``).
    """
    from clustersim.counterfactual import without_focal_package
    from clustersim.sweep.outcomes import measure, outcome_names

    call = "clustersim.run()"
    config, path = to_scenario(scenario, call)
    changes = {**dict(overrides or {}), **from_keywords(params)}
    if years is not None:
        changes["years"] = years
    if seed is not None:
        changes["seed"] = seed
    if changes:
        config = apply_overrides(config, changes, source=call)
    known = outcome_names(config)
    for name in outcomes or ():
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ScenarioError(call, "outcomes", name, f"unknown outcome; {hint}allowed: {', '.join(known)}")
    source = str(path) if path is not None else call
    model = build_model(config, source=source).run()
    base = None
    if counterfactual:
        base = build_model(without_focal_package(config, model.focal_name), source=source).run()
    from clustersim import outputs

    tables = {"model": model.model_frame(), "regions": outputs.region_table(model), "firms": model.firm_frame()}
    return RunResult(model=model, outcomes=measure(model, base, outcomes=outcomes), counterfactual=base,
                     source=str(path) if path is not None else None, tables=tables)


def experiment(source: Experiment | Mapping[str, Any] | str | Path, *, replicates: int | None = None,
               years: int | None = None, base_dir: str | Path | None = None) -> Experiment:
    """An experiment from a file (as ``clustersim sweep`` reads it) or a dict with the same
    fields (``base_scenario`` relative to ``base_dir``, default the current folder, or the name of
    a shipped scenario). ``replicates`` and ``years`` replace the experiment's."""
    from clustersim.sweep.experiment import Experiment, experiment_from_dict, load_experiment

    if isinstance(source, Experiment):
        if replicates is None and years is None:
            return source
        return experiment(source.document or source.path, replicates=replicates, years=years,
                          base_dir=source.path.parent if source.document is None else base_dir)
    if isinstance(source, Mapping):
        return experiment_from_dict(source, base_dir=base_dir, replicates=replicates, years=years,
                                    source="clustersim.experiment()")
    return load_experiment(source, replicates=replicates, years=years)


def run_experiment(source: Experiment | Mapping[str, Any] | str | Path, out: str | Path | None = None, *,
                   replicates: int | None = None, years: int | None = None, workers: int | None = None,
                   backend: str = "local",
                   scheduler: str | None = None, resume: bool = False, progress: bool = False) -> pd.DataFrame:
    """Run an experiment's sweep and return its results, one row per successful run (design
    columns, then status columns, then outcomes; as ``clustersim.sweep.load_results``).

    Without ``out`` the sweep runs in a temporary folder that is removed afterwards; with ``out``
    it uses that crash-safe results folder (``resume`` finishes an interrupted sweep there), which
    ``clustersim report`` can read. ``workers``, ``backend``, ``scheduler``: as ``clustersim sweep``.
    Failed runs are left out with a warning; they are in ``df.attrs["failed"]``, and the sweep's
    summary in ``df.attrs["sweep"]``.
    """
    from clustersim.sweep.runner import run_sweep
    from clustersim.sweep.store import load_results

    exp = experiment(source, replicates=replicates, years=years)

    def go(folder: Path) -> pd.DataFrame:
        summary = run_sweep(exp, folder, workers=workers, backend=backend, scheduler=scheduler, resume=resume,
                            progress=progress)
        df = load_results(folder, include_failed=True)
        failed = df[df["status"] != "ok"].reset_index(drop=True)
        df = df[df["status"] == "ok"].reset_index(drop=True)
        df.attrs["sweep"] = summary.to_json()
        df.attrs["failed"] = failed
        if len(failed):
            warnings.warn(f"{len(failed)} of {summary.runs} runs failed and are left out; first error: "
                          f"{failed['error'].iloc[0]} (all in df.attrs['failed'])", RuntimeWarning, stacklevel=3)
        return df

    if out is not None:
        return go(Path(out))
    with tempfile.TemporaryDirectory(prefix="clustersim-sweep-") as tmp:
        return go(Path(tmp) / "sweep")


def salib_problem(source: Experiment | Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """SALib's problem dict (``num_vars``, ``names``, ``bounds``) of an experiment whose levers and
    uncertainties all have a ``range``."""
    from clustersim.sweep.design import salib_problem as problem

    exp = experiment(source)
    ranged = [f for f in exp.factors if f.low is not None]
    if not exp.factors or len(ranged) != len(exp.factors):
        fixed = next((f.name for f in exp.factors if f.low is None), "")
        raise ScenarioError(str(exp.path), f"factor {fixed!r}" if fixed else "factors",
                            allowed="a SALib problem needs every lever and uncertainty to have a range = [low, high]")
    return problem(exp)


def evaluate(source: Experiment | Mapping[str, Any] | str | Path, samples: np.ndarray | Sequence[Sequence[float]],
             outcome: str, *, replicates: int | None = None, workers: int = 1) -> np.ndarray:
    """The experiment's ``outcome`` at every row of ``samples`` (one column per factor, in the
    order of :func:`salib_problem`'s ``names``, e.g. a SALib sample), averaged over the
    experiment's replicates (booleans such as ``took_off`` become probabilities).

    Each run's seed comes from the sweep seed, the row's values and the replicate, exactly as in
    a sweep (so a row equal to a sweep's design point gives that point's runs). ``workers`` > 1
    runs them in a local process pool. Raises RuntimeError naming the first run that failed.
    """
    from clustersim.sweep.design import design_value, point_id, run_seed
    from clustersim.sweep.experiment import point_key
    from clustersim.sweep.outcomes import outcome_names
    from clustersim.sweep.runner import run_batch

    exp = experiment(source, replicates=replicates)
    call = "clustersim.evaluate()"
    if outcome not in outcome_names(exp.base) or outcome == "leader":
        raise ScenarioError(call, "outcome", outcome, "must be a numeric outcome: " + ", ".join(
            n for n in outcome_names(exp.base) if n != "leader"))
    matrix = np.asarray(samples, dtype=float)
    if matrix.ndim != 2 or matrix.shape[1] != len(exp.factors):
        names = ", ".join(f.name for f in exp.factors)
        raise ScenarioError(call, "samples", f"shape {matrix.shape}",
                            f"must be a 2-D array with one column per factor ({names})")
    rows, seen = [], {}
    for i, values in enumerate(matrix):
        point = {f.name: f.coerce(design_value(f, v)) for f, v in zip(exp.factors, values, strict=True)}
        key = point_key(point)
        pid = point_id(point, seen.get(key, 0))
        seen[key] = seen.get(key, 0) + 1
        rows += [{**point, "sample_index": i, "replicate": r, "seed": run_seed(exp.sweep_seed, pid, r)}
                 for r in range(exp.replicates)]
    items = [(row, 1) for row in rows]
    if workers <= 1:
        results = run_batch(exp, RUN_FN, items)
    else:
        from clustersim.sweep.runner import local_pool

        chunk = max(1, len(items) // (4 * workers))
        with local_pool(workers) as pool:
            futures = [pool.submit(run_batch, exp, RUN_FN, items[k:k + chunk]) for k in range(0, len(items), chunk)]
            results = [r for f in futures for r in f.result()]
    bad = next((r for r in results if r["status"] != "ok"), None)
    if bad is not None:
        raise RuntimeError(f"run of sample row {bad['sample_index']}, replicate {bad['replicate']} failed: "
                           f"{bad['error']}")
    values = pd.DataFrame({"row": [r["sample_index"] for r in results],
                           "y": [float(r[outcome]) for r in results]})
    return values.groupby("row")["y"].mean().reindex(range(len(matrix))).to_numpy()
