"""The parameter tables of ``docs/ODD.md``, generated from :mod:`clustersim.params`.

Defaults, types and ranges are read from the pydantic models (``Scenario`` and everything
below it), never typed by hand, so the documentation cannot drift from the code. Regenerate
the block between ``<!-- params:begin -->`` and ``<!-- params:end -->`` with::

    python -m clustersim.paramdoc --write docs/ODD.md

``--check docs/ODD.md`` exits with status 1 when the block is stale; without options the
tables are printed.

Each parameter is named by its dotted path as used in scenario files and sweeps
(``firms.review_rate``). Lists of tables are written ``regions[].fee_rate``, entries of a
table of named packages ``packages.<name>.rebate_schedule``. Descriptions come from the
``Field(description=...)`` of each field; fields declared without one are described in
:data:`NOTES` below (a test fails when a note duplicates a description added in
``params.py``).
"""

from __future__ import annotations

import argparse
import math
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from clustersim.params import (
    Agglomeration,
    Choice,
    Counties,
    Firms,
    Geography,
    Markets,
    Package,
    RegionOverride,
    RegionTraits,
    Scenario,
    Sectors,
    TakeOffRule,
    Taxes,
)

BEGIN = "<!-- params:begin -->"
END = "<!-- params:end -->"
COMMAND = "python -m clustersim.paramdoc --write docs/ODD.md"

#: Descriptions of fields declared without ``Field(description=...)``, keyed by (model, field).
NOTES: dict[tuple[type[BaseModel], str], str] = {
    (Scenario, "name"): "scenario name (labels outputs)",
    (Scenario, "description"): "free text",
    (Scenario, "years"): "years simulated by `run()`; one step = one year",
    (Scenario, "seed"): "run seed (random streams of births, reviews, order and choices)",
    (Scenario, "regions"): "per-region overrides, one `[[regions]]` table each, matched by name",
    (Scenario, "packages"): "incentive packages by name, `[packages.<name>]`; a region's `package` names one",
    (Scenario, "transport"): "transport costs",
    (Scenario, "markets"): "land and labour markets, migration, the coastal push",
    (Scenario, "taxes"): "tax rates and the shares retained locally",
    (Geography, "origin"): "traits of the origin regions (the coast)",
    (Geography, "county"): "traits of the counties, before `[[regions]]` overrides",
    (Geography, "source"): "`generated` layout, a regions `csv` file, China's counties (`china`) or a `geojson` file",
    (Geography, "origins"): "number of coastal origin regions (generated layout)",
    (Geography, "counties"): "number of inland counties (generated layout)",
    (Geography, "coast_length_km"): "length of the straight coast, km",
    (Geography, "inland_min_km"): "nearest inland distance of a county from the coast, km",
    (Geography, "inland_max_km"): "farthest inland distance of a county from the coast, km",
    (RegionTraits, "infrastructure"): "infrastructure index I at year 0",
    (RegionTraits, "governance"): "governance quality G at year 0",
    (RegionTraits, "package"): "name of the region's incentive package (`none`: no package)",
    (RegionOverride, "name"): "name of the region overridden",
    (Package, "description"): "free text",
    (Package, "land_tiers"): "land-price tiers by investment, highest `min_investment` first",
    (Package, "standard_factory_rebate_schedule"): "rebate share of retained CIT by year of residence, "
                                                   "standard-factory firms",
    (Package, "fee_waiver_years"): "years of residence in which fees are refunded",
    (Sectors, "names"): "sector names (their number sets S)",
    (Sectors, "input_output"): "a[r][s]: share of sector s's inputs bought from sector r",
    (Sectors, "material_share"): "m_s: material cost, share of revenue",
    (Sectors, "birth_share"): "sector mix of newborn firms (sums to 1)",
    (Firms, "initial_per_county"): "firms placed in every county at year 0",
    (Firms, "productivity_sigma"): "log-normal spread of productivity z (mean of z = 1)",
    (Firms, "exit_after_loss_years"): "consecutive loss years after which a firm exits",
    (Agglomeration, "epsilon"): "epsilon: added to L inside ln(epsilon + L) (0 with gamma_L = 1: Polya urn)",
    (Markets, "coastal_wage_growth"): "g_w: growth of origin base wages, share per year",
    (Markets, "coastal_land_growth"): "g_p: growth of origin base land prices, share per year",
    (Choice, "horizon_years"): "H: years of profit a firm values",
    (Choice, "discount_rate"): "r: delta = 1 / (1 + r), share per year",
    (Taxes, "corporate_income"): "t_c: corporate income tax rate",
    (Taxes, "value_added"): "t_v: VAT rate on value added",
    (Counties, "infrastructure_depreciation"): "dep: share of I lost per year",
    (Counties, "debt_interest"): "interest on debt (negative balance), share per year",
    (Counties, "fee_trap"): "switch: the fee trap",
    (Counties, "fee_cap"): "highest fee rate the fee trap raises to",
    (Counties, "governance_reform"): "switch: governance reform",
    (Counties, "reform_year"): "first model year of the reform",
    (Counties, "reform_fee"): "fee rate of reforming counties",
    (Counties, "reform_governance"): "governance level reforming counties move toward",
    (Counties, "strategic_competition"): "switch: counties imitate the depth of the county with most arrivals",
    (TakeOffRule, "threshold"): "minimum share of the relocated industry",
    (TakeOffRule, "hold_years"): "final years that must all pass, after incentives ended",
    (TakeOffRule, "measure"): "share measured in employment or in firms",
}

