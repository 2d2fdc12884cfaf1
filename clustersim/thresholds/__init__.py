"""Critical thresholds, lock-in and hysteresis: where does take-off become more likely than not?

- :mod:`~clustersim.thresholds.dose_response`: logistic dose-response fits (critical level with
  delta-method and Fieller intervals), pure functions on arrays;
- :mod:`~clustersim.thresholds.search`: adaptive search for a critical level through the sweep store;
- :mod:`~clustersim.thresholds.optimal_design`: where a batch of runs says most about the critical
  level (the search's sequential c-optimal rule) and how many runs a design needs (oracle figures);
- :mod:`~clustersim.thresholds.hysteresis`: the run functions and analyses of the withdrawal
  (critical duration and mass) and ramp (up and down branches, hysteresis band) experiment kinds
  (:mod:`clustersim.sweep.kinds`), whose report sections are in
  :mod:`~clustersim.thresholds.lockin_report`;
- :mod:`~clustersim.thresholds.discovery`: PRIM scenario discovery over a sweep's uncertainties.
"""

from clustersim.thresholds.dose_response import CriticalCurve, DoseResponse, dose_response, dose_response_curve

__all__ = ["CriticalCurve", "DoseResponse", "dose_response", "dose_response_curve"]
