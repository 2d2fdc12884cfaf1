"""The browser UI without a browser: settings -> scenario, the figures and status panel for every
shipped scenario, policy changes applied to a running model, and the page driven through its
widgets (``solara.render``)."""

from __future__ import annotations

import html
import io
import re
import warnings
from dataclasses import fields, replace
from pathlib import Path

import ipyvuetify as v
import numpy as np
import pytest
import solara
from matplotlib.collections import LineCollection, PatchCollection, PolyCollection
from PIL import Image

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
        assert len(series) == 6
        for panel in series:
            assert components.png(panel)[:4] == b"\x89PNG"
    if model.layout.shapes is not None:  # real geography: every region's outline, filled
        fills = next(c for c in fig.axes[0].collections if isinstance(c, PolyCollection))
        assert len(fills.get_paths()) >= model.regions.n
    else:  # one wedge per region and sector with firms: the pies show the sector mix
        wedges = next(c for c in fig.axes[0].collections if isinstance(c, PatchCollection))
        assert len(wedges.get_paths()) == int((model.firms_by_sector > 0).sum())
    # the county panels have one series (a line through years 0, 1, 2) per county; the focal's in red
    n_counties = int(model.regions.is_county.sum())
    for panel in series[3:]:
        curves = [line for line in panel.axes[0].lines if len(line.get_xdata()) == 3]
        assert len(curves) == n_counties
        assert curves[-1].get_color() == components.FOCAL_COLOUR
    rows = dict(components.status_rows(model))
    assert rows["Year"] == f"2 of {model.config.years}"
    assert rows["Focal county"] == model.focal_name
    # after 2 years fewer than hold_years years can lie after the incentives end: no verdict yet
    assert model.config.take_off.hold_years > 2
    assert rows["Take-off"] == "not yet observable"
    jobs, jobs0 = model.regions.employment[model.focal], model.model_frame()["focal_employment"].iloc[0]
    assert rows["Jobs"] == f"{jobs:,.0f} ({jobs - jobs0:+,.0f} since year 0)"


def test_moves_are_drawn_with_width_growing_with_the_count():
    model = stepped("held_package", years=0)
    while model.running and len(np.unique(model.last_moves[:, 2])) < 2:
        model.step()
    assert len(np.unique(model.last_moves[:, 2])) >= 2, "some year has moves of different sizes"
    fig = components.map_figure(model)
    lines = next(c for c in fig.axes[0].collections if isinstance(c, LineCollection))
    widths = np.asarray(lines.get_linewidths())
    counts = model.last_moves[:, 2]
    order = np.argsort(counts)
    assert len(lines.get_segments()) == len(model.last_moves)
    # equal counts, equal widths; a larger count, a wider line (not merely never narrower)
    np.testing.assert_array_equal(np.sign(np.diff(widths[order])), np.sign(np.diff(counts[order])))


def test_reused_plots_match_fresh_ones():
    model = stepped("fee_trap", years=3)
    plot = components.SeriesPlot()
    plot.update(stepped("held_package", years=5))  # a different model drawn before
    again = plot.update(model)
    fresh = components.series_figure(model)
    for fa, fb in zip(again, fresh, strict=True):
        a, b = fa.axes[0], fb.axes[0]
        assert a.get_title() == b.get_title()
        assert a.get_ylim() == b.get_ylim()
        # in drawing order (markers under the curves)
        lines_a, lines_b = (sorted(ax.lines, key=lambda line: line.get_zorder()) for ax in (a, b))
        assert len(lines_a) == len(lines_b)
        for la, lb in zip(lines_a, lines_b, strict=True):
            np.testing.assert_array_equal(la.get_ydata(), lb.get_ydata())
            assert (la.get_color(), la.get_linewidth()) == (lb.get_color(), lb.get_linewidth())


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_redrawing_only_what_changed_gives_the_pixels_of_a_full_draw():
    """The page's images come from a kept static layer plus the artists that change; after every
    step (with the map's measure switched and a live policy change along the way, which redraw the
    static layer) they must equal a full ``savefig`` of the same figure, pixel for pixel."""
    model = stepped("held_package", years=0)
    mp, sp = components.MapPlot(), components.SeriesPlot()
    redrawn = kept = 0
    for year in range(1, 9):
        model.step()
        if year == 4:
            model.apply_live(replace(model.settings, fee_rate=0.03, governance=0.4))
        measure = "employment" if year in (5, 6) else "firms"
        mp.update(model, measure)
        np.testing.assert_array_equal(_pixels(mp.png()), _pixels(components.png(mp.figure)))
        keys = list(sp._keys)
        sp.update(model)
        changed = [a != b for a, b in zip(keys, sp._keys, strict=True)]
        redrawn += sum(changed)
        kept += changed.count(False)
        for fig, image in zip(sp.figures, sp.png(), strict=True):
            np.testing.assert_array_equal(_pixels(image), _pixels(components.png(fig)))
    assert redrawn > 6 and kept > 0, "both ways (static layer redrawn and kept) were checked"


