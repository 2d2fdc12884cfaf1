"""examples/solara_page.py, a SolaraViz page built from Mesa's standard components on ClusterModel,
in headless Chromium: it survives Step, a slider change and Reset (the Reset that used to crash
with "'Scenario' object has no attribute 'seed'"), with no console error. The server is started as
``solara run examples/solara_page.py``, offline, with the same environment as ``clustersim ui``."""

from __future__ import annotations

import os
import re
import sys

import pytest

from clustersim.ui.launch import server_environment

from test_ui_browser import REPO, TIMEOUT_MS, _free_port, browser, serving

__all__ = ["browser"]  # the fixture, shared with the UI's browser tests

PAGE = REPO / "examples" / "solara_page.py"
STATUS = re.compile(r"year (\d+), seed (\d+), subsidy depth ([0-9.]+), took off: (True|False)")


@pytest.fixture(scope="module")
def example_server():
    port = _free_port()
    command = [sys.executable, "-m", "solara", "run", str(PAGE), "--host", "127.0.0.1", "--port", str(port),
               "--production", "--no-open", "--log-level", "warning"]
    with serving(command, f"http://127.0.0.1:{port}/", env=server_environment(os.environ, None),
                 name="solara run examples/solara_page.py") as proc:
        yield f"http://127.0.0.1:{port}/", proc


def _status(page) -> tuple[int, int, float]:
    match = STATUS.search(page.inner_text("body"))
    assert match, page.inner_text("body")[:2000]
    return int(match.group(1)), int(match.group(2)), float(match.group(3))


def _wait_year(page, year: int) -> None:
    page.wait_for_function("y => new RegExp('year ' + y + ', seed').test(document.body.innerText)", arg=year)


def test_step_slider_and_reset_in_chromium(browser, example_server):
    url, _ = example_server
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(url)
        step = page.get_by_role("button", name="Step", exact=True)
        step.wait_for()
        _wait_year(page, 0)
        year, first_seed, depth = _status(page)
        assert (year, depth) == (0, 2.0)
        step.click()
        _wait_year(page, 1)
        slider = page.locator(".v-input").filter(has_text="Subsidy depth of the focal county").get_by_role("slider")
        slider.focus()
        for _ in range(3):  # one slider step is 0.25
            page.keyboard.press("ArrowRight")
        page.get_by_role("button", name="Reset", exact=True).click()
        page.wait_for_function("() => /year 0, seed \\d+, subsidy depth 2.75/.test(document.body.innerText)")
        year, seed, depth = _status(page)
        assert (year, depth) == (0, 2.75) and seed != first_seed  # a new run (fresh seed) with the slider's value
        step.click()
        _wait_year(page, 1)
        step.click()
        _wait_year(page, 2)
        assert "Time: 2.0" in page.inner_text("body")  # Mesa's own step counter agrees
        body = page.inner_text("body")
        assert "Error" not in body and "Traceback" not in body, body[:2000]
        assert errors == [], "console errors"
    finally:
        context.close()
