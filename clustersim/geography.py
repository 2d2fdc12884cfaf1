"""Regions: where they are and what they start with.

Two sources, chosen by ``[geography] source``:

``generated``
    ``origins`` coastal regions spread evenly along a straight coast (x = 0 km, y from 0 to
    ``coast_length_km``), and ``counties`` inland counties at x uniform in
    [``inland_min_km``, ``inland_max_km``], y uniform along the coast, drawn with
    ``layout_seed`` (not the run seed: replicates vary the dynamics, not the map).

``csv``
    One row per region. Required columns: ``name`` (unique), ``kind`` (``origin`` or
    ``county``), ``x_km``, ``y_km``. Optional columns, one per field of
    :class:`~clustersim.params.RegionTraits` (``land_supply`` mu, ``land_price`` wan/mu,
    ``wage`` wan/worker-year, ``labour_pool`` workers, ``infrastructure`` and ``governance``
    in [0, 1], ``fee_rate``, ``budget`` wan, ``package``, ``subsidy_depth``, ...); an empty
    cell or a missing column takes the default of the row's kind.

``china``
    China's county-level units of a province or list of codes, origins at named places, from the
    pinned offline source in :mod:`clustersim.geo.china`.

``geojson``
    Polygons of a GeoJSON file (:mod:`clustersim.geo.geojson`).

For ``china`` and ``geojson`` every region sits at its polygon's centroid (``lon``, ``lat``; ``x_km``
and ``y_km`` in the sinusoidal projection) and distances are great-circle distances; for every
source they are multiplied by ``road_factor``. ``traits_csv`` (keyed by code) sets county traits
for the polygon sources. ``[[regions]]`` overrides in the scenario are applied last, by name.
"""

from __future__ import annotations

import copy
import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from clustersim.params import RegionTraits, Scenario

TRAIT_FIELDS: tuple[str, ...] = tuple(RegionTraits.model_fields)


class RegionFileError(ValueError):
    """A regions CSV file is malformed. ``field`` and ``value`` name what is wrong."""

    def __init__(self, path: Path, field: str, value: object, allowed: str):
        self.path, self.field, self.value, self.allowed = path, field, value, allowed
        super().__init__(f"{path}: {field} = {value!r}: {allowed}")