def test_limits_grow_in_round_steps_and_cover_the_data():
    for lo, hi in ((0.0, 0.0), (0.0, 7.0), (16.0, 36.0), (-3.0, 2.5), (-120.0, -5.0), (1.0, 1.0)):
        low, high = components._nice_limits(lo, hi)
        assert low <= lo and high >= hi
        assert high > low
        if lo >= 0:
            assert low >= 0, "data that is never negative gets no negative axis"


def test_leaders_keep_their_place_until_clearly_overtaken():
    names = ["a", "b", "c", "d", "e", "f", "focal"]
    firms = np.array([[50, 40, 30, 20, 10, 19, 5]], float)
    first = components._leaders(firms, names, "focal")
    assert first == ["focal", "a", "b", "c", "d"]
    # f passes d by less than 10 %: the legend stays
    firms[0, 5] = 21
    assert components._leaders(firms, names, "focal", first) == first
    # f passes d clearly: it replaces d
    firms[0, 5] = 25
    assert components._leaders(firms, names, "focal", first) == ["focal", "a", "b", "c", "f"]


def test_timeline_holds_the_region_frame_numbers():
    model = stepped("fee_trap", years=4)
    frame = model.region_frame()
    counties = frame[frame["kind"] == "county"]
    for field in session.TIMELINE_FIELDS:
        wide = counties.pivot(index="year", columns="region", values=field)[model.timeline.county_names]
        np.testing.assert_array_equal(model.timeline.county(field), wide.to_numpy())


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


def test_every_control_is_either_live_or_waits_for_reset():
    assert set(session.LIVE_FIELDS).isdisjoint(session.RESET_FIELDS)
    assert set(session.LIVE_FIELDS) | set(session.RESET_FIELDS) == {f.name for f in fields(session.RunSettings)}


# ------------------------------------------------------------------------------ live policy changes
def test_a_live_change_reaches_the_running_model_and_acts_from_the_next_year():
    run = session.PendingRun(session.scenario_choices(), "held_package")
    model, same = session.SessionModel(run), session.SessionModel(run)  # same seed: same run until the change
    for _ in range(5):
        model.step()
        same.step()
    f = model.focal
    scenario_before = run.scenario.model_dump()
    made = model.apply_live(replace(model.settings, subsidy_depth=3.5, fee_rate=0.04, governance=0.3,
                                    fee_trap=True, strategic_competition=True))
    assert [c.field for c in made] == list(session.LIVE_FIELDS)
    assert model.year == 5 and all(c.year == 5 for c in made)
    assert (model.regions.depth[f], model.regions.fee_rate[f], model.regions.governance[f]) == (3.5, 0.04, 0.3)
    assert model.config.counties.fee_trap and model.config.counties.strategic_competition
    assert model.config.model_dump(exclude={"counties"}) == same.config.model_dump(exclude={"counties"})
    assert run.scenario.model_dump() == scenario_before, "the scenario the next Reset uses is not touched"
    assert made[1].describe() == "fee rate 1.0% → 4.0%"
    model.step()
    same.step()
    # history is kept; the first year under the new policy records it (before the county-policy
    # rules of year 6 act on it: the fee trap may raise the fee, strategic competition move the depth)
    frame, other = model.model_frame(), same.model_frame()
    assert frame.iloc[:6].equals(other.iloc[:6])
    assert frame["year"].iloc[-1] == 6
    assert frame["focal_fee_rate"].iloc[-1] >= 0.04 and other["focal_fee_rate"].iloc[-1] == 0.01
    assert frame["focal_governance"].iloc[-1] <= 0.3 and other["focal_governance"].iloc[-1] == 0.6


