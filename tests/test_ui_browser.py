"""The browser UI in real headless Chromium (Debian's ``chromium``, driven by Playwright).

The server is started as a user starts it (``python -m clustersim ui --port N``). These tests
never skip: without /usr/bin/chromium they fail and say how to install it (``.ci/run`` does).
"""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

# pytest-xdist (make test) gives the whole module to one worker, which starts this module's UI server and chromium once
pytestmark = pytest.mark.xdist_group("browser")  # with test_lab_browser: one worker, one server at a time

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
TIMEOUT_MS = 30_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(command: list[str], url: str, *, env: dict[str, str] | None = None, name: str = "the server"):
    """Run ``command`` (a web server) until ``url`` answers 200, yield, then stop it (SIGTERM, then
    SIGKILL). The test fails with the server's output if it exits or does not answer in 60 s."""
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{name} exited with status {proc.returncode}:\n{proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            pytest.fail(f"{name} did not answer at {url} within 60 s:\n{proc.stdout.read()}")
        time.sleep(0.25)
    try:
        yield proc
    finally:
        proc.terminate()  # the launcher stops its Solara server on SIGTERM
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server():
    """The app's address; the server runs for this module's tests."""
    port = _free_port()
    with serving([sys.executable, "-m", "clustersim", "ui", "--port", str(port)], f"http://127.0.0.1:{port}/",
                 name="clustersim ui"):
        yield f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
                    "(apt-get install chromium; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Tab:
    """One browser context (its own cookies, so its own Solara session) on the app, recording
    every request, console error and failed response."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1600, "height": 1000})
        self.page = self.context.new_page()
        self.urls: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []
        page = self.page
        page.on("request", lambda r: self.urls.append(r.url))
        page.on("websocket", lambda ws: self.urls.append(ws.url))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.failure} {r.url}"))
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        self.button("Step").wait_for()
        self.year_cell.wait_for()

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    @property
    def year_cell(self):
        return self.page.locator("td.cs-year")

    def year(self) -> int:
        """The status panel's year (its ``data-year``: the same in every language)."""
        return int(self.year_cell.get_attribute("data-year"))

    def wait_year(self, year: int) -> None:
        self.page.wait_for_function(
            "y => { const c = document.querySelector('td.cs-year'); return c && parseInt(c.dataset.year) === y; }",
            arg=year)

    def step(self, label: str = "Step") -> None:
        before = self.year()
        self.button(label).click()
        self.wait_year(before + 1)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser, server):
    t = Tab(browser, server)
    yield t
    t.close()


def test_page_loads_without_errors_and_only_talks_to_its_own_server(tab):
    tab.page.wait_for_load_state("networkidle")
    assert tab.year() == 0
    tab.step()
    assert tab.errors == [], "console errors"
    assert tab.failed == [], "requests that failed (a missing local asset shows up here)"
    outside = sorted({u for u in tab.urls if urlparse(u).scheme not in ("data", "blob")
                      and urlparse(u).hostname not in LOCAL_HOSTS})
    assert outside == [], "requests that left the machine"
    assert len(tab.urls) > 5  # the page did load its scripts, styles and fonts (all from the app)
    # no empty card: Mesa's "Model Parameters" card is not drawn (this page's controls have cards of their own)
    cards = tab.page.locator(".v-card")
    shown = [cards.nth(i) for i in range(cards.count()) if cards.nth(i).is_visible()]
    titles = [card.locator(".v-card__title").inner_text() for card in shown]
    assert "Model Parameters" not in titles
    assert {"Controls", "Status"} <= set(titles)
    for card, title in zip(shown, titles, strict=True):
        assert card.locator(".v-card__text").inner_text().strip(), f"card {title!r} is empty"


def test_step_advances_the_year_and_redraws(tab):
    images = tab.page.locator("img")
    before = [images.nth(i).get_attribute("src") for i in range(images.count())]
    tab.step()
    tab.step()
    assert tab.year() == 2
    tab.page.wait_for_function("srcs => { const now = [...document.querySelectorAll('img')].map(i => i.src);"
                               " return now.length === srcs.length && now.every((s, i) => s !== srcs[i]); }",
                               arg=before)
    assert "Time:" not in tab.page.inner_text("body")  # Mesa's own counter card is hidden (the status has the year)


