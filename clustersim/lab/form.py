"""The package lab's form: a package in the policy documents' own terms, checked, and turned into
an experiment (a ``packages`` design measured against offering nothing).

Money in wan, land in mu, land prices in wan/mu, durations in years. A :class:`LabSetup` is the
county (its fee rate and governance, which hold for every package), the designed packages, the
replicates and the sweep seed; :func:`experiment_document` writes it as an experiment document
(the fields of an ``experiments/*.toml`` file), so the lab's runs are exactly those of
``clustersim sweep`` on the exported file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from clustersim.scenario import ScenarioError

__all__ = ["BASE_SCENARIO", "LabSetup", "PackageDesign", "experiment_document", "load_setup", "parse_list",
           "parse_tiers", "shipped_packages", "to_toml"]

REPO = Path(__file__).resolve().parents[2]
#: the world every lab package is tried in (one coast, eight counties; county_01 is the focal county)
BASE_SCENARIO = REPO / "scenarios" / "held_package.toml"
BASELINE = "none"
LAB_SEED = 20261206
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")

Share = Annotated[float, Field(ge=0.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tier(_Strict):
    min_investment: Annotated[float, Field(ge=0.0, le=1e7)]  # wan
    price: Annotated[float, Field(ge=0.0, le=1000.0)]        # wan/mu


class PackageDesign(_Strict):
    """One designed package (fields as in the district rules; money in wan)."""

    name: str = Field(pattern=_NAME.pattern)
    label: str = ""
    land_tiers: list[Tier] = Field(default_factory=list)
    standard_factory_price: Annotated[float, Field(ge=0.0, le=1000.0)] | None = None  # wan/mu
    rebate_schedule: list[Share] = Field(default_factory=list, max_length=30)  # share of retained CIT, by year
    fee_waiver: Share = 0.0              # share of fees refunded ...
    fee_waiver_years: Annotated[int, Field(ge=0, le=50)] = 0  # ... in the first years of residence
    relocation_award: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0  # share of the firm's investment
    old_site_recovery: Share = 0.4       # share of the old site's value the firm recovers
    duration_years: Annotated[int, Field(ge=1, le=40)] = 12
    subsidy_depth: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0

    @model_validator(mode="after")
    def _tiers_descending(self) -> PackageDesign:
        mins = [t.min_investment for t in self.land_tiers]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise ValueError("land_tiers must run from the highest investment threshold down, no repeats")
        return self

    def package_fields(self) -> dict[str, Any]:
        """The scenario ``[packages.X]`` table of this design."""
        out: dict[str, Any] = {"description": self.label or self.name,
                               "land_tiers": [t.model_dump() for t in self.land_tiers],
                               "rebate_schedule": list(self.rebate_schedule),
                               "fee_waiver": self.fee_waiver, "fee_waiver_years": self.fee_waiver_years,
                               "relocation_award": self.relocation_award,
                               "start_year": 1, "duration_years": self.duration_years}
        if self.standard_factory_price is not None:
            out["standard_factory_price"] = self.standard_factory_price
        return out


class LabSetup(_Strict):
    """The county, its designed packages and how many runs each gets."""

    fee_rate: Annotated[float, Field(ge=0.0, le=0.2)] = 0.02   # the county's fee, share of revenue
    governance: Annotated[float, Field(ge=0.0, le=1.0)] | None = None  # None: the scenario's
    packages: list[PackageDesign] = Field(min_length=1, max_length=8)
    replicates: Annotated[int, Field(ge=1, le=200)] = 20
    years: Annotated[int, Field(ge=10, le=80)] = 40
    sweep_seed: Annotated[int, Field(ge=0, lt=2**63)] = LAB_SEED

    @model_validator(mode="after")
    def _unique(self) -> LabSetup:
        names = [p.name for p in self.packages]
        if len(set(names)) != len(names) or BASELINE in names:
            raise ValueError(f"package names must be unique and not {BASELINE!r}")
        return self


def parse_list(text: str, field: str) -> list[float]:
    """``"1, 1, 0.5"`` -> ``[1.0, 1.0, 0.5]``; ValueError naming ``field`` otherwise."""
    parts = [p for p in re.split(r"[,\s，、]+", text.strip()) if p]
    try:
        return [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"{field}: {text!r} is not a list of numbers (write e.g. 1, 1, 0.5)") from None


def parse_tiers(text: str, field: str = "land_tiers") -> list[dict[str, float]]:
    """``"20000: 12.5, 10000: 13.5"`` (investment wan: price wan/mu) -> tier dicts."""
    tiers = []
    for part in [p for p in re.split(r"[,;，；]+", text.strip()) if p.strip()]:
        m = re.fullmatch(r"\s*([0-9.eE+]+)\s*[:：]\s*([0-9.eE+]+)\s*", part)
        if not m:
            raise ValueError(f"{field}: {part.strip()!r} is not 'investment: price' (write e.g. 20000: 12.5)")
        tiers.append({"min_investment": float(m.group(1)), "price": float(m.group(2))})
    return tiers


def format_error(err: ValidationError, where: str = "package lab") -> str:
    """One line naming the field, the bad value and what is allowed."""
    e = err.errors()[0]
    loc = ".".join(str(p) for p in e["loc"]) or "form"
    value = e.get("input")
    shown = "" if isinstance(value, dict | list) else f" = {value!r}"
    return f"{where}: {loc}{shown}: {e['msg']}"


def check_setup(raw: Mapping[str, Any]) -> LabSetup:
    """Validate a lab set-up; ValueError with one line (field, value, what is allowed)."""
    try:
        return LabSetup.model_validate(dict(raw))
    except ValidationError as err:
        raise ValueError(format_error(err)) from None


def _experiment_packages(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Packages an experiment defines inline (``overrides."packages.<name>"`` of its named packages)."""
    out: dict[str, Any] = {}
    for spec in (doc.get("packages") or {}).values():
        for key, value in (spec.get("overrides") or {}).items():
            if key.startswith("packages.") and isinstance(value, dict):
                out[key.split(".", 1)[1]] = value
    return out


