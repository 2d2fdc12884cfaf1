"""The package lab without a browser: its numbers are those of ``clustersim sweep`` + ``clustersim
report`` on the exported experiment (same package, seeds, replicates); form refusals are one line
naming the field; the message catalogue covers every message the sources mark."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clustersim.i18n import catalogue_ids, catalogue_keys, translator, untranslated
from clustersim.lab import form as lf
from clustersim.lab.compare import comparison

REPO = Path(__file__).resolve().parents[1]
#: the catalogue's markers (as in the .po file's extraction command): NP_ and pgettext carry a context
KEYWORDS = {"_": None, "N_": None, "NP_": ((1, "c"), 2), "pgettext": ((1, "c"), 2)}
MARKED = ["clustersim/ui/lab_page.py", "clustersim/lab/compare.py", "clustersim/brief/text.py",
          "clustersim/optimise/frontier.py", "clustersim/ui/app.py", "clustersim/ui/components.py",
          "clustersim/ui/session.py", "clustersim/ui/realmap.py", "clustersim/ui/language.py"]


def test_lab_numbers_equal_sweep_and_report(tmp_path, monkeypatch):
    from clustersim.lab.runner import start_job

    monkeypatch.setenv("CLUSTERSIM_LAB_WORKERS", "2")
    design = lf.shipped_packages()["held_district"].model_copy(update={"subsidy_depth": 2.0, "name": "deep"})
    setup = lf.LabSetup(packages=[design], replicates=3, years=20, fee_rate=0.02)
    job = start_job(setup, tmp_path / "lab")
    deadline = time.monotonic() + 300
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.finished and not job.error
    lab = comparison(job.frame(), job.meta).set_index("package")
    sweep_dir = tmp_path / "sweep"
    cli = [sys.executable, "-m", "clustersim"]
    subprocess.run([*cli, "sweep", str(job.folder / "experiment.toml"), "--out", str(sweep_dir), "--workers", "1",
                    "--no-progress"], check=True, cwd=REPO, capture_output=True)
    subprocess.run([*cli, "report", str(sweep_dir)], check=True, cwd=REPO, capture_output=True)
    table = pd.read_csv(sweep_dir / "report" / "packages_table.csv").set_index("package")
    diffs = pd.read_csv(sweep_dir / "report" / "packages_vs_baseline.csv").set_index("package")
    for name in ("none", "deep"):
        row = table.loc[name]
        assert lab.loc[name, "took_off"] == pytest.approx(row["p_took_off"], rel=1e-12)
        assert lab.loc[name, "took_off_low"] == pytest.approx(row["p_took_off_low"], rel=1e-12)
        for stem in ("jobs", "incentives_paid", "extra_revenue", "net_fiscal_return"):
            for suffix, col in (("", f"{stem}_mean"), ("_low", f"{stem}_low"), ("_high", f"{stem}_high")):
                np.testing.assert_allclose(lab.loc[name, stem + suffix], row[col], rtol=1e-9, atol=1e-9,
                                           err_msg=f"{name} {stem}{suffix}")
    assert lab.loc["deep", "took_off_diff"] == pytest.approx(diffs.loc["deep", "took_off_diff"], rel=1e-12)
    assert lab.loc["deep", "incentives_paid"] > 0  # the package did pay something: the comparison is not vacuous


@pytest.mark.parametrize(("raw", "field"), [
    ({"name": "x", "rebate_schedule": [1.0, 1.5]}, "rebate_schedule.1 = 1.5"),
    ({"name": "9bad"}, "name = '9bad'"),
    ({"name": "x", "land_tiers": [{"min_investment": 5000, "price": 14}, {"min_investment": 10000, "price": 13}]},
     "land_tiers must run from the highest"),
    ({"name": "x", "duration_years": 0}, "duration_years = 0"),
    ({"name": "x", "fee_waivr": 1}, "fee_waivr"),
])
def test_bad_package_is_refused_in_one_line(raw, field):
    with pytest.raises(ValueError) as info:
        lf.check_package(raw)
    text = str(info.value)
    assert "\n" not in text and field in text and text.startswith("package lab: ")


def test_list_fields_parse_or_refuse():
    assert lf.parse_list("1, 1，0.5", "rebates") == [1.0, 1.0, 0.5]
    assert lf.parse_tiers("20000: 12.5, 10000：13.5") == [{"min_investment": 20000.0, "price": 12.5},
                                                         {"min_investment": 10000.0, "price": 13.5}]
    with pytest.raises(ValueError, match=r"rebates: '1, x'"):
        lf.parse_list("1, x", "rebates")
    with pytest.raises(ValueError, match=r"'20000 12\.5' is not 'investment: price'"):
        lf.parse_tiers("20000 12.5")


def test_exported_scenario_loads_and_offers_the_package(tmp_path):
    from clustersim.scenario import load_scenario

    design = lf.shipped_packages()["held_district"].model_copy(update={"name": "mine", "relocation_award": 0.05})
    path = tmp_path / "mine.toml"
    path.write_text(lf.scenario_toml(design, lf.LabSetup(packages=[design], fee_rate=0.015)), encoding="utf-8")
    scenario = load_scenario(path)
    focal = next(r for r in scenario.regions if r.name == scenario.focal_county)
    assert focal.package == "mine" and focal.fee_rate == 0.015
    assert scenario.packages["mine"].relocation_award == 0.05


def test_catalogue_covers_every_marked_message_and_translates_all():
    from babel.messages.extract import extract_from_file

    marked = set()
    for rel in MARKED:
        if (REPO / rel).exists():
            marked |= {(m[3], m[1]) for m in extract_from_file("python", REPO / rel, keywords=KEYWORDS)}
    assert marked, "no marked messages found"
    assert marked - catalogue_keys() == set()
    assert untranslated() == []
    zh = translator("zh")
    assert all(zh(m) != m for m in catalogue_ids() if any(c.isalpha() for c in m))
    assert all(zh.pgettext(c, m) != m for c, m in catalogue_keys() if c is not None)
    with pytest.raises(KeyError):
        zh("A message nobody wrote")
