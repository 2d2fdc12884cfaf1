"""Scenario files: TOML in, a validated :class:`~clustersim.params.Scenario` out.

Every problem with a scenario (the file, its regions CSV, or a name that points nowhere) ends
as one :class:`ScenarioError`, whose message is a single line::

    scenarios/x.toml: firms.review_rate = 1.5: must be between 0 and 1
    scenarios/x.toml: firms.reveiw_rate = 0.1: unknown key; did you mean 'review_rate'?

A regions CSV path in ``[geography] csv`` is resolved against the scenario file's folder when
the file is loaded, so the returned :class:`Scenario` is self-contained (it can be handed to
``ClusterModel`` or shipped to a worker process without knowing where it came from).
"""

from __future__ import annotations

import difflib
import enum
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from clustersim.geography import RegionFileError, build_layout
from clustersim.params import NO_PACKAGE, Scenario
from clustersim.plugins import PluginError

__all__ = ["ScenarioError", "annotation_at", "apply_overrides", "build_model", "describe_type_error", "keys_at",
           "load_scenario", "type_of", "unknown_key_hint", "unwrap", "validate_scenario", "validation_error"]

class _Missing(enum.Enum):
    """Marks "no value to show" (an enum member, so it survives pickling as itself)."""

    NO_VALUE = "no value"


_NO_VALUE = _Missing.NO_VALUE


class ScenarioError(ValueError):
    """A scenario cannot be used. ``str()`` is one line: ``<file>: <field> = <value>: <allowed>``.

    Attributes: ``path`` (the file at fault, or a label such as ``--set``), ``field`` (dotted
    location, e.g. ``packages.district.rebate_schedule.3``), ``value`` (what was found) and
    ``allowed`` (what would be accepted).
    """

    def __init__(self, path: Path | str, field: str, value: object = _NO_VALUE, allowed: str = ""):
        self.path, self.field, self.value, self.allowed = path, field, value, allowed
        shown = "" if value is _NO_VALUE else f" = {format_value(value)}"
        text = f"{path}: {field}{shown}: {allowed}"
        super().__init__(" ".join(text.split()))  # one line, whatever the parts hold

    def __reduce__(self):  # picklable, e.g. raised in a sweep's worker process
        return type(self), (self.path, self.field, self.value, self.allowed)


def format_value(value: object, limit: int = 60) -> str:
    """A short, single-line rendering of a value as the user wrote it (TOML-like)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {format_value(v, limit)}" for k, v in value.items()) + "}"
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(format_value(v, limit) for v in value) + "]"
    elif isinstance(value, str | Path):
        text = repr(str(value))
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------------------ loading
def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file.

    Raises :class:`ScenarioError` for a missing or unreadable file, a TOML syntax error, an
    unknown key, a value of the wrong type or out of range, or a package name that names no
    package. The regions CSV (if any) is only read when the model is built (:func:`build_model`).
    """
    from clustersim.filekind import require_scenario

    path = Path(path)
    raw = read_toml(path, "a scenario")
    require_scenario(path, raw)
    scenario = validate_scenario(raw, source=path, folder=path.parent)
    geo = scenario.geography
    for key in ("csv", "geojson", "traits_csv"):
        value = getattr(geo, key)
        if value is not None and not value.is_absolute():
            setattr(geo, key, (path.parent / value).resolve())
    return scenario


