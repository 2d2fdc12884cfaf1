"""The experiment file's schema (pydantic models of its tables, before any path is resolved)
and the one-line error for a file that does not fit it. :mod:`clustersim.sweep.experiment`
turns a file that fits into an :class:`~clustersim.sweep.experiment.Experiment`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clustersim.scenario import ScenarioError, first_error, unknown_key_hint, validation_error

DESIGN_KINDS = ("grid", "lhs", "sobol", "morris", "packages")
#: what one run of an experiment is (clustersim.sweep.kinds): a plain run measured by its outcomes, a
#: package withdrawn after T years, or a lever ramped up and back down
EXPERIMENT_KINDS = ("standard", "withdrawal", "ramp")
RAMP_LEVERS = ("subsidy_depth", "fee_rate")


# ------------------------------------------------------------------------------ raw schema
class _Raw(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


Value = bool | int | float | str


class FactorSpec(_Raw):
    parameter: str | None = None
    parameters: list[str] | None = None
    values: list[Value] | None = None
    range: list[float] | None = None
    label: str = ""


class PackageSpec(_Raw):
    label: str = ""
    description: str = ""
    overrides: dict[str, Any] = Field(default_factory=dict)


class DesignSpec(_Raw):
    kind: Literal["grid", "lhs", "sobol", "morris", "packages"] = "grid"
    samples: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    levels: Annotated[int, Field(ge=2, le=1000)] | None = None
    second_order: bool | None = None
    baseline: str | None = None


class WithdrawalSpec(_Raw):
    """``[withdrawal]``: survival is judged ``after`` years after the offer ends (years)."""

    after: Annotated[int, Field(ge=1, le=200)] = 10


class RampSpec(_Raw):
    """``[ramp]``: the focal county's ``lever`` goes through ``steps`` levels from ``range[0]`` to
    ``range[1]`` and back, ``settle`` years at each."""

    lever: Literal["subsidy_depth", "fee_rate"]
    range: list[float]
    steps: Annotated[int, Field(ge=2, le=100)] = 6
    settle: Annotated[int, Field(ge=1, le=200)] = 8


class ExperimentSpec(_Raw):
    kind: Literal["standard", "withdrawal", "ramp"] = "standard"
    name: str
    description: str = ""
    base_scenario: str
    years: Annotated[int, Field(ge=1, le=1000)] | None = None
    replicates: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    sweep_seed: Annotated[int, Field(ge=0, lt=2**63)]
    outcomes: list[str] | None = None
    fiscal_baseline: Literal["initial", "counterfactual"] = "initial"
    overrides: dict[str, Any] = Field(default_factory=dict)
    take_off: dict[str, Any] = Field(default_factory=dict)
    design: DesignSpec = Field(default_factory=DesignSpec)
    levers: dict[str, FactorSpec] = Field(default_factory=dict)
    uncertainties: dict[str, FactorSpec] = Field(default_factory=dict)
    packages: dict[str, PackageSpec] = Field(default_factory=dict)
    withdrawal: WithdrawalSpec | None = None
    ramp: RampSpec | None = None


# ------------------------------------------------------------------------------ pydantic errors
def schema_error(path: Path, err: ValidationError) -> ScenarioError:
    """The first problem pydantic found in an experiment file, as one :class:`ScenarioError`."""
    first = first_error(err)
    loc = tuple(p for p in first["loc"] if p not in ("bool", "int", "float", "str"))
    dotted = ".".join(str(p) for p in loc)
    if first["type"] == "literal_error" and loc == ("design", "kind"):
        return ScenarioError(path, dotted, first["input"], f"unknown design kind; allowed: {', '.join(DESIGN_KINDS)}")
    if first["type"] == "literal_error" and loc in (("kind",), ("ramp", "lever")):
        allowed = EXPERIMENT_KINDS if loc == ("kind",) else RAMP_LEVERS
        noun = "experiment kind" if loc == ("kind",) else "ramp lever"
        hint = unknown_key_hint(str(first["input"]), list(allowed), noun)
        return ScenarioError(path, dotted, first["input"], f"{hint} (allowed: {', '.join(allowed)})"
                             if "did you mean" in hint else hint)
    if first["type"] in ("bool_type", "int_type", "float_type", "string_type") and "values" in loc:
        return ScenarioError(path, dotted, first["input"], "values must be numbers, true/false or strings")
    return validation_error(path, err, root=ExperimentSpec)