@dataclass
class RegionLayout:
    """The initial state of every region, origins first. Arrays have one entry per region."""

    names: list[str]
    is_origin: np.ndarray  # bool
    x_km: np.ndarray
    y_km: np.ndarray
    traits: list[RegionTraits]
    # real geography only (source china or geojson): administrative codes, pinyin labels,
    # centroids (degrees), areas (km²), projected outlines (km) and where the data came from
    codes: list[str] | None = None
    labels: list[str] | None = None
    lon: np.ndarray | None = None
    lat: np.ndarray | None = None
    area_km2: np.ndarray | None = None
    shapes: list[Any] | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    road_factor: float = 1.0

    @property
    def n(self) -> int:
        return len(self.names)

    def distances(self) -> np.ndarray:
        """Distance between every pair of regions, km (R x R): great-circle between centroids
        when they are known, else straight-line in the plane; times the road factor. The matrices
        of the last few sets of places are kept (keyed on the coordinates and the road factor
        themselves): each call returns its own copy."""
        places = (self.lon, self.lat, self.x_km, self.y_km)
        key = (*(None if a is None else (a.dtype.str, a.shape, a.tobytes()) for a in places), self.road_factor)
        kept = _DISTANCES.get(key)
        if kept is None:
            kept = _DISTANCES[key] = self._distances()
            while len(_DISTANCES) > WORLDS_KEPT:
                del _DISTANCES[next(iter(_DISTANCES))]
        return kept.copy()

    def _distances(self) -> np.ndarray:
        if self.lon is not None and self.lat is not None:
            from clustersim.geo.spherical import haversine_km

            d = haversine_km(self.lon, self.lat)
        else:
            dx = self.x_km[:, None] - self.x_km[None, :]
            dy = self.y_km[:, None] - self.y_km[None, :]
            d = np.hypot(dx, dy)
        return d * self.road_factor

    def market_distance(self) -> np.ndarray:
        """Distance from each region to the nearest origin (the coastal market), km."""
        return self.distances()[:, self.is_origin].min(axis=1)

    def copy(self) -> RegionLayout:
        """A copy whose lists, arrays, traits and provenance can be changed without changing this
        one (the polygons, immutable, are shared). Regions that share a traits object here (the
        defaults of their kind) share its copy."""
        def arr(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a.copy()

        def seq(x: list | None) -> list | None:
            return None if x is None else list(x)

        copies: dict[int, RegionTraits] = {}
        for t in self.traits:
            if id(t) not in copies:
                copies[id(t)] = t.model_copy()
        return RegionLayout(names=list(self.names), is_origin=self.is_origin.copy(), x_km=self.x_km.copy(),
                            y_km=self.y_km.copy(), traits=[copies[id(t)] for t in self.traits], codes=seq(self.codes),
                            labels=seq(self.labels), lon=arr(self.lon), lat=arr(self.lat),
                            area_km2=arr(self.area_km2), shapes=seq(self.shapes),
                            provenance=copy.deepcopy(self.provenance), road_factor=self.road_factor)


#: the layouts of the geographies built in this process, before ``[[regions]]`` overrides (see
#: :func:`build_layout`), newest last; and their distance matrices (:meth:`RegionLayout.distances`)
_WORLDS: dict[tuple, RegionLayout] = {}
_DISTANCES: dict[tuple, np.ndarray] = {}
WORLDS_KEPT = 8


def build_layout(scenario: Scenario, base_dir: Path | None = None) -> RegionLayout:
    """Regions of a scenario, with its ``[[regions]]`` overrides applied.

    What the ``[geography]`` table builds (the regions, their places and default traits: for real
    geography, polygons selected, projected and labelled, tens of milliseconds) is kept for the
    process, keyed on the whole table, ``base_dir`` and the size and modification time of the files
    it reads, so the runs of a sweep, and a model's construction after its scenario's checks, build
    their world once; any change to the table or its files builds it again. Each call returns its
    own copy, with the scenario's ``[[regions]]`` overrides applied."""
    key = _world_key(scenario, base_dir)
    world = _WORLDS.get(key) if key is not None else None
    if world is None:
        world = _build_world(scenario, base_dir)
        if key is not None:
            _WORLDS[key] = world.copy()  # its own traits: not the scenario's objects
            while len(_WORLDS) > WORLDS_KEPT:
                del _WORLDS[next(iter(_WORLDS))]
    layout = world.copy()
    index = {name: i for i, name in enumerate(layout.names)}
    for override in scenario.regions:
        if override.name not in index:
            raise RegionFileError(Path("regions"), "name", override.name,
                                  f"no region has this name; regions are {_preview(layout.names)}")
        i = index[override.name]
        changes = override.model_dump(exclude={"name"}, exclude_none=True)
        layout.traits[i] = layout.traits[i].model_copy(update=changes)
    return layout


def _world_key(scenario: Scenario, base_dir: Path | None) -> tuple | None:
    """What :func:`_build_world` reads: the ``[geography]`` table, ``base_dir``, and the identity,
    size and modification time of its source's files (None when one cannot be read: no key, so
    the build reports the problem)."""
    geo = scenario.geography
    files = {"generated": (), "csv": ("csv",), "china": ("traits_csv",),
             "geojson": ("geojson", "traits_csv")}[geo.source]
    stamps = []
    for name in files:
        path = getattr(geo, name)
        if path is None:
            continue
        path = path if path.is_absolute() or base_dir is None else base_dir / path
        try:
            st = path.stat()
        except OSError:
            return None
        stamps.append((str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
    return geo.model_dump_json(), None if base_dir is None else str(base_dir), tuple(stamps)


def _build_world(scenario: Scenario, base_dir: Path | None) -> RegionLayout:
    """The regions ``[geography]`` builds, before ``[[regions]]`` overrides."""
    geo = scenario.geography
    if geo.source == "generated":
        layout = _generated(scenario)
    elif geo.source == "csv":
        path = geo.csv if geo.csv.is_absolute() or base_dir is None else base_dir / geo.csv
        layout = read_regions_csv(path, scenario)
    elif geo.source == "china":
        from clustersim.geo.china import china_layout

        layout = china_layout(_resolved(scenario, base_dir))
    else:
        from clustersim.geo.geojson import geojson_layout

        scenario = _resolved(scenario, base_dir)
        layout = geojson_layout(scenario, scenario.geography.geojson)
    layout.road_factor = geo.road_factor
    return layout


def _resolved(scenario: Scenario, base_dir: Path | None) -> Scenario:
    """The scenario with its geography files resolved against ``base_dir``."""
    geo = scenario.geography
    changes = {k: base_dir / getattr(geo, k) for k in ("geojson", "traits_csv")
               if base_dir is not None and getattr(geo, k) is not None and not getattr(geo, k).is_absolute()}
    if not changes:
        return scenario
    return scenario.model_copy(update={"geography": geo.model_copy(update=changes)})


def focal_county_name(scenario: Scenario, layout: RegionLayout | None = None) -> str:
    """The focal county's name: ``scenario.focal_county``, else the first county of its layout
    (the model's default). ``layout``: the scenario's, when the caller has built it already."""
    if scenario.focal_county is not None:
        return scenario.focal_county
    layout = build_layout(scenario) if layout is None else layout
    return next(n for n, o in zip(layout.names, layout.is_origin, strict=True) if not o)


def _preview(names: list[str], k: int = 6) -> str:
    return ", ".join(names[:k]) + (", ..." if len(names) > k else "")


def _generated(scenario: Scenario) -> RegionLayout:
    geo = scenario.geography
    rng = np.random.default_rng(geo.layout_seed)
    n_o, n_c = geo.origins, geo.counties
    y_origin = (np.arange(n_o) + 0.5) * geo.coast_length_km / n_o
    x_c = rng.uniform(geo.inland_min_km, geo.inland_max_km, n_c)
    y_c = rng.uniform(0.0, geo.coast_length_km, n_c)
    width = max(2, len(str(n_c)))
    names = (["coast"] if n_o == 1 else [f"coast_{k + 1}" for k in range(n_o)]) + [
        f"county_{k + 1:0{width}d}" for k in range(n_c)
    ]
    return RegionLayout(
        names=names,
        is_origin=np.r_[np.ones(n_o, bool), np.zeros(n_c, bool)],
        x_km=np.r_[np.zeros(n_o), x_c],
        y_km=np.r_[y_origin, y_c],
        traits=[geo.origin] * n_o + [geo.county] * n_c,
    )


def read_regions_csv(path: Path, scenario: Scenario) -> RegionLayout:
    """Read a regions file (format in the module docstring)."""
    if not path.is_file():
        raise RegionFileError(path, "geography.csv", str(path), "the file does not exist")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        required = ("name", "kind", "x_km", "y_km")
        for col in required:
            if col not in columns:
                raise RegionFileError(path, "columns", columns, f"a column named {col!r} is required")
        for col in columns:
            if col not in required and col not in TRAIT_FIELDS:
                raise RegionFileError(path, "columns", col,
                                      f"unknown column; allowed: {', '.join(required + TRAIT_FIELDS)}")
        rows = list(reader)
    names, kinds, xs, ys, traits = [], [], [], [], []
    geo = scenario.geography
    for line, row in enumerate(rows, start=2):
        name = (row["name"] or "").strip()
        if not name or name in names:
            raise RegionFileError(path, f"line {line}: name", name, "a unique, non-empty region name")
        kind = (row["kind"] or "").strip()
        if kind not in ("origin", "county"):
            raise RegionFileError(path, f"line {line}: kind", kind, "'origin' or 'county'")
        coords = []
        for col in ("x_km", "y_km"):
            try:
                coords.append(float(row[col]))
            except (TypeError, ValueError):
                raise RegionFileError(path, f"line {line}: {col}", row[col], "a number (km)") from None
        base = geo.origin if kind == "origin" else geo.county
        changes = {k: v.strip() for k, v in row.items() if k in TRAIT_FIELDS and v is not None and v.strip()}
        try:
            trait = RegionTraits.model_validate({**base.model_dump(), **changes}, strict=False)  # CSV cells are text
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise RegionFileError(path, f"line {line}: {field}", first.get("input"), first["msg"]) from None
        names.append(name)
        kinds.append(kind == "origin")
        xs.append(coords[0])
        ys.append(coords[1])
        traits.append(trait)
    if not any(kinds):
        raise RegionFileError(path, "kind", "county only", "at least one region of kind 'origin' is needed")
    if all(kinds):
        raise RegionFileError(path, "kind", "origin only", "at least one region of kind 'county' is needed")
    order = np.argsort(~np.array(kinds), kind="stable")  # origins first
    return RegionLayout(
        names=[names[i] for i in order],
        is_origin=np.array(kinds)[order],
        x_km=np.array(xs)[order],
        y_km=np.array(ys)[order],
        traits=[traits[i] for i in order],
    )