def read_toml(path: Path, kind: str) -> dict[str, Any]:
    """The parsed TOML document at ``path`` (a ``kind`` file, e.g. "scenario"); ScenarioError for
    a missing, unreadable or syntactically broken file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, "file", allowed=f"no such file ({path.resolve()})") from None
    except IsADirectoryError:
        raise ScenarioError(path, "file", allowed=f"is a folder, not {kind} file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(path, "file", allowed=f"cannot be read as UTF-8 text: {err}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _syntax_error(path, err) from None


def validate_scenario(raw: dict[str, Any], source: Path | str = "<scenario>", folder: Path | None = None) -> Scenario:
    """Validate a plain dict (a parsed TOML document) into a :class:`Scenario`.

    ``source`` names the origin in error messages; ``folder`` (the scenario file's) is where
    plug-in modules are looked for first.
    """
    try:
        return Scenario.model_validate(raw, context={"folder": folder} if folder is not None else None)
    except ValidationError as err:
        raise validation_error(source, err, raw=raw) from None


def apply_overrides(scenario: Scenario, overrides: dict[str, Any], source: str = "apply_overrides()") -> Scenario:
    """A copy of ``scenario`` with dotted fields replaced, e.g. ``{"firms.review_rate": 0.1}``,
    re-validated as a whole. List items are addressed by index (``regions.0.fee_rate``); region
    names (``regions.county_01.fee_rate``) and the shorthands ``focal.*``, ``focal_package.*`` and
    ``counties.*`` are resolved as :mod:`clustersim.overrides` describes. numpy values are accepted.
    ``source`` names the origin of the overrides in error messages (a file, ``--set``, a call)."""
    from clustersim.overrides import needs_resolving, plain_value, resolve

    overrides = {key: plain_value(value) for key, value in overrides.items()}
    try:
        if any(needs_resolving(key) for key in overrides):
            return resolve(scenario, overrides, source)
        return apply_plain(scenario, overrides, source)
    except ScenarioError as err:
        from clustersim.params import RegionTraits

        if err.field in RegionTraits.model_fields and err.field not in Scenario.model_fields:  # a bare county trait
            f = err.field
            raise ScenarioError(err.path, f, err.value, f"unknown key; a county's trait: write focal.{f} (the focal "
                                f"county), regions.<name>.{f} or counties.{f} (every county); as a keyword, "
                                f"focal__{f}") from None
        raise


def apply_plain(scenario: Scenario, overrides: dict[str, Any], source: str) -> Scenario:
    """:func:`apply_overrides` for plain dotted paths (no shorthands, regions by index)."""
    data = scenario.model_dump()
    for dotted, value in overrides.items():
        node: Any = data
        parts = dotted.split(".")
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise ScenarioError(source, dotted, value,
                                        f"{'.'.join(parts[:depth]) or 'scenario'} has items 0..{len(node) - 1}")
                key: Any = int(part)
            elif isinstance(node, dict):
                key = part
                if key not in node and not last:
                    raise ScenarioError(source, dotted, value, unknown_key_hint(part, list(node)))
            else:
                raise ScenarioError(source, dotted, value,
                                    f"{'.'.join(parts[:depth])} is a single value, not a table")
            if last:
                node[key] = value
            else:
                node = node[key]
    return validate_scenario(data, source=source)


def _syntax_error(path: Path, err: tomllib.TOMLDecodeError) -> ScenarioError:
    msg = str(err)
    where = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    if where:
        msg = msg[: where.start()].strip()
        return ScenarioError(path, f"line {where.group(1)}, column {where.group(2)}",
                             allowed=f"invalid TOML: {msg}")
    return ScenarioError(path, "TOML", allowed=f"invalid TOML: {msg}")


# ------------------------------------------------------------------------------ pydantic errors
def first_error(err: ValidationError) -> dict[str, Any]:
    """The error to report: an unknown key before anything else (a misspelt key also shows up as
    the right key "missing", and the misspelling is what the user has to fix), else the first."""
    errors = err.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


_UNION_TAGS = ("bool", "int", "float", "str")


def validation_error(source: Path | str, err: ValidationError, root: type[BaseModel] = Scenario,
                     raw: dict[str, Any] | None = None, prefix: str = "") -> ScenarioError:
    """The first problem pydantic found in a file checked against ``root`` (a scenario, an
    experiment, a calibration's targets, a plug-in's parameters), as one :class:`ScenarioError`:
    an unknown key with its did-you-mean, a missing key, a validator's message, or what the
    field allows. ``raw`` (the file's table) lets a scenario's validators name the value."""
    first = first_error(err)
    # pydantic names the member of a union it tried ("int", "str", ...) in the location: not a key
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
    kind = first["type"]
    dotted = prefix + ".".join(str(p) for p in loc)
    if kind == "extra_forbidden":
        allowed_keys = keys_at(loc[:-1], root)
        noun = "table" if isinstance(first["input"], dict) else "key"
        return ScenarioError(source, dotted, first["input"], unknown_key_hint(str(loc[-1]), allowed_keys, noun))
    if kind == "value_error":
        plugin = first.get("ctx", {}).get("error")
        if isinstance(plugin, PluginError):
            return _plugin_error(source, plugin)
        if root is Scenario and raw is not None:
            return _validator_error(source, raw, loc, first)
        return ScenarioError(source, dotted or prefix.rstrip("."),
                             allowed=re.sub(r"^(Value|Assertion) error, ", "", first["msg"]))
    if kind == "missing":
        return ScenarioError(source, dotted, allowed="required but missing")
    return ScenarioError(source, dotted, first["input"], describe_type_error(first, annotation_at(loc, root)))


def _plugin_error(source: Path | str, err: PluginError) -> ScenarioError:
    """A plug-in reference that failed to load, or whose parameters failed their ``Params``."""
    if err.validation is not None and err.params_model is not None:
        return validation_error(source, err.validation, root=err.params_model, raw=err.value, prefix=f"{err.field}.")
    return ScenarioError(source, err.field, err.value, err.allowed)


def unknown_key_hint(key: str, allowed_keys: list[str], noun: str = "key") -> str:
    close = difflib.get_close_matches(key, allowed_keys, n=1, cutoff=0.6)
    if close:
        return f"unknown {noun}; did you mean {close[0]!r}?"
    return f"unknown {noun}; allowed: {', '.join(allowed_keys)}"


def describe_type_error(error: ErrorDetails, annotation: Any) -> str:
    """What is allowed, in words, for a type or range error."""
    kind, ctx = error["type"], error.get("ctx", {})
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return _range_text(_bounds(annotation) or {k: v for k, v in ctx.items() if k in ("ge", "gt", "le", "lt")})
    if kind in ("float_type", "float_parsing", "finite_number"):
        return "must be a number"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind == "string_type":
        return "must be a string (in quotes)"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '?')}"
    if kind in ("list_type", "tuple_type"):
        return "must be a list, e.g. [1.0, 0.5]"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a table"
    if kind in ("path_type",):
        return "must be a file path (a string)"
    return error["msg"][0].lower() + error["msg"][1:]


def _range_text(b: dict[str, Any]) -> str:
    def num(x: Any) -> str:
        return f"{x:g}" if isinstance(x, float) else str(x)

    low = ("ge", b["ge"]) if "ge" in b else ("gt", b["gt"]) if "gt" in b else None
    high = ("le", b["le"]) if "le" in b else ("lt", b["lt"]) if "lt" in b else None
    if low and high and low[0] == "ge" and high[0] == "le":
        return f"must be between {num(low[1])} and {num(high[1])}"
    words = {"ge": "at least", "gt": "greater than", "le": "at most", "lt": "less than"}
    parts = [f"{words[bound[0]]} {num(bound[1])}" for bound in (low, high) if bound]
    return "must be " + " and ".join(parts)


def _bounds(annotation: Any) -> dict[str, Any]:
    """ge/gt/le/lt constraints declared on an annotation (through Annotated, Optional, FieldInfo)."""
    out: dict[str, Any] = {}
    if annotation is None:
        return out
    for meta in _metadata(annotation):
        for name in ("ge", "gt", "le", "lt"):
            if getattr(meta, name, None) is not None:
                out[name] = getattr(meta, name)
    return out


def _metadata(annotation: Any) -> list[Any]:
    metas: list[Any] = []
    if isinstance(annotation, FieldInfo):
        for m in annotation.metadata:
            metas.extend(_metadata(m) if isinstance(m, FieldInfo) else [m])
        annotation = annotation.annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        for m in extra:
            metas.extend(_metadata(m) if isinstance(m, FieldInfo) else [m])
        metas.extend(_metadata(base))
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                metas.extend(_metadata(arg))
    return metas


def unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional, keep the container or model type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def type_of(node: Any) -> Any:
    return node.annotation if isinstance(node, FieldInfo) else node


def annotation_at(loc: tuple[Any, ...], root: type[BaseModel] = Scenario) -> Any:
    """The FieldInfo (for a model field) or item annotation at ``loc`` in ``root`` (a scenario
    unless told), or None when the location cannot be followed."""
    current: Any = root
    for part in loc:
        kind = unwrap(type_of(current))
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            field = kind.model_fields.get(str(part))
            if field is None:
                return None
            current = field
            continue
        origin = typing.get_origin(kind)
        if origin is list and isinstance(part, int):
            current = typing.get_args(kind)[0]
        elif origin is dict:
            current = typing.get_args(kind)[1]
        else:
            return None
    return current


def _model_at(loc: tuple[Any, ...], root: type[BaseModel] = Scenario) -> type[BaseModel] | None:
    ann = annotation_at(loc, root)
    if ann is None:
        return None
    kind = unwrap(type_of(ann))
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def keys_at(loc: tuple[Any, ...], root: type[BaseModel] = Scenario) -> list[str]:
    model = _model_at(loc, root)
    return list(model.model_fields) if model is not None else []


def _raw_at(raw: Any, loc: tuple[Any, ...]) -> Any:
    node = raw
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return _NO_VALUE
    return node


def _validator_error(source: Path | str, raw: dict[str, Any], loc: tuple[Any, ...],
                     error: ErrorDetails) -> ScenarioError:
    """A model validator (cross-field check) failed at ``loc``: name the field it is about."""
    message = re.sub(r"^(Value|Assertion) error, ", "", error["msg"])
    if loc == ():
        found = _package_reference_error(source, raw)
        if found is not None:
            return found
    model = _model_at(loc)
    field_names = list(model.model_fields) if model is not None else []
    # the field a "... needs <field> = ..." message asks for, else the first field it names
    needed = re.findall(r"needs (\w+) =", message)
    for word in needed + re.findall(r"[A-Za-z_]+", message):
        if word in field_names:
            where = (*loc, word)
            return ScenarioError(source, ".".join(map(str, where)), _raw_at(raw, where), message)
    return ScenarioError(source, ".".join(map(str, loc)) or "scenario", allowed=message)


def _package_reference_error(source: Path | str, raw: dict[str, Any]) -> ScenarioError | None:
    """A ``package = "..."`` that names no package (checked on the raw, otherwise valid, data)."""
    known = sorted(set(raw.get("packages", {})) | {NO_PACKAGE})
    if NO_PACKAGE in raw.get("packages", {}):
        return ScenarioError(source, f"packages.{NO_PACKAGE}", allowed=f"'{NO_PACKAGE}' is reserved for 'no package'")
    places = [(f"geography.{k}.package", raw.get("geography", {}).get(k, {}).get("package"))
              for k in ("county", "origin")]
    places += [(f"regions.{i}.package", r.get("package")) for i, r in enumerate(raw.get("regions", []))]
    for field, name in places:
        if name is not None and name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return ScenarioError(source, field, name,
                                 f"names no package; known: {', '.join(known)}{hint}")
    return None


# ------------------------------------------------------------------------------ building
def build_model(scenario: Scenario | str | Path, seed: int | None = None, *,
                source: Path | str | None = None):
    """A :class:`~clustersim.model.ClusterModel` for a scenario (or scenario file), with every
    configuration problem found while building it (regions CSV, region names, initial land)
    raised as :class:`ScenarioError`. ``source`` names the scenario in messages."""
    if not isinstance(scenario, Scenario):
        source = Path(scenario) if source is None else source
        scenario = load_scenario(scenario)
    source = source if source is not None else f"<scenario {scenario.name!r}>"
    try:
        layout = build_layout(scenario)
    except RegionFileError as err:
        if err.path == Path("regions"):  # a [[regions]] override naming no region
            i = next(k for k, r in enumerate(scenario.regions) if r.name == err.value)
            raise ScenarioError(source, f"regions.{i}.name", err.value, err.allowed) from None
        if err.path == Path("geography"):  # the scenario's [geography] selects no real place
            raise ScenarioError(source, err.field, err.value, err.allowed) from None
        raise ScenarioError(err.path, err.field, err.value, err.allowed) from None
    names = layout.names
    counties = [n for n, o in zip(names, layout.is_origin, strict=True) if not o]
    _check_names(source, "focal_county", [scenario.focal_county] if scenario.focal_county else [], counties)
    _check_names(source, "counties.reform_counties", scenario.counties.reform_counties, counties)
    for sector, by_county in scenario.agglomeration.natural_advantage.items():
        _check_names(source, f"agglomeration.natural_advantage.{sector}", list(by_county), counties)
    from clustersim.instruments.base import InstrumentError
    from clustersim.model import ClusterModel  # imports Mesa: only once the scenario is known to be sound

    try:
        return ClusterModel(scenario, seed=scenario.seed if seed is None else seed)
    except InstrumentError as err:  # an instrument's parameters do not fit the rest of the scenario
        raise ScenarioError(source, err.field, err.value, err.allowed) from None
    except ValueError as err:
        if str(err).startswith("initial firms need more land"):
            where = re.search(r"region '([^']+)'", str(err))
            field = "initial_per_county" if where and where.group(1) in counties else "initial"
            raise ScenarioError(source, f"firms.{field}", getattr(scenario.firms, field), str(err)) from None
        raise


def _check_names(source: Path | str, field: str, given: list[str], counties: list[str]) -> None:
    for name in given:
        if name not in counties:
            close = difflib.get_close_matches(name, counties, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"counties are {_preview(counties)}"
            raise ScenarioError(source, field, name, f"names no county; {hint}")


def _preview(names: list[str], k: int = 8) -> str:
    return ", ".join(names[:k]) + (", ..." if len(names) > k else "")
