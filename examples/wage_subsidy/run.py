"""Run the wage-subsidy example and print what the subsidy cost and bought.

Usage: ``python examples/wage_subsidy/run.py [YEARS]`` (default: the scenario's 30 years).
"""

from __future__ import annotations

import sys
from pathlib import Path

from clustersim.scenario import build_model

HERE = Path(__file__).resolve().parent


def main(years: int | None = None) -> dict[str, float]:
    model = build_model(HERE / "scenario.toml")
    model.run(years)
    regions = model.region_frame()
    focal = regions[regions["region"] == model.focal_name]
    out = {"years": int(model.year), "focal_firms": float(focal["firms"].iloc[-1]),
           "wage_subsidies": float(focal["wage_subsidies"].sum()),
           "incentives": float(focal["incentives"].sum())}
    for key, value in out.items():
        print(f"{key:16s} {value:,.1f}")
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
