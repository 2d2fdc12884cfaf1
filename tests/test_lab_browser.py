"""The package lab page (``/lab`` of ``clustersim ui``) in headless Chromium, offline: design and
run a package with few replicates, watch the progress bar and the comparison; two tabs keep two
labs; the language switch leaves no catalogue English in the Chinese page; bad input is refused
with a message; no console errors."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time

import pytest

from clustersim.i18n import catalogue_ids, translator
from clustersim.lab.form import shipped_packages

from test_ui_browser import CHROMIUM, CHROMIUM_ARGS, _free_port, serving

# pytest-xdist (make test) gives the whole module to one worker, which starts this module's UI server and chromium once
pytestmark = pytest.mark.xdist_group("browser")  # with test_ui_browser: their servers never race for a port

TIMEOUT_MS = 60_000
#: Solara's own badge, not a label of this page
SOLARA_BADGE = "This website runs on Solara"


@pytest.fixture(scope="module")
def lab_url():
    port = _free_port()
    env = {**os.environ, "CLUSTERSIM_LAB_WORKERS": "2"}
    url = f"http://127.0.0.1:{port}/lab"
    with serving([sys.executable, "-m", "clustersim", "ui", "--port", str(port)], url, env=env, name="clustersim ui"):
        yield url


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Lab:
    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1500, "height": 1100})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.goto(url)
        self.page.locator(".lab-run").wait_for()

    def field(self, label: str):
        return self.page.get_by_label(label, exact=True)

    def text(self) -> str:
        return self.page.inner_text("body").replace(SOLARA_BADGE, "")


def test_design_run_compare_two_tabs_languages_and_refusals(chromium, lab_url):
    zh, en = translator("zh"), translator("en")
    a = Lab(chromium, lab_url)
    page = a.page
    # --- Chinese by default: every catalogue text shown is the translation, no English label left
    text = a.text()
    assert zh("Package lab") in text and zh("Run") in text
    # allowed: the language switch's own name, file formats, and package names (identifiers)
    allowed = {"english", "csv", "toml", "my", "package"} | {w for n in shipped_packages() for w in n.split("_")}
    words = {w for w in re.findall(r"[A-Za-z]{2,}", text) if w.lower() not in allowed}
    assert words == set(), f"English left in the Chinese page: {sorted(words)}"
    english = [m for m in catalogue_ids() if len(m) > 3 and m in text]
    assert english == []
    # --- bad input is refused with a message naming the field
    a.field(zh("Tax rebate by year of residence (share of retained tax, e.g. 1, 1, 0.5)")).fill("1, x")
    page.locator(".lab-add").click()
    page.get_by_text(re.compile("输入有误.*1, x")).wait_for()
    a.field(zh("Tax rebate by year of residence (share of retained tax, e.g. 1, 1, 0.5)")).fill("1, 1.5")
    page.locator(".lab-add").click()
    page.get_by_text(re.compile(r"输入有误.*rebate_schedule\.1 = 1\.5")).wait_for()
    a.field(zh("Tax rebate by year of residence (share of retained tax, e.g. 1, 1, 0.5)")).fill("1, 1, 0.5")
    page.locator(".lab-add").click()
    page.get_by_text(zh("Packages to compare: {names}").format(names="my_package")).wait_for()
    a.field(zh("Replicates per package")).fill("0")
    page.locator(".lab-run").click()
    page.get_by_text(re.compile(r"输入有误.*replicates = '?0'?")).wait_for()
    # --- a second tab keeps its own lab
    b = Lab(chromium, lab_url)
    assert zh("No package added yet.") in b.text()
    # --- run with 10 replicates: the bar moves, then the comparison appears. The page polls the job every
    # 0.4 s and a warm run takes some 50 ms, so 20 runs on 2 workers span several polls (4 runs did not
    # always: each poll could fall before the first or after the last)
    a.field(zh("Replicates per package")).fill("10")
    page.locator(".lab-run").click()
    seen = set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status = page.locator(".lab-status")
        if status.count():
            seen.add(status.inner_text())
        if page.locator(".lab-table").count() and page.get_by_text(re.compile("全部 20 次模拟已完成")).count():
            break
        time.sleep(0.2)
    progress = [int(m.group(1)) for s in seen if (m := re.match(r"已完成 (\d+) / 20", s))]
    assert any(0 < k < 20 for k in progress), f"the progress bar never showed a partial count: {seen}"
    # the status line and the table are separate widgets: the table's last update can arrive a moment
    # after the status says every run finished (the "no incentives" runs, with no counterfactual of
    # their own, finish first and the table shows them alone until then)
    page.locator(".lab-table").get_by_text("my_package").wait_for(timeout=30_000)
    table = page.locator(".lab-table").inner_text()
    assert zh("no incentives") in table and "my_package" in table
    assert zh("No package added yet.") in b.text()  # tab b saw nothing of tab a's run
    # --- switch to English: the catalogue's English replaces every Chinese text
    page.locator(".lang-en").click()
    page.get_by_text(en("Each package against offering nothing")).wait_for()
    with contextlib.suppress(Exception):  # the app bar's title follows a moment later; the assertion names the rest
        page.wait_for_function("() => !/[\\u4e00-\\u9fff]/.test(document.body.innerText.replaceAll('中文', ''))",
                               timeout=10_000)
    text = a.text()
    chinese = set(re.findall(r"[\u4e00-\u9fff]+", text)) - {"中文"}
    assert chinese == set(), f"Chinese left in the English page: {sorted(chinese)}"
    assert en("Download the comparison (CSV)").upper() in text  # buttons are upper-cased by the theme
    assert a.errors == [] and b.errors == []
    a.context.close()
    b.context.close()


def test_cheapest_package_card_refuses_bad_input_then_finds_a_frontier(chromium, lab_url):
    zh = translator("zh")
    lab = Lab(chromium, lab_url)
    page = lab.page
    target, trials = zh("Target take-off probability (%)"), zh("Packages to try")
    lab.field(target).fill("180")
    page.locator(".lab-cheapest").click()
    page.get_by_text(re.compile("输入有误.*目标须为")).wait_for()
    lab.field(target).fill("80")
    lab.field(trials).fill("1")  # one package (12 runs of the demo world): the card's path, not the search's quality
    page.locator(".lab-cheapest").click()
    page.get_by_text(re.compile(r"已尝试 [01] / 1 个政策包")).wait_for()  # the search runs in the background
    page.locator(".lab-frontier").wait_for(timeout=300_000)
    assert page.locator(".lab-frontier tbody tr").count() == 1
    header = page.locator(".lab-frontier thead").inner_text()
    assert zh("Present value of incentives paid (wan)") in header
    # the answer is a found package or the statement that none reached the target, and a frontier figure
    text = lab.text()
    assert "最省钱的政策包：优惠力度" in text or zh(
        "No package in the searched range reached the target take-off probability.") in text
    assert page.locator("img").count() >= 1
    assert lab.errors == []
    lab.context.close()
