"""Critical levels in sweep reports (clustersim.thresholds.report_sections): the fitted 50 % curve
replaces the interpolated contour, and the prose and table quote each row's critical level with
its Fieller interval, or say why there is none."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clustersim.sweep.report import build_report
from clustersim.thresholds.dose_response import dose_response

DEPTHS = [0.0, 0.5, 1.0, 2.0, 3.0, 4.0]
FEES = [0.01, 0.02, 0.06]
META = {
    "experiment": "synthetic_grid", "design_kind": "grid", "replicates": 40, "sweep_seed": 1, "years": 40,
    "fiscal_baseline": "initial", "focal_county": "county_01",
    "factors": [
        {"name": "subsidy_depth", "role": "lever", "parameters": ["focal.subsidy_depth"], "values": DEPTHS,
         "label": "subsidy depth"},
        {"name": "fee_rate", "role": "lever", "parameters": ["focal.fee_rate"], "values": FEES,
         "label": "focal fee rate"}],
}


def synthetic_results(reps: int = 40) -> pd.DataFrame:
    """Take-off ~ expit(2 (depth - 1.5)) at a 2 % fee; always at 1 %; never at 6 %."""
    rng = np.random.default_rng(3)
    rows = []
    for fee in FEES:
        for d in DEPTHS:
            p = {0.01: 1.0, 0.02: 1 / (1 + np.exp(-2 * (d - 1.5))), 0.06: 0.0}[fee]
            for r in range(reps):
                rows.append({"run_id": f"{fee}-{d}-{r}", "status": "ok", "error": "", "subsidy_depth": d,
                             "fee_rate": fee, "took_off": bool(rng.random() < p), "final_share": 0.1})
    return pd.DataFrame(rows)


def test_report_quotes_each_rows_critical_depth_with_its_interval_and_names_degenerate_rows():
    results = synthetic_results()
    rep = build_report(results, META)
    text = "\n".join(rep.lines)
    part = results[results["fee_rate"] == 0.02]
    g = part.groupby("subsidy_depth")["took_off"].agg(["sum", "count"])
    fit = dose_response(g.index, g["sum"], g["count"])
    lo, hi = fit.ci_fieller
    assert lo < 1.5 < hi
    assert (f"At focal fee rate 2%, take-off becomes more likely than not above subsidy depth {fit.x:.2f} "
            f"[{lo:.2f}, {hi:.2f}]") in text
    assert "At focal fee rate 1%, all 240 runs succeeded" in text and "below the smallest level tried (0)" in text
    assert "At focal fee rate 6%, all 240 runs failed" in text and "above the largest level tried (4)" in text
    assert "heatmap with its 50% contour" not in text and "heatmap with the fitted 50% curve" in text
    table = rep.tables["critical_levels.csv"]
    assert list(table["status"]) == ["all_above", "ok", "all_below"]
    assert table.loc[1, "critical_level"] == fit.x
    # the figure carries the fitted curve and the row estimates, not a contour
    ax = rep.figures["take_off_probability.png"].axes[0]
    assert any(line.get_linestyle() == "--" for line in ax.get_lines()) or ax.collections


def test_an_extrapolated_level_is_stated_as_the_fits_verdict_not_as_every_cells():
    from clustersim.thresholds.report_sections import critical_phrase

    # rates rise over depths 0-4 but the fitted 50 % level lies beyond 4 (as at the demo's 3 % fee,
    # where one cell's 62 % contradicts the fit on noise): the sentence names the fit
    above = dose_response(DEPTHS, [2, 3, 4, 8, 13, 15], [40] * 6, increasing=True)
    assert above.status == "extrapolated" and above.x > 4
    text = critical_phrase(above, "subsidy depth", True)
    assert text.startswith("the fitted curve stays below 50% at every subsidy depth tried (0.00–4.00)")
    assert f"its 50% level, {above.x:.2f}" in text
    below = dose_response(DEPTHS, [22, 26, 29, 33, 36, 38], [40] * 6, increasing=True)
    assert below.status == "extrapolated" and below.x < 0
    assert critical_phrase(below, "subsidy depth", True).startswith("the fitted curve stays above 50% at every")
