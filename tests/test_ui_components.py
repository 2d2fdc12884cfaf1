"""The browser UI without a browser: settings -> scenario, the figures and status panel for every
shipped scenario, and the page driven through its widgets (``solara.render``)."""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from pathlib import Path

import ipyvuetify as v
import numpy as np
import pytest
import solara
from matplotlib.collections import LineCollection, PatchCollection

from clustersim.geography import build_layout
from clustersim.scenario import ScenarioError, load_scenario
from clustersim.ui import components, session
from clustersim.ui.app import Page, RunControls

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((REPO / "scenarios").glob("*.toml"))


def stepped(label: str, years: int = 2) -> session.SessionModel:
    run = session.PendingRun(session.scenario_choices(), label)
    model = session.SessionModel(run)
    for _ in range(years):
        model.step()
    return model


@pytest.fixture(autouse=True)
def _no_scenario_env(monkeypatch):
    monkeypatch.delenv(session.SCENARIO_ENV, raising=False)


def test_picker_lists_every_shipped_scenario_and_opens_held_package():
    choices = session.scenario_choices()
    assert {p.stem for p in SCENARIOS} <= set(choices)
    assert session.initial_choice(choices, None) == session.DEFAULT_SCENARIO


def test_a_scenario_file_elsewhere_is_offered_first(tmp_path):
    elsewhere = tmp_path / "mine.toml"
    elsewhere.write_text('name = "mine"\nyears = 3\n', encoding="utf-8")
    choices = session.scenario_choices(elsewhere)
    label = next(iter(choices))
    assert choices[label] == elsewhere.resolve()
    assert session.initial_choice(choices, elsewhere) == label
    assert session.PendingRun(choices, label).scenario.name == "mine"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_components_render_for_every_scenario(path):
    model = stepped(path.stem)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. matplotlib refusing limits or an empty legend
        fig = components.map_figure(model)
        series = components.series_figure(model)
        for measure in ("firms", "employment"):
            assert components.png(components.map_figure(model, measure))[:4] == b"\x89PNG"
        assert components.png(series)[:4] == b"\x89PNG"
    # one wedge per region and sector with firms: the pies show the sector mix
    wedges = next(c for c in fig.axes[0].collections if isinstance(c, PatchCollection))
    assert len(wedges.get_paths()) == int((model.firms_by_sector > 0).sum())
    # the county panels have one series (a line through years 0, 1, 2) per county; the focal's in red
    n_counties = int(model.regions.is_county.sum())
    for ax in series.axes[3:]:
        curves = [line for line in ax.lines if len(line.get_xdata()) == 3]
        assert len(curves) == n_counties
        assert curves[-1].get_color() == components.FOCAL_COLOUR
    rows = dict(components.status_rows(model))
    assert rows["Year"] == f"2 of {model.config.years}"
    assert rows["Focal county"] == model.focal_name
    assert rows["Take-off"] in ("YES", "no", "not yet observable")
    assert f"{model.regions.employment[model.focal]:,.0f}" in rows["Jobs"]


def test_moves_are_drawn_with_width_growing_with_the_count():
    model = stepped("held_package", years=0)
    while model.running and len(np.unique(model.last_moves[:, 2])) < 2:
        model.step()
    assert len(np.unique(model.last_moves[:, 2])) >= 2, "some year has moves of different sizes"
    fig = components.map_figure(model)
    lines = next(c for c in fig.axes[0].collections if isinstance(c, LineCollection))
    widths = np.asarray(lines.get_linewidths())
    order = np.argsort(model.last_moves[:, 2])
    assert len(lines.get_segments()) == len(model.last_moves)
    assert np.all(np.diff(widths[order]) >= 0)


def test_reused_plots_match_fresh_ones():
    model = stepped("fee_trap", years=3)
    plot = components.SeriesPlot()
    plot.update(stepped("held_package", years=5))  # a different model drawn before
    again = plot.update(model)
    fresh = components.series_figure(model)
    for a, b in zip(again.axes, fresh.axes, strict=True):
        assert a.get_title() == b.get_title()
        assert len(a.lines) == len(b.lines)
        for la, lb in zip(a.lines, b.lines, strict=True):
            np.testing.assert_array_equal(la.get_ydata(), lb.get_ydata())


# ------------------------------------------------------------------------------ settings
def test_settings_of_a_scenario_reproduce_it():
    base = load_scenario(REPO / "scenarios" / "held_package.toml")
    settings = session.settings_of("held_package", base)
    assert (settings.subsidy_depth, settings.fee_rate) == (2.0, 0.01)  # the file's county_01 entry
    again = session.scenario_for(base, settings)
    # the focal entry may now spell out a default (governance = 0.6); the regions come out the same
    assert build_layout(again).traits == build_layout(base).traits
    assert again.model_dump(exclude={"regions"}) == base.model_dump(exclude={"regions"})