def shipped_packages() -> dict[str, PackageDesign]:
    """Every package the shipped scenarios and experiments define, as a starting design (name -> design)."""
    out: dict[str, PackageDesign] = {}
    sources = [(p, "scenario") for p in sorted((REPO / "scenarios").glob("*.toml"))]
    sources += [(p, "experiment") for p in sorted((REPO / "experiments").glob("*.toml"))]
    for path, kind in sources:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        old_site = float(doc.get("choice", {}).get("old_site_recovery", 0.4))
        found = (doc.get("packages") or {}) if kind == "scenario" else _experiment_packages(doc)
        for name, pkg in found.items():
            if name in out or not _NAME.match(name):
                continue
            out[name] = PackageDesign(
                name=name, label=str(pkg.get("description", name))[:80],
                land_tiers=pkg.get("land_tiers", []), standard_factory_price=pkg.get("standard_factory_price"),
                rebate_schedule=pkg.get("rebate_schedule", []), fee_waiver=pkg.get("fee_waiver", 0.0),
                fee_waiver_years=pkg.get("fee_waiver_years", 0), relocation_award=pkg.get("relocation_award", 0.0),
                old_site_recovery=old_site, duration_years=min(int(pkg.get("duration_years") or 12), 40),
                subsidy_depth=1.0)
    return out


def experiment_document(setup: LabSetup, name: str = "package_lab") -> dict[str, Any]:
    """The experiment (fields of an ``experiments/*.toml`` file) that runs every designed package and
    no package, each ``replicates`` times, in the lab's world; fiscal outcomes are against the same
    run without the package (same seed)."""
    packages: dict[str, Any] = {BASELINE: {"label": "no incentives", "overrides": {"focal.package": "none"}}}
    for p in setup.packages:
        key = f"lab_{p.name}"
        packages[p.name] = {"label": p.label or p.name, "overrides": {
            "focal.package": key, "focal.subsidy_depth": p.subsidy_depth,
            "choice.old_site_recovery": p.old_site_recovery, f"packages.{key}": p.package_fields()}}
    return {
        "name": name,
        "description": "Packages designed in the package lab, each against offering nothing in the same world.",
        "base_scenario": str(BASE_SCENARIO),
        "years": setup.years, "replicates": setup.replicates, "sweep_seed": setup.sweep_seed,
        "fiscal_baseline": "counterfactual",
        "overrides": {"focal.fee_rate": setup.fee_rate,
                      **({} if setup.governance is None else {"focal.governance": setup.governance})},
        "design": {"kind": "packages", "baseline": BASELINE},
        "packages": packages,
    }


def to_toml(document: Mapping[str, Any]) -> str:
    import tomli_w

    return tomli_w.dumps(dict(document))


def write_experiment(setup: LabSetup, path: Path) -> Path:
    path.write_text(to_toml(experiment_document(setup)), encoding="utf-8")
    return path


def load_setup(path: Path) -> LabSetup:
    """A set-up file (TOML with the fields of :class:`LabSetup`); ScenarioError (one line) if bad."""
    from clustersim.scenario import read_toml

    raw = read_toml(path, "a package-lab set-up")
    try:
        return LabSetup.model_validate(raw)
    except ValidationError as err:
        e = err.errors()[0]
        raise ScenarioError(path, ".".join(str(p) for p in e["loc"]), e.get("input"), e["msg"]) from None


def check_package(raw: Mapping[str, Any]) -> PackageDesign:
    """Validate one designed package; ValueError with one line (field, value, what is allowed)."""
    try:
        return PackageDesign.model_validate(dict(raw))
    except ValidationError as err:
        raise ValueError(format_error(err)) from None


def scenario_toml(design: PackageDesign, setup: LabSetup) -> str:
    """A scenario file: the lab's world with the focal county offering ``design`` (and the lab's fee)."""
    doc = tomllib.loads(BASE_SCENARIO.read_text(encoding="utf-8"))
    doc["name"] = design.name
    doc["description"] = f"{design.label or design.name} (designed in the package lab)"
    focal = doc["focal_county"]
    region = next(r for r in doc.setdefault("regions", []) if r.get("name") == focal)
    region.update(package=design.name, subsidy_depth=design.subsidy_depth, fee_rate=setup.fee_rate)
    if setup.governance is not None:
        region["governance"] = setup.governance
    doc["packages"] = {design.name: design.package_fields()}
    doc.setdefault("choice", {})["old_site_recovery"] = design.old_site_recovery
    return to_toml(doc)
