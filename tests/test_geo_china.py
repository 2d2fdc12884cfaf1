"""The real-geography loader (``[geography] source = "china"``): Hunan's county-level units,
great-circle distances against hand computation, traits keyed by code, and bad selections
exiting with status 2 and one line."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from clustersim.cli import main
from clustersim.geo.spherical import EARTH_RADIUS_KM, haversine_km
from clustersim.geography import build_layout
from clustersim.scenario import apply_overrides, load_scenario

# pytest-xdist (make test) gives the whole module to one worker, which builds the Hunan layout once
pytestmark = pytest.mark.xdist_group("test_geo_china")

HUNAN = Path(__file__).resolve().parents[1] / "scenarios" / "hunan.toml"


@pytest.fixture(scope="module")
def hunan():
    scenario = load_scenario(HUNAN)
    return scenario, build_layout(scenario)


def test_hunan_has_its_122_county_level_units(hunan) -> None:
    # Ministry of Civil Affairs, 中华人民共和国行政区划统计表 (2020-2023 editions): Hunan has 122 county-level
    # divisions (36 districts, 19 county-level cities, 60 counties, 7 autonomous counties).
    _, layout = hunan
    counties = [c for c, o in zip(layout.codes, layout.is_origin, strict=True) if not o]
    assert len(counties) == 122 and all(c.startswith("43") for c in counties)
    i = layout.names.index("衡阳县")
    assert layout.codes[i] == "430421" and layout.labels[i] == "Hengyang County"
    assert layout.names[:4] == ["广州市", "深圳市", "东莞市", "佛山市"] and layout.is_origin[:4].all()
    # 衡阳县 lies around 112.4 E, 27.0 N (the seat, Xidu town, is at 112.37 E, 26.97 N)
    assert abs(layout.lon[i] - 112.4) < 0.3 and abs(layout.lat[i] - 27.1) < 0.3
    assert 2000 < layout.area_km2[i] < 3000  # the county's area is about 2,558 km² (Hengyang County government)


def _by_hand(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Spherical law of cosines, written out independently of the haversine in the code."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    return EARTH_RADIUS_KM * math.acos(math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl))


def test_distances_are_great_circle_times_the_road_factor(hunan) -> None:
    scenario, layout = hunan
    d = layout.distances()
    names = layout.names
    for a, b in [("衡阳县", "深圳市"), ("衡阳县", "广州市"), ("芙蓉区", "江华瑶族自治县"), ("东莞市", "佛山市")]:
        i, j = names.index(a), names.index(b)
        expected = _by_hand(layout.lon[i], layout.lat[i], layout.lon[j], layout.lat[j]) * scenario.geography.road_factor
        assert d[i, j] == pytest.approx(expected, rel=1e-9)
    # a degree of latitude along a meridian is 2 pi R / 360 = 111.195 km
    assert haversine_km(np.array([112.0, 112.0]), np.array([27.0, 28.0]))[0, 1] == pytest.approx(111.195, abs=1e-3)


def test_county_traits_come_from_a_csv_keyed_by_code(tmp_path, hunan) -> None:
    scenario, _ = hunan
    csv = tmp_path / "traits.csv"
    csv.write_text("code,name,labour_pool,fee_rate\n430421,衡阳县,450000,0.015\n430102,,,0.03\n", encoding="utf-8")
    layout = build_layout(apply_overrides(scenario, {"geography.traits_csv": str(csv)}))
    i, j = layout.names.index("衡阳县"), layout.codes.index("430102")
    assert layout.traits[i].labour_pool == 450000 and layout.traits[i].fee_rate == 0.015
    assert layout.traits[j].fee_rate == 0.03 and layout.traits[j].labour_pool == scenario.geography.county.labour_pool
    defaulted = layout.provenance["traits_defaulted"]
    assert defaulted["labour_pool"] == layout.n - 1 and defaulted["fee_rate"] == layout.n - 2
    assert defaulted["land_supply"] == layout.n


@pytest.mark.parametrize(("override", "field", "value"), [
    ("geography.province=火星省", "geography.province", "'火星省'"),
    ("geography.codes=['439999']", "geography.codes.0", "'439999'"),
    ("geography.origin_places=['深证市']", "geography.origin_places.0", "'深证市'"),
])
def test_unknown_province_code_or_place_exits_2_with_one_line(override, field, value, tmp_path, capsys) -> None:
    code = main(["run", str(HUNAN), "--out", str(tmp_path), "--years", "1", "--set", override])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"{HUNAN}: {field} = {value}: "), err


def test_a_traits_file_with_an_unknown_code_exits_2(tmp_path, capsys) -> None:
    csv = tmp_path / "traits.csv"
    csv.write_text("code,fee_rate\n110101,0.02\n", encoding="utf-8")
    code = main(["run", str(HUNAN), "--out", str(tmp_path), "--years", "1", "--set", f"geography.traits_csv='{csv}'"])
    err = capsys.readouterr().err
    assert code == 2 and err == f"{csv}: line 2: code = '110101': the code of a region of this scenario\n"


def test_hunan_runs_in_the_cli_and_lists_its_defaults(tmp_path, run_cli) -> None:
    done = run_cli("run", HUNAN, "--out", tmp_path, "--years", "3")
    assert done.returncode == 0, done.stderr
    assert "衡阳县" in done.stdout
    assert "defaults  traits taken from the scenario's defaults: land_supply" in done.stdout
    import pandas as pd

    regions = pd.read_parquet(tmp_path / "regions.parquet")
    row = regions[regions["region"] == "衡阳县"].iloc[0]
    assert row["code"] == "430421" and row["pinyin"] == "Hengyang County"
    assert "Glyph" not in done.stderr  # the CJK font renders the names in overview.png


def test_hunan_runs_in_a_sweep(tmp_path) -> None:
    from clustersim.sweep.experiment import load_experiment
    from clustersim.sweep.runner import run_sweep
    from clustersim.sweep.store import load_results

    path = tmp_path / "hunan_sweep.toml"
    path.write_text(f"""
name = "hunan_fee"
base_scenario = "{HUNAN.as_posix()}"
years = 20
replicates = 1
sweep_seed = 7
outcomes = ["final_share", "focal_firms", "leader"]

[design]
kind = "grid"

[levers.fee]
parameter = "focal.fee_rate"
values = [0.0, 0.02]
""", encoding="utf-8")
    run_sweep(load_experiment(path), tmp_path / "out", workers=1, progress=False)
    df = load_results(tmp_path / "out")
    assert len(df) == 2 and (df["status"] == "ok").all()
    assert df["leader"].str.match(r"^[\u4e00-\u9fff]+$").all()  # a Hunan county leads, by its Chinese name