def test_mesa_tuning_controls_are_hidden_and_the_buttons_stay(tab):
    body = tab.page.inner_text("body")  # visible text only
    for noise in ("Play Interval", "Render Interval", "Use Threads", "Information", "Time:"):
        assert noise not in body, noise
    for name in ("Step", "Reset"):
        assert tab.button(name).is_visible()
    assert tab.page.get_by_role("button", name="▶").is_visible()
    # not drawn at all: the page's own controller steps the model with Mesa's defaults (100 ms, every step drawn)
    assert tab.page.get_by_text("Play Interval (ms)").count() == 0
    tab.step()
    assert tab.year() == 1


def test_chart_terms_are_explained_on_the_page_and_on_hover(tab):
    glossary = tab.page.locator(".cs-glossary")
    text = glossary.inner_text()
    assert "HHI: how concentrated the jobs in counties are" in text
    assert "EG γ: how much more a sector's firms cluster than if they were placed at random" in text
    assert "wage × 10: so that it shares the axis with the land price" in text
    assert "dotted line: after it no firm receives anything from its package" in text
    titles = [glossary.locator("abbr").nth(i).get_attribute("title") for i in range(glossary.locator("abbr").count())]
    assert titles[0].startswith("Herfindahl–Hirschman index of county jobs: ")
    assert titles[1].startswith("Ellison–Glaeser index, one per sector: ")
    assert len(titles) == 4


