"""The browser UI on the real map: ``clustersim ui --scenario scenarios/hunan.toml`` (122 Hunan
county-level units) loads, steps, draws county outlines filled by firms, and leaves a screenshot
(``artifacts/ui_hunan.png``). Helpers are those of ``test_ui_browser.py``."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

from test_ui_browser import CHROMIUM, CHROMIUM_ARGS, REPO, Tab, _free_port, serving


@pytest.fixture(scope="module")
def hunan_tab():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium (.ci/run installs it)")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "clustersim", "ui", "--port", str(port), "--scenario",
               str(REPO / "scenarios" / "hunan.toml")]
    from playwright.sync_api import sync_playwright

    with serving(command, url, name="clustersim ui"), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = Tab(browser, url)
        yield tab
        tab.close()
        browser.close()


def test_hunan_map_steps_and_is_screenshotted(hunan_tab):
    import matplotlib.image

    tab = hunan_tab
    assert "衡阳县" in tab.page.inner_text("body")  # the focal county, by its Chinese name
    for _ in range(25):  # into the relocation wave: counties fill, arrows show moves
        tab.step()
    assert tab.errors == [] and tab.failed == []
    out = REPO / "artifacts" / "ui_hunan.png"
    out.parent.mkdir(exist_ok=True)
    tab.page.set_viewport_size({"width": 1500, "height": 1280})
    tab.page.wait_for_timeout(500)
    tab.page.screenshot(path=str(out))
    # the map is the first image; it shows the county outlines filled from the YlOrRd scale:
    # yellow-to-orange pixels of the YlOrRd fill (red channel near 1, green above 0.6, blue at least 0.15
    # lower; the focal county's red outline and label have green below 0.3), which the generated map never draws
    shot = tab.page.locator("img").first.screenshot()
    pixels = matplotlib.image.imread(io.BytesIO(shot), format="png")[..., :3]
    warm = (pixels[..., 0] > 0.95) & (pixels[..., 1] > 0.6) & (pixels[..., 0] - pixels[..., 2] > 0.15)
    assert warm.sum() > 200, "no county filled by firms on the map"
    grey = (np.abs(pixels[..., 0] - 0.74) < 0.02) & (np.abs(pixels[..., 2] - 0.74) < 0.02)
    assert grey.sum() > 200, "the Pearl River Delta origins are not drawn"
    assert out.stat().st_size > 20_000