#: Models whose fields repeat another model's fields (descriptions are borrowed from there).
MIRRORS: dict[type[BaseModel], type[BaseModel]] = {RegionOverride: RegionTraits}


@dataclass(frozen=True)
class ParamRow:
    """One parameter: dotted path, type, default, allowed values, description (with unit)."""

    path: str
    type: str
    default: str
    allowed: str
    description: str


@dataclass
class ParamGroup:
    """The scalar parameters of one parameter table (one pydantic model) at ``path``;
    ``note`` describes the field holding the table (empty at the top level)."""

    path: str
    model: type[BaseModel]
    note: str = ""
    rows: list[ParamRow] = field(default_factory=list)


# ------------------------------------------------------------------ walking the models
def _unwrap_optional(ann: object) -> tuple[object, bool]:
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(ann)) == 2:
            return args[0], True
    return ann, False


def _strip_annotated(ann: object) -> tuple[object, list[object]]:
    """Base type and the constraint objects of an ``Annotated`` type (FieldInfo flattened)."""
    meta: list[object] = []
    while typing.get_origin(ann) is typing.Annotated:
        for m in ann.__metadata__:
            meta.extend(m.metadata if isinstance(m, FieldInfo) else [m])
        ann = ann.__origin__
    return ann, meta


def _model_kind(ann: object) -> tuple[str, type[BaseModel] | None]:
    """``("model" | "list" | "dict", cls)`` for nested parameter tables, else ``("scalar", None)``."""
    ann, _ = _unwrap_optional(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return "model", ann
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return "list", args[0]
    if origin is dict and len(args) == 2 and isinstance(args[1], type) and issubclass(args[1], BaseModel):
        return "dict", args[1]
    return "scalar", None


def parameter_groups(root: type[BaseModel] = Scenario) -> list[ParamGroup]:
    """Every parameter table reachable from ``root``, parents before children, in declaration
    order. Defaults are those of ``root()`` (so ``geography.origin`` shows the origin defaults);
    tables inside lists and dicts, which are empty by default, show their class defaults."""
    groups: list[ParamGroup] = []
    _walk(root, root(), "", groups)
    return groups


def _walk(model: type[BaseModel], instance: BaseModel | None, path: str, groups: list[ParamGroup],
          note: str = "") -> None:
    group = ParamGroup(path, model, note)
    groups.append(group)
    children: list[tuple[type[BaseModel], BaseModel | None, str, str]] = []
    for name, info in model.model_fields.items():
        dotted = f"{path}.{name}" if path else name
        kind, cls = _model_kind(info.annotation)
        if kind == "model":
            inst = getattr(instance, name) if instance is not None else None
            children.append((cls, inst, dotted, describe(model, name)))
        elif kind == "list":
            children.append((cls, None, f"{dotted}[]", describe(model, name)))
        elif kind == "dict":
            children.append((cls, None, f"{dotted}.<name>", describe(model, name)))
        else:
            default = getattr(instance, name) if instance is not None else info.get_default(call_default_factory=True)
            group.rows.append(_row(model, name, info, dotted, default))
    for cls, inst, dotted, child_note in children:
        _walk(cls, inst, dotted, groups, child_note)


def _row(model: type[BaseModel], name: str, info: FieldInfo, path: str, default: object) -> ParamRow:
    ann, optional = _unwrap_optional(info.annotation)
    base, item_meta = _strip_annotated(ann)
    type_text, allowed = _describe_type(base, list(info.metadata) + item_meta)
    if optional:
        type_text += " (optional)"
        allowed = f"{allowed} or unset" if allowed else "unset"
    return ParamRow(path, type_text, _format_default(default), allowed, describe(model, name))


def describe(model: type[BaseModel], name: str) -> str:
    """Description of a field: its ``Field(description=...)``, else the note in :data:`NOTES`,
    else (for mirrored models) the description of the field it overrides."""
    info = model.model_fields[name]
    if info.description:
        return info.description
    if (model, name) in NOTES:
        return NOTES[(model, name)]
    if model in MIRRORS and name in MIRRORS[model].model_fields:
        return describe(MIRRORS[model], name) + "; unset = keep the region's default"
    return ""


# ------------------------------------------------------------------ formatting
def _describe_type(base: object, constraints: list[object]) -> tuple[str, str]:
    """(type text, allowed values) of a scalar or list field."""
    origin, args = typing.get_origin(base), typing.get_args(base)
    if origin is typing.Literal:
        return "str", ", ".join(f"`{a}`" for a in args)
    if origin is list:
        inner, meta = _strip_annotated(args[0])
        inner_type, inner_allowed = _describe_type(inner, meta)
        return f"list[{inner_type}]", (f"each {inner_allowed}" if inner_allowed else "")
    name = {bool: "bool", int: "int", float: "float", str: "str", Path: "path"}.get(base, getattr(base, "__name__",
                                                                                              str(base)))
    if base in (int, float):
        return name, _interval(constraints)
    return name, ""


def _interval(constraints: list[object]) -> str:
    lower, upper = "(-inf", "inf)"
    bounded = False
    for c in constraints:
        if isinstance(c, at.Ge):
            lower, bounded = f"[{_format_number(c.ge)}", True
        elif isinstance(c, at.Gt):
            lower, bounded = f"({_format_number(c.gt)}", True
        elif isinstance(c, at.Le):
            upper, bounded = f"{_format_number(c.le)}]", True
        elif isinstance(c, at.Lt):
            upper, bounded = f"{_format_number(c.lt)})", True
    return f"{lower}, {upper}" if bounded else "any"


def _format_number(x: float | int) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        if x >= 2**32 and x & (x - 1) == 0:
            return f"2^{x.bit_length() - 1}"
        return str(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(x, ".6g")


def _format_default(value: object) -> str:
    """A default as it would be written in a scenario file (TOML)."""
    if value is None:
        return "unset"
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, bool | int | float):
        return _format_number(value)
    if isinstance(value, str | Path):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_format_default(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_format_default(v)}" for k, v in value.items()) + "}"
    if isinstance(value, BaseModel):
        return _format_default(value.model_dump())
    raise TypeError(f"no format for a default of type {type(value).__name__}")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _title(group: ParamGroup) -> str:
    """Heading of a table: its path, its model and the note of the field holding it (else the
    first sentence of the model's docstring)."""
    doc = (group.model.__doc__ or "").strip()
    first = " ".join(doc.split("\n\n")[0].split())
    first = group.note or first.split(". ")[0].rstrip(".").replace("``", "`")
    where = f"`{group.path}`" if group.path else "top level"
    return f"{where} ({group.model.__name__})" + (f": {first}" if first else "")


