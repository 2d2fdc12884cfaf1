"""Calibration by the method of simulated moments (``clustersim calibrate TARGETS``).

:mod:`targets` reads the targets file, :mod:`moments` computes simulated moments from a run,
:mod:`msm` fits them (response surface, weighted least squares, sandwich intervals,
identification), :mod:`commands` drives the stages as crash-safe sweeps and writes the report.
"""
