"""docs/ODD.md stays true to the code: generated parameter tables, names, constants, step order.

The parameter tables are generated (clustersim.paramdoc); every other check reads names the
document uses (modules, functions, parameters, state variables, output columns) and resolves
them against the package, so renaming or reordering code without updating the ODD fails here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
import types
import typing
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field

from clustersim import paramdoc, params
from clustersim.firms import COLUMNS
from clustersim.model import ClusterModel
from clustersim.regions import RegionState

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "docs" / "ODD.md"
PACKAGE = ROOT / "clustersim"
REGENERATE = f"docs/ODD.md is stale: regenerate its parameter tables with `.venv/bin/{paramdoc.COMMAND}`"


@pytest.fixture(scope="module")
def odd() -> str:
    return ODD.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def prose(odd: str) -> str:
    """The hand-written part (everything outside the generated block)."""
    start, stop = odd.index(paramdoc.BEGIN), odd.index(paramdoc.END)
    return odd[:start] + odd[stop:]


def _section(text: str, heading: str) -> str:
    """Text from the line holding ``heading`` to the next heading of the same or a higher level."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and heading in line)
    level = len(lines[start]) - len(lines[start].lstrip("#"))
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].startswith("#") and len(lines[i]) - len(lines[i].lstrip("#")) <= level), len(lines))
    return "\n".join(lines[start:end])


def _spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


# ------------------------------------------------------------------ generated parameter tables
def test_parameter_tables_are_current(odd: str) -> None:
    assert paramdoc.extract_block(odd) == paramdoc.expected_block(), REGENERATE