def render_parameter_tables(root: type[BaseModel] = Scenario) -> str:
    """Markdown: one table per parameter table that has scalar fields, in walk order."""
    parts = [f"<!-- generated from clustersim/params.py by `{COMMAND}`; do not edit by hand -->"]
    for group in parameter_groups(root):
        if not group.rows:
            continue
        lines = [f"#### {_title(group)}", "",
                 "| parameter | type | default | allowed | meaning, unit |",
                 "| --- | --- | --- | --- | --- |"]
        for r in group.rows:
            lines.append(f"| `{r.path}` | {_cell(r.type)} | `{_cell(r.default)}` | {_cell(r.allowed)} "
                         f"| {_cell(r.description)} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


# ------------------------------------------------------------------ the block in the document
def expected_block(root: type[BaseModel] = Scenario) -> str:
    """What belongs between the markers (newline-framed)."""
    return "\n" + render_parameter_tables(root) + "\n"


def _marker_span(text: str) -> tuple[int, int]:
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise ValueError(f"the document must contain {BEGIN} and {END} exactly once each "
                         f"(found {text.count(BEGIN)} and {text.count(END)})")
    start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
    if stop < start:
        raise ValueError(f"{END} comes before {BEGIN}")
    return start, stop


def extract_block(text: str) -> str:
    """The text between the markers."""
    start, stop = _marker_span(text)
    return text[start:stop]


def replace_block(text: str, block: str) -> str:
    """``text`` with the text between the markers replaced by ``block``."""
    start, stop = _marker_span(text)
    return text[:start] + block + text[stop:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clustersim.paramdoc", description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", type=Path, metavar="DOC", help="replace the generated block in DOC")
    action.add_argument("--check", type=Path, metavar="DOC", help="exit 1 if the block in DOC is stale")
    args = parser.parse_args(argv)
    if args.write is None and args.check is None:
        sys.stdout.write(render_parameter_tables() + "\n")
        return 0
    doc: Path = args.write or args.check
    text = doc.read_text(encoding="utf-8")
    block = expected_block()
    if args.check is not None:
        if extract_block(text) != block:
            sys.stderr.write(f"{doc}: parameter tables are stale; regenerate with `{COMMAND}`\n")
            return 1
        return 0
    new = replace_block(text, block)
    if new != text:
        doc.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
