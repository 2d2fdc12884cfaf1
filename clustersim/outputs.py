"""What a run leaves behind: tidy tables (Parquet), a summary (JSON), and the numbers in it.

Functions here take a finished :class:`~clustersim.model.ClusterModel` (or the tables it
produced) so that the ``run`` command, sweep reports and the UI share one definition of
"the focal county's fiscal return" or "the largest clusters". Money in wan, time in years.
"""

from __future__ import annotations

import io
import json
import math
import os
import platform
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clustersim import metrics

if TYPE_CHECKING:
    from clustersim.model import ClusterModel

#: packages whose versions are recorded in every summary
VERSIONED_PACKAGES = ("clustersim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "matplotlib")


# ------------------------------------------------------------------------------ tables
def region_table(model: ClusterModel) -> pd.DataFrame:
    """The model's tidy region x year table plus static columns: position (``x_km``,
    ``y_km``) and ``focal`` (True for the focal county)."""
    df = model.region_frame()
    r = model.regions
    static = pd.DataFrame({"region": r.names, "x_km": r.x_km, "y_km": r.y_km})
    static = static.assign(**real_place_columns(model.layout))
    df = df.merge(static, on="region", how="left", validate="many_to_one")
    df["focal"] = df["region"] == model.focal_name
    return df


def real_place_columns(layout) -> dict[str, Any]:
    """``code``, ``pinyin``, ``lon``, ``lat`` and ``area_km2`` of a real-geography layout (none otherwise)."""
    if layout.codes is None:
        return {}
    return {"code": layout.codes, "pinyin": layout.labels, "lon": layout.lon, "lat": layout.lat,
            "area_km2": layout.area_km2}


def write_bytes_atomic(data: bytes, path: Path) -> Path:
    """Write ``data`` to ``path`` so that ``path`` is either absent, its old content, or all of
    ``data``: a hidden temp file in the same folder, fsynced, renamed into place (atomic on
    POSIX), then the folder fsynced so the rename itself survives a crash."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def parquet_bytes(df: pd.DataFrame) -> bytes:
    """``df`` as a Parquet file (no index), in memory."""
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    """Write ``df`` to ``path`` atomically (:func:`write_bytes_atomic`), so a crashed run never
    leaves a half-written table that readers would choke on."""
    return write_bytes_atomic(parquet_bytes(df), path)


def write_json(data: dict[str, Any], path: Path) -> Path:
    """Write ``data`` as indented JSON, atomically (:func:`write_bytes_atomic`); NaN and
    infinities become ``null`` (strict JSON)."""
    return write_bytes_atomic((json.dumps(_jsonable(data), indent=2, allow_nan=False) + "\n").encode("utf-8"), path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_tables(model: ClusterModel, out_dir: Path, regions: pd.DataFrame | None = None) -> dict[str, Path]:
    """``model.parquet`` (one row per year), ``regions.parquet`` (one row per region and year;
    ``regions`` if the caller already built :func:`region_table`) and ``firms.parquet`` (the
    final firm table) in ``out_dir``."""
    out_dir = Path(out_dir)
    regions = region_table(model) if regions is None else regions
    return {
        "model": write_parquet(model.model_frame(), out_dir / "model.parquet"),
        "regions": write_parquet(regions, out_dir / "regions.parquet"),
        "firms": write_parquet(model.firm_frame(), out_dir / "firms.parquet"),
    }


# ------------------------------------------------------------------------------ measures
def focal_take_off(model: ClusterModel, frame: pd.DataFrame | None = None) -> metrics.TakeOff:
    """The take-off verdict for the focal county under the scenario's ``[take_off]`` rule.
    ``frame``: the model's ``model_frame()`` if the caller already built it."""
    frame = model.model_frame() if frame is None else frame
    rule = model.config.take_off
    return metrics.take_off(frame["year"].to_numpy(float), frame["focal_share"].to_numpy(float),
                            model.incentives_end_year(), rule.threshold, rule.hold_years)


def focal_fiscal_series(model: ClusterModel, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The focal county's yearly ``incentives`` paid, ``revenue`` from firms (retained taxes +
    fees + land sales) and ``jobs`` (employment), wan/year and persons, from year 0.
    ``frame``: the model's ``model_frame()`` if the caller already built it."""
    year, incentives, revenue, jobs = _fiscal_columns(model, frame)
    return pd.DataFrame({"year": year, "incentives": incentives, "revenue": revenue, "jobs": jobs})


def _fiscal_columns(model: ClusterModel, frame: pd.DataFrame | None) -> tuple[np.ndarray, ...]:
    """The columns of :func:`focal_fiscal_series`: year, incentives, revenue, jobs."""
    df = model.model_frame() if frame is None else frame
    return (df["year"].to_numpy(), df["focal_incentives"].to_numpy(float), df["focal_firm_revenue"].to_numpy(float),
            df["focal_employment"].to_numpy(float))


def focal_fiscal_return(model: ClusterModel, counterfactual: ClusterModel | None = None, *,
                        frame: pd.DataFrame | None = None,
                        counterfactual_frame: pd.DataFrame | None = None) -> metrics.FiscalReturn:
    """Fiscal return of the focal county's policy over the run.

    Baseline: the ``counterfactual`` run's revenue and jobs year by year when given (same
    scenario and seed, the focal county without its package); otherwise the initial state
    (year 0: no production yet, so no revenue, and the initial jobs). ``frame`` and
    ``counterfactual_frame``: the two models' ``model_frame()`` (or the columns of it that
    :func:`focal_fiscal_series` reads) if the caller already built them."""
    year, incentives, revenue, jobs = _fiscal_columns(model, frame)
    base_rev = base_jobs = None
    if counterfactual is not None:
        base_year, _, base_rev, base_jobs = _fiscal_columns(counterfactual, counterfactual_frame)
        if not np.array_equal(base_year, year):
            raise ValueError("the counterfactual run must cover the same years as the run")
    return metrics.fiscal_return(year.astype(float), incentives, revenue, jobs,
                                 baseline_revenue=base_rev, baseline_jobs=base_jobs)


def final_shares(model: ClusterModel) -> pd.DataFrame:
    """One row per region in the last year: firms, employment, their shares of all firms and
    of the firms in counties (the relocated industry), sorted by firms, largest first."""
    r = model.regions
    firms, emp = r.firms.astype(float), r.employment.astype(float)
    county = r.is_county
    df = pd.DataFrame({
        "region": r.names,
        "kind": np.where(r.is_origin, "origin", "county"),
        "firms": firms,
        "employment": emp,
        "share_of_all_firms": _share(firms, np.ones_like(county)),
        "share_of_county_firms": _share(firms, county),
        "share_of_county_employment": _share(emp, county),
    })
    if model.layout.labels is not None:
        df.insert(1, "pinyin", model.layout.labels)
    return df.sort_values(["firms", "employment"], ascending=False, kind="stable").reset_index(drop=True)


def _share(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    total = values[mask].sum()
    out = np.where(mask, values / total if total > 0 else 0.0, np.nan)
    return out


def park_and_specialisation(model: ClusterModel) -> dict[str, float]:
    """Text 5's layout outcomes, now: ``park_share``, the share of county employment in counties
    whose industrial zone runs a package (a park), and ``specialisation``, the mean Krugman
    dissimilarity of the counties' sector mixes of employment (0: they duplicate each other's
    industries; 2: no sector in common; nan with fewer than two counties with industry)."""
    r = model.regions
    county = r.is_county
    rows = model._placed()
    by_sector = np.zeros((len(model.sector_names), r.n))
    np.add.at(by_sector, (model.firms.sector[rows].astype(np.int64), model.firms.region[rows]),
              model.firms.employment[rows])
    return {"park_share": metrics.park_share(r.employment[county], (r.package > 0)[county]),
            "specialisation": metrics.specialisation(by_sector[:, county])}


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_summary(model: ClusterModel, *, source: str | None = None, timing: dict[str, float] | None = None,
                counterfactual: ClusterModel | None = None) -> dict[str, Any]:
    """Everything ``summary.json`` holds, as a plain dict."""
    r = model.regions
    frame = model.model_frame()
    final = {k: float(v) for k, v in frame.iloc[-1].items()}
    return {
        "scenario": model.config.name,
        "scenario_file": source,
        "seed": model.seed,
        "years": int(model.year),
        "focal_county": model.focal_name,
        "incentives_end_year": model.incentives_end_year(),
        "take_off_rule": model.config.take_off.model_dump(),
        "take_off": focal_take_off(model, frame).to_dict(),
        "fiscal_return": focal_fiscal_return(model, counterfactual, frame=frame).to_dict(),
        "fiscal_baseline": "counterfactual run without the focal package" if counterfactual is not None
        else "initial state (year 0)",
        "focal_balance": float(r.balance[model.focal]),
        "focal_debt": float(r.debt[model.focal]),
        "final_shares": final_shares(model).to_dict(orient="records"),
        "geography": model.layout.provenance or {"source": model.config.geography.source},
        "ellison_glaeser": {name: final[f"eg_{name}"] for name in model.sector_names},  # last year, nan if undefined
        "layout": park_and_specialisation(model),  # Text 5: park share (target >= 0.5), specialisation
        "final": final,
        "timing_seconds": timing or {},
        "versions": package_versions(),
        "resolved_scenario": model.config.model_dump(mode="json"),
    }