def test_firms_keep_the_depth_they_were_granted():
    model = stepped("held_package", years=7)
    t = model.firms
    granted = np.flatnonzero((t.package_depth[: t.size] > 0) & t.alive[: t.size])
    assert granted.size, "held_package's county_01 has granted its package by year 7"
    depths = t.package_depth[granted].copy()
    assert np.all(depths == 2.0)
    model.apply_live(replace(model.settings, subsidy_depth=0.5))
    model.step()
    still = t.alive[granted] & (t.region[granted] == model.focal)
    np.testing.assert_array_equal(t.package_depth[granted][still], depths[still])
    n = t.size
    arrived = t.alive[:n] & (t.region[:n] == model.focal) & (t.years[:n] == 1)  # moved in during year 8
    assert arrived.any()
    assert np.all(t.package_depth[:n][arrived] == 0.5)


def test_moves_within_a_year_are_one_change_and_a_return_is_none():
    model = stepped("held_package", years=2)
    for fee in (0.015, 0.02, 0.03):
        model.apply_live(replace(model.settings, fee_rate=fee))
    assert [(c.year, c.field, c.before, c.after) for c in model.live_changes] == [(2, "fee_rate", 0.01, 0.03)]
    model.apply_live(replace(model.settings, fee_rate=0.01))
    assert model.live_changes == []
    model.apply_live(replace(model.settings, fee_trap=True))
    model.step()
    model.apply_live(replace(model.settings, fee_trap=False))
    assert [(c.year, c.after) for c in model.live_changes] == [(2, True), (3, False)]


def test_a_live_value_out_of_range_is_refused_and_nothing_changes():
    model = stepped("held_package", years=1)
    before = (model.settings, model.regions.fee_rate.copy(), model.regions.depth.copy())
    with pytest.raises(ValueError, match=r"fee rate 0\.3 refused"):
        model.apply_live(replace(model.settings, fee_rate=0.3, subsidy_depth=1.0))
    assert model.settings == before[0] and model.live_changes == []
    np.testing.assert_array_equal(model.regions.fee_rate, before[1])
    np.testing.assert_array_equal(model.regions.depth, before[2])


def test_live_changes_are_marked_in_the_time_series_and_the_status_panel():
    model = stepped("held_package", years=3)
    model.apply_live(replace(model.settings, fee_rate=0.05))
    model.step()
    panels = components.series_figure(model)
    for panel in panels:
        marks = [line for line in panel.axes[0].lines if line.get_color() == components.LIVE_COLOUR]
        assert [tuple(m.get_xdata()) for m in marks] == [(3, 3)]
    labels = [t.get_text() for t in panels[components.LIVE_PANEL["fee_rate"]].axes[0].texts]
    assert labels == ["fee rate 1.0% → 5.0% "]
    rows = dict(components.status_rows(model))
    assert rows["Changed while running"] == "year 3: fee rate 1.0% → 5.0%"
    assert rows["Fee rate, governance"].startswith("5.0%")


