"""What one run of a sweep yields: a flat record of outcomes (one Parquet row per run).

The take-off verdict and the fiscal return come from :mod:`clustersim.outputs`, so a sweep, the
``run`` command and the UI share one definition. Money in wan, time in model years (year 0 is
the initial state), shares dimensionless.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clustersim.params import Scenario, Sectors

if TYPE_CHECKING:

    from clustersim.model import ClusterModel

__all__ = ["OUTCOMES", "measure", "outcome_names"]

_COMMON: dict[str, str] = {
    "took_off": "bool: the focal county held at least the take-off threshold share in each of the last "
                "hold_years years, all after its incentives ended",
    "take_off_observable": "bool: the run lasted at least hold_years years after the focal incentives ended "
                           "(if false, took_off is false by construction)",
    "first_year_at_threshold": "first year the focal share reached the take-off threshold, year (nan: never)",
    "final_share": "focal county's share of the take-off measure (employment or firms) among counties, last year",
    "incentives_end_year": "first year the focal county paid no incentive any more, year (inf: never)",
    "focal_firms": "firms in the focal county, last year",
    "focal_employment": "employment in the focal county, last year, persons",
    "jobs": "focal jobs gained: last-year employment minus the fiscal baseline's, persons",
    "incentives_paid": "incentives the focal county paid over the run, wan (undiscounted)",
    "extra_revenue": "focal revenue from firms above the fiscal baseline over the run, wan (undiscounted)",
    "net_fiscal_return": "extra_revenue - incentives_paid, wan",
    "cost_per_job": "incentives_paid / jobs, wan per job (nan if no jobs were gained)",
    "payback_year": "first year cumulative extra revenue covered cumulative incentives, year (nan: never)",
    "focal_balance": "focal county's fiscal balance, last year, wan",
    "focal_fee_rate": "focal county's fee rate, last year, share of revenue",
    "focal_governance": "focal county's governance quality, last year, 0..1",
    "leader": "str: the county with the most firms, last year ('' if no county has any)",
    "leader_share": "the leader's share of all firms in counties, last year",
    "hhi": "Herfindahl index of employment across counties, last year",
    "origin_share": "share of all firms still in the origin regions (the coast), last year",
    "park_share": "share of county employment in counties whose zone runs a package (parks; Text 5 target >= 0.5), "
                  "last year",
    "specialisation": "mean Krugman dissimilarity of the counties' sector mixes, 0 (duplicates) .. 2, last year "
                      "(nan with fewer than two counties with industry)",
}


def _eg(sectors: Sequence[str]) -> dict[str, str]:
    return {f"eg_{s}": f"Ellison-Glaeser concentration index of sector {s}, last year (nan if undefined)"
            for s in sectors}


#: outcome name -> one-line description with unit, for the default sectors; a scenario with other
#: sectors yields ``eg_<its sectors>`` instead (see :func:`outcome_names`)
OUTCOMES: dict[str, str] = {**_COMMON, **_eg(Sectors().names)}


def outcome_names(scenario: Scenario) -> dict[str, str]:
    """The outcomes a run of ``scenario`` yields (name -> description), in column order."""
    return {**_COMMON, **_eg(scenario.sectors.names)}


#: the model_frame() columns the outcomes read (besides eg_<sector>)
FRAME_COLUMNS = ("year", "focal_share", "focal_incentives", "focal_firm_revenue", "focal_employment", "focal_firms",
                 "focal_balance", "focal_fee_rate", "focal_governance", "hhi", "origin_share")


def _outcome_frame(model: ClusterModel) -> pd.DataFrame:
    """The columns of ``model.model_frame()`` that the outcomes read, as floats (the same values;
    built from the collected lists directly: the whole frame costs a few percent of a run)."""
    history = model.datacollector.model_vars
    names = [*FRAME_COLUMNS, *(f"eg_{s}" for s in model.sector_names)]
    # one float block (one array per column would make pandas check and consolidate each)
    return pd.DataFrame(np.column_stack([np.asarray(history[name], dtype=np.float64) for name in names]),
                        columns=names)


def measure(model: ClusterModel, counterfactual: ClusterModel | None = None, *,
            outcomes: Sequence[str] | None = None) -> dict[str, float | bool | str]:
    """The outcomes of a finished run (see :data:`OUTCOMES`), as plain Python values.

    ``counterfactual``: the same scenario and seed run without the focal package; when given it
    is the fiscal baseline (year by year), otherwise the initial state is. ``outcomes``: keep only
    these names (default: all).
    """
    from clustersim import outputs

    frame = _outcome_frame(model)
    last = frame.iloc[-1]
    verdict = outputs.focal_take_off(model, frame)
    baseline_frame = None if counterfactual is None else frame if counterfactual is model \
        else _outcome_frame(counterfactual)
    fiscal = outputs.focal_fiscal_return(model, counterfactual, frame=frame, counterfactual_frame=baseline_frame)
    r = model.regions
    counties = np.flatnonzero(r.is_county)
    county_firms = r.firms[counties].astype(float)
    total = float(county_firms.sum())
    lead = int(county_firms.argmax()) if county_firms.size else -1
    out: dict[str, float | bool | str] = {
        "took_off": bool(verdict.took_off),
        "take_off_observable": bool(verdict.observable),
        "first_year_at_threshold": float(verdict.first_year_at_threshold),
        "final_share": float(verdict.final_share),
        "incentives_end_year": float(model.incentives_end_year()),
        "focal_firms": float(last["focal_firms"]),
        "focal_employment": float(last["focal_employment"]),
        "jobs": float(fiscal.jobs),
        "incentives_paid": float(fiscal.incentives_paid),
        "extra_revenue": float(fiscal.extra_revenue),
        "net_fiscal_return": float(fiscal.net_return),
        "cost_per_job": float(fiscal.cost_per_job),
        "payback_year": float(fiscal.payback_year),
        "focal_balance": float(last["focal_balance"]),
        "focal_fee_rate": float(last["focal_fee_rate"]),
        "focal_governance": float(last["focal_governance"]),
        "leader": r.names[counties[lead]] if total > 0 else "",
        "leader_share": float(county_firms[lead] / total) if total > 0 else 0.0,
        "hhi": float(last["hhi"]),
        "origin_share": float(last["origin_share"]),
        **outputs.park_and_specialisation(model),
    }
    for name in model.sector_names:
        value = float(last[f"eg_{name}"])
        out[f"eg_{name}"] = value if math.isfinite(value) else math.nan
    if outcomes is not None:
        missing = [k for k in outcomes if k not in out]
        if missing:
            raise KeyError(f"unknown outcomes {missing}; known: {', '.join(out)}")
        out = {k: out[k] for k in outcomes}
    return out
