"""Adaptive search for a critical level: where does an outcome (take-off) become more likely than not?

The design is **batches placed by a sequential c-optimal rule with a logistic refit** (see
docs/thresholds.md for why this and not probabilistic bisection or Robbins–Monro):

1. batch 0 spreads ``batch`` runs evenly over the lever's range [low, high];
2. after every batch, :func:`~clustersim.thresholds.dose_response.dose_response` is refitted to all
   runs so far. When the fit locates the level (a bounded Fieller interval), the next batch's levels
   are chosen by :func:`~clustersim.thresholds.optimal_design.next_batch`: one run at a time, each
   where it most lowers the Fieller half-width expected after the batch, averaged over coefficients
   drawn from the current fit's covariance (spread while the slope is uncertain, close to x̂ once it
   is known). When the outcome steps between two levels with no overlap (separation), the batch
   fills the gap between them; when nothing is located yet (all runs alike, or a flat fit), the
   batch covers the range again on a shifted grid;
3. the search stops when the 95 % Fieller interval is bounded, inside the range and at most
   ``2 H`` wide (half-width <= ``precision``) after two batches in a row (stopping at the first
   narrow interval favours batches that overestimated the slope, and the intervals then cover
   too rarely), or when ``budget`` runs are spent.

Every batch is one sweep folder ``OUT/batch-NNNN/`` written through :mod:`clustersim.sweep.store`
and :func:`~clustersim.sweep.runner.run_sweep`, on any backend. A batch's levels depend only on the
results of the batches before it, and a run's result only on its design row (its seed comes from
the sweep seed, the point and a replicate number that counts runs across the whole search), so a
search killed at any moment and resumed with ``--resume`` ends with the same answer, bit for bit,
as an uninterrupted one, whatever the backend or worker count. The batch size is an option, never
derived from the worker count, for the same reason; choose a multiple of the workers.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clustersim.scenario import ScenarioError
from clustersim.thresholds.dose_response import DoseResponse, dose_response
from clustersim.thresholds.optimal_design import next_batch

if TYPE_CHECKING:
    from clustersim.sweep.experiment import Experiment

__all__ = ["SearchResult", "SearchSpec", "plan_batch", "resolve_search", "run_search", "search_in_memory"]

#: the precision must hold after this many batches in a row: stopping at the first narrow interval
#: favours batches that overestimated the slope and makes the intervals too narrow (measured with the
#: c-optimal batches, slope 2, half-width 0.25: 931 of 1000 intervals cover with 1, binomial p = 0.009
#: against 95 %; 941 of 1000 with 2, p = 0.19; docs/thresholds.md, "The stopping rule")
CONFIRM_BATCHES = 2
SEARCH_JSON = "search.json"
RESULT_JSON = "tipping.json"
#: the golden-ratio fraction shifts the grid of a repeated covering batch (a deterministic low-discrepancy offset)
_GOLDEN = (math.sqrt(5) - 1) / 2


@dataclass(frozen=True)
class SearchSpec:
    """What to search. ``lever``: the experiment factor searched, over [``low``, ``high``] (lever
    units); ``target``: the probability whose level is sought; ``precision``: the 95 % half-width
    to reach (lever units); ``budget``: most runs in all; ``batch``: runs per batch;
    ``outcome``: a true/false outcome; ``fixed``: values of the other factors; ``sampled``:
    uncertainties drawn uniformly from their range for each run; ``increasing``: the expected
    direction, only for wording."""

    lever: str
    low: float
    high: float
    target: float = 0.5
    precision: float = 0.25
    budget: int = 400
    batch: int = 16
    outcome: str = "took_off"
    fixed: dict[str, Any] = field(default_factory=dict)
    sampled: tuple[str, ...] = ()
    increasing: bool | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["sampled"] = list(self.sampled)
        return d


@dataclass(frozen=True)
class SearchResult:
    """The answer: ``estimate`` (a :class:`DoseResponse` over all runs), why the search
    stopped ("precision" or "budget"), and every run's level and outcome (0/1)."""

    spec: SearchSpec
    estimate: DoseResponse
    stopped: str
    batches: int
    levels: np.ndarray
    outcomes: np.ndarray
    failed: int = 0

    @property
    def runs(self) -> int:
        return int(self.levels.size)

    def to_json(self) -> dict[str, Any]:
        e = self.estimate
        return {
            "spec": self.spec.to_json(),
            "stopped": self.stopped,
            "batches": self.batches,
            "runs": self.runs,
            "failed_runs": self.failed,
            "status": e.status,
            "message": e.message,
            "critical_level": e.x,
            "se": _finite(e.se),
            "ci_fieller": [_finite(v) for v in e.ci_fieller],
            "fieller_kind": e.fieller_kind,
            "ci_delta": [_finite(v) for v in e.ci_delta],
            "half_width": _finite(e.half_width),
            "coef": list(e.coef),
            "gof_pvalue": _finite(e.gof_pvalue),
        }

    def lines(self) -> str:
        e, s = self.estimate, self.spec
        head = (
            f"tipping   {s.lever}: P({s.outcome}) = {s.target:g} at {e.text('{:.4g}')}"
            if e.status in ("ok", "extrapolated")
            else f"tipping   {s.lever}: {e.message}"
        )
        why = "95 % half-width reached" if self.stopped == "precision" else "budget spent"
        out = [
            head,
            f"runs      {self.runs} in {self.batches} batches ({why}; half-width "
            f"{e.half_width:.3g}, target {s.precision:g})",
        ]
        if self.failed:
            out.append(f"failed    {self.failed} runs failed and are left out of the fit")
        if e.poor_fit:
            out.append(f"fit       the logistic curve fits poorly (goodness-of-fit p = {e.gof_pvalue:.3f})")
        return "\n".join(out)


