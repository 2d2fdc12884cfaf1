"""Experiment files: TOML in, a validated, picklable :class:`Experiment` out.

An experiment names a base scenario, the factors to vary (``levers``: what a government
chooses; ``uncertainties``: what nobody knows; or named ``packages``), a design, replicates and
a sweep seed. Every problem ends as one :class:`~clustersim.scenario.ScenarioError` naming the
experiment file, the field and what is allowed, e.g.::

    experiments/x.toml: levers.depth.values = 6: focal.subsidy_depth must be between 0 and 5

Parameter paths are the dotted paths of ``clustersim run --set``, including regions by name
(``regions.county_03.fee_rate``) and three shorthands, resolved against the base scenario
(:mod:`clustersim.overrides`):

- ``focal.<field>``: the focal county's ``[[regions]]`` entry (a field of ``params.RegionOverride``;
  the entry is created if missing);
- ``focal_package.<field>``: the package the focal county offers (an error if it offers none);
- ``counties.<field>``: a field of ``[counties]`` (county behaviour) if it is one, otherwise every
  county's default trait ``geography.county.<field>``.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import ValidationError

from clustersim.filekind import require_experiment
from clustersim.overrides import needs_resolving, region_entry
from clustersim.params import NO_PACKAGE, Counties, RegionTraits, Scenario

# The scenario loader's schema walkers and error wording are reused (not copied) so that
# experiment and scenario messages read alike.
from clustersim.scenario import (
    ScenarioError,
    annotation_at,
    apply_overrides,
    load_scenario,
    read_toml,
    type_of,
    unknown_key_hint,
    unwrap,
)
from clustersim.sweep.experiment_schema import DESIGN_KINDS, ExperimentSpec, FactorSpec, schema_error
from clustersim.sweep.outcomes import outcome_names

__all__ = ["DESIGN_KINDS", "RESERVED_NAMES", "Experiment", "Factor", "experiment_from_dict", "load_experiment"]

RANGE_KINDS = ("lhs", "sobol", "morris")
#: names a factor may not take: design and result columns
RESERVED_NAMES = frozenset({"run_id", "point_id", "sample_index", "replicate", "seed", "status", "error",
                            "attempt", "model_seconds", "finished_at", "package"})
NAME = r"[A-Za-z0-9_-]+"
FACTOR_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
#: grid and packages designs up to this many points have every point applied to the base at load time
CHECK_POINTS_UP_TO = 1000


# ------------------------------------------------------------------------------ validated objects
@dataclass(frozen=True)
class Factor:
    """One dimension of a design.

    ``parameters`` are the paths as written in the file (shorthands kept); ``paths`` the dotted
    paths of :func:`~clustersim.scenario.apply_overrides` they resolve to. ``values`` (grid and
    packages designs) or ``low``/``high`` (lhs, sobol, morris). ``kind`` is the type the
    parameters take: "float", "int" (sampled values are rounded), "bool" or "str" (package names
    for the "package" factor).
    """

    name: str
    role: Literal["lever", "uncertainty", "package"]
    parameters: tuple[str, ...]
    values: tuple | None
    low: float | None
    high: float | None
    label: str
    paths: tuple[str, ...] = ()
    kind: Literal["float", "int", "bool", "str"] = "float"

    def coerce(self, value: Any) -> Any:
        """A design value (possibly a numpy scalar read back from Parquet) as the Python type
        the parameter takes."""
        if self.kind == "str":
            return str(value)
        if self.kind == "bool":
            return bool(value)
        number = float(value)
        if self.kind == "int":
            if not number.is_integer():
                raise ValueError(f"factor {self.name!r} takes whole numbers, got {value!r}")
            return int(number)
        return number

    def to_meta(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "role": self.role, "parameters": list(self.parameters),
                               "paths": list(self.paths), "kind": self.kind, "label": self.label}
        if self.values is not None:
            out["values"] = list(self.values)
        else:
            out["low"], out["high"] = self.low, self.high
        return out


@dataclass(frozen=True, eq=False)
class Experiment:
    """A validated experiment. ``base`` is the base scenario with the file's ``[overrides]``,
    ``years`` and ``[take_off]`` applied (and the focal county's ``[[regions]]`` entry created
    when a ``focal.`` path needs it). Picklable: it holds only plain data and pydantic models."""

    path: Path
    name: str
    description: str
    base: Scenario
    replicates: int
    sweep_seed: int
    outcomes: tuple[str, ...]
    fiscal_baseline: str
    design_kind: str
    samples: int | None
    levels: int | None
    second_order: bool
    factors: tuple[Factor, ...]
    packages: dict[str, dict[str, Any]]  # package name -> resolved dotted overrides
    package_labels: dict[str, str] = field(default_factory=dict)
    focal_county: str = ""
    #: packages designs: the package the report measures the others against (``[design] baseline``);
    #: a reporting choice, not part of :meth:`settings` (it changes no run)
    baseline_package: str | None = None
    #: the experiment as a plain dict when it was given as one (:func:`experiment_from_dict`), not as
    #: a file; a sweep folder keeps it as ``experiment.json`` instead of a copy of the file
    document: dict[str, Any] | None = None
    #: what one run is: "standard", "withdrawal" or "ramp" (:mod:`clustersim.sweep.kinds`), and the
    #: kind's settings (``[withdrawal]`` / ``[ramp]``, checked)
    kind: str = "standard"
    study: dict[str, Any] = field(default_factory=dict)

    def overrides_for(self, point: Mapping[str, Any]) -> dict[str, Any]:
        """Dotted overrides (resolved paths) that turn ``base`` into the point's scenario. Keys
        of ``point`` that name no factor (e.g. a whole design row) are ignored."""
        out: dict[str, Any] = {}
        for f in self.factors:
            if f.name not in point:
                raise ValueError(f"point has no value for factor {f.name!r}: {dict(point)!r}")
            value = f.coerce(point[f.name])
            if f.role == "package":
                if value not in self.packages:
                    raise ValueError(f"no package {value!r}; known: {', '.join(self.packages)}")
                out.update(self.packages[value])
            else:
                out.update({p: value for p in f.paths})
        return out

    def scenario_for(self, point: Mapping[str, Any], seed: int) -> Scenario:
        """The scenario of one run: ``base`` with the point's factor values and ``seed``."""
        overrides = self.overrides_for(point)
        overrides["seed"] = int(seed)
        return apply_overrides(self.base, overrides, source=str(self.path))

    def counterfactual_for(self, point: Mapping[str, Any], seed: int) -> Scenario:
        """The run's fiscal counterfactual: its scenario with the focal county offering no
        package (every other setting, and the seed, kept)."""
        from clustersim.counterfactual import without_focal_package

        return without_focal_package(self.scenario_for(point, seed), self.focal_county)

    def settings(self) -> dict[str, Any]:
        """Everything that changes a run's result apart from its point and seed (JSON-able)."""
        out = {
            "base": self.base.model_dump(mode="json"),
            "factors": {f.name: {"paths": list(f.paths), "kind": f.kind} for f in self.factors},
            "packages": self.packages,
            "outcomes": list(self.outcomes),
            "fiscal_baseline": self.fiscal_baseline,
        }
        if self.kind != "standard":  # standard experiments keep the fingerprints they had before kinds
            out.update(kind=self.kind, study=self.study)
        return out

    def settings_fingerprint(self) -> str:
        import hashlib

        text = json.dumps(self.settings(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------ loading
def load_experiment(path: str | Path, *, replicates: int | None = None, years: int | None = None) -> Experiment:
    """Read and validate an experiment file; ``replicates`` and ``years`` (if given) replace the file's.

    Raises :class:`~clustersim.scenario.ScenarioError` (one line: file, field, value, what is
    allowed) for any problem: the file itself, TOML syntax, unknown keys, types and ranges, a
    parameter path that names no model parameter, a value the parameter does not accept, the
    base scenario, the design and the outcomes.
    """
    path = Path(path)
    raw = read_toml(path, "an experiment")
    require_experiment(path, raw)
    if years is not None:
        raw["years"] = years
    return _load(raw, path, path.parent, replicates, "--replicates")


def experiment_from_dict(raw: Mapping[str, Any], *, base_dir: str | Path | None = None, replicates: int | None = None,
                         years: int | None = None, source: str = "experiment()") -> Experiment:
    """An experiment given as a dict with the fields of an experiment file (``levers``,
    ``uncertainties``, ``design`` ... as nested dicts). ``base_scenario`` is a scenario file
    (relative to ``base_dir``, default the current folder) or the name of a shipped scenario.
    ``source`` names the dict in error messages. Validated exactly as :func:`load_experiment`."""
    from clustersim.overrides import plain_value

    document = plain_value(dict(raw))
    if years is not None:
        document["years"] = plain_value(years)
    base = Path.cwd() if base_dir is None else Path(base_dir)
    given = document.get("base_scenario")
    if isinstance(given, str) and not Path(given).is_absolute() and (base / given).is_file():
        document["base_scenario"] = str((base / given).resolve())  # the kept document stands alone
    exp = _load(document, Path(source), base, replicates, "replicates")
    object.__setattr__(exp, "document", document)
    return exp


def _load(raw: dict[str, Any], path: Path, base_dir: Path, replicates: int | None,
          replicates_source: str) -> Experiment:
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as err:
        raise schema_error(path, err) from None
    if replicates is not None:
        if isinstance(replicates, bool) or not isinstance(replicates, int | np.integer) or replicates < 1:
            raise ScenarioError(replicates_source, "replicates", replicates, "must be a whole number, at least 1")
        spec.replicates = int(replicates)
    return _Builder(path, spec, base_dir).build()


class _Builder:
    """Turns a schema-valid spec into an :class:`Experiment`, checking everything that needs the
    base scenario."""

    def __init__(self, path: Path, spec: ExperimentSpec, base_dir: Path | None = None):
        self.path, self.spec = path, spec
        self.base_dir = path.parent if base_dir is None else base_dir

    def fail(self, field_: str, value: Any = None, allowed: str = "", *, no_value: bool = False) -> ScenarioError:
        return ScenarioError(self.path, field_, allowed=allowed) if no_value \
            else ScenarioError(self.path, field_, value, allowed)

    # -------------------------------------------------------------- top level
    def build(self) -> Experiment:
        spec = self.spec
        if not re.fullmatch(NAME, spec.name):
            raise self.fail("name", spec.name, "letters, digits, '_' and '-' only")
        kind = spec.design.kind
        self._check_design_fields(kind)
        base = load_scenario(self._base_path())  # its own errors name the scenario file
        self._apply_overrides(self._apply_top(base))
        outcomes = self._outcomes()
        factors = self._factors(kind)
        packages, labels = self._packages()
        if kind == "packages":
            names = tuple(packages)
            factors = (Factor("package", "package", (), names, None, None, "package", (), "str"), *factors)
        exp = Experiment(
            path=self.path, name=spec.name, description=spec.description, base=self._base,
            replicates=spec.replicates, sweep_seed=spec.sweep_seed, outcomes=outcomes,
            fiscal_baseline=spec.fiscal_baseline, design_kind=kind, samples=spec.design.samples,
            levels=(spec.design.levels or 4) if kind == "morris" else None,
            second_order=bool(spec.design.second_order) if kind == "sobol" else False,
            factors=factors, packages=packages, package_labels=labels, focal_county=self.focal,
            baseline_package=spec.design.baseline,
        )
        if kind in ("grid", "packages"):
            self._check_points(exp)
        from clustersim.sweep.kinds import apply_kind

        return apply_kind(exp, spec, self.fail)

    def _check_design_fields(self, kind: str) -> None:
        d = self.spec.design
        if kind in ("grid", "packages") and d.samples is not None:
            raise self.fail("design.samples", d.samples, f"not used by kind = {kind!r} (remove it)")
        if kind in RANGE_KINDS and d.samples is None:
            what = {"lhs": "points", "sobol": "N, a power of two", "morris": "trajectories r"}[kind]
            raise self.fail("design.samples", allowed=f"required for kind = {kind!r} ({what})", no_value=True)
        if kind == "sobol" and d.samples is not None and d.samples & (d.samples - 1):
            raise self.fail("design.samples", d.samples, "must be a power of two for kind = 'sobol'")
        if d.levels is not None and kind != "morris":
            raise self.fail("design.levels", d.levels, "only used by kind = 'morris' (remove it)")
        if d.levels is not None and d.levels % 2:
            raise self.fail("design.levels", d.levels, "must be an even number (Morris grid jump levels/2)")
        if d.second_order is not None and kind != "sobol":
            raise self.fail("design.second_order", d.second_order, "only used by kind = 'sobol' (remove it)")
        if d.baseline is not None and kind != "packages":
            raise self.fail("design.baseline", d.baseline, "only used by kind = 'packages' (remove it)")
        if kind == "packages":
            if not self.spec.packages:
                raise self.fail("packages", allowed="kind = 'packages' needs at least one [packages.<name>] table",
                                no_value=True)
            if d.baseline is not None and d.baseline not in self.spec.packages:
                raise self.fail("design.baseline", d.baseline,
                                f"must name one of the [packages.*] tables: {', '.join(self.spec.packages)}")
            if self.spec.levers:
                name = next(iter(self.spec.levers))
                raise self.fail(f"levers.{name}", allowed="kind = 'packages' takes no levers (the packages are "
                                "the levers); uncertainties with values may be crossed with them", no_value=True)
        elif self.spec.packages:
            name = next(iter(self.spec.packages))
            raise self.fail(f"packages.{name}", allowed=f"[packages.*] tables need design.kind = 'packages' "
                            f"(kind is {kind!r})", no_value=True)

    def _base_path(self) -> Path:
        given = Path(self.spec.base_scenario)
        base_path = given if given.is_absolute() else self.base_dir / given
        if not base_path.is_file() and given.suffix != ".toml" and len(given.parts) == 1:
            from clustersim.configs import shipped_scenarios

            base_path = shipped_scenarios().get(str(given), base_path)  # the name of a shipped scenario
        if not base_path.is_file():
            where = "is a folder" if base_path.is_dir() else "no such file"
            raise self.fail("base_scenario", self.spec.base_scenario,
                            f"{where} ({base_path.resolve()}); give a scenario file relative to the experiment file")
        return base_path

    def _apply_top(self, base: Scenario) -> Scenario:
        """``years`` and ``[take_off]``."""
        if self.spec.years is not None:
            base = apply_overrides(base, {"years": self.spec.years})
        if self.spec.take_off:
            try:
                base = apply_overrides(base, {f"take_off.{k}": v for k, v in self.spec.take_off.items()})
            except ScenarioError as err:
                raise self.fail(err.field, err.value, err.allowed) from None
        return base

    def _apply_overrides(self, base: Scenario) -> None:
        """``[overrides]``: plain paths first (they may change the focal county), then shorthands."""
        self._base = base
        plain = {k: (k, v) for k, v in self.spec.overrides.items() if not _is_shorthand(k)}
        self._apply_checked(plain, "overrides")
        self.focal = _focal_name(self._base)
        short = {k: v for k, v in self.spec.overrides.items() if _is_shorthand(k)}
        focal_package = self._focal_package(short)
        resolved = {k: (self._resolve(k, f'overrides."{k}"', focal_package), v) for k, v in short.items()}
        self._apply_checked(resolved, "overrides")

    def _apply_checked(self, overrides: dict[str, tuple[str, Any]], where: str, *, keep: bool = True) -> None:
        """Apply ``{written key: (real path, value)}`` to the base at once (``keep``: as the new
        base); on failure name the first key that fails alone, else the table."""
        if not overrides:
            return
        try:
            result = apply_overrides(self._base, dict(overrides.values()), source=str(self.path))
        except ScenarioError as whole:
            inside = _key_holding(whole.field, overrides)
            if inside is not None:  # the error is within one key's value (a nested package, tier, schedule)
                key, rest = inside
                raise ScenarioError(self.path, f'{where}."{key}"{rest}', whole.value, whole.allowed) from None
            for key, (real, value) in overrides.items():
                try:
                    apply_overrides(self._base, {real: value})
                except ScenarioError as err:
                    raise self.fail(f'{where}."{key}"', value, _without_path(err, real)) from None
            raise self.fail(where, allowed=f"together these give an invalid scenario: {_without_path(whole)}",
                            no_value=True) from None
        if keep:
            self._base = result

    # -------------------------------------------------------------- parameter paths
    def _focal_index(self) -> int:
        """Index of the focal county's [[regions]] entry in ``self._base``, created if missing."""
        for i, r in enumerate(self._base.regions):
            if r.name == self.focal:
                return i
        regions = [*self._base.model_dump()["regions"], {"name": self.focal}]
        self._base = apply_overrides(self._base, {"regions": regions})
        return len(regions) - 1

    def _focal_package(self, overrides: Mapping[str, Any]) -> str:
        """The package the focal county offers: ``overrides["focal.package"]`` if set, else the base's."""
        if "focal.package" in overrides and isinstance(overrides["focal.package"], str):
            return overrides["focal.package"]
        for r in self._base.regions:
            if r.name == self.focal and r.package is not None:
                return r.package
        return self._base.geography.county.package

    def _resolve(self, dotted: str, where: str, focal_package: str) -> str:
        """The real dotted path of ``dotted``; ``where`` names the field in errors."""
        head, _, rest = dotted.partition(".")
        name, _, field_ = rest.partition(".")
        if head == "regions" and field_ and not name.isdigit():  # a region by name
            self._base, i = region_entry(self._base, name, lambda allowed: self.fail(where, dotted, allowed))
            return f"regions.{i}.{field_}"
        if head == "focal" and rest:
            return f"regions.{self._focal_index()}.{rest}"
        if head == "focal_package" and rest:
            if focal_package == NO_PACKAGE:
                raise self.fail(where, dotted, f"the focal county ({self.focal}) offers no package in the base "
                                "scenario, so focal_package.* names nothing")
            return f"packages.{focal_package}.{rest}"
        if head == "counties" and rest:
            first = rest.split(".")[0]
            if first in Counties.model_fields:
                return dotted
            if first in RegionTraits.model_fields:
                return f"geography.county.{rest}"
            keys = [*Counties.model_fields, *RegionTraits.model_fields]
            raise self.fail(where, dotted, unknown_key_hint(first, keys, "key (of [counties] or geography.county)"))
        return dotted

    def _check_path(self, real: str, where: str, written: str) -> None:
        """``real`` must name an existing field (a leaf or a table) of the base scenario."""
        node: Any = self._base.model_dump()
        parts = real.split(".")
        for depth, part in enumerate(parts):
            so_far = ".".join(parts[:depth]) or "scenario"
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise self.fail(where, written, f"names no model parameter: {so_far} has items 0..{len(node) - 1}")
                node = node[int(part)]
            elif isinstance(node, dict):
                if part not in node:
                    hint = unknown_key_hint(part, list(node))
                    raise self.fail(where, written, f"names no model parameter: {part!r} in {so_far}: {hint}")
                node = node[part]
            else:
                raise self.fail(where, written, f"names no model parameter: {so_far} is a single value, not a table")

    def _kind(self, real: str) -> str | None:
        """Type of the parameter at ``real``: 'float', 'int', 'bool', 'str', or None if unknown."""
        loc = tuple(int(p) if p.isdigit() else p for p in real.split("."))
        ann = annotation_at(loc)
        if ann is None:
            return None
        kind = unwrap(type_of(ann))
        args = [a for a in typing.get_args(kind) if a is not type(None)] if typing.get_origin(kind) else []
        for typ, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
            if kind is typ or typ in args:
                return name
        return None

    # -------------------------------------------------------------- factors
    def _factors(self, kind: str) -> tuple[Factor, ...]:
        spec = self.spec
        both = set(spec.levers) & set(spec.uncertainties)
        if both:
            name = sorted(both)[0]
            raise self.fail(f"uncertainties.{name}", allowed="a factor may not be both a lever and an uncertainty",
                            no_value=True)
        out = []
        for role, table in (("lever", spec.levers), ("uncertainty", spec.uncertainties)):
            for name, fs in table.items():
                out.append(self._factor(role, name, fs, kind))
        if kind in RANGE_KINDS and not out:
            raise self.fail("uncertainties", allowed=f"kind = {kind!r} needs at least one lever or uncertainty "
                            "with a range", no_value=True)
        return tuple(out)

    def _factor(self, role: str, name: str, fs: FactorSpec, kind: str) -> Factor:
        where = f"{ {'lever': 'levers', 'uncertainty': 'uncertainties'}[role]}.{name}"
        if name == "package":
            raise self.fail(where, allowed="the name 'package' is reserved for the packages design", no_value=True)
        if not re.fullmatch(FACTOR_NAME, name) or name in RESERVED_NAMES or name in outcome_names(self._base):
            raise self.fail(where, allowed="factor names are letters, digits and '_' (not starting with a digit) "
                            "and may not be a design or outcome column name", no_value=True)
        if (fs.parameter is None) == (fs.parameters is None):
            raise self.fail(f"{where}.parameter", allowed="give exactly one of parameter = \"path\" or "
                            "parameters = [\"path\", ...]", no_value=True)
        written = (fs.parameter,) if fs.parameter is not None else tuple(fs.parameters or ())
        pfield = f"{where}.parameter" if fs.parameter is not None else f"{where}.parameters"
        if not written:
            raise self.fail(pfield, [], "must name at least one parameter")
        if len(set(written)) != len(written):
            raise self.fail(pfield, list(written), "must not repeat a parameter")
        focal_package = self.focal_package
        paths = []
        for w in written:
            real = self._resolve(w, pfield, focal_package)
            self._check_path(real, pfield, w)
            paths.append(real)
        kinds = {self._kind(p) for p in paths}
        # values / range
        if fs.values is not None and fs.range is not None:
            raise self.fail(f"{where}.range", fs.range, "give values or range, not both")
        if kind in ("grid", "packages"):
            if fs.values is None:
                raise self.fail(f"{where}.values", allowed=f"required for design.kind = {kind!r} "
                                "(a list of values; range is for lhs, sobol, morris)", no_value=True)
        elif fs.range is None:
            raise self.fail(f"{where}.range", allowed=f"required for design.kind = {kind!r}: [low, high] "
                            "(values are for grid designs)", no_value=True)
        label = fs.label or name.replace("_", " ")
        if fs.values is not None:
            values = self._values(fs.values, f"{where}.values")
            fkind = self._value_kind(values, kinds, f"{where}.values", written)
            factor = Factor(name, role, written, tuple(values), None, None, label, tuple(paths), fkind)  # type: ignore[arg-type]
            for v in values:
                self._try(factor, v, f"{where}.values")
            return factor
        low_high = fs.range or []
        if len(low_high) != 2 or not all(math.isfinite(x) for x in low_high) or not low_high[0] < low_high[1]:
            raise self.fail(f"{where}.range", low_high, "must be [low, high], two finite numbers with low < high")
        low, high = float(low_high[0]), float(low_high[1])
        if kinds & {"bool", "str"}:
            raise self.fail(f"{where}.range", low_high, "a range needs numeric parameters; "
                            f"{', '.join(written)} take {'/'.join(sorted(k for k in kinds if k))}")
        fkind = "int" if kinds == {"int"} else "float"
        factor = Factor(name, role, written, None, low, high, label, tuple(paths), fkind)  # type: ignore[arg-type]
        for bound, v in (("low", low), ("high", high)):
            self._try(factor, v if fkind == "float" else round(v), f"{where}.range", shown=f"{bound} {v:g}")
        return factor

    def _values(self, values: list[Any], where: str) -> list[Any]:
        if not values:
            raise self.fail(where, [], "must hold at least one value")
        seen = set()
        for v in values:
            if isinstance(v, float) and not math.isfinite(v):
                raise self.fail(where, values, "values must be finite numbers")
            key = _norm(v)
            key = (type(key).__name__, key)
            if key in seen:
                raise self.fail(where, values, f"value {v!r} is listed twice")
            seen.add(key)
        types = {"bool" if isinstance(v, bool) else "str" if isinstance(v, str) else "number" for v in values}
        if len(types) > 1:
            raise self.fail(where, values, "values must be all numbers, all true/false or all strings")
        return list(values)

    def _value_kind(self, values: list[Any], kinds: set[str | None], where: str, parameters: Sequence[str]) -> str:
        first = values[0]
        if isinstance(first, bool):
            return "bool"
        if isinstance(first, str):
            return "str"
        if kinds == {"int"}:
            bad = [v for v in values if not float(v).is_integer()]
            if bad:
                raise self.fail(where, bad[0], f"{', '.join(parameters)} takes whole numbers")
            return "int"
        return "float"

    def _try(self, factor: Factor, value: Any, where: str, shown: str | None = None) -> None:
        """Apply ``value`` to the base scenario; any failure is an error at ``where``."""
        try:
            apply_overrides(self._base, {p: factor.coerce(value) for p in factor.paths}, source=str(self.path))
        except (ScenarioError, ValueError) as err:
            if isinstance(err, ScenarioError):
                written = dict(zip(factor.paths, factor.parameters, strict=True)).get(err.field, err.field)
                text = f"{written} {err.allowed}" if written == err.field or err.field in factor.paths \
                    else f"{err.field}: {err.allowed}"
            else:
                text = str(err)
            raise self.fail(where, value if shown is None else shown, text) from None

    # -------------------------------------------------------------- packages
    def _packages(self) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        out: dict[str, dict[str, Any]] = {}
        labels: dict[str, str] = {}
        for name, ps in self.spec.packages.items():
            where = f"packages.{name}"
            if not re.fullmatch(NAME, name):
                raise self.fail(where, allowed="package names are letters, digits, '_' and '-'", no_value=True)
            focal_package = self._focal_package(ps.overrides) if "focal.package" in ps.overrides \
                else self.focal_package
            resolved = {k: (self._resolve(k, f'{where}.overrides."{k}"', focal_package), v)
                        for k, v in ps.overrides.items()}
            self._apply_checked(resolved, f"{where}.overrides", keep=False)
            resolved = dict(resolved.values())
            out[name] = resolved
            labels[name] = ps.label or name.replace("_", " ")
        return out, labels

    # -------------------------------------------------------------- outcomes, points
    def _outcomes(self) -> tuple[str, ...]:
        known = outcome_names(self._base)
        if self.spec.outcomes is None or self.spec.kind != "standard":  # other kinds: sweep.kinds decides
            return tuple(known)
        if not self.spec.outcomes:
            raise self.fail("outcomes", [], "must name at least one outcome (or leave it out for all)")
        for i, name in enumerate(self.spec.outcomes):
            if name not in known:
                close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise self.fail(f"outcomes.{i}", name, f"unknown outcome; {hint}allowed: {', '.join(known)}")
        if len(set(self.spec.outcomes)) != len(self.spec.outcomes):
            raise self.fail("outcomes", self.spec.outcomes, "must not repeat an outcome")
        return tuple(self.spec.outcomes)

    def _check_points(self, exp: Experiment) -> None:
        """Every point of a (not too large) grid applied to the base: catches combinations that
        are invalid although each value alone is fine (cross-field rules)."""
        n = math.prod(len(f.values or ()) for f in exp.factors)
        if n > CHECK_POINTS_UP_TO:
            return
        import itertools

        for combo in itertools.product(*(f.values or () for f in exp.factors)):
            point = dict(zip((f.name for f in exp.factors), combo, strict=True))
            try:
                exp.scenario_for(point, 0)
            except ScenarioError as err:
                raise self.fail("design", point, f"this point gives an invalid scenario: {err.field}: "
                                f"{err.allowed}") from None

    @property
    def focal_package(self) -> str:
        return self._focal_package({})


# ------------------------------------------------------------------------------ helpers
def _is_shorthand(dotted: str) -> bool:
    return needs_resolving(dotted)


def _focal_name(scenario: Scenario) -> str:
    """``scenario.focal_county``, or the first county of its layout."""
    from clustersim.geography import RegionFileError, focal_county_name

    try:
        return focal_county_name(scenario)
    except RegionFileError as err:
        raise ScenarioError(err.path, err.field, err.value, err.allowed) from None


def _key_holding(field_: str, overrides: Mapping[str, tuple[str, Any]]) -> tuple[str, str] | None:
    """``(written key, rest of the field)`` of the override whose real path holds ``field_`` (the
    longest such path; rest empty or starting with "."), e.g. ``packages.p.rebate_schedule.0`` in
    ``{"packages.p": ...}`` gives ``("packages.p", ".rebate_schedule.0")``; None if none holds it."""
    holding = [(len(real), key, field_[len(real):]) for key, (real, _) in overrides.items()
               if field_ == real or field_.startswith(real + ".")]
    if not holding:
        return None
    _, key, rest = max(holding, key=lambda h: h[0])
    return key, rest


def _without_path(err: ScenarioError, path: str = "") -> str:
    """What a scenario error says is allowed, prefixed by its field unless that is ``path``."""
    return f"{err.field}: {err.allowed}" if err.field and err.field != path else err.allowed


def _norm(value: Any) -> bool | float | str:
    """A factor value in canonical form: bools and strings as is, numbers as float."""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    return float(value)


def point_key(point: Mapping[str, Any]) -> str:
    """Canonical JSON of ``{factor name: value}`` (sorted keys, numbers as floats): the text
    hashed into a point's id."""
    return json.dumps({n: _norm(v) for n, v in point.items()}, sort_keys=True, separators=(",", ":"),
                      allow_nan=False)
