"""A region layout from polygons: each region at its polygon's centroid, with its area (km²),
its projected outline for maps and its code and pinyin label; distances are great-circle
distances between centroids times the road factor."""

from __future__ import annotations

from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from clustersim.geo.spherical import measure
from clustersim.params import RegionTraits


def polygon_layout(names: list[str], codes: list[str], labels: list[str], is_origin: list[bool],
                   geometries: list[BaseGeometry], traits: list[RegionTraits], provenance: dict[str, Any]):
    """A :class:`~clustersim.geography.RegionLayout`, origins first (stable order otherwise)."""
    from clustersim.geography import RegionLayout

    names = _unique(names, codes)
    bounds = np.array([g.bounds for g in geometries])
    lon0 = float((bounds[:, 0].min() + bounds[:, 2].max()) / 2)
    measured = [measure(g, lon0) for g in geometries]
    order = np.argsort(~np.array(is_origin), kind="stable")
    pick = [int(i) for i in order]
    lon = np.array([measured[i][0] for i in pick])
    lat = np.array([measured[i][1] for i in pick])
    shapes = [measured[i][3] for i in pick]
    return RegionLayout(
        names=[names[i] for i in pick],
        is_origin=np.array(is_origin)[order],
        x_km=np.array([s.centroid.x for s in shapes]),
        y_km=np.array([s.centroid.y for s in shapes]),
        traits=[traits[i] for i in pick],
        codes=[codes[i] for i in pick],
        labels=[labels[i] for i in pick],
        lon=lon, lat=lat,
        area_km2=np.array([measured[i][2] for i in pick]),
        shapes=shapes,
        provenance=provenance,
    )


def _unique(names: list[str], codes: list[str]) -> list[str]:
    """Names, with the code appended to any name that occurs more than once."""
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    return [f"{n} ({c})" if seen[n] > 1 and c else n for n, c in zip(names, codes, strict=True)]