def _finite(v: float) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


# ------------------------------------------------------------------------------ the policy (pure)
def _round(levels: np.ndarray, low: float, high: float) -> np.ndarray:
    """Levels on a fine grid (a millionth of the range), so that point ids are stable."""
    digits = 6 - math.floor(math.log10(high - low))
    return np.clip(np.round(levels, digits), low, high)


def estimate(spec: SearchSpec, levels: np.ndarray, outcomes: np.ndarray) -> DoseResponse:
    return dose_response(levels, outcomes, np.ones_like(levels), p=spec.target, increasing=spec.increasing)


def converged(spec: SearchSpec, fit: DoseResponse) -> bool:
    return fit.status == "ok" and fit.fieller_kind == "bounded" and fit.half_width <= spec.precision


def plan_batch(spec: SearchSpec, levels: np.ndarray, outcomes: np.ndarray, index: int) -> np.ndarray:
    """The levels of batch ``index`` given every earlier run's level and outcome (module docstring)."""
    size = min(spec.batch, spec.budget - int(levels.size))
    lo, hi = spec.low, spec.high
    if size <= 0:
        return np.zeros(0)
    if levels.size == 0:
        return _round(np.linspace(lo, hi, size), lo, hi)
    fit = estimate(spec, levels, outcomes)
    if fit.fieller_kind == "bounded" and fit.x is not None and fit.status in ("ok", "extrapolated"):
        return _round(next_batch(fit.coef, fit.cov, levels, size, lo, hi, spec.target), lo, hi)
    if fit.status == "separated" and fit.bracket is not None:
        a, b = fit.bracket
        return _round(np.linspace(a, b, size + 2)[1:-1], lo, hi)
    shift = (index * _GOLDEN) % 1.0
    return _round(lo + (np.arange(size) + shift) / size * (hi - lo), lo, hi)


def _search(
    spec: SearchSpec,
    evaluate: Callable[[int, np.ndarray], tuple[np.ndarray, np.ndarray, int]],
    on_batch: Callable[[int, DoseResponse], None] | None = None,
) -> SearchResult:
    """The loop shared by every driver. ``evaluate(index, levels)`` runs one batch and returns
    (levels of the ok runs, their outcomes 0/1, failed runs)."""
    x, y = np.zeros(0), np.zeros(0)
    failed, index, stopped, streak = 0, 0, "budget", 0
    fit = estimate(spec, x, y)
    while x.size + failed < spec.budget:
        levels = plan_batch(spec, x, y, index)
        if levels.size == 0:
            break
        ok_levels, ok_y, n_failed = evaluate(index, levels)
        x, y, failed = np.r_[x, ok_levels], np.r_[y, ok_y], failed + n_failed
        index += 1
        fit = estimate(spec, x, y)
        if on_batch is not None:
            on_batch(int(x.size + failed), fit)
        streak = streak + 1 if converged(spec, fit) else 0
        if streak >= CONFIRM_BATCHES:
            stopped = "precision"
            break
    return SearchResult(spec, fit, stopped, index, x, y, failed)


