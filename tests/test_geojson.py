"""GeoJSON regions: a small fixture with areas and centroids known in closed form, traits from
properties, and malformed geometry stopping with exit status 2 and one line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from clustersim.cli import main
from clustersim.geo.spherical import EARTH_RADIUS_KM
from clustersim.geography import build_layout
from clustersim.scenario import load_scenario


def _cell(lon0: float, lat0: float, size: float) -> dict:
    ring = [[lon0, lat0], [lon0 + size, lat0], [lon0 + size, lat0 + size], [lon0, lat0 + size], [lon0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _cell_area(lat0: float, size: float) -> float:
    """Area of a lon/lat cell on the sphere: R² Δλ (sin φ2 − sin φ1), km²."""
    band = math.sin(math.radians(lat0 + size)) - math.sin(math.radians(lat0))
    return EARTH_RADIUS_KM**2 * math.radians(size) * band


def _centroid_lat(lat0: float, size: float) -> float:
    """∫φ cosφ dφ / ∫cosφ dφ over the cell, degrees."""
    a, b = math.radians(lat0), math.radians(lat0 + size)
    num = (b * math.sin(b) + math.cos(b)) - (a * math.sin(a) + math.cos(a))
    return math.degrees(num / (math.sin(b) - math.sin(a)))


FEATURES = [
    {"type": "Feature", "properties": {"name": "港口", "kind": "origin"}, "geometry": _cell(114.0, 22.5, 0.5)},
    {"type": "Feature", "properties": {"name": "甲县", "code": "000001", "fee_rate": 0.03},
     "geometry": _cell(112.0, 27.0, 1.0)},
    {"type": "Feature", "properties": {"name": "乙县", "code": "000002", "labour_pool": 50000},
     "geometry": {"type": "MultiPolygon", "coordinates": [_cell(110.0, 28.0, 0.2)["coordinates"],
                                                           _cell(110.4, 28.0, 0.2)["coordinates"]]}},
]


def _scenario(tmp_path: Path, features: list) -> Path:
    (tmp_path / "regions.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                                              encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text('name = "gj"\nfocal_county = "甲县"\n[geography]\nsource = "geojson"\n'
                    'geojson = "regions.geojson"\nroad_factor = 1.2\n', encoding="utf-8")
    return path


def test_areas_centroids_and_traits(tmp_path) -> None:
    layout = build_layout(load_scenario(_scenario(tmp_path, FEATURES)))
    assert layout.names == ["港口", "甲县", "乙县"] and layout.is_origin.tolist() == [True, False, False]
    assert layout.area_km2[1] == pytest.approx(_cell_area(27.0, 1.0), rel=1e-4)  # ≈ 10,990 km²
    assert layout.area_km2[2] == pytest.approx(2 * _cell_area(28.0, 0.2), rel=1e-4)
    # area centroid of a cell: its mid-longitude (to 1e-5°, about a metre: the projection's meridian is
    # not the cell's) and the cos-weighted mean latitude (the cell is narrower to the north)
    assert layout.lon[1] == pytest.approx(112.5, abs=1e-5)
    assert layout.lat[1] == pytest.approx(_centroid_lat(27.0, 1.0), abs=1e-5)
    assert layout.lon[2] == pytest.approx(110.3, abs=1e-5)
    assert layout.lat[2] == pytest.approx(_centroid_lat(28.0, 0.2), abs=1e-5)
    assert layout.traits[1].fee_rate == 0.03 and layout.traits[2].labour_pool == 50000
    assert layout.labels[1] == "Jia County" and layout.codes[2] == "000002"
    assert layout.provenance["traits_defaulted"]["fee_rate"] == 2
    d = layout.distances()
    assert d[1, 2] == d[2, 1] and d[1, 1] == 0.0


@pytest.mark.parametrize(("geometry", "field"), [
    ({"type": "Polygon", "coordinates": [[[112, 27], [113, 28], [113, 27], [112, 28], [112, 27]]]},
     "features.1.geometry"),  # a bow tie: self-intersecting
    ({"type": "Polygon", "coordinates": [[[112, 27], [113]]]}, "features.1.geometry"),
    ({"type": "Point", "coordinates": [112, 27]}, "features.1.geometry.type"),
    ({"type": "Polygon", "coordinates": [[[512, 27], [513, 27], [513, 28], [512, 27]]]}, "features.1.geometry"),
])
def test_malformed_geometry_exits_2_with_one_line(geometry, field, tmp_path, capsys) -> None:
    features = [FEATURES[0], {**FEATURES[1], "geometry": geometry}, FEATURES[2]]
    path = _scenario(tmp_path, features)
    code = main(["run", str(path), "--out", str(tmp_path / "out"), "--years", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"{tmp_path / 'regions.geojson'}: {field} = "), err


def test_a_geojson_scenario_runs(tmp_path, capsys) -> None:
    assert main(["run", str(_scenario(tmp_path, FEATURES)), "--out", str(tmp_path / "out"), "--years", "3"]) == 0
    out = capsys.readouterr().out
    assert "geography GeoJSON" in out and (tmp_path / "out" / "overview.png").is_file()
