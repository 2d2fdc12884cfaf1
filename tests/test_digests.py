"""Nothing changes by accident: every shipped scenario's model, region and firm tables after
40 years, and a small sweep's results, hash to the digests committed in
``tests/digests/outputs.json`` (see ``tests/digest_outputs.py``, which rewrites them when a
change is intended and explained)."""

from __future__ import annotations

import json

import pytest

from digest_outputs import DIGESTS, SCENARIOS, YEARS, scenario_digests, sweep_digest


@pytest.fixture(scope="module")
def committed() -> dict:
    return json.loads(DIGESTS.read_text(encoding="utf-8"))


def test_every_shipped_scenario_has_a_digest(committed) -> None:
    assert committed["years"] == YEARS
    assert sorted(committed["scenarios"]) == sorted(p.stem for p in SCENARIOS.glob("*.toml"))


def test_scenario_outputs_are_unchanged(committed) -> None:
    now = scenario_digests()
    changed = {name: [t for t in tables if tables[t] != committed["scenarios"].get(name, {}).get(t)]
               for name, tables in now.items()}
    assert not {k: v for k, v in changed.items() if v}, f"changed tables: {changed}"


def test_sweep_results_are_unchanged(committed, tmp_path) -> None:
    assert sweep_digest(tmp_path) == committed["sweep"]