def search_in_memory(
    spec: SearchSpec, simulate: Callable[[np.ndarray, np.random.Generator], np.ndarray], seed: int
) -> SearchResult:
    """The search with a cheap simulator in memory: ``simulate(levels, rng)`` returns 0/1 outcomes
    (for tests and benchmarks; the model goes through :func:`run_search`)."""
    rng = np.random.default_rng(seed)

    def evaluate(_index: int, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        return levels, np.asarray(simulate(levels, rng), float), 0

    return _search(spec, evaluate)


# ------------------------------------------------------------------------------ from an experiment
def resolve_search(
    exp: Experiment,
    lever: str,
    *,
    low: float | None = None,
    high: float | None = None,
    at: Mapping[str, Any] | None = None,
    target: float = 0.5,
    precision: float | None = None,
    budget: int = 400,
    batch: int = 16,
    outcome: str = "took_off",
) -> SearchSpec:
    """A :class:`SearchSpec` for ``exp``, checking every option: ``lever`` is a factor name or the
    parameter it sets; its range defaults to the factor's values or range; every other factor is
    fixed by ``at``, or by having one value, or (uncertainties with a range) sampled per run.
    ``precision`` defaults to a sixteenth of the range. Raises :class:`ScenarioError` naming the option."""
    at = dict(at or {})
    factor = next((f for f in exp.factors if lever in (f.name, *f.parameters, *f.paths)), None)
    if factor is None:
        names = ", ".join(f"{f.name} ({', '.join(f.parameters)})" for f in exp.factors) or "none"
        raise ScenarioError(
            exp.path, "--lever", lever, allowed=f"must name a factor of {exp.path} or its parameter; factors: {names}"
        )
    if factor.kind not in ("float", "int"):
        raise ScenarioError(
            exp.path, "--lever", lever, allowed=f"must be a numeric factor ({factor.name} is {factor.kind})"
        )
    vals = [float(v) for v in factor.values] if factor.values is not None else [factor.low, factor.high]
    lo = float(min(vals)) if low is None else float(low)
    hi = float(max(vals)) if high is None else float(high)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ScenarioError(exp.path, "--range", [lo, hi], allowed="two finite numbers LOW < HIGH (lever units)")
    for bound in (lo, hi):
        _check_value(exp, factor, bound, "--range")
    if not 0.0 < target < 1.0:
        raise ScenarioError(exp.path, "--target", target, allowed="a probability strictly between 0 and 1")
    precision = (hi - lo) / 16 if precision is None else float(precision)
    if not (math.isfinite(precision) and precision > 0):
        raise ScenarioError(exp.path, "--precision", precision, allowed="a half-width above 0, in lever units")
    if batch < 2:
        raise ScenarioError(exp.path, "--batch", batch, allowed="at least 2 runs per batch")
    if budget < 2 * batch:
        raise ScenarioError(
            exp.path, "--budget", budget, allowed=f"at least two batches ({2 * batch} runs with --batch {batch})"
        )
    if outcome not in exp.outcomes:
        raise ScenarioError(
            exp.path, "--outcome", outcome, allowed=f"an outcome the experiment records: {', '.join(exp.outcomes)}"
        )
    fixed: dict[str, Any] = {}
    sampled: list[str] = []
    names = {f.name for f in exp.factors}
    for key in at:
        if key not in names or key == factor.name:
            raise ScenarioError(
                exp.path,
                "--at",
                f"{key}={at[key]}",
                allowed="must name another factor of the experiment: "
                f"{', '.join(sorted(names - {factor.name})) or 'none'}",
            )
    for f in exp.factors:
        if f is factor:
            continue
        if f.name in at:
            value = f.coerce(at[f.name]) if f.kind != "float" else float(at[f.name])
            _check_value(exp, f, value, "--at")
            fixed[f.name] = value
        elif f.values is not None and len(f.values) == 1:
            fixed[f.name] = f.coerce(f.values[0])
        elif f.values is None and f.role == "uncertainty":
            sampled.append(f.name)
        else:
            shown = ", ".join(str(v) for v in (f.values or ()))
            raise ScenarioError(
                exp.path,
                "--at",
                f.name,
                allowed=f"factor {f.name} takes several values ({shown}): fix one with --at {f.name}=VALUE",
            )
    increasing = None
    if "subsidy_depth" in factor.name or any(p.endswith("subsidy_depth") for p in factor.paths):
        increasing = True
    return SearchSpec(
        lever=factor.name,
        low=lo,
        high=hi,
        target=float(target),
        precision=precision,
        budget=int(budget),
        batch=int(batch),
        outcome=outcome,
        fixed=fixed,
        sampled=tuple(sampled),
        increasing=increasing,
    )


def _check_value(exp: Experiment, factor: Any, value: Any, option: str) -> None:
    from clustersim.scenario import apply_overrides

    try:
        apply_overrides(
            exp.base,
            {p: factor.coerce(value) if factor.kind != "float" else float(value) for p in factor.paths},
            source=option,
        )
    except (ScenarioError, ValueError) as err:
        text = err.allowed if isinstance(err, ScenarioError) else str(err)
        raise ScenarioError(exp.path, option, f"{factor.name}={value}", allowed=text) from None


def batch_design(exp: Experiment, spec: SearchSpec, index: int, levels: np.ndarray, first_replicate: int):
    """The :class:`~clustersim.sweep.design.Design` of batch ``index``: one run per level; the
    replicate numbers continue across batches, so every run of the search has its own seed."""
    from clustersim.sweep.design import DESIGN_COLUMNS, Design, point_id, run_seed

    factors = exp.factors
    rows = []
    for j, level in enumerate(levels):
        point = {spec.lever: float(level), **spec.fixed}
        known = {k: v for k, v in point.items()}
        pid = point_id(known)
        rep = first_replicate + j
        seed = run_seed(exp.sweep_seed, pid, rep)
        row = {"run_id": f"{pid}-{rep:04d}", "point_id": pid, "sample_index": j, "replicate": rep, "seed": seed}
        draws = np.random.default_rng([seed, 1]).random(len(spec.sampled))
        for f in factors:
            if f.name in point:
                row[f.name] = point[f.name]
            else:
                u = float(draws[spec.sampled.index(f.name)])
                value = f.low + u * (f.high - f.low)
                row[f.name] = float(round(value)) if f.kind == "int" else value
        rows.append(row)
    names = [f.name for f in factors]
    runs = pd.DataFrame(rows, columns=[*DESIGN_COLUMNS, *names])
    runs = runs.astype({"sample_index": "int64", "replicate": "int64", "seed": "int64", "run_id": str, "point_id": str})
    for f in factors:
        runs[f.name] = runs[f.name].astype(
            {"float": "float64", "int": "float64", "bool": "bool", "str": object}[f.kind]
        )
    meta = {
        "experiment": exp.name,
        "design_kind": "tipping",
        "search": spec.to_json(),
        "batch": index,
        "factors": [f.to_meta() for f in factors],
        "replicates": 1,
        "sweep_seed": exp.sweep_seed,
        "years": exp.base.years,
        "outcomes": list(exp.outcomes),
        "fiscal_baseline": exp.fiscal_baseline,
        "focal_county": exp.focal_county,
        "n_points": len(rows),
        "n_runs": len(rows),
        "fingerprint": exp.settings_fingerprint(),
    }
    return Design(runs=runs, meta=meta)


def run_search(
    exp: Experiment,
    spec: SearchSpec,
    out: Path,
    *,
    workers: int | None = None,
    backend: str = "local",
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
    run_fn: str = "clustersim.sweep.runner:run_point",
    flush_seconds: float = 3.0,
) -> SearchResult:
    """Run the adaptive search for ``spec`` on ``exp``, one sweep folder per batch under ``out``
    (``OUT/search.json`` freezes the search; ``OUT/tipping.json`` holds the answer). ``resume``
    continues a search in ``out`` (refused if the experiment or the search options changed)."""
    from clustersim.outputs import write_json
    from clustersim.sweep import store
    from clustersim.sweep.runner import open_pool, run_sweep

    out = Path(out)
    frozen = {
        "experiment": exp.name,
        "fingerprint": exp.settings_fingerprint(),
        "sweep_seed": exp.sweep_seed,
        "search": spec.to_json(),
    }
    if out.exists() and not out.is_dir():
        raise ScenarioError(out, "--out", allowed="is a file; name a folder for the search")
    if out.is_dir() and any(out.iterdir()):
        if not resume:
            hint = "it holds a search: add --resume to finish it" if (out / SEARCH_JSON).exists() else "it is not empty"
            raise ScenarioError(out, "--out", allowed=f"folder exists and {hint}, or choose another --out folder")
        if not (out / SEARCH_JSON).is_file():
            raise ScenarioError(out, "--out", allowed=f"no {SEARCH_JSON}: not a folder written by `clustersim tipping`")
        old = json.loads((out / SEARCH_JSON).read_text(encoding="utf-8"))
        if old != json.loads(json.dumps(frozen)):
            changed = sorted(
                k
                for k in set(old.get("search", {})) | set(spec.to_json())
                if old.get("search", {}).get(k) != json.loads(json.dumps(spec.to_json())).get(k)
            )
            what = ", ".join(changed) if changed else "the experiment's settings"
            raise ScenarioError(
                out / SEARCH_JSON,
                "search",
                allowed=f"the search changed since it started ({what}); run it into a new --out folder",
            )
    else:
        out.mkdir(parents=True, exist_ok=True)
        write_json(frozen, out / SEARCH_JSON)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=spec.budget,
            unit="run",
            file=sys.stderr,
            disable=None,
            dynamic_ncols=True,
            desc=f"tipping {spec.lever}",
        )
    used = [0]

    def evaluate(index: int, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        folder = out / f"batch-{index:04d}"
        if folder.is_dir() and not (folder / store.DESIGN_JSON).is_file():
            shutil.rmtree(folder)  # killed while the batch's folder was being laid out: nothing ran yet
        design = batch_design(exp, spec, index, levels, used[0])
        run_sweep(
            exp,
            folder,
            workers=workers,
            backend=backend,
            scheduler=scheduler,
            resume=folder.is_dir(),
            progress=False,
            run_fn=run_fn,
            flush_seconds=flush_seconds,
            design=design,
            pool=pools[0],
        )
        used[0] += levels.size
        res = store.load_results(folder)
        ok = res[res["status"] == "ok"]
        return (ok[spec.lever].to_numpy(float), ok[spec.outcome].astype(float).to_numpy(), int(levels.size - len(ok)))

    def on_batch(n: int, fit: DoseResponse) -> None:
        if bar is not None:
            bar.update(n - bar.n)
            x = "-" if fit.x is None else f"{fit.x:.3g}"
            bar.set_postfix_str(f"estimate {x} ± {fit.half_width:.3g}")

    pools: list = [None]
    try:
        with open_pool(backend, workers, scheduler) as pool:
            pools[0] = pool
            result = _search(spec, evaluate, on_batch)
    finally:
        if bar is not None:
            bar.close()
    write_json(result.to_json(), out / RESULT_JSON)
    return result


def results_frame(result: SearchResult) -> pd.DataFrame:
    """Every run of a search: level and outcome (tidy)."""
    return pd.DataFrame({result.spec.lever: result.levels, result.spec.outcome: result.outcomes.astype(bool)})


def parse_at(items: Sequence[str]) -> dict[str, Any]:
    """``["fee_rate=0.02"]`` -> ``{"fee_rate": 0.02}`` (values read as TOML, else strings)."""
    from clustersim.arguments import parse_assignments

    try:
        return parse_assignments(items)
    except ScenarioError as err:
        raise ScenarioError(
            "command line", "--at", err.value, allowed="write NAME=VALUE, e.g. --at fee_rate=0.02"
        ) from None
