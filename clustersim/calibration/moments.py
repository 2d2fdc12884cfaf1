"""Simulated moments of one run, named so that a name is its own specification.

``<statistic>@<year>`` for a model-wide statistic, ``<statistic>:<county>@<year>`` for one
county's. Statistics:

=================  =====================================================================
inland_share       share of all firms located in counties (1 - origin share), 0..1
hhi, gini          concentration of county employment (model frame), 0..1
largest_share      largest county's share of county employment, 0..1
firms_in_counties  firms located in counties
eg_<sector>        Ellison-Glaeser gamma of a sector
county_firms       firms in the named county
county_share       the named county's share of the firms in counties, 0..1
=================  =====================================================================

:func:`simulate` is the sweep run function (``clustersim.calibration.moments:simulate``): it runs
a design row's scenario with a *common random number* seed that depends on the replicate only,
so every design point of a stage sees the same random streams.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

MODEL_STATISTICS = ("inland_share", "hhi", "gini", "largest_share", "firms_in_counties")
COUNTY_STATISTICS = ("county_firms", "county_share")
_NAME = re.compile(r"^(?P<stat>[a-z_]+)(?::(?P<county>[^@]+))?@(?P<year>\d+)$")


def moment_name(statistic: str, year: int, county: str | None = None) -> str:
    return f"{statistic}:{county}@{year}" if county else f"{statistic}@{year}"


def parse(name: str) -> tuple[str, str | None, int]:
    m = _NAME.match(name)
    if not m:
        raise ValueError(f"not a moment name: {name!r}")
    return m["stat"], m["county"], int(m["year"])


def statistics(sectors: Sequence[str]) -> tuple[str, ...]:
    return (*MODEL_STATISTICS, *(f"eg_{s}" for s in sectors), *COUNTY_STATISTICS)


def measure(model, names: Sequence[str]) -> dict[str, float]:
    """The named moments of a finished run."""
    frame = model.model_frame().set_index("year")
    out: dict[str, float] = {}
    county_firms = None
    for name in names:
        stat, county, year = parse(name)
        if year not in frame.index:
            raise ValueError(f"moment {name!r}: the run has no year {year} (it ran {int(frame.index.max())} years)")
        if stat == "inland_share":
            out[name] = 1.0 - float(frame.at[year, "origin_share"])
        elif stat in COUNTY_STATISTICS:
            if county_firms is None:
                rf = model.region_frame()
                county_firms = rf.pivot_table(index="year", columns="region", values="firms", aggfunc="sum")
            firms = float(county_firms.at[year, county])
            if stat == "county_firms":
                out[name] = firms
            else:
                total = float(frame.at[year, "firms_in_counties"])
                out[name] = firms / total if total > 0 else 0.0
        else:
            out[name] = float(frame.at[year, stat])
    return out


def crn_seed(sweep_seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` at every design point (common random numbers)."""
    state = np.random.SeedSequence(sweep_seed, spawn_key=(0xC0FFEE, int(replicate))).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def simulate(exp, row: Mapping[str, Any]) -> dict[str, float]:
    """Sweep run function: the design row's scenario at its CRN seed; its moments (``exp.outcomes``)."""
    from clustersim.scenario import build_model

    point = {f.name: row[f.name] for f in exp.factors}
    scenario = exp.scenario_for(point, crn_seed(exp.sweep_seed, row["replicate"]))
    model = build_model(scenario, source=exp.path)
    model.run()
    values = measure(model, exp.outcomes)
    if not all(np.isfinite(v) for v in values.values()):
        raise ValueError(f"a moment is undefined in this run: {values}")
    return values
