"""Regions from a GeoJSON file (``[geography] source = "geojson"``, ``geojson = "file.geojson"``).

A FeatureCollection of Polygon or MultiPolygon features in longitude/latitude (WGS-84, RFC 7946).
Properties: ``name`` (required, unique), ``kind`` (``origin`` or ``county``; default ``county``),
``code`` (optional; keys ``traits_csv``), ``pinyin`` (optional label; default: pinyin of the name)
and any field of :class:`~clustersim.params.RegionTraits` (``land_supply`` mu, ``labour_pool``
workers, ``fee_rate``, ...); other properties are ignored. Geometry is read with shapely: each
region sits at its polygon's centroid and carries its area (km², on the sphere).
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from pydantic import ValidationError
from shapely.geometry import shape

from clustersim.geo.names import pinyin_label
from clustersim.params import RegionTraits


def _error(path: Path, field: str, value: object, allowed: str):
    from clustersim.geography import RegionFileError

    return RegionFileError(path, field, value, allowed)


def read_features(path: Path) -> list[tuple[dict, shapely.Geometry]]:
    """(properties, geometry) of every feature; RegionFileError for anything malformed."""
    if not path.is_file():
        raise _error(path, "geography.geojson", str(path), "the file does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _error(path, "file", str(path), f"not a JSON text ({err})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        raise _error(path, "type", data.get("type") if isinstance(data, dict) else type(data).__name__,
                     "a GeoJSON FeatureCollection with a list of features")
    out = []
    for i, f in enumerate(data["features"]):
        props = f.get("properties") if isinstance(f, dict) else None
        if not isinstance(props, dict):
            raise _error(path, f"features.{i}.properties", props, "an object with at least a name")
        geom_json = f.get("geometry")
        kind = geom_json.get("type") if isinstance(geom_json, dict) else geom_json
        if kind not in ("Polygon", "MultiPolygon"):
            raise _error(path, f"features.{i}.geometry.type", kind, "Polygon or MultiPolygon")
        try:
            geom = shape(geom_json)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.ShapelyError) as err:
            raise _error(path, f"features.{i}.geometry", _short(geom_json),
                         f"malformed coordinates ({err})") from None
        if geom.is_empty or not geom.is_valid:
            reason = shapely.is_valid_reason(geom) if not geom.is_empty else "empty"
            raise _error(path, f"features.{i}.geometry", _short(geom_json),
                         f"a valid polygon (rings closed, not self-intersecting); shapely says: {reason}")
        x0, y0, x1, y1 = geom.bounds
        if not (x0 >= -180 and x1 <= 180 and y0 >= -90 and y1 <= 90):
            raise _error(path, f"features.{i}.geometry", geom.bounds, "longitude/latitude in degrees (WGS-84)")
        out.append((props, geom))
    return out


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 50 else text[:47] + "..."


def geojson_layout(scenario, path: Path):
    """The layout of a ``source = "geojson"`` scenario."""
    from clustersim.geo.china import trait_provenance
    from clustersim.geo.polygons import polygon_layout
    from clustersim.geo.traits import apply_traits
    from clustersim.geography import TRAIT_FIELDS

    geo = scenario.geography
    names, codes, labels, kinds, geoms, traits = [], [], [], [], [], []
    from_props = dict.fromkeys(TRAIT_FIELDS, 0)
    for i, (props, geom) in enumerate(read_features(path)):
        name = str(props.get("name") or "").strip()
        if not name or name in names:
            raise _error(path, f"features.{i}.properties.name", name, "a unique, non-empty region name")
        kind = props.get("kind", "county")
        if kind not in ("origin", "county"):
            raise _error(path, f"features.{i}.properties.kind", kind, "'origin' or 'county'")
        base = geo.origin if kind == "origin" else geo.county
        changes = {k: v for k, v in props.items() if k in TRAIT_FIELDS and v is not None and v != ""}
        try:
            trait = RegionTraits.model_validate({**base.model_dump(), **changes}, strict=False)
        except ValidationError as err:
            first = err.errors()[0]
            raise _error(path, f"features.{i}.properties.{first['loc'][0]}", first.get("input"), first["msg"]) from None
        for k in changes:
            from_props[k] += 1
        names.append(name)
        codes.append(str(props.get("code", "")).strip())
        labels.append(str(props.get("pinyin") or pinyin_label(name)))
        kinds.append(kind == "origin")
        geoms.append(geom)
        traits.append(trait)
    if not any(kinds) or all(kinds):
        raise _error(path, "kind", "origin only" if kinds and all(kinds) else "county only",
                     "at least one feature of kind 'origin' and one of kind 'county'")
    from_csv: dict[str, int] = {}
    if geo.traits_csv is not None:
        traits, from_csv = apply_traits(geo.traits_csv, codes, names, traits)
    counts = {k: from_props[k] + from_csv.get(k, 0) for k in TRAIT_FIELDS}
    provenance = {"source": f"GeoJSON {path}", "regions": len(names), "counties": len(names) - sum(kinds),
                  "road_factor": geo.road_factor, **trait_provenance(geo.traits_csv, counts, len(names))}
    return polygon_layout(names, codes, labels, kinds, geoms, traits, provenance)
