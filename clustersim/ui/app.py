"""The browser page (Mesa SolaraViz). Start it with ``clustersim ui``; Solara serves ``Page``.

Each browser session gets its own :class:`~clustersim.ui.session.PendingRun` and model, built
inside the ``Page`` component (never at module level, where every tab would share one model).
The sidebar holds Mesa's Step / Play / Reset and this page's own controls. The focal county's
policy and the county-behaviour switches change the running model at once
(:meth:`~clustersim.ui.session.SessionModel.apply_live`); the scenario picker, the two uncertainty
factors and the seed take effect on Reset, as Mesa's own parameters do.
"""

from __future__ import annotations

from dataclasses import replace

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update

from clustersim.geography import focal_county_name
from clustersim.scenario import ScenarioError
from clustersim.ui import session as ses
from clustersim.ui.components import Dashboard


def _focal_package_offers(pending: ses.PendingRun) -> bool:
    return pending.scenario.package(ses.focal_traits(pending.scenario).package).offers_incentives


#: Mesa's SolaraViz always draws a "Model Parameters" card; this page's own controls take its
#: place, so the card stays empty. Hide a sidebar card whose only content is an empty column.
HIDE_EMPTY_CARDS = """
.v-navigation-drawer .v-card:has(> .v-card__text > .v-sheet:only-child:empty) { display: none; }
"""
#: Mesa's sidebar column (the one whose first card holds the Step / Play / Reset buttons) also shows
#: "Play Interval", "Render Interval" and "Use Threads" inputs and an "Information: Time" card: tuning
#: knobs and a duplicate of the status panel's year that only distract students. Hide the inputs of
#: the buttons' card and every card after the first in that column (Model Parameters, Information).
HIDE_MESA_TUNING = """
.v-navigation-drawer .v-card:has(button.v-btn) .v-input { display: none; }
.v-navigation-drawer .v-sheet:has(> .v-card:first-child button.v-btn) > .v-card:not(:first-child) { display: none; }
"""
_HINT = {"font-size": "12px", "color": "#666"}