# ------------------------------------------------------------------------------ the page, headless
def _cell(rc, row: str) -> str:
    """A cell of the status panel, by its row's CSS class (``cs-<row>``)."""
    panels = rc.find(solara.widgets.HTML).widgets
    texts = [w.unsafe_innerHTML for w in panels if f"cs-{row}'" in w.unsafe_innerHTML]
    assert len(texts) == 1
    return html.unescape(re.search(rf"cs-{row}'>([^<]*)<", texts[0]).group(1))


def _year(rc) -> str:
    return _cell(rc, "year")


def test_page_steps_and_resets_without_a_browser():
    _box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    assert _year(rc) == "0 of 40"
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert _year(rc) == "2 of 40"
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert _year(rc) == "0 of 40"
    rc.close()


def test_policy_controls_change_the_running_model_at_once():
    _box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    step.click()
    step.click()
    reset_note = ["Press Reset to start a new run with these settings."]
    rc.find(v.Slider, label="Fee rate of county_01: 1.0%").widget.v_model = 0.035
    assert _year(rc) == "2 of 40"  # the run goes on
    assert _cell(rc, "fee-rate-governance").startswith("3.5%")
    assert _cell(rc, "changed-while-running") == "year 2: fee rate 1.0% → 3.5%"
    assert not rc.find(v.Alert, children=reset_note).widgets
    rc.find(v.Checkbox, label="Fee trap (deficits raise fees, fee dependence erodes governance)").widget.v_model = True
    assert _cell(rc, "switches") == "fee trap on, strategic competition off"
    step.click()
    assert _year(rc) == "3 of 40"
    # a world setting waits for Reset, which then starts from year 0 with every control as set
    rc.find(v.Slider, label="Transport cost: 1.0 × scenario").widget.v_model = 2.0
    assert rc.find(v.Alert, children=reset_note).widgets
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert _year(rc) == "0 of 40"
    assert _cell(rc, "fee-rate-governance").startswith("3.5%")
    assert _cell(rc, "switches") == "fee trap on, strategic competition off"
    assert _cell(rc, "changed-while-running").startswith("nothing yet")
    assert not rc.find(v.Alert, children=reset_note).widgets
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


# ------------------------------------------------------------------------------ readability (issue 10, item 8)
def test_dotted_incentives_end_line_has_a_legend_entry():
    model = stepped("held_package")
    figures = components.SeriesPlot().update(model)
    labels = [t.get_text() for t in figures[0].axes[0].get_legend().get_texts()]
    end = model.incentives_end_year()
    assert f"incentives end (year {end:g})" in labels
    dotted = [line for line in figures[0].axes[0].lines if line.get_linestyle() == ":"]
    assert [line.get_xdata()[0] for line in dotted] == [end]  # the entry describes the line that is drawn


def test_chart_and_map_text_is_at_least_9_points():
    model = stepped("held_package")
    for fig in [components.MapPlot().update(model), *components.SeriesPlot().update(model)]:
        for ax in fig.axes:
            texts = [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.title, ax.xaxis.label]
            legend = ax.get_legend()
            texts += list(legend.get_texts()) if legend is not None else []
            texts += list(ax.texts)
            sizes = [t.get_fontsize() for t in texts if t.get_text()]
            assert sizes and min(sizes) >= 9, (ax.get_title(), sorted(set(sizes)))


def test_map_labels_sit_below_their_circle_and_the_focal_ring():
    model = stepped("held_package", years=8)
    plot = components.MapPlot()
    fig = plot.update(model)
    ax = fig.axes[0]
    ring = next(p for p in ax.patches if p.get_edgecolor()[:3] != (1.0, 1.0, 1.0) and not p.get_fill())
    focal_label = next(t for t in ax.texts if t.get_text().startswith(model.focal_name))
    # the label's anchor is at or below the ring's lowest point, so the text (va=top) starts under it
    assert focal_label.xy[1] <= ring.center[1] - ring.radius + 1e-9
    assert focal_label.get_path_effects()  # a white halo keeps it readable over lines and circles


