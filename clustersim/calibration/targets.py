"""The targets file of ``clustersim calibrate`` (TOML; format in docs/calibration.md).

Every moment carries ``source``: the published source of its ``value``, or, when no published
figure was found, a ``source`` beginning "none found" and no ``value`` (the moment is then
listed but not fitted).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from clustersim.calibration.moments import COUNTY_STATISTICS, moment_name, statistics
from clustersim.scenario import (
    ScenarioError,
    load_scenario,
    read_toml,
    unknown_key_hint,
    validation_error,
)

NONE_FOUND = "none found"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Parameter(_Strict):
    parameter: str
    range: tuple[float, float] = Field(strict=False)
    label: str = ""

    @model_validator(mode="after")
    def _check(self) -> _Parameter:
        if not self.range[0] < self.range[1]:
            raise ValueError("range must be [low, high] with low < high")
        return self


class _Moment(_Strict):
    statistic: str
    year: Annotated[int, Field(ge=0)]
    county: str | None = None
    value: float | None = Field(default=None, strict=False)
    source: Annotated[str, Field(min_length=1)]
    note: str = ""

    @model_validator(mode="after")
    def _check(self) -> _Moment:
        none = self.source.strip().lower().startswith(NONE_FOUND)
        if self.value is None and not none:
            raise ValueError(f"a moment without a value must say so: source = \"{NONE_FOUND}: ...\"")
        if self.value is not None and none:
            raise ValueError(f"a value needs its published source (source says {NONE_FOUND!r})")
        return self


class _Estimation(_Strict):
    design_points: Annotated[int, Field(ge=4, le=100_000)] = 32
    replicates: Annotated[int, Field(ge=2, le=10_000)] = 4
    stages: Annotated[int, Field(ge=1, le=5)] = 2


class _TargetsSpec(_Strict):
    name: str
    description: str = ""
    scenario: str
    years: Annotated[int, Field(ge=1)] | None = None
    sweep_seed: Annotated[int, Field(ge=0)]
    overrides: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, _Parameter]
    moments: list[_Moment]
    estimation: _Estimation = Field(default_factory=_Estimation)


@dataclass(frozen=True)
class Targets:
    """A validated targets file. ``moments`` are the fitted ones (with a value), ``unfitted``
    those for which no published figure was found."""

    path: Path
    name: str
    description: str
    scenario: Path
    years: int
    sweep_seed: int
    overrides: dict[str, Any]
    parameters: dict[str, tuple[str, float, float, str]]  # name -> (path, low, high, label)
    moments: list[tuple[str, float, str]]  # (moment name, value, source)
    unfitted: list[tuple[str, str]]  # (moment name, source)
    design_points: int
    replicates: int
    stages: int


def load_targets(path: str | Path) -> Targets:
    path = Path(path)
    raw = read_toml(path, "a targets")
    try:
        spec = _TargetsSpec.model_validate(raw)
    except ValidationError as err:
        raise validation_error(path, err, root=_TargetsSpec) from None
    scenario_path = (path.parent / spec.scenario).resolve()
    if not scenario_path.is_file():
        raise ScenarioError(path, "scenario", spec.scenario, f"no such scenario file ({scenario_path})")
    scenario = load_scenario(scenario_path)
    years = spec.years or scenario.years
    if not spec.parameters:
        raise ScenarioError(path, "parameters", {}, "name at least one parameter to estimate")
    known = statistics(scenario.sectors.names)
    counties = _county_names(scenario)
    fitted, unfitted, names = [], [], set()
    for i, m in enumerate(spec.moments):
        if m.statistic not in known:
            hint = unknown_key_hint(m.statistic, list(known), "statistic")
            raise ScenarioError(path, f"moments.{i}.statistic", m.statistic, f"{hint}; allowed: {', '.join(known)}")
        if (m.statistic in COUNTY_STATISTICS) != (m.county is not None):
            raise ScenarioError(path, f"moments.{i}.county", m.county,
                                f"county statistics ({', '.join(COUNTY_STATISTICS)}) need a county; others take none")
        if m.county is not None and m.county not in counties:
            raise ScenarioError(path, f"moments.{i}.county", m.county,
                                f"names no county of the scenario; {unknown_key_hint(m.county, counties, 'county')}")
        if m.year > years:
            raise ScenarioError(path, f"moments.{i}.year", m.year, f"at most the run's {years} years")
        name = moment_name(m.statistic, m.year, m.county)
        if name in names:
            raise ScenarioError(path, f"moments.{i}", name, "each moment once")
        names.add(name)
        if m.value is None:
            unfitted.append((name, m.source))
        else:
            fitted.append((name, float(m.value), m.source))
    if not fitted:
        raise ScenarioError(path, "moments", len(spec.moments), "at least one moment needs a published value")
    params = {k: (p.parameter, float(p.range[0]), float(p.range[1]), p.label or k) for k, p in spec.parameters.items()}
    return Targets(path=path, name=spec.name, description=spec.description, scenario=scenario_path, years=years,
                   sweep_seed=spec.sweep_seed, overrides=dict(spec.overrides), parameters=params, moments=fitted,
                   unfitted=unfitted, design_points=spec.estimation.design_points,
                   replicates=spec.estimation.replicates, stages=spec.estimation.stages)


def _county_names(scenario) -> list[str]:
    from clustersim.geography import build_layout

    layout = build_layout(scenario)
    return [n for n, o in zip(layout.names, layout.is_origin, strict=True) if not o]