def _parameter_paths(model: type[BaseModel], path: str = "") -> set[str]:
    """Dotted path of every leaf field under ``model`` (walked here, independently of paramdoc)."""
    out: set[str] = set()
    for name, info in model.model_fields.items():
        dotted = f"{path}.{name}" if path else name
        ann = info.annotation
        if typing.get_origin(ann) in (typing.Union, types.UnionType):
            ann = next(a for a in typing.get_args(ann) if a is not type(None))
        args = typing.get_args(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out |= _parameter_paths(ann, dotted)
        elif typing.get_origin(ann) is list and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            out |= _parameter_paths(args[0], f"{dotted}[]")
        elif typing.get_origin(ann) is dict and isinstance(args[1], type) and issubclass(args[1], BaseModel):
            out |= _parameter_paths(args[1], f"{dotted}.<name>")
        else:
            out.add(dotted)
    return out


def test_every_parameter_field_has_a_described_row(odd: str) -> None:
    block = paramdoc.extract_block(odd)
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([^`]+)` \|.*\| ([^|]*) \|$", block, re.M)}
    missing = sorted(_parameter_paths(params.Scenario) - set(rows))
    assert not missing, f"parameters missing from docs/ODD.md: {missing}. {REGENERATE}"
    undescribed = sorted(path for path, text in rows.items() if not text.strip())
    assert not undescribed, ("parameters without a description: give them Field(description=...) in "
                             f"clustersim/params.py or a note in paramdoc.NOTES: {undescribed}")


def test_every_parameter_model_is_reached() -> None:
    reached = {g.model for g in paramdoc.parameter_groups()}
    declared = {obj for obj in vars(params).values()
                if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == params.__name__
                and obj is not params.Strict}
    assert declared <= reached, f"models in params.py the tables do not reach: {declared - reached}"


def test_notes_only_fill_missing_descriptions() -> None:
    for (model, name), note in paramdoc.NOTES.items():
        assert name in model.model_fields, f"paramdoc.NOTES names a field that does not exist: {model.__name__}.{name}"
        assert not model.model_fields[name].description, (
            f"{model.__name__}.{name} now has a Field description; delete its note in paramdoc.NOTES")
        assert note.strip()


def test_a_changed_default_changes_the_tables() -> None:
    # the check above can only catch a stale document if the rendering follows the defaults
    class Retuned(params.Scenario):
        firms: params.Firms = Field(default_factory=lambda: params.Firms(review_rate=0.37))

    old, new = paramdoc.render_parameter_tables(), paramdoc.render_parameter_tables(Retuned)
    assert old != new
    assert "| `firms.review_rate` | float | `0.37` |" in new


def test_rendering_of_types_ranges_and_defaults() -> None:
    class Inner(BaseModel):
        """Inner table. More text."""

        share: Annotated[float, Field(ge=0.0, le=1.0)] = Field(default=0.5, description="a share")

    class Toy(BaseModel):
        rate: Annotated[float, Field(gt=0.0)] = Field(default=2.0, description="per year | with pipe")
        count: Annotated[int, Field(ge=1, lt=2**63)] | None = Field(default=None, description="c")
        mode: Literal["a", "b"] = Field(default="a", description="m")
        weights: list[Annotated[float, Field(ge=0.0)]] = Field(default_factory=lambda: [0.25, 1.0],
                                                               description="w")
        free: float = Field(default=-1.5, description="f")
        inner: Inner = Field(default_factory=lambda: Inner(share=0.1))
        items: list[Inner] = Field(default_factory=list)

    groups = paramdoc.parameter_groups(Toy)
    assert [g.path for g in groups] == ["", "inner", "items[]"]
    rows = {r.path: r for g in groups for r in g.rows}
    assert (rows["rate"].type, rows["rate"].default, rows["rate"].allowed) == ("float", "2", "(0, inf)")
    assert (rows["count"].type, rows["count"].default, rows["count"].allowed) == (
        "int (optional)", "unset", "[1, 2^63) or unset")
    assert (rows["mode"].type, rows["mode"].allowed) == ("str", "`a`, `b`")
    assert (rows["weights"].type, rows["weights"].default, rows["weights"].allowed) == (
        "list[float]", "[0.25, 1]", "each [0, inf)")
    assert rows["free"].allowed == "any"
    assert rows["inner.share"].default == "0.1"  # the parent's default instance, not the class default
    assert rows["items[].share"].default == "0.5"  # no instance in an empty list: the class default
    table = paramdoc.render_parameter_tables(Toy)
    assert "per year \\| with pipe" in table
    assert "#### `inner` (Inner): Inner table" in table


def test_block_replacement_and_command(tmp_path: Path) -> None:
    doc = tmp_path / "odd.md"
    doc.write_text(f"intro\n{paramdoc.BEGIN}\nold table\n{paramdoc.END}\nend\n", encoding="utf-8")
    assert paramdoc.main(["--check", str(doc)]) == 1
    assert paramdoc.main(["--write", str(doc)]) == 0
    text = doc.read_text(encoding="utf-8")
    assert text.startswith(f"intro\n{paramdoc.BEGIN}") and text.endswith(f"{paramdoc.END}\nend\n")
    assert paramdoc.extract_block(text) == paramdoc.expected_block()
    assert paramdoc.main(["--check", str(doc)]) == 0
    with pytest.raises(ValueError, match="exactly once"):
        paramdoc.replace_block("no markers here", "x")
    with pytest.raises(ValueError, match="before"):
        paramdoc.extract_block(f"{paramdoc.END} {paramdoc.BEGIN}")


# ------------------------------------------------------------------ names used in the prose
def _module(name: str) -> types.ModuleType | None:
    """The module or package ``clustersim.<name>``, if it exists."""
    found = (PACKAGE / f"{name}.py").is_file() or (PACKAGE / name / "__init__.py").is_file()
    return importlib.import_module(f"clustersim.{name}") if found else None


def _classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem == "__main__":
            continue
        mod = importlib.import_module(f"clustersim.{path.stem}" if path.stem != "__init__" else "clustersim")
        found.update({k: v for k, v in vars(mod).items()
                      if isinstance(v, type) and v.__module__.startswith("clustersim")})
    return found


def test_modules_named_in_the_odd_exist(prose: str) -> None:
    named = set(re.findall(r"clustersim/(\w+)\.py", prose))
    assert named, "the ODD should name the modules it describes"
    missing = sorted(n for n in named if not (PACKAGE / f"{n}.py").is_file())
    assert not missing, f"docs/ODD.md names modules that do not exist: {missing}"


def test_dotted_names_in_the_odd_resolve(prose: str) -> None:
    """Every backticked ``a.b`` (or ``a.b()``) is a parameter path, a module attribute
    (``clustersim.a.b``) or a class attribute (class ``a`` of the package)."""
    parameter_paths = _parameter_paths(params.Scenario)
    prefixes = {p.rsplit(".", k)[0] for p in parameter_paths for k in range(1, p.count(".") + 1)}
    prefixes |= {p.removesuffix("[]") for p in prefixes}  # a list of tables by its name: `counties.rules`
    classes = _classes()
    unresolved = []
    for span in _spans(prose):
        m = re.fullmatch(r"([A-Za-z_]\w*)\.([A-Za-z_]\w*)(?:\(\))?", span.strip())
        if not m:
            continue
        head, attr = m.groups()
        if attr == "py" and (PACKAGE / f"{head}.py").is_file():
            continue
        if span in parameter_paths or span in prefixes:
            continue
        mod = _module(head)
        if mod is not None and hasattr(mod, attr):
            continue
        if head in classes and hasattr(classes[head], attr):
            continue
        unresolved.append(span)
    assert not unresolved, f"docs/ODD.md names things the code does not have: {sorted(set(unresolved))}"


def test_method_calls_named_in_the_odd_exist(prose: str) -> None:
    """Every backticked bare call ``name()`` is a ClusterModel method or a function of the package."""
    functions = {name for path in PACKAGE.glob("*.py") if path.stem not in ("__init__", "__main__")
                 for name, obj in vars(importlib.import_module(f"clustersim.{path.stem}")).items() if callable(obj)}
    calls = {m.group(1) for span in _spans(prose) if (m := re.fullmatch(r"(\w+)\(\)", span.strip()))}
    missing = sorted(c for c in calls if not hasattr(ClusterModel, c) and c not in functions)
    assert not missing, f"docs/ODD.md names calls the code does not have: {missing}"


def test_step_order_matches_the_code(odd: str) -> None:
    tree = ast.parse(textwrap.dedent(inspect.getsource(ClusterModel.step)))
    calls = sorted((node.lineno, node.col_offset, node.func.attr) for node in ast.walk(tree)
                   if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                   and isinstance(node.func.value, ast.Name) and node.func.value.id == "self")
    in_code = [name for *_, name in calls]
    section = _section(odd, "Process overview and scheduling")
    mentioned = [m.group(1) for m in re.finditer(r"`(?:ClusterModel\.)?(\w+)\(\)`", section)]
    it = iter(mentioned)
    assert all(name in it for name in in_code), (
        f"ClusterModel.step calls {in_code}; the ODD's scheduling section (1.3) must name them in this order "
        f"(it names {mentioned})")


def _table_names(odd: str, caption: str) -> list[str]:
    """First-column code names of the table following the paragraph that starts with ``caption``."""
    after = odd[odd.index(caption):]
    table = re.search(r"((?:^\|.*\n)+)", after, re.M).group(1)
    names: list[str] = []
    for line in table.splitlines()[2:]:
        names += re.findall(r"`(\w+)`", line.split("|")[1])
    return names


def test_state_variable_tables_name_real_state(odd: str) -> None:
    firm_names = _table_names(odd, "**Firms** (")
    assert set(firm_names) <= set(COLUMNS), f"firm variables not in FirmTable: {set(firm_names) - set(COLUMNS)}"
    assert set(COLUMNS) - {"alive"} <= set(firm_names), (
        f"FirmTable columns missing from the ODD: {set(COLUMNS) - {'alive'} - set(firm_names)}")
    region_names = _table_names(odd, "**Regions** (")
    unknown = [n for n in region_names if not (n in RegionState.__dataclass_fields__ or hasattr(RegionState, n))]
    assert not unknown, f"region variables not in RegionState: {unknown}"


def test_output_columns_named_in_the_odd_exist(odd: str) -> None:
    section = odd[odd.index("**Observation.**"):odd.index("## 3. Details")]
    model_part, rest = section.split("- region level", 1)
    region_part = rest.split("- firm level", 1)[0]
    model = ClusterModel(params.Scenario(years=1), seed=0).run(1)
    model_cols, region_cols = set(model.model_frame().columns), set(model.region_frame().columns)
    expand = {f"eg_{s}" for s in model.sector_names}

    def named(text: str) -> set[str]:
        return {s for s in _spans(text) if re.fullmatch(r"\w+|eg_<sector>", s)}

    wanted_model = (named(model_part) - {"eg_<sector>"}) | (expand if "eg_<sector>" in named(model_part) else set())
    assert wanted_model <= model_cols, f"model_frame lacks columns the ODD names: {wanted_model - model_cols}"
    assert named(region_part) <= region_cols, (
        f"region_frame lacks columns the ODD names: {named(region_part) - region_cols}")


def test_fixed_constants_match_the_code(odd: str) -> None:
    section = _section(odd, "Constants fixed in the code")
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| `clustersim/(\w+)\.py` \|", section, re.M)
    assert rows, "section 3.4 lists no constants"
    for name, value, module in rows:
        actual = getattr(importlib.import_module(f"clustersim.{module}"), name)
        assert actual == pytest.approx(float(value)), f"{module}.{name} is {actual}, docs/ODD.md says {value}"