# ------------------------------------------------------------------------------ 中文 (issue 15)
def _english_words(texts: list[str], names: set[str]) -> set[str]:
    return {w for t in texts for w in re.findall(r"[A-Za-z]{2,}", t) if w.lower() not in names}


def test_charts_and_status_in_chinese_have_no_english_and_every_glyph():
    model = stepped("held_package", years=18)  # past the end of the incentives: the dotted line and its legend
    model.apply_live(replace(model.settings, fee_rate=0.05, fee_trap=True))  # a live change, labelled in a panel
    model.step()
    names = {w.lower() for n in [*model.regions.names, *model.sector_names, *model.packages.names,
                                 model.config.name] for w in re.findall(r"[A-Za-z]+", n)}
    figures = [components.MapPlot().update(model, "employment", "zh"), *components.SeriesPlot().update(model, "zh")]
    texts = []
    for fig in figures:
        for ax in fig.axes:
            texts += [ax.get_title(loc) for loc in ("left", "center", "right")]
            texts += [ax.get_xlabel(), ax.get_ylabel(), *(t.get_text() for t in ax.texts)]
            legend = ax.get_legend()
            texts += [t.get_text() for t in legend.get_texts()] if legend is not None else []
            texts += [t.get_text() for t in ax.get_yticklabels()]
    assert _english_words(texts, names) == set()
    assert sum(bool(re.search(r"[\u4e00-\u9fff]", t)) for t in texts) >= 20  # titles, axes, legends, labels
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" for a box
        for fig in figures:
            components.png(fig)
    rows = components.status_rows(model, "zh")
    assert _english_words([t for row in rows for t in row], names) == set()
    assert dict(rows)["运行中的政策调整"] == "第 18 年：规费率：1.0% → 5.0%；第 18 年：规费陷阱：关 → 开"
    assert re.fullmatch(r"-?[\d,.]+(万元|亿元)", dict(rows)["财政余额"])
    # the English page is unchanged by it: the status rows keep the English labels and the CSS classes
    assert dict(components.status_rows(model))["Changed while running"] == (
        "year 18: fee rate 1.0% → 5.0%; year 18: fee trap off → on")
    assert "class='cs-changed-while-running'" in components.status_html(model, "zh")


def test_chinese_balance_ticks_follow_chinese_amounts():
    assert [components.compact_zh(v) for v in (0, 800, 3200, 12000, 1.5e6, -2500)] == [
        "0", "800万", "3200万", "1.2亿", "150亿", "-2500万"]


def test_page_switches_language_without_a_browser():
    from clustersim.i18n import translator
    from clustersim.ui import language

    zh = translator("zh")
    _box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    rc.find(v.Btn, children=["Step"]).widget.click()
    language.pick("zh")  # what the app bar's 中文 button does (the app bar is not in this test's widget tree)
    try:
        rc.find(v.Btn, children=[zh("Step")]).widget.click()
        assert _year(rc) == "第 2 年 / 共 40 年"
        rc.find(v.Btn, children=[zh("Reset")]).widget.click()
        assert _year(rc) == "第 0 年 / 共 40 年"
        assert rc.find(v.Slider, label=zh("Fee rate of {county}: {value}").format(county="county_01", value="1.0%")
                       ).widgets
    finally:
        language.pick("en")
        rc.close()


def test_ui_lang_sets_the_language_both_pages_open_in(monkeypatch):
    from clustersim.ui import language
    from clustersim.ui.launch import server_environment

    env = server_environment({"CLUSTERSIM_UI_LANG": "en"}, None, "zh")
    assert env[session.LANG_ENV] == "zh"
    assert session.LANG_ENV not in server_environment(env, None)  # no --lang: each page's own default
    monkeypatch.delenv(session.LANG_ENV, raising=False)
    assert (language.page_default("model"), language.page_default("lab")) == ("en", "zh")
    monkeypatch.setenv(session.LANG_ENV, "zh")
    assert (language.page_default("model"), language.page_default("lab")) == ("zh", "zh")