def test_a_second_ui_on_the_same_port_is_refused_in_one_line(server):
    port = urlparse(server).port
    done = subprocess.run([sys.executable, "-m", "clustersim", "ui", "--port", str(port)], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stdout == ""  # no address printed first
    assert done.stderr == (f"--port: port = {port}: http://127.0.0.1:{port}/ is already in use (another clustersim "
                           f"ui?); stop it or choose a free port, e.g. --port {port + 1}\n")


def _press(tab, label: str, key: str, times: int) -> None:
    """Move the slider whose label starts with ``label`` by ``times`` steps."""
    slider = tab.page.locator(".v-input").filter(has_text=label).get_by_role("slider")
    slider.focus()
    for _ in range(times):
        tab.page.keyboard.press(key)


def test_a_fee_changed_while_running_acts_at_once_and_the_year_goes_on(tab):
    fee = tab.page.locator("td.cs-fee-rate-governance")
    for _ in range(3):
        tab.step()
    assert fee.inner_text().startswith("1.0%")  # held_package's county_01
    series = tab.page.locator(".cs-series img")
    before = [series.nth(i).get_attribute("src") for i in range(series.count())]
    _press(tab, "Fee rate of county_01", "ArrowRight", 4)  # one slider step is 0.5 %
    tab.page.get_by_text("Fee rate of county_01: 3.0%").wait_for()
    tab.page.wait_for_function("() => document.querySelector('td.cs-fee-rate-governance').textContent"
                               ".startsWith('3.0%')")
    assert tab.year() == 3  # not reset
    assert tab.page.locator("td.cs-changed-while-running").inner_text() == "year 3: fee rate 1.0% → 3.0%"
    # the time series were redrawn with the change marked, before any further step
    tab.page.wait_for_function("srcs => [...document.querySelectorAll('.cs-series img')]"
                               ".every((img, i) => img.src !== srcs[i])", arg=before)
    tab.step()
    assert tab.year() == 4
    assert fee.inner_text().startswith("3.0%")
    assert tab.page.get_by_text("Press Reset to start a new run with these settings.").count() == 0
    assert tab.errors == []


def test_subsidy_slider_acts_at_once_and_reset_keeps_it(tab):
    package = tab.page.locator("td.cs-package")
    assert package.inner_text().endswith("subsidy depth 2.00")  # held_package's county_01
    tab.step()
    _press(tab, "Subsidy depth of county_01", "ArrowRight", 4)  # one slider step is 0.25
    tab.page.get_by_text("Subsidy depth of county_01: 3.00").wait_for()
    tab.page.wait_for_function("() => document.querySelector('td.cs-package').textContent.endsWith('depth 3.00')")
    assert tab.year() == 1
    # a world setting waits for Reset; Reset starts from year 0 with the controls as set
    _press(tab, "Transport cost", "ArrowRight", 1)
    tab.page.get_by_text("Press Reset to start a new run with these settings.").wait_for()
    tab.button("Reset").click()
    tab.wait_year(0)
    tab.page.wait_for_function("() => document.querySelector('td.cs-package').textContent.endsWith('depth 3.00')")
    assert tab.page.get_by_text("Press Reset to start a new run with these settings.").count() == 0


def test_bad_seed_is_refused_in_the_page(tab):
    seed = tab.page.get_by_label("Random seed")
    seed.fill("twelve")
    seed.press("Enter")
    tab.page.get_by_text(re.compile(r"seed 'twelve' refused")).wait_for()
    tab.step()  # the server still runs the model
    assert tab.errors == []


def test_play_runs_and_pause_stops(tab):
    from playwright.sync_api import expect

    tab.button("▶").click()
    tab.page.wait_for_function("() => parseInt(document.querySelector('td.cs-year').dataset.year) >= 3")
    tab.button("❚❚").click()
    at_pause = tab.year()
    expect(tab.button("Step")).to_be_enabled()  # Step is disabled while playing
    # the step under way when Pause was pressed may still land (one at most); then nothing moves
    tab.page.wait_for_timeout(1000)
    stopped = tab.year()
    assert at_pause <= stopped <= at_pause + 1
    tab.page.wait_for_timeout(1500)  # 15 play intervals of 100 ms
    assert tab.year() == stopped


def test_two_contexts_hold_independent_models(browser, server):
    first = Tab(browser, server)
    second = Tab(browser, server)
    try:
        first.step()
        first.step()
        assert second.year() == 0
        second.step()
        first.page.wait_for_timeout(300)
        assert (first.year(), second.year()) == (2, 1)
        second.button("Reset").click()
        second.wait_year(0)
        first.page.wait_for_timeout(300)
        assert first.year() == 2
    finally:
        first.close()
        second.close()


def test_screenshot_is_saved_as_an_artifact(tab):
    for _ in range(6):
        tab.step()
    _press(tab, "Fee rate of county_01", "ArrowRight", 4)  # a live change, marked in the time series
    tab.page.wait_for_function("() => document.querySelector('td.cs-changed-while-running').textContent"
                               ".startsWith('year 6')")
    for _ in range(6):
        tab.step()
    out = REPO / "artifacts" / "ui.png"
    out.parent.mkdir(exist_ok=True)
    tab.page.set_viewport_size({"width": 1500, "height": 1280})  # the whole page, no scrolling
    tab.page.wait_for_timeout(500)
    tab.page.screenshot(path=str(out))
    assert out.stat().st_size > 20_000  # a PNG of the drawn page, not a blank one
    import matplotlib.image

    pixels = matplotlib.image.imread(out)
    assert pixels.shape[:2] == (1280, 1500)
    # the charts' colours are there: many distinct colours, not a blank or half-loaded page
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 500


# ------------------------------------------------------------------------------ 中文 / English
#: Solara's own badge, not a label of this page
SOLARA_BADGE = "This website runs on Solara"


def _names_on_the_page() -> set[str]:
    """Words of names the page shows as the scenario writes them (scenario labels, county, region and
    package names), the product's name and the language switch's own "English": not labels."""
    from clustersim.ui import session

    run = session.PendingRun(session.scenario_choices(), session.DEFAULT_SCENARIO)
    names = [*run.choices, *run.scenario.packages, *(r.name for r in run.scenario.regions)]
    model = session.SessionModel(run)
    names += list(model.regions.names)
    words = {w.lower() for n in names for w in re.findall(r"[A-Za-z]+", n)}
    return words | {"clustersim", "english"}


def _to_chinese(tab) -> None:
    from clustersim.i18n import translator

    zh = translator("zh")
    images = tab.page.locator("img")
    before = [images.nth(i).get_attribute("src") for i in range(images.count())]
    tab.page.locator(".lang-zh").click()
    tab.button(zh("Step")).wait_for()
    tab.page.get_by_text(zh("Status"), exact=True).wait_for()
    # the map and the six panels are redrawn in Chinese too
    tab.page.wait_for_function("srcs => { const now = [...document.querySelectorAll('img')].map(i => i.src);"
                               " return now.length === srcs.length && now.every((s, i) => s !== srcs[i]); }",
                               arg=before)


def test_chinese_model_page_leaves_no_english_and_its_controls_work(tab):
    from playwright.sync_api import expect

    from clustersim.i18n import catalogue_ids, translator

    zh, en = translator("zh"), translator("en")
    tab.step()
    _to_chinese(tab)
    text = tab.page.inner_text("body").replace(SOLARA_BADGE, "")
    # every catalogue text shown is its translation: no English word but names, no catalogue English
    words = {w for w in re.findall(r"[A-Za-z]{2,}", text) if w.lower() not in _names_on_the_page()}
    assert words == set(), f"English left in the Chinese model page: {sorted(words)}"
    assert [m for m in catalogue_ids() if len(m) > 3 and m in text] == []
    for label in ("Controls", "Reset", "Step", "Status", "Random seed", "Scenario and world: on Reset"):
        assert zh(label) in text, label
    assert zh.pgettext("status", "Year") in text and "第 1 年 / 共 40 年" in text
    glossary = tab.page.locator(".cs-glossary abbr")
    hover = [glossary.nth(i).get_attribute("title") for i in range(glossary.count())]
    assert len(hover) == 4 and all(re.search(r"[\u4e00-\u9fff]", t) and not re.search(r"[A-Za-z]{3,}", t)
                                   for t in hover), hover
    assert tab.page.locator(".cs-play").get_attribute("title") == zh("Play")
    # Step, ▶ / ❚❚ and Reset work in Chinese
    tab.step(zh("Step"))
    assert tab.year() == 2
    tab.page.locator(".cs-play").click()
    tab.page.wait_for_function("() => parseInt(document.querySelector('td.cs-year').dataset.year) >= 4")
    assert tab.page.locator(".cs-play").get_attribute("title") == zh("Pause")
    tab.button("❚❚").click()
    expect(tab.button(zh("Step"))).to_be_enabled()
    tab.button(zh("Reset")).click()
    tab.wait_year(0)
    assert tab.page.locator("td.cs-year").inner_text() == "第 0 年 / 共 40 年"
    # a refused seed says so in Chinese
    seed = tab.page.get_by_label(zh("Random seed"))
    seed.fill("twelve")
    seed.press("Enter")
    tab.page.get_by_text(re.compile(r"随机种子 'twelve' 无效")).wait_for()
    # and back: English everywhere again
    tab.page.locator(".lang-en").click()
    tab.button(en("Step")).wait_for()
    tab.page.wait_for_function("() => !/[\\u4e00-\\u9fff]/.test(document.body.innerText.replaceAll('中文', ''))")
    assert tab.errors == [] and tab.failed == []


def test_the_language_is_the_browser_sessions_on_both_pages(browser, server):
    from clustersim.i18n import translator

    zh = translator("zh")
    first = Tab(browser, server)
    other = Tab(browser, server)  # another browser: its own session
    try:
        _to_chinese(first)
        # a reload and the lab of the same browser open in Chinese; the model page's own default is English
        first.page.goto(server)
        first.button(zh("Step")).wait_for()
        lab = first.context.new_page()
        lab.goto(server + "lab")
        lab.locator(".lab-run").wait_for()
        assert zh("Package lab") in lab.inner_text("body")
        # English picked in the lab holds for the model page of that browser
        lab.locator(".lang-en").click()
        lab.get_by_text("Design a package").wait_for()
        first.page.goto(server)
        first.button("Step").wait_for()
        assert not re.search(r"[\u4e00-\u9fff]", first.page.inner_text("body").replace("中文", ""))
        # the other browser never chose: English on the model page
        other.page.reload()
        other.button("Step").wait_for()
        assert first.errors == [] and other.errors == []
    finally:
        first.close()
        other.close()