def test_scenario_for_applies_every_control():
    base = load_scenario(REPO / "scenarios" / "baseline.toml")  # no [[regions]] entry for the focal county
    s = replace(session.settings_of("baseline", base), subsidy_depth=3.0, fee_rate=0.05, governance=0.3,
                transport_factor=2.0, agglomeration_factor=0.5, fee_trap=True, strategic_competition=True, seed=7)
    out = session.scenario_for(base, s)
    layout = build_layout(out)
    focal = layout.traits[layout.names.index("county_01")]
    assert (focal.subsidy_depth, focal.fee_rate, focal.governance) == (3.0, 0.05, 0.3)
    other = layout.traits[layout.names.index("county_02")]
    assert other.fee_rate == base.geography.county.fee_rate
    assert out.transport.market_cost_per_km == pytest.approx(2 * base.transport.market_cost_per_km)
    assert out.transport.supplier_decay_per_km == pytest.approx(2 * base.transport.supplier_decay_per_km)
    assert out.agglomeration.localisation == pytest.approx(0.5 * base.agglomeration.localisation)
    assert out.agglomeration.supplier == pytest.approx(0.5 * base.agglomeration.supplier)
    assert out.counties.fee_trap and out.counties.strategic_competition and out.seed == 7


@pytest.mark.parametrize("text", ["abc", "-1", str(2**63), "1.5", ""])
def test_bad_seeds_are_refused_with_a_message(text):
    with pytest.raises(ValueError, match="refused"):
        session.parse_seed(text)


def test_out_of_range_settings_are_refused_and_the_old_ones_kept():
    run = session.PendingRun(session.scenario_choices(), "baseline")
    before = run.settings, run.scenario
    # market_cost_per_km is capped at 0.01 per km; 1000 x the default 0.0001 is 0.1
    with pytest.raises(ScenarioError, match="market_cost_per_km"):
        run.propose(replace(run.settings, transport_factor=1000.0))
    assert (run.settings, run.scenario) == before


# ------------------------------------------------------------------------------ the page, headless
def _year(rc) -> str:
    """The status panel's Year cell."""
    panels = rc.find(solara.widgets.HTML).widgets
    texts = [w.unsafe_innerHTML for w in panels if "cs-year" in w.unsafe_innerHTML]
    assert len(texts) == 1
    return re.search(r"cs-year'>([^<]*)<", texts[0]).group(1)


def test_page_steps_and_resets_without_a_browser():
    _box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    assert _year(rc) == "0 of 40"
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert _year(rc) == "2 of 40"
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert _year(rc) == "0 of 40"
    rc.close()


def test_controls_refuse_a_bad_seed_and_apply_good_settings_on_reset():
    run = session.PendingRun(session.scenario_choices(), "held_package")
    model = solara.reactive(session.SessionModel(run))
    _box, rc = solara.render(RunControls(run, model), handle_error=False)
    seed = rc.find(v.TextField, label="Random seed").widget
    seed.v_model = "not a number"
    seed.fire_event("focusout", None)
    field = rc.find(v.TextField, label="Random seed").widget
    assert field.error is True and "refused" in " ".join(field.messages)
    assert run.settings.seed == 0
    seed.v_model = "42"
    seed.fire_event("focusout", None)
    assert run.settings.seed == 42
    assert rc.find(v.Alert, children=["Press Reset to start a new run with these settings."]).widgets
    assert session.SessionModel(run).seed == 42
    rc.close()


def test_choosing_a_scenario_resets_the_controls_to_its_values():
    run = session.PendingRun(session.scenario_choices(), "held_package")
    model = solara.reactive(session.SessionModel(run))
    _box, rc = solara.render(RunControls(run, model), handle_error=False)
    rc.find(v.Select, label="Scenario").widget.v_model = "fee_trap"
    assert run.settings == replace(run.settings, scenario="fee_trap", subsidy_depth=1.0, fee_rate=0.06,
                                   governance=0.45, fee_trap=True, strategic_competition=False)
    assert rc.find(v.Slider, label="Fee rate of county_01: 6.0%").widgets
    rc.find(v.Html, children=["county_01 offers no package in this scenario: its subsidy depth changes nothing."]
            ).assert_single()
    rc.close()


def test_cli_refuses_a_bad_scenario_before_starting_a_server(run_cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[firms]\nreview_rate = 1.5\n", encoding="utf-8")
    out = run_cli("ui", "--scenario", bad)
    assert out.returncode == 2
    assert out.stderr.strip() == f"{bad}: firms.review_rate = 1.5: must be between 0 and 1"
    assert "ClusterSim UI at" not in out.stdout
    out = run_cli("ui", "--port", "70000")
    assert out.returncode == 2 and "between 1 and 65535" in out.stderr
