"""One money unit everywhere (clustersim.units): the rule itself, and that ``run``, the reports, the
report figures and the UI follow it (no million / billion yuan, no thousand wan)."""

from __future__ import annotations

import math

import pandas as pd

from clustersim import units
from clustersim.cli import main


def test_money_rule():
    assert units.money(3_270_092.4) == "3,270,092"
    assert units.money(1000.0) == "1,000"
    assert units.money(999.4) == "999"
    assert units.money(0.5721) == "0.572"
    assert units.money(-15_371_869.0, unit=True) == "-15,371,869 wan"
    assert units.money(math.nan) == "n/a" and units.money(None) == "n/a" and units.money(math.inf) == "never"
    assert units.money_ci(1419.2, -3157.0, 5995.0) == "1,419 [-3,157, 5,995]"
    assert units.money_ci(2.0, math.nan, math.nan) == "2"
    assert units.compact(16_100_000.0) == "16.1M" and units.compact(250_000.0) == "250k"
    assert units.compact(12.0) == "12" and units.compact(0.5721) == "0.572"
    assert units.scale() == (1.0, "wan")


def test_run_prints_every_amount_in_wan(tmp_path, capsys):
    assert main(["run", "scenarios/held_package.toml", "--years", "3", "--out", str(tmp_path), "--no-figure"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("focal fiscal"))
    assert line.startswith("focal fiscal (wan, 1 wan = 10,000 yuan): balance ")
    assert "yuan" not in line.split(":", 1)[1] and "wan" not in line.split(":", 1)[1]  # one unit, stated once


def test_reports_and_their_figures_use_wan_only():
    from clustersim.sweep.report import build_report

    results = pd.DataFrame({"package": ["a", "a", "b", "b"], "status": "ok", "took_off": [True, False, True, True],
                            "jobs": [10.0, 20, 30, 40], "incentives_paid": [2e6, 3e6, 0, 0],
                            "extra_revenue": [4e7, 5e7, 1e3, 2e3], "net_fiscal_return": [3.8e7, 4.7e7, 1e3, 2e3],
                            "cost_per_job": [2e5, 1.5e5, math.nan, math.nan], "payback_year": [3.0, 4, math.nan,
                                                                                              math.nan]})
    meta = {"experiment": "units", "design_kind": "packages", "replicates": 2, "years": 10,
            "fiscal_baseline": "initial",
            "factors": [{"name": "package", "role": "package", "values": ["a", "b"]}], "baseline_package": "b"}
    rep = build_report(results, meta)
    text = "\n".join(rep.lines)
    assert "million yuan" not in text and "billion yuan" not in text and "thousand wan" not in text
    assert "incentives paid (wan)" in text and "cost per job (wan per job)" in text
    assert "2,500,000 [2,000,000, 3,000,000]" in text  # incentives paid of package a, in full
    for name, fig in rep.figures.items():
        labels = [t.get_text() for ax in fig.axes for t in (ax.title, ax.xaxis.label, ax.yaxis.label)]
        assert not any("yuan" in s or "thousand" in s for s in labels), (name, labels)
        assert any("(wan)" in s or "(wan per job)" in s for s in labels), (name, labels)


def test_ui_balance_panel_is_in_wan():
    from clustersim.ui.components import SeriesPlot

    assert "County balance (wan)" in SeriesPlot.TITLES and not any("thousand" in t for t in SeriesPlot.TITLES)
