"""Sweep reports: figures, CSV tables and a Markdown summary of a results folder.

The package holds :mod:`~clustersim.sweep.report.stats` (intervals and tables of numbers),
:mod:`~clustersim.sweep.report.tables` (formatting, units, Markdown tables),
:mod:`~clustersim.sweep.report.prose` (each section's text, figures and tables) and
:mod:`~clustersim.sweep.report.build` (reading a sweep folder, writing the files, the command);
figures are drawn by :mod:`clustersim.sweep.report_figures`. Everything public is importable from here.

``clustersim report DIR [--out OUT]`` reads ``DIR/design.json`` (the design's meta), ``DIR/design.parquet``
and the runs (:func:`clustersim.sweep.store.load_results` with failed runs) and writes into ``OUT``
(default ``DIR/report/``) ``report.md``, PNG figures and CSV tables. What it shows depends on the design:

- grid over two or more factors: heatmaps of the take-off probability (with its 50 % contour), of the mean
  final share and of the mean net fiscal return over the first two varying factors (the others pooled), and
  every cell's jobs, incentives paid, extra revenue, cost per job and payback (and the outcomes an experiment
  lists in ``outcomes``);
- grid over one factor: the take-off probability against it, with its Wilson band;
- named packages: a comparison table and a small-multiple bar chart; with a baseline package
  (``[design] baseline`` or ``--baseline``), each other package's difference from it;
- Morris / Sobol: sensitivity indices with their bootstrap confidence bars, and a plain warning when
  the sample is too small to rank the factors;
- other designs over ranges (lhs): a scatter of the runs over the first two factors (replicates of a point
  side by side) and the take-off probability in four equal-width bins of every factor.

Statistics (all at 95 %, computed over the successful runs; failed runs are counted apart, never as
"did not take off"):

- take-off probability ``p = k / n`` with the Wilson score interval (:func:`wilson_interval`);
- means across runs with the 95 % bootstrap percentile interval (:func:`bootstrap_interval`), which stays
  inside the outcome's range and follows its skew (:func:`t_interval`, the Student t interval, is kept for callers);
- median payback year with the distribution-free order-statistic interval (:func:`median_interval`);
- package minus baseline: Newcombe's hybrid score interval for a difference of proportions
  (:func:`newcombe_interval`), Welch's t interval for a difference of means (:func:`welch_interval`).

The report holds no dates and is built in a fixed order with fixed formats, so the same results give a
byte-identical ``report.md`` (and PNGs) on every call. Money is in wan (10,000 yuan) everywhere, CSV, Markdown
and figures alike (the rule of :mod:`clustersim.units`).
"""

from __future__ import annotations

from clustersim.sweep.report.build import add_report, build_report, cmd_report, read_sweep, write_report
from clustersim.sweep.report.stats import (
    BASELINE_MEANS,
    BASELINE_PANELS,
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    GRID_MEANS,
    MEAN_RESAMPLES,
    MEAN_SEED,
    MONEY,
    PACKAGE_MEANS,
    PACKAGE_PANELS,
    RANGE_BINS,
    SENSITIVITY_OUTCOMES,
    Z95,
    baseline_table,
    binned_table,
    bootstrap_interval,
    expected_sample_points,
    median_interval,
    newcombe_interval,
    ok_mask,
    package_table,
    sample_problems,
    sensitivity_table,
    summarise,
    t_interval,
    take_off_table,
    welch_interval,
    wilson_interval,
)
from clustersim.sweep.report.tables import (
    Axis,
    Report,
    markdown_table,
    money_unit,
)

__all__ = [
    "BASELINE_MEANS",
    "BASELINE_PANELS",
    "BOOTSTRAP_RESAMPLES",
    "BOOTSTRAP_SEED",
    "GRID_MEANS",
    "MEAN_RESAMPLES",
    "MEAN_SEED",
    "MONEY",
    "PACKAGE_MEANS",
    "PACKAGE_PANELS",
    "RANGE_BINS",
    "SENSITIVITY_OUTCOMES",
    "Z95",
    "Axis",
    "Report",
    "add_report",
    "baseline_table",
    "binned_table",
    "bootstrap_interval",
    "build_report",
    "cmd_report",
    "expected_sample_points",
    "markdown_table",
    "median_interval",
    "money_unit",
    "newcombe_interval",
    "ok_mask",
    "package_table",
    "read_sweep",
    "sample_problems",
    "sensitivity_table",
    "summarise",
    "t_interval",
    "take_off_table",
    "welch_interval",
    "wilson_interval",
    "write_report",
]
