"""The students' model page (route ``/`` of ``clustersim ui``; Solara serves ``routes``).

Each browser session gets its own :class:`~clustersim.ui.session.PendingRun` and model, built
inside the ``Page`` component (never at module level, where every tab would share one model).
The page is laid out as Mesa's SolaraViz lays out a model (app bar, a sidebar of controls, the
components redrawn on Mesa's ``update_counter``), but from Solara's own pieces: SolaraViz's
Step / Play / Reset, its card titles and its step counter are fixed English, and this page speaks
the browser session's language (:mod:`clustersim.ui.language`, 中文 / English, every text from the
catalogue of :mod:`clustersim.i18n`). :func:`ModelControls` drives the model as Mesa's
``ModelController`` does (same play interval, ``force_update`` after each step, Reset builds a new
model from the session's settings). The focal county's policy and the county-behaviour switches
change the running model at once (:meth:`~clustersim.ui.session.SessionModel.apply_live`); the
scenario picker, the two uncertainty factors and the seed take effect on Reset.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import replace

import solara
import solara.lab
from mesa.visualization.utils import force_update

from clustersim.geography import focal_county_name
from clustersim.i18n import N_, translator
from clustersim.scenario import ScenarioError
from clustersim.ui import session as ses
from clustersim.ui.components import Dashboard
from clustersim.ui.language import HIDE_ROUTE_TABS, LanguageSwitch, current


def _focal_package_offers(pending: ses.PendingRun) -> bool:
    return pending.scenario.package(ses.focal_traits(pending.scenario).package).offers_incentives


#: milliseconds between two steps while ▶ plays: Mesa's ModelController default
PLAY_INTERVAL_MS = 100
_HINT = {"font-size": "12px", "color": "#666"}


@solara.component
def ModelControls(pending: ses.PendingRun, model: solara.Reactive, lang: str = "en"):
    """Reset, ▶ / ❚❚ (play, pause) and Step, as Mesa 3.5's ``ModelController`` does them (one step a
    click; ▶ steps every :data:`PLAY_INTERVAL_MS` in a worker thread until ❚❚ or the run's end;
    ``force_update`` after each step redraws every component; Reset builds
    ``SessionModel(run=pending)``), with labels in ``lang``."""
    _ = translator(lang)
    playing = solara.use_reactive(False)
    running = solara.use_reactive(model.value.running)
    error = solara.use_reactive("")  # the step's exception, as text

    def do_step():
        model.value.step()
        running.set(model.value.running)
        force_update()

    def play():
        playing_model = model.value
        try:
            while running.value and playing.value:
                time.sleep(PLAY_INTERVAL_MS / 1000)
                # ❚❚ or Reset during the pause between steps: no step after it (it would step the
                # paused run once more, or the new run Reset just built)
                if not playing.value or model.value is not playing_model:
                    break
                do_step()
        except Exception as err:  # shown in the page, as Mesa does; the traceback goes to the server log
            error.set(str(err))
            traceback.print_exc()

    solara.lab.use_task(play, dependencies=[playing.value, running.value], prefer_threaded=True)

    def reset():
        error.set("")
        playing.set(False)
        model.set(ses.SessionModel(pending))
        running.set(True)

    def step_once():
        try:
            do_step()
        except Exception as err:
            error.set(str(err))
            traceback.print_exc()

    with solara.Card(_("Controls"), classes=["cs-controls"]):
        with solara.Row(justify="space-between"):
            solara.Button(label=_("Reset"), color="primary", on_click=reset, classes=["cs-reset"])
            solara.Button(label="▶" if not playing.value else "❚❚", color="primary",
                          on_click=lambda: playing.set(not playing.value), disabled=not running.value,
                          classes=["cs-play"], attributes={"title": _("Play") if not playing.value else _("Pause")})
            solara.Button(label=_("Step"), color="primary", on_click=step_once,
                          disabled=playing.value or not running.value, classes=["cs-step"])
        if error.value:  # kept untranslated: a language switch re-words it
            solara.Error(_("Error in step: {reason}").format(reason=error.value))


@solara.component
def RunControls(pending: ses.PendingRun, model: solara.Reactive, lang: str = "en"):
    """Two cards. *Policy*: the focal county's subsidy depth, fee rate and governance and the
    county-behaviour switches; they change the running model at once (and the next Reset).
    *Scenario and world*: scenario picker, uncertainty factors and seed, which take effect on
    Reset. Refused input is explained here and never reaches the model. Every text in ``lang``."""
    _ = translator(lang)
    settings = solara.use_reactive(pending.settings)
    seed_text = solara.use_reactive(str(pending.settings.seed))
    bad_seed = solara.use_reactive("")  # a refused seed as typed; its message is worded at render
    refused = solara.use_reactive(None)  # (catalogue id, the reason's text) of the last refusal, or None
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
            refused.set((N_("Refused: {reason}"), str(err)))
            return
        refused.set(None)
        settings.set(proposed)
        current = model.value
        if proposed.scenario != current.settings.scenario:
            return
        try:
            made = current.apply_live(proposed)
        except ValueError as err:
            refused.set((N_("Refused: {reason}"), str(err)))
            return
        if made:
            force_update()  # redraw now: the status panel shows the new policy, the charts its marker

    def choose(label: str):
        try:
            chosen = pending.choose(label)
        except ScenarioError as err:
            refused.set((N_("Cannot use this scenario: {reason}"), str(err)))
            return
        refused.set(None)
        bad_seed.set("")
        seed_text.set(str(chosen.seed))
        settings.set(chosen)

    def type_seed(text: str):
        seed_text.set(text)
        try:
            seed = ses.parse_seed(text)
        except ValueError:
            bad_seed.set(text)
            return
        bad_seed.set("")
        change(seed=seed)

    with solara.Card(_("Policy of {county}: acts at once").format(county=focal)):
        lo, hi, step = ses.DEPTH_RANGE
        solara.SliderFloat(_("Subsidy depth of {county}: {value}").format(county=focal, value=f"{s.subsidy_depth:.2f}"),
                           value=s.subsidy_depth,
                           min=lo, max=hi, step=step, on_value=lambda v: change(subsidy_depth=v))
        if not _focal_package_offers(pending):
            solara.Text(_("{county} offers no package in this scenario: its subsidy depth changes nothing.").format(
                county=focal), style=_HINT)
        lo, hi, step = ses.FEE_RANGE
        solara.SliderFloat(_("Fee rate of {county}: {value}").format(county=focal, value=f"{s.fee_rate:.1%}"),
                           value=s.fee_rate, min=lo, max=hi, step=step,
                           on_value=lambda v: change(fee_rate=v))
        lo, hi, step = ses.GOVERNANCE_RANGE
        solara.SliderFloat(_("Governance of {county}: {value}").format(county=focal, value=f"{s.governance:.2f}"),
                           value=s.governance, min=lo, max=hi, step=step, on_value=lambda v: change(governance=v))
        solara.Checkbox(label=_("Fee trap (deficits raise fees, fee dependence erodes governance)"), value=s.fee_trap,
                        on_value=lambda v: change(fee_trap=bool(v)))
        solara.Checkbox(label=_("Strategic competition (counties copy the winner's subsidy depth)"),
                        value=s.strategic_competition, on_value=lambda v: change(strategic_competition=bool(v)))
        if live:
            solara.Text(_("Changes act from the next year on; a dashed line in the charts marks each. "
                          "Firms that hold a package keep the depth they were granted."), style=_HINT)
        else:
            solara.Text(_("Another scenario is chosen: these apply when you press Reset."), style=_HINT)
    seed_message = ""
    if bad_seed.value:
        try:
            ses.parse_seed(bad_seed.value, _)
        except ValueError as err:
            seed_message = _("{reason}; Reset keeps seed {seed}").format(reason=err, seed=s.seed)
    with solara.Card(_("Scenario and world: on Reset")):
        solara.Select(_("Scenario"), value=s.scenario, values=list(pending.choices), on_value=choose)
        lo, hi, step = ses.FACTOR_RANGE
        solara.SliderFloat(_("Transport cost: {factor} × scenario").format(factor=f"{s.transport_factor:.1f}"),
                           value=s.transport_factor,
                           min=lo, max=hi, step=step, on_value=lambda v: change(transport_factor=v))
        solara.SliderFloat(_("Agglomeration strength: {factor} × scenario").format(
                           factor=f"{s.agglomeration_factor:.1f}"),
                           value=s.agglomeration_factor, min=lo, max=hi, step=step,
                           on_value=lambda v: change(agglomeration_factor=v))
        solara.InputText(_("Random seed"), value=seed_text.value, on_value=type_seed, continuous_update=False,
                         error=bool(seed_message), message=seed_message or None)
        if running.settings.needs_reset(s):
            solara.Info(_("Press Reset to start a new run with these settings."), dense=True)
        else:
            solara.Text(_("Reset starts a new run from year 0 with every control as set."), style=_HINT)
    if refused.value is not None:
        message, reason = refused.value
        solara.Error(_(message).format(reason=reason))


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
    lang = current("model")
    _ = translator(lang)
    solara.Title(_("ClusterSim: firms, counties, clusters"))
    solara.Style(HIDE_ROUTE_TABS)
    with solara.AppBar():
        solara.AppBarTitle(_("ClusterSim: firms, counties, clusters"))
        solara.Button(_("Package lab"), href="/lab", text=True, classes=["cs-lab-link"], style={"color": "white"})
        LanguageSwitch("model")
        solara.lab.ThemeToggle()
    if problem:
        solara.Error(_("The scenario cannot be used: {reason}").format(reason=problem))
        return
    with solara.Sidebar():
        ModelControls(pending, model, lang)
        RunControls(pending, model, lang)
    Dashboard(model.value, lang)


def _lab_page():
    from clustersim.ui.lab_page import LabPage

    return LabPage()


#: two pages: the model (``/``) and the package lab (``/lab``, clustersim.ui.lab_page); their app bars
#: link to each other in the page's language (these route labels are hidden)
routes = [
    solara.Route(path="/", component=Page, label="Model"),
    solara.Route(path="lab", component=solara.component(_lab_page), label="Package lab"),
]
