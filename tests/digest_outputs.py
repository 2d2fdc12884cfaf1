"""Digests of every shipped scenario's output tables and of a small sweep: the regression
guard for refactors ("nothing changes by accident").

``python tests/digest_outputs.py`` rewrites ``tests/digests/outputs.json`` (``--exact`` prints
byte-level digests of the scenarios' tables instead, writing nothing); the test
``tests/test_digests.py`` recomputes every digest and compares. A digest that changes on
purpose is rewritten in the same commit, whose message (and the ODD, where the model's
behaviour changes) says why.

Each table is hashed after rounding floats to 12 significant digits, so that a change in
the last bits of a sum (summation order) would still show if it moved any later decision,
while the digest does not depend on how a CPU rounds the 16th digit.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
DIGESTS = Path(__file__).resolve().parent / "digests" / "outputs.json"
YEARS = 40
SWEEP_SEED = 5

SWEEP = f"""
name = "digest"
base_scenario = "{(SCENARIOS / 'held_package.toml').as_posix()}"
years = 20
replicates = 2
sweep_seed = {SWEEP_SEED}
outcomes = ["took_off", "final_share", "focal_firms", "net_fiscal_return", "leader", "hhi"]

[overrides]
"geography.counties" = 4
"firms.initial" = 200

[design]
kind = "grid"

[levers.depth]
parameter = "focal.subsidy_depth"
values = [0.0, 2.0]

[levers.fee]
parameter = "focal.fee_rate"
values = [0.01, 0.03]
"""


def frame_digest(df: pd.DataFrame) -> str:
    """sha256 of a table's columns, dtypes and values (floats to 12 significant digits)."""
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in df.columns]).encode())
    for col in df.columns:
        values = df[col].to_numpy()
        if values.dtype.kind == "f":
            text = np.char.mod("%.12g", values)
            h.update("\x1f".join(text.tolist()).encode())
        else:
            h.update("\x1f".join(map(str, values.tolist())).encode())
        h.update(b"\x1e")
    return h.hexdigest()


def exact_digest(df: pd.DataFrame) -> str:
    """sha256 of a table's columns and values, numbers by their bytes (every bit counts)."""
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in df.columns]).encode())
    for col in df.columns:
        values = df[col].to_numpy()
        if values.dtype.kind in "fiub":
            h.update(np.ascontiguousarray(values).tobytes())
        else:
            h.update("\x1f".join(map(repr, values.tolist())).encode())
        h.update(b"\x1e")
    return h.hexdigest()


def scenario_digests(digest=frame_digest) -> dict[str, dict[str, str]]:
    from clustersim.scenario import build_model

    out = {}
    for path in sorted(SCENARIOS.glob("*.toml")):
        model = build_model(path)
        model.run(YEARS)
        out[path.stem] = {"model": digest(model.model_frame()),
                          "regions": digest(model.region_frame()),
                          "firms": digest(model.firm_frame())}
    return out


def sweep_digest(folder: Path) -> str:
    from clustersim.sweep.experiment import load_experiment
    from clustersim.sweep.runner import run_sweep
    from clustersim.sweep.store import load_results

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "digest.toml"
    path.write_text(SWEEP, encoding="utf-8")
    run_sweep(load_experiment(path), folder / "out", workers=1, progress=False)
    df = load_results(folder / "out").drop(columns=["model_seconds", "finished_at"])
    return frame_digest(df.sort_values("run_id").reset_index(drop=True))


def all_digests(folder: Path) -> dict:
    return {"years": YEARS, "scenarios": scenario_digests(), "sweep": sweep_digest(folder)}


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] == ["--exact"]:
        # bit-exact digests to stdout, to compare two trees (PYTHONPATH) after a change that must not
        # move a single bit; writes nothing
        print(json.dumps(scenario_digests(exact_digest), indent=2, sort_keys=True))
        sys.exit(0)

    with tempfile.TemporaryDirectory() as tmp:
        digests = all_digests(Path(tmp))
    DIGESTS.parent.mkdir(parents=True, exist_ok=True)
    DIGESTS.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {DIGESTS}", file=sys.stderr)