@solara.component
def RunControls(pending: ses.PendingRun, model: solara.Reactive):
    """Two cards. *Policy*: the focal county's subsidy depth, fee rate and governance and the
    county-behaviour switches; they change the running model at once (and the next Reset).
    *Scenario and world*: scenario picker, uncertainty factors and seed, which take effect on
    Reset. Refused input is explained here and never reaches the model."""
    settings = solara.use_reactive(pending.settings)
    seed_text = solara.use_reactive(str(pending.settings.seed))
    seed_error = solara.use_reactive("")
    refused = solara.use_reactive("")
    s = settings.value
    focal = focal_county_name(pending.scenario)
    running = model.value
    # live changes only reach a model of the same scenario (another one is a different world)
    live = s.scenario == running.settings.scenario

    def change(**changes):
        proposed = replace(settings.value, **changes)
        try:
            pending.propose(proposed)
        except ScenarioError as err:
            refused.set(f"Refused: {err}")
            return
        refused.set("")
        settings.set(proposed)
        current = model.value
        if proposed.scenario != current.settings.scenario:
            return
        try:
            made = current.apply_live(proposed)
        except ValueError as err:
            refused.set(str(err))
            return
        if made:
            force_update()  # redraw now: the status panel shows the new policy, the charts its marker

    def choose(label: str):
        try:
            chosen = pending.choose(label)
        except ScenarioError as err:
            refused.set(f"Cannot use this scenario: {err}")
            return
        refused.set("")
        seed_error.set("")
        seed_text.set(str(chosen.seed))
        settings.set(chosen)

    def type_seed(text: str):
        seed_text.set(text)
        try:
            seed = ses.parse_seed(text)
        except ValueError as err:
            seed_error.set(f"{err}; Reset keeps seed {settings.value.seed}")
            return
        seed_error.set("")
        change(seed=seed)

    with solara.Card(f"Policy of {focal}: acts at once"):
        lo, hi, step = ses.DEPTH_RANGE
        solara.SliderFloat(f"Subsidy depth of {focal}: {s.subsidy_depth:.2f}", value=s.subsidy_depth,
                           min=lo, max=hi, step=step, on_value=lambda v: change(subsidy_depth=v))
        if not _focal_package_offers(pending):
            solara.Text(f"{focal} offers no package in this scenario: its subsidy depth changes nothing.",
                        style=_HINT)
        lo, hi, step = ses.FEE_RANGE
        solara.SliderFloat(f"Fee rate of {focal}: {s.fee_rate:.1%}", value=s.fee_rate, min=lo, max=hi, step=step,
                           on_value=lambda v: change(fee_rate=v))
        lo, hi, step = ses.GOVERNANCE_RANGE
        solara.SliderFloat(f"Governance of {focal}: {s.governance:.2f}", value=s.governance, min=lo, max=hi,
                           step=step, on_value=lambda v: change(governance=v))
        solara.Checkbox(label="Fee trap (deficits raise fees, fee dependence erodes governance)", value=s.fee_trap,
                        on_value=lambda v: change(fee_trap=bool(v)))
        solara.Checkbox(label="Strategic competition (counties copy the winner's subsidy depth)",
                        value=s.strategic_competition, on_value=lambda v: change(strategic_competition=bool(v)))
        if live:
            solara.Text("Changes act from the next year on; a dashed line in the charts marks each. "
                        "Firms that hold a package keep the depth they were granted.", style=_HINT)
        else:
            solara.Text("Another scenario is chosen: these apply when you press Reset.", style=_HINT)
    with solara.Card("Scenario and world: on Reset"):
        solara.Select("Scenario", value=s.scenario, values=list(pending.choices), on_value=choose)
        lo, hi, step = ses.FACTOR_RANGE
        solara.SliderFloat(f"Transport cost: {s.transport_factor:.1f} × scenario", value=s.transport_factor,
                           min=lo, max=hi, step=step, on_value=lambda v: change(transport_factor=v))
        solara.SliderFloat(f"Agglomeration strength: {s.agglomeration_factor:.1f} × scenario",
                           value=s.agglomeration_factor, min=lo, max=hi, step=step,
                           on_value=lambda v: change(agglomeration_factor=v))
        solara.InputText("Random seed", value=seed_text.value, on_value=type_seed, continuous_update=False,
                         error=seed_error.value or False, message=seed_error.value or None)
        if running.settings.needs_reset(s):
            solara.Info("Press Reset to start a new run with these settings.", dense=True)
        else:
            solara.Text("Reset starts a new run from year 0 with every control as set.", style=_HINT)
    if refused.value:
        solara.Error(refused.value)


@solara.component
def Page():
    def start():
        try:
            pending = ses.PendingRun.from_environment()
            return pending, ses.SessionModel(pending), ""
        except ScenarioError as err:
            return None, None, str(err)

    pending, first_model, problem = solara.use_memo(start, [])
    model = solara.use_reactive(first_model)
    if problem:
        solara.Error(f"The scenario cannot be used: {problem}")
        return
    # no components for Mesa's draggable half-width grid: the dashboard below lays out the figures itself
    solara.Style(HIDE_EMPTY_CARDS + HIDE_MESA_TUNING)
    SolaraViz(model, components=[], model_params={"run": pending}, name="ClusterSim: firms, counties, clusters")
    _SidebarControls(pending, model)
    Dashboard(model.value)


@solara.component
def _SidebarControls(pending: ses.PendingRun, model: solara.Reactive):
    # Solara orders sidebar content by component depth: one level below SolaraViz's own sidebar
    # puts these controls under Mesa's Step / Play / Reset
    _Nested(pending, model)


@solara.component
def _Nested(pending: ses.PendingRun, model: solara.Reactive):
    with solara.Sidebar():
        RunControls(pending, model)


def _lab_page():
    from clustersim.ui.lab_page import LabPage

    return LabPage()


#: two pages: the model (``/``) and the package lab (``/lab``, clustersim.ui.lab_page)
routes = [
    solara.Route(path="/", component=Page, label="Model"),
    solara.Route(path="lab", component=solara.component(_lab_page), label="Package lab / 政策实验室"),
]
