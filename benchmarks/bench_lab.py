"""Benchmark the package lab: time from Run to the first and to all results, and the model page's
Step-to-redraw while the lab's replicates run.

Starts ``clustersim ui`` (lab pool of ``--workers`` processes, default 2), opens the model page and
the lab in two tabs of headless Chromium, measures Step -> redraw on the idle model page
(``--steps`` clicks after two warm-ups), then designs the district package (held 12 years, the lab's
default start) in the lab, sets ``--replicates``, presses Run and, until every run is finished,
keeps clicking Step on the model page
(Reset, untimed, before the run's last year). Timings of the lab are read in the browser: from the click on
Run until the status line counts a finished run, and until it says all are finished. Prints one JSON
object on the last line: ``runs``, ``first_result_s``, ``all_results_s``, ``step_redraw_ms_idle_median``,
``step_redraw_ms_during_median`` and ``_max``, ``steps_during``.

Usage: ``python benchmarks/bench_lab.py [--replicates 20] [--workers 2] [--steps 8]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import time

from bench_ui import CHROMIUM_ARGS, REDRAWN, start_server, year_of


def step_once(page) -> float:
    year = year_of(page)
    if year >= 38:  # the run ends at year 40 (Step is then disabled): start again, not timed
        page.locator(".cs-reset").click()
        page.wait_for_function("() => parseInt(document.querySelector('td.cs-year').dataset.year) === 0")
        year = 0
    before = page.eval_on_selector_all("img", "els => els.map(e => e.src)")
    t = time.perf_counter()
    page.locator(".cs-step").click()
    page.wait_for_function(REDRAWN, arg=[year + 1, before], polling="raf")
    return (time.perf_counter() - t) * 1000.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--steps", type=int, default=8)
    args = ap.parse_args()
    os.environ["CLUSTERSIM_LAB_WORKERS"] = str(args.workers)
    from playwright.sync_api import sync_playwright

    proc, url = start_server(None)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            model = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
            model.set_default_timeout(60_000)
            model.goto(url)
            model.locator("td.cs-year").wait_for()
            idle = [step_once(model) for _ in range(args.steps + 2)][2:]
            lab = browser.new_context(viewport={"width": 1500, "height": 1100}).new_page()
            lab.set_default_timeout(60_000)
            lab.goto(url + "lab")
            lab.locator(".lab-add").click()
            lab.get_by_text(re.compile("参与比较的政策包")).wait_for()
            lab.get_by_label("每个政策包的重复模拟次数", exact=True).fill(str(args.replicates))
            t0 = time.perf_counter()
            lab.locator(".lab-run").click()
            first = done = None
            during = []
            while done is None and time.perf_counter() - t0 < 1800:
                during.append(step_once(model))
                status = lab.locator(".lab-status")
                text = status.inner_text() if status.count() else ""
                now = time.perf_counter() - t0
                m = re.match(r"已完成 (\d+) /", text)
                if first is None and (text.startswith("全部") or (m and int(m.group(1)) > 0)):
                    first = now
                if text.startswith("全部"):
                    done = now
            runs = 2 * args.replicates  # no incentives + the package
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"lab: {runs} runs; first result {first:.1f} s, all {done:.1f} s; step->redraw idle "
          f"{statistics.median(idle):.0f} ms, during {statistics.median(during):.0f} ms (max {max(during):.0f})")
    print(json.dumps({"runs": runs, "workers": args.workers, "first_result_s": round(first, 2),
                      "all_results_s": round(done, 2), "step_redraw_ms_idle_median": round(statistics.median(idle)),
                      "step_redraw_ms_during_median": round(statistics.median(during)),
                      "step_redraw_ms_during_max": round(max(during)), "steps_during": len(during),
                      "cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2),
                      "python": platform.python_version()}))


if __name__ == "__main__":
    main()
