"""Experiment kinds: what one run of an experiment is.

An experiment file's top-level ``kind`` says what each run of its design does:

- ``"standard"`` (the default): the run's scenario for the experiment's years, measured by its
  ``outcomes`` (:func:`clustersim.sweep.runner.run_point`);
- ``"withdrawal"``: the focal county offers its package for T years (the grid lever on
  ``focal_package.duration_years``), then withdraws it; the run lasts until ``after`` + the take-off
  rule's ``hold_years`` years past the withdrawal and records whether the cluster survived
  (:func:`clustersim.thresholds.hysteresis.withdrawal_run`). Settings in ``[withdrawal]``;
- ``"ramp"``: the focal county's subsidy depth or fee rate is raised in ``steps`` levels over
  ``range`` and lowered back, ``settle`` years at each; the run records the focal share at the end
  of every hold (:func:`clustersim.thresholds.hysteresis.ramp_run`). Settings in ``[ramp]``.

Each kind is a sweep like any other (crash-safe, resumable, on every backend, with seeds from the
design rows), and ``clustersim report`` writes the kind's own sections
(:mod:`clustersim.thresholds.lockin_report`). This module checks a kind's settings against the
rest of the experiment and fills in the kind's outcomes and ``study`` settings.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clustersim.params import NO_PACKAGE
from clustersim.scenario import ScenarioError, apply_overrides
from clustersim.sweep.experiment_schema import EXPERIMENT_KINDS, RampSpec, WithdrawalSpec

if TYPE_CHECKING:
    from clustersim.sweep.experiment import Experiment
    from clustersim.sweep.experiment_schema import ExperimentSpec

__all__ = ["EXPERIMENT_KINDS", "KIND_RUN_FNS", "WITHDRAWAL_OUTCOMES", "apply_kind", "ramp_outcomes"]

#: the run function of each kind other than "standard" (importable names, so that workers find them)
KIND_RUN_FNS = {
    "withdrawal": "clustersim.thresholds.hysteresis:withdrawal_run_fn",
    "ramp": "clustersim.thresholds.hysteresis:ramp_run_fn",
}
#: outcomes of a withdrawal run (see :func:`clustersim.thresholds.hysteresis.withdrawal_run`)
WITHDRAWAL_OUTCOMES = (
    "survived",
    "observable",
    "withdrawal_year",
    "mass_at_withdrawal",
    "share_at_withdrawal",
    "share_after",
)

Fail = Callable[..., ScenarioError]


def ramp_outcomes(steps: int) -> tuple[str, ...]:
    """``up_0 .. up_{steps-1}, down_0 .. down_{steps-1}``: the focal share at the end of each hold,
    indexed by the ascending level on both branches."""
    return tuple(f"{b}_{i}" for b in ("up", "down") for i in range(steps))


def apply_kind(exp: Experiment, spec: ExperimentSpec, fail: Fail) -> Experiment:
    """``exp`` with its kind's outcomes and ``study`` settings; ``fail(field, value, allowed, no_value=)``
    builds the one-line error naming the experiment file."""
    kind = spec.kind
    for other in ("withdrawal", "ramp"):
        if other != kind and getattr(spec, other) is not None:
            raise fail(other, allowed=f"a [{other}] table needs kind = {other!r} (this experiment's kind is "
                       f"{kind!r}); remove it or set kind", no_value=True)
    if kind == "standard":
        return exp
    if spec.outcomes is not None:
        raise fail("outcomes", spec.outcomes, f"not used by kind = {kind!r}: its runs record "
                   f"{', '.join(_outcomes_of(kind, spec))} (remove it)")
    if spec.years is not None:
        raise fail("years", spec.years, f"not used by kind = {kind!r}: a run lasts as long as its "
                   f"{'withdrawal and survival window' if kind == 'withdrawal' else 'ramp'} (remove it)")
    if spec.fiscal_baseline != "initial":
        raise fail("fiscal_baseline", spec.fiscal_baseline, f"not used by kind = {kind!r} (remove it)")
    if exp.design_kind != "grid":
        raise fail("design.kind", exp.design_kind, f"kind = {kind!r} runs a grid design (design.kind = 'grid')")
    study = _withdrawal(exp, spec, fail) if kind == "withdrawal" else _ramp(exp, spec, fail)
    return dataclasses.replace(exp, kind=kind, study=study, outcomes=_outcomes_of(kind, spec))


def _outcomes_of(kind: str, spec: ExperimentSpec) -> tuple[str, ...]:
    if kind == "withdrawal":
        return WITHDRAWAL_OUTCOMES
    return ramp_outcomes(spec.ramp.steps if spec.ramp is not None else RampSpec.model_fields["steps"].default)


def _withdrawal(exp: Experiment, spec: ExperimentSpec, fail: Fail) -> dict[str, Any]:
    focal = _focal_package(exp)
    durations = [f for f in exp.factors if f.role == "lever" and f"packages.{focal}.duration_years" in f.paths]
    if focal == NO_PACKAGE or not durations:
        raise fail("levers", allowed="kind = 'withdrawal' needs a lever on focal_package.duration_years (the years "
                   "the focal county's package is offered before it is withdrawn)", no_value=True)
    lever = durations[0]
    bad = next((v for v in lever.values or () if not (isinstance(v, int | float) and math.isfinite(v))), None)
    if bad is not None:
        raise fail(f"levers.{lever.name}.values", bad, "kind = 'withdrawal' needs a finite number of years "
                   "for every duration (the package must end)")
    _one_world_but(exp, lever.name, fail, "kind = 'withdrawal' varies only the duration")
    after = (spec.withdrawal or WithdrawalSpec()).after
    return {"after": after, "lever": lever.name}


def _ramp(exp: Experiment, spec: ExperimentSpec, fail: Fail) -> dict[str, Any]:
    r = spec.ramp
    if r is None:
        raise fail("ramp", allowed="kind = 'ramp' needs a [ramp] table with lever (subsidy_depth or fee_rate) "
                   "and range = [low, high]; steps and settle are optional", no_value=True)
    if len(r.range) != 2 or not all(math.isfinite(x) for x in r.range) or not r.range[0] < r.range[1]:
        raise fail("ramp.range", r.range, "must be [low, high], two finite numbers with low < high")
    low, high = float(r.range[0]), float(r.range[1])
    for v in (low, high):
        try:
            apply_overrides(exp.base, {f"focal.{r.lever}": v}, source=str(exp.path))
        except ScenarioError as err:
            raise fail("ramp.range", r.range, f"focal.{r.lever} {err.allowed}") from None
    if r.lever == "subsidy_depth" and _focal_package(exp) == NO_PACKAGE:
        raise fail("ramp.lever", r.lever, f"the focal county ({exp.focal_county}) offers no package, so its "
                   "subsidy depth changes nothing: give it one (focal.package) or ramp fee_rate")
    _one_world_but(exp, None, fail, "kind = 'ramp' runs one world (the ramp is the lever)")
    return {"lever": r.lever, "low": low, "high": high, "steps": r.steps, "settle": r.settle}


def _one_world_but(exp: Experiment, keep: str | None, fail: Fail, why: str) -> None:
    for f in exp.factors:
        if f.name != keep and len(f.values or ()) > 1:
            where = {"lever": "levers", "uncertainty": "uncertainties"}.get(f.role, "packages")
            raise fail(f"{where}.{f.name}.values", list(f.values or ()), f"{why}: give other factors one value "
                       "(or move them to [overrides])")


def _focal_package(exp: Experiment) -> str:
    """The package the focal county offers in the base scenario (its entry, else every county's default)."""
    for r in exp.base.regions:
        if r.name == exp.focal_county and r.package is not None:
            return r.package
    return exp.base.geography.county.package
