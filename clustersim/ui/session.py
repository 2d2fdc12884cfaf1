"""What one browser session runs: the settings behind the page's controls and the model built from them.

The page's controls (:class:`RunSettings`) are a scenario file plus a few levers and
uncertainties students are meant to play with. :func:`scenario_for` turns them into an ordinary,
validated :class:`~clustersim.params.Scenario` with :func:`~clustersim.scenario.apply_overrides`,
so every range check of a scenario file also guards the page. Mesa's Reset builds
``SessionModel(run=<the session's PendingRun>)``, and :class:`PendingRun` holds the last settings
that passed those checks.

The focal county's policy and the county-behaviour switches (:data:`LIVE_FIELDS`) also change the
running model at once (:meth:`SessionModel.apply_live`), so students see a policy change mid-run;
each such change is logged (:class:`LiveChange`) and marked in the time series. The scenario, the
seed and the two uncertainty factors (:data:`RESET_FIELDS`) shape the world the model was built
from and take effect on Reset only.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from clustersim.geography import build_layout, focal_county_name
from clustersim.i18n import N_, Translator, translator
from clustersim.model import ClusterModel
from clustersim.params import RegionTraits, Scenario
from clustersim.scenario import ScenarioError, apply_overrides, build_model, load_scenario

#: environment variable through which ``clustersim ui --scenario FILE`` names the first scenario
SCENARIO_ENV = "CLUSTERSIM_UI_SCENARIO"
#: environment variable through which ``clustersim ui --lang`` sets the language both pages open in
LANG_ENV = "CLUSTERSIM_UI_LANG"
#: the scenario the page opens with when none is named: incentives held through the relocation wave
DEFAULT_SCENARIO = "held_package"
#: label of the built-in defaults (``Scenario()``), offered when no scenario file is found
BUILTIN = "(built-in defaults)"
SEED_MAX = 2**63 - 1

# slider ranges: the scenario's own limits where it has them (params.py), otherwise a teaching range
DEPTH_RANGE = (0.0, 5.0, 0.25)        # RegionTraits.subsidy_depth: 0..5
FEE_RANGE = (0.0, 0.20, 0.005)        # RegionTraits.fee_rate allows up to 0.5; above 0.2 nothing is left to learn
GOVERNANCE_RANGE = (0.0, 1.0, 0.05)   # a share
FACTOR_RANGE = (0.0, 3.0, 0.1)        # multipliers of the scenario's transport and agglomeration parameters

#: the controls that change the running model at once (and the next Reset)
LIVE_FIELDS = ("subsidy_depth", "fee_rate", "governance", "fee_trap", "strategic_competition")
#: the controls that take effect on Reset only: they shape the world the model is built from
RESET_FIELDS = ("scenario", "transport_factor", "agglomeration_factor", "seed")


@dataclass(frozen=True)
class RunSettings:
    """Everything the page's controls set. Money-free: depth is a multiplier of the package,
    ``fee_rate`` a share of firm revenue, ``governance`` in [0, 1]; the two factors multiply the
    scenario's transport costs (``transport.supplier_decay_per_km``, ``transport.market_cost_per_km``)
    and agglomeration strengths (``agglomeration.localisation``, ``agglomeration.supplier``,
    ``agglomeration.market``)."""

    scenario: str                 # a label from :func:`scenario_choices`
    subsidy_depth: float          # the focal county's
    fee_rate: float               # the focal county's
    governance: float             # the focal county's
    transport_factor: float = 1.0
    agglomeration_factor: float = 1.0
    fee_trap: bool = False
    strategic_competition: bool = False
    seed: int = 0

    def needs_reset(self, other: RunSettings) -> bool:
        """Whether ``other`` differs from these settings in a control that only Reset applies."""
        return any(getattr(self, f) != getattr(other, f) for f in RESET_FIELDS)


@dataclass(frozen=True)
class LiveChange:
    """One control changed while the model ran: after ``year`` was computed, ``field`` (a name in
    :data:`LIVE_FIELDS`) went from ``before`` (the model's value then, which the fee trap, reform
    or strategic competition may have moved away from the control's) to ``after``. It acts from
    year ``year + 1`` on."""

    year: int
    field: str
    before: float | bool
    after: float | bool

    def describe(self, _: Translator | None = None) -> str:
        """E.g. "fee rate 1.0% → 3.0%", in the language of ``_`` (default English)."""
        _ = _ or translator("en")
        label, fmt = _LIVE_LABELS[self.field]
        if fmt is None:
            return _("{switch} {before} → {after}").format(
                switch=_(label), before=_(on_off(bool(self.before))), after=_(on_off(bool(self.after))))
        return _("{switch} {before} → {after}").format(switch=_(label), before=fmt(self.before), after=fmt(self.after))


def on_off(value: bool) -> str:
    """The catalogue id of a switch's state."""
    return N_("on") if value else N_("off")


#: field -> (catalogue id of its name, number format or None for a switch)
_LIVE_LABELS = {
    "subsidy_depth": (N_("subsidy depth"), lambda v: f"{v:.2f}"),
    "fee_rate": (N_("fee rate"), lambda v: f"{v:.1%}"),
    "governance": (N_("governance"), lambda v: f"{v:.2f}"),
    "fee_trap": (N_("fee trap"), None),
    "strategic_competition": (N_("strategic competition"), None),
}
_LIVE_RANGES = {"subsidy_depth": DEPTH_RANGE, "fee_rate": FEE_RANGE, "governance": GOVERNANCE_RANGE}


# ------------------------------------------------------------------------------ scenario files
def scenario_folders() -> list[Path]:
    """Folders searched for ``*.toml``: ``scenarios/`` beside the package (a source checkout) and
    ``scenarios/`` in the working directory, those that exist, without repeats."""
    here = Path(__file__).resolve().parents[2] / "scenarios"
    found: list[Path] = []
    for folder in (here, Path.cwd() / "scenarios"):
        folder = folder.resolve()
        if folder.is_dir() and folder not in found:
            found.append(folder)
    return found


def scenario_choices(extra: Path | None = None) -> dict[str, Path | None]:
    """Label -> scenario file for the picker: every ``scenarios/*.toml`` by its name, preceded by
    ``extra`` (the ``--scenario`` file, labelled by its path) when it is not one of them; the
    built-in defaults (``None``) when there is nothing else."""
    out: dict[str, Path | None] = {}
    for folder in scenario_folders():
        for path in sorted(folder.glob("*.toml")):
            out.setdefault(path.stem, path.resolve())
    if extra is not None and Path(extra).resolve() not in out.values():
        out = {str(extra): Path(extra).resolve(), **out}
    if not out:
        out[BUILTIN] = None
    return out


def initial_choice(choices: dict[str, Path | None], named: Path | None) -> str:
    """The label the page opens with: the named file, else :data:`DEFAULT_SCENARIO`, else the first."""
    if named is not None:
        for label, path in choices.items():
            if path is not None and path == Path(named).resolve():
                return label
    return DEFAULT_SCENARIO if DEFAULT_SCENARIO in choices else next(iter(choices))


def named_scenario_file() -> Path | None:
    """The file ``clustersim ui --scenario`` passed on (environment :data:`SCENARIO_ENV`), if any."""
    value = os.environ.get(SCENARIO_ENV, "").strip()
    return Path(value) if value else None


def load_choice(path: Path | None) -> Scenario:
    """The scenario behind a picker entry, checked as far as building a model checks it
    (regions file, county names, initial land). Raises :class:`ScenarioError`."""
    scenario = Scenario() if path is None else load_scenario(path)
    build_model(scenario, source=path if path is not None else BUILTIN)
    return scenario


# ------------------------------------------------------------------------------ settings <-> scenario
def focal_traits(scenario: Scenario) -> RegionTraits:
    """The focal county's initial traits, its ``[[regions]]`` entry applied."""
    layout = build_layout(scenario)
    return layout.traits[layout.names.index(focal_county_name(scenario, layout))]


def settings_of(label: str, scenario: Scenario) -> RunSettings:
    """The controls' values that reproduce ``scenario`` exactly (factors 1, its own focal county)."""
    traits = focal_traits(scenario)
    return RunSettings(scenario=label, subsidy_depth=traits.subsidy_depth, fee_rate=traits.fee_rate,
                       governance=traits.governance, fee_trap=scenario.counties.fee_trap,
                       strategic_competition=scenario.counties.strategic_competition, seed=scenario.seed)


def scenario_for(base: Scenario, settings: RunSettings) -> Scenario:
    """``base`` with the controls applied, validated as a whole (raises :class:`ScenarioError`,
    naming the field, when a value is out of its range). The focal county's settings go into its
    ``[[regions]]`` entry, which is added when the scenario has none (as ``--counterfactual`` does)."""
    focal = focal_county_name(base)
    data = base.model_dump()
    regions = [dict(r) for r in data["regions"]]
    focal_traits = {"subsidy_depth": settings.subsidy_depth, "fee_rate": settings.fee_rate,
                    "governance": settings.governance}
    for entry in regions:
        if entry["name"] == focal:
            entry.update(focal_traits)
            break
    else:
        regions.append({"name": focal, **focal_traits})
    t, a, f = base.transport, base.agglomeration, settings
    overrides: dict[str, Any] = {
        "regions": regions,
        "transport.supplier_decay_per_km": t.supplier_decay_per_km * f.transport_factor,
        "transport.market_cost_per_km": t.market_cost_per_km * f.transport_factor,
        "agglomeration.localisation": a.localisation * f.agglomeration_factor,
        "agglomeration.supplier": a.supplier * f.agglomeration_factor,
        "agglomeration.market": a.market * f.agglomeration_factor,
        "counties.fee_trap": f.fee_trap,
        "counties.strategic_competition": f.strategic_competition,
        "seed": f.seed,
    }
    return apply_overrides(base, overrides, source="the page's settings")


def parse_seed(text: str, _: Translator | None = None) -> int:
    """A seed typed into the page: a whole number in 0..2**63-1. Raises ValueError with a
    message for the page, in the language of ``_`` (default English)."""
    _ = _ or translator("en")
    text = str(text).strip()
    try:
        value = int(text)
    except ValueError:
        raise ValueError(_("seed {text} refused: type a whole number from 0 to {max}").format(
            text=repr(text), max=SEED_MAX)) from None
    if not 0 <= value <= SEED_MAX:
        raise ValueError(_("seed {value} refused: it must be between 0 and {max}").format(value=value, max=SEED_MAX))
    return value


class PendingRun:
    """The settings the next Reset uses, per browser session; only settings that passed
    :func:`scenario_for` get in. ``choices`` maps picker labels to files."""

    def __init__(self, choices: dict[str, Path | None], label: str) -> None:
        self.choices = choices
        self.base = load_choice(choices[label])
        self.settings = settings_of(label, self.base)
        self.scenario = scenario_for(self.base, self.settings)

    @classmethod
    def from_environment(cls) -> PendingRun:
        named = named_scenario_file()
        choices = scenario_choices(named)
        return cls(choices, initial_choice(choices, named))

    def choose(self, label: str) -> RunSettings:
        """Switch to another scenario; the controls go back to that scenario's own values.
        Raises :class:`ScenarioError` (nothing changes) when the file cannot be used."""
        if label not in self.choices:
            raise ScenarioError("the page", "scenario", label, f"must be one of {', '.join(self.choices)}")
        base = load_choice(self.choices[label])
        settings = settings_of(label, base)
        self.scenario = scenario_for(base, settings)
        self.base, self.settings = base, settings
        return settings

    def propose(self, settings: RunSettings) -> None:
        """Take ``settings`` for the next Reset; raises :class:`ScenarioError` (and keeps the
        previous settings) when they make an invalid scenario."""
        if settings.scenario != self.settings.scenario:
            raise ValueError("use choose() to switch scenarios")
        self.scenario = scenario_for(self.base, settings)
        self.settings = settings


#: county columns of the region frame that the time series draw, kept year by year by :class:`Timeline`
TIMELINE_FIELDS = ("firms", "balance", "fee_rate", "governance")


class Timeline:
    """The county series the page draws, one row per year from year 0, appended as the model
    runs: the same numbers as the ``region_frame()`` columns :data:`TIMELINE_FIELDS` for the
    counties (in region order), without rebuilding that frame after every step."""

    def __init__(self, model: ClusterModel) -> None:
        is_county = model.regions.is_county
        self.county_names = [n for n, c in zip(model.regions.names, is_county, strict=True) if c]
        self._is_county = is_county  # a fresh array (``~is_origin``)
        self._rows: dict[str, list[np.ndarray]] = {f: [] for f in TIMELINE_FIELDS}
        self.record(model)

    def record(self, model: ClusterModel) -> None:
        """Append the model's current year (call after each step, when the year was collected)."""
        r = model.regions
        for f, rows in self._rows.items():
            rows.append(np.array(getattr(r, f)[self._is_county], dtype=float))

    def __len__(self) -> int:
        return len(self._rows["firms"])

    def county(self, field: str) -> np.ndarray:
        """Years x counties array of ``field`` (one of :data:`TIMELINE_FIELDS`)."""
        return np.vstack(self._rows[field])


class SessionModel(ClusterModel):
    """A :class:`ClusterModel` built from a browser session's pending settings; it stops
    (``running = False``) after the scenario's ``years``. Mesa's Reset calls
    ``SessionModel(run=...)`` with the same :class:`PendingRun`, so Reset applies the controls;
    :meth:`apply_live` changes the focal county's policy and the switches of the running model.

    ``settings`` are the controls this run now follows (the live ones as last applied),
    ``live_changes`` every change made while it ran, ``timeline`` the county series so far.
    ``lock`` is held while the model steps or changes: Mesa's Play steps it in a worker thread
    while the page's controls change it and its components draw it."""

    def __init__(self, run: PendingRun) -> None:
        super().__init__(run.scenario, seed=run.settings.seed)
        self.settings = run.settings
        self.live_changes: list[LiveChange] = []
        self.timeline = Timeline(self)
        self.lock = threading.Lock()

    def step(self) -> None:
        with self.lock:
            super().step()
            self.timeline.record(self)
            if self.year >= self.config.years:
                self.running = False

    def apply_live(self, settings: RunSettings) -> list[LiveChange]:
        """Give the running model the :data:`LIVE_FIELDS` of ``settings`` that differ from the
        ones it follows: the focal county's subsidy depth, fee rate and governance (its entries in
        ``regions``; firms that already hold a package keep the depth they were granted), and the
        ``counties.fee_trap`` / ``counties.strategic_competition`` switches (``config`` is replaced
        by a validated copy). They act from the next step on; the years already run stay as they
        were. Returns the changes made (logged in ``live_changes``). Raises ValueError,
        changing nothing, when a changed value is outside the page's range for it."""
        for name, (lo, hi, _step) in _LIVE_RANGES.items():
            value = getattr(settings, name)
            if value != getattr(self.settings, name) and not lo <= value <= hi:
                raise ValueError(f"{_LIVE_LABELS[name][0]} {value} refused: it must be between {lo} and {hi}")
        with self.lock:
            r, f = self.regions, self.focal
            made = []
            for name in LIVE_FIELDS:
                after = getattr(settings, name)
                if after == getattr(self.settings, name):
                    continue
                if name in ("fee_trap", "strategic_competition"):
                    before = bool(getattr(self.config.counties, name))
                    self.config = apply_overrides(self.config, {f"counties.{name}": bool(after)},
                                                  source="the page's live settings")
                else:
                    array = {"subsidy_depth": r.depth, "fee_rate": r.fee_rate, "governance": r.governance}[name]
                    before = float(array[f])
                    array[f] = after
                if before != after:  # the fee trap may already have moved the fee to where the slider goes
                    made.append(LiveChange(self.year, name, before, after))
            self.settings = replace(self.settings, **{n: getattr(settings, n) for n in LIVE_FIELDS})
            for change in made:
                self._log(change)
        return made

    def _log(self, change: LiveChange) -> None:
        """Append to ``live_changes``; a slider dragged in several moves within one year is one
        change (from the first value to the last), and none if it ends where it started."""
        for k, earlier in enumerate(self.live_changes):
            if (earlier.year, earlier.field) == (change.year, change.field):
                del self.live_changes[k]
                if earlier.before != change.after:
                    self.live_changes.append(replace(change, before=earlier.before))
                return
        self.live_changes.append(change)
