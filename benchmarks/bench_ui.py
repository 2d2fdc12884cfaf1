"""Benchmark the browser UI: time from a click on Step until everything on the page is redrawn.

Starts ``clustersim ui`` on a free port, opens the page in headless Chromium (Debian's
``/usr/bin/chromium`` driven by Playwright), takes two warm-up steps, then clicks Step
``--steps`` times. Each time runs from the click until the status panel shows the next year and
both figures (map, time series) carry new images. Prints one line per step, then one JSON object
on the last line:

* ``step_redraw_ms_median`` (also ``_min``, ``_max``): click -> all redrawn, milliseconds;
* ``page_ready_s``: from navigation until the Step button and the status panel are shown.

Usage: ``python benchmarks/bench_ui.py [--steps N] [--scenario FILE]`` (default: the page's own
default scenario, scenarios/held_package.toml). Target: median <= 500 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# true once the status panel shows `year` and no <img> keeps a src from `before`
REDRAWN = """([year, before]) => {
    const cell = document.querySelector('td.cs-year');
    if (!cell || parseInt(cell.textContent) !== year) return false;
    const now = [...document.querySelectorAll('img')].map(i => i.src);
    return now.length === before.length && now.every((s, i) => s !== before[i]);
}"""


def start_server(scenario: Path | None) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "clustersim", "ui", "--port", str(port)]
    if scenario is not None:
        cmd += ["--scenario", str(scenario)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.25)
    proc.terminate()
    raise SystemExit(f"the UI did not answer at {url} within 60 s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--scenario", type=Path)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    proc, url = start_server(args.scenario)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(30_000)
            t0 = time.perf_counter()
            page.goto(url)
            step = page.get_by_role("button", name="Step", exact=True)
            step.wait_for()
            page.locator("td.cs-year").wait_for()
            ready = time.perf_counter() - t0
            times = []
            for k in range(args.steps + 2):
                year = int(page.locator("td.cs-year").inner_text().split()[0])
                before = page.eval_on_selector_all("img", "els => els.map(e => e.src)")
                t = time.perf_counter()
                step.click()
                page.wait_for_function(REDRAWN, arg=[year + 1, before], polling="raf")
                dt = time.perf_counter() - t
                if k >= 2:  # two warm-up steps (first figures, caches)
                    times.append(dt * 1000.0)
                    print(f"year {year + 1}: {dt * 1000.0:.0f} ms", flush=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    print(json.dumps({
        "step_redraw_ms_median": round(statistics.median(times), 1),
        "step_redraw_ms_min": round(min(times), 1),
        "step_redraw_ms_max": round(max(times), 1),
        "steps": len(times),
        "page_ready_s": round(ready, 2),
        "scenario": str(args.scenario) if args.scenario else "page default (held_package)",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
