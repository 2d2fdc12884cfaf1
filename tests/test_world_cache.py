"""The world a scenario's ``[geography]`` builds is kept per process (geography.build_layout):
reused only for the very same table and files, never shared between callers."""

from __future__ import annotations

import os

import numpy as np

from clustersim import geography
from clustersim.geography import build_layout
from clustersim.params import Scenario
from clustersim.scenario import apply_overrides, load_scenario

CSV = "name,kind,x_km,y_km,fee_rate\ncoast,origin,0,300,\nhilltown,county,{x},120,0.02\nriverside,county,310,420,\n"


def test_a_layout_is_each_callers_own():
    scenario = Scenario()
    first = build_layout(scenario)
    first.traits[1] = first.traits[1].model_copy(update={"fee_rate": 0.09})
    first.x_km[1] = -1.0
    first.names[1] = "renamed"
    again = build_layout(scenario)
    assert again.traits[1].fee_rate == scenario.geography.county.fee_rate
    assert again.x_km[1] != -1.0 and again.names[1] != "renamed"


def test_the_cache_holds_its_own_traits_not_the_scenarios():
    scenario = Scenario()
    build_layout(scenario)
    scenario.geography.county.fee_rate = 0.07  # changed in place after the build (pydantic allows it)
    assert build_layout(scenario).traits[-1].fee_rate == 0.07  # now a different table: built again
    assert build_layout(Scenario()).traits[-1].fee_rate == Scenario().geography.county.fee_rate


def test_a_different_geography_is_built_again():
    base = Scenario()
    other = apply_overrides(base, {"geography.layout_seed": base.geography.layout_seed + 1})
    assert not np.array_equal(build_layout(base).x_km, build_layout(other).x_km)
    fewer = apply_overrides(base, {"geography.counties": base.geography.counties - 1})
    assert build_layout(fewer).n == build_layout(base).n - 1


def test_region_overrides_apply_per_call_on_the_shared_world():
    base = Scenario()
    changed = apply_overrides(base, {"regions": [{"name": "county_01", "fee_rate": 0.05}]})
    i = build_layout(base).names.index("county_01")
    assert build_layout(changed).traits[i].fee_rate == 0.05
    assert build_layout(base).traits[i].fee_rate == base.geography.county.fee_rate


def test_an_edited_regions_file_is_read_again(tmp_path):
    csv = tmp_path / "regions.csv"
    csv.write_text(CSV.format(x=260), encoding="utf-8")
    (tmp_path / "s.toml").write_text('name = "s"\n[geography]\nsource = "csv"\ncsv = "regions.csv"\n',
                                     encoding="utf-8")
    scenario = load_scenario(tmp_path / "s.toml")
    assert build_layout(scenario).x_km[1] == 260.0
    stat = csv.stat()
    csv.write_text(CSV.format(x=270), encoding="utf-8")  # same size, new content
    os.utime(csv, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a new modification time, whatever the clock
    assert build_layout(scenario).x_km[1] == 270.0


def test_the_cache_is_bounded():
    for k in range(geography.WORLDS_KEPT + 3):
        build_layout(apply_overrides(Scenario(), {"geography.layout_seed": 1000 + k}))
    assert len(geography._WORLDS) <= geography.WORLDS_KEPT


def test_distances_are_kept_per_set_of_places_and_each_callers_own():
    from clustersim.geo.spherical import haversine_km

    layout = build_layout(Scenario())
    fresh = np.hypot(layout.x_km[:, None] - layout.x_km[None, :], layout.y_km[:, None] - layout.y_km[None, :])
    first = layout.distances()
    np.testing.assert_array_equal(first, fresh * layout.road_factor)
    first[0, 1] = -1.0
    assert layout.distances()[0, 1] == fresh[0, 1] * layout.road_factor
    moved = layout.copy()
    moved.x_km[1] += 10.0
    assert moved.distances()[0, 1] != layout.distances()[0, 1]
    moved.road_factor = 2.0
    np.testing.assert_array_equal(moved.distances(), moved._distances())
    moved.lon, moved.lat = np.linspace(110, 112, moved.n), np.linspace(25, 27, moved.n)
    np.testing.assert_array_equal(moved.distances(), haversine_km(moved.lon, moved.lat) * 2.0)
