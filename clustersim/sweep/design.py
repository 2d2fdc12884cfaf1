"""Designs: the runs of an experiment, each with an identity and a seed that depend only on
what the run is, never on where it sits in the design.

A run is (point, replicate). ``point_id`` hashes the point's factor values (canonical JSON,
numbers as floats); the run's seed is drawn from ``SeedSequence(sweep_seed, spawn_key=(point,
replicate))``. Adding grid values or replicates therefore leaves every existing run's id and
seed unchanged, and results do not depend on backend, worker count, order or resuming.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clustersim.sweep.experiment import Experiment, Factor, point_key

__all__ = ["DESIGN_COLUMNS", "Design", "build_design", "point_id", "run_seed"]

#: the columns every design table starts with (then one column per factor)
DESIGN_COLUMNS = ("run_id", "point_id", "sample_index", "replicate", "seed")


@dataclass(frozen=True)
class Design:
    """``runs``: one row per run in design order (sample order, then replicate): run_id,
    point_id, sample_index, replicate, seed, then one column per factor. ``meta``: JSON-able
    description of the design (see :func:`build_design`)."""

    runs: pd.DataFrame
    meta: dict[str, Any]

    def points(self) -> pd.DataFrame:
        """One row per distinct point (replicate 0's row), in sample order."""
        return self.runs[self.runs["replicate"] == 0].reset_index(drop=True)


def point_id(point: dict[str, Any], occurrence: int = 0) -> str:
    """First 16 hex digits of sha256 of the point's canonical JSON. ``occurrence`` > 0 tells
    apart repeats of the same point within one sample (Morris trajectories can revisit a point);
    the first occurrence's id depends on the values alone."""
    text = point_key(point)
    if occurrence:
        text += f"#{occurrence}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def run_seed(sweep_seed: int, pid: str, replicate: int) -> int:
    """The run's seed, 0 <= seed < 2**63 (fits int64 columns)."""
    state = np.random.SeedSequence(sweep_seed, spawn_key=(int(pid, 16), replicate)).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def build_design(exp: Experiment) -> Design:
    """Lay out every run of ``exp``.

    Sample order: grid and packages designs iterate factors in declaration order (the first
    slowest, like ``itertools.product``); lhs, sobol and morris keep the sampler's row order.
    Replicates of one sample are adjacent. Values of range designs with whole-number parameters
    are rounded. ``meta`` holds the experiment name, design kind, factors, replicates, sweep seed,
    years, outcomes, fiscal baseline, focal county, SALib problem and settings, sample count,
    package labels and overrides, and the settings fingerprint.
    """
    factors = exp.factors
    samples = _samples(exp)  # list of rows, one value per factor
    names = [f.name for f in factors]
    seen: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for index, values in enumerate(samples):
        point = {f.name: design_value(f, v) for f, v in zip(factors, values, strict=True)}
        key = point_key(point)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        pid = point_id(point, occurrence)
        for rep in range(exp.replicates):
            rows.append({"run_id": f"{pid}-{rep:04d}", "point_id": pid, "sample_index": index, "replicate": rep,
                         "seed": run_seed(exp.sweep_seed, pid, rep), **point})
    runs = pd.DataFrame(rows, columns=[*DESIGN_COLUMNS, *names])
    runs = runs.astype({"sample_index": "int64", "replicate": "int64", "seed": "int64", "run_id": str,
                        "point_id": str})
    for f in factors:
        dtype = {"float": "float64", "int": "float64", "bool": "bool", "str": object}[f.kind]
        runs[f.name] = runs[f.name].astype(dtype)
    from clustersim.sweep.checks import sweep_warnings

    meta = _meta(exp, len(samples), len(runs))
    meta["package_warnings"] = sweep_warnings(exp, [dict(zip(names, (design_value(f, v) for f, v in
                                                                  zip(factors, s, strict=True)), strict=True))
                                                    for s in samples])
    return Design(runs=runs, meta=meta)


def design_value(f: Factor, value: Any) -> Any:
    if f.kind == "str":
        return str(value)
    if f.kind == "bool":
        return bool(value)
    if f.kind == "int":
        return float(round(float(value)))
    return float(value)


def _samples(exp: Experiment) -> list[tuple[Any, ...]]:
    factors = exp.factors
    kind = exp.design_kind
    if kind in ("grid", "packages"):
        return list(itertools.product(*(f.values or () for f in factors)))
    low = np.array([f.low for f in factors], float)
    high = np.array([f.high for f in factors], float)
    if kind == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(len(factors), seed=exp.sweep_seed).random(exp.samples)
        matrix = qmc.scale(unit, low, high)
    elif kind == "sobol":
        from SALib.sample import sobol

        matrix = sobol.sample(salib_problem(exp), exp.samples, calc_second_order=exp.second_order,
                              seed=exp.sweep_seed)
    elif kind == "morris":
        from SALib.sample import morris

        matrix = morris.sample(salib_problem(exp), exp.samples, num_levels=exp.levels, seed=exp.sweep_seed)
    else:  # pragma: no cover - load_experiment rejects other kinds
        raise ValueError(f"unknown design kind {kind!r}")
    return [tuple(float(x) for x in row) for row in np.asarray(matrix, float)]


def salib_problem(exp: Experiment) -> dict[str, Any]:
    """The SALib problem dict of a range design (names and bounds of its factors)."""
    return {"num_vars": len(exp.factors), "names": [f.name for f in exp.factors],
            "bounds": [[float(f.low), float(f.high)] for f in exp.factors]}  # type: ignore[arg-type]


def _meta(exp: Experiment, n_samples: int, n_runs: int) -> dict[str, Any]:
    ranged = exp.design_kind in ("sobol", "morris")
    return {
        "experiment": exp.name,
        "experiment_kind": exp.kind,
        "study": exp.study,
        "description": exp.description,
        "design_kind": exp.design_kind,
        "factors": [f.to_meta() for f in exp.factors],
        "replicates": exp.replicates,
        "sweep_seed": exp.sweep_seed,
        "years": exp.base.years,
        "outcomes": list(exp.outcomes),
        "fiscal_baseline": exp.fiscal_baseline,
        "focal_county": exp.focal_county,
        "base_scenario": exp.base.name,
        "take_off_rule": exp.base.take_off.model_dump(mode="json"),
        "salib_problem": salib_problem(exp) if ranged else None,
        "morris_levels": exp.levels if exp.design_kind == "morris" else None,
        "sobol_second_order": exp.second_order if exp.design_kind == "sobol" else None,
        "samples": exp.samples,
        "n_points": n_samples,
        "n_runs": n_runs,
        "packages": {name: {"label": exp.package_labels.get(name, name), "overrides": ov}
                     for name, ov in exp.packages.items()},
        "baseline_package": exp.baseline_package,
        "fingerprint": exp.settings_fingerprint(),
    }
