"""The experiment file's schema (pydantic models of its tables, before any path is resolved)
and the one-line error for a file that does not fit it. :mod:`clustersim.sweep.experiment`
turns a file that fits into an :class:`~clustersim.sweep.experiment.Experiment`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clustersim.scenario import (
    ScenarioError,
    annotation_at,
    describe_type_error,
    first_error,
    keys_at,
    unknown_key_hint,
)

DESIGN_KINDS = ("grid", "lhs", "sobol", "morris", "packages")


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


class ExperimentSpec(_Raw):
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


# ------------------------------------------------------------------------------ pydantic errors
def schema_error(path: Path, err: ValidationError) -> ScenarioError:
    """The first problem pydantic found in an experiment file, as one :class:`ScenarioError`."""
    first = first_error(err)
    loc = tuple(first["loc"])
    kind = first["type"]
    # drop pydantic's union-member tags ("bool", "int", ...) from the location
    loc = tuple(p for p in loc if not (isinstance(p, str) and p in ("bool", "int", "float", "str")))
    dotted = ".".join(str(p) for p in loc)
    if kind == "extra_forbidden":
        noun = "table" if isinstance(first["input"], dict) else "key"
        hint = unknown_key_hint(str(loc[-1]), keys_at(loc[:-1], ExperimentSpec), noun)
        return ScenarioError(path, dotted, first["input"], hint)
    if kind == "missing":
        return ScenarioError(path, dotted, allowed="required but missing")
    if kind == "literal_error" and loc == ("design", "kind"):
        return ScenarioError(path, dotted, first["input"], f"unknown design kind; allowed: {', '.join(DESIGN_KINDS)}")
    if kind in ("bool_type", "int_type", "float_type", "string_type") and "values" in loc:
        return ScenarioError(path, dotted, first["input"], "values must be numbers, true/false or strings")
    return ScenarioError(path, dotted, first["input"], describe_type_error(first, annotation_at(loc, ExperimentSpec)))


