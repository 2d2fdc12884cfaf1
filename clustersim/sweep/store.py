"""A sweep's results folder: the frozen design, then one Parquet part per flushed batch of runs.

Layout of ``OUT`` (written by ``clustersim sweep``)::

    experiment.toml          copy of the experiment file, as it was when the sweep started
                             (experiment.json: an experiment given as a dict, clustersim.experiment)
    design.parquet           Design.runs: one row per run, in design order
    design.json              Design.meta (written last of the three: its presence marks a sweep folder)
    runs/part-000001-1a2b3c4d.parquet   one file per flushed batch of finished runs
    status.json              the last invocation's summary (informative only)

Every file is written whole: a hidden temporary file in the same folder, fsynced, then renamed
into place (``os.replace`` is atomic on POSIX), so a sweep killed at any instant leaves only
complete files behind and a reader never sees half a Parquet file. A part's columns are the
design columns, then :data:`RUN_COLUMNS`, then the experiment's outcomes (null for failed runs).
A run may have several rows across parts (failed attempts, then at most one ``ok`` row).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from clustersim.outputs import parquet_bytes, write_bytes_atomic, write_json
from clustersim.scenario import ScenarioError

__all__ = ["RUN_COLUMNS", "load_design", "load_results", "open_sweep_folder", "read_parts", "results_of",
           "write_part"]

DESIGN_JSON = "design.json"
DESIGN_PARQUET = "design.parquet"
EXPERIMENT_COPY = "experiment.toml"
STATUS_JSON = "status.json"
RUNS_DIR = "runs"
#: columns every part carries after the design columns, before the outcomes
RUN_COLUMNS = ("status", "error", "attempt", "model_seconds", "finished_at")
_PART = re.compile(r"^part-(\d{6,})-[0-9a-f]{8}\.parquet$")


# ------------------------------------------------------------------------------ the folder
def open_sweep_folder(out: Path, experiment_file: Path | Mapping[str, Any], runs: pd.DataFrame,
                      meta: Mapping[str, Any], *, resume: bool) -> bool:
    """Make ``out`` ready for the design (``runs``, ``meta``): a new sweep writes the experiment
    copy (``experiment.toml``; ``experiment.json`` for an experiment given as a dict) and the frozen
    design; ``resume`` checks the folder holds this very design.

    Returns True when an existing sweep is resumed. Raises :class:`ScenarioError` when ``out``
    is a non-empty folder and ``resume`` is false, or when resuming a folder that is no sweep
    or whose design differs (settings fingerprint, or the set of run ids and seeds).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ScenarioError(out, "--out", allowed="is a file; name a folder for the sweep's results")
    existing = out.is_dir() and any(out.iterdir())
    if existing and not resume:
        hint = ("it holds a sweep: add --resume to finish it" if (out / DESIGN_JSON).exists()
                else "it is not empty")
        raise ScenarioError(out, "--out", allowed=f"folder exists and {hint}, or choose another --out folder")
    if existing:
        _check_same_design(out, runs, meta)
        (out / RUNS_DIR).mkdir(exist_ok=True)
        for leftover in (out / RUNS_DIR).glob(".*.tmp"):  # a part whose writer was killed mid-write
            leftover.unlink()
        return True
    (out / RUNS_DIR).mkdir(parents=True, exist_ok=True)
    if isinstance(experiment_file, Mapping):
        write_json(dict(experiment_file), out / "experiment.json")
    else:
        write_bytes_atomic(Path(experiment_file).read_bytes(), out / EXPERIMENT_COPY)
    write_bytes_atomic(parquet_bytes(runs), out / DESIGN_PARQUET)
    write_json(dict(meta), out / DESIGN_JSON)
    return False


def _check_same_design(out: Path, runs: pd.DataFrame, meta: Mapping[str, Any]) -> None:
    old_runs, old_meta = load_design(out)
    if old_meta.get("fingerprint") != meta.get("fingerprint"):
        changed = sorted(k for k in set(old_meta) | set(meta)
                         if k not in ("fingerprint", "factors", "salib_problem") and old_meta.get(k) != meta.get(k))
        what = ", ".join(changed) if changed else "base scenario, [overrides], [take_off] or outcome settings"
        raise ScenarioError(out / DESIGN_JSON, "fingerprint", allowed=(
            f"the experiment's settings changed since this sweep started ({what}); "
            "run the changed experiment into a new --out folder"))
    old = set(zip(old_runs["run_id"], old_runs["seed"].astype("int64"), strict=True))
    new = set(zip(runs["run_id"], runs["seed"].astype("int64"), strict=True))
    if old != new:
        added, removed = sorted(new - old), sorted(old - new)
        parts = []
        if added:
            parts.append(f"{len(added)} runs added (e.g. {added[0][0]})")
        if removed:
            parts.append(f"{len(removed)} runs removed (e.g. {removed[0][0]})")
        raise ScenarioError(out / DESIGN_PARQUET, "runs", allowed=(
            f"the design changed since this sweep started: {', '.join(parts)}; "
            "run the changed experiment into a new --out folder"))


def load_design(out: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The frozen design of the sweep in ``out``: (runs in design order, meta)."""
    out = Path(out)
    if not (out / DESIGN_JSON).is_file() or not (out / DESIGN_PARQUET).is_file():
        where = out if out.is_dir() else f"{out} (no such folder)"
        raise ScenarioError(where, "sweep folder", allowed=(
            f"no {DESIGN_JSON} / {DESIGN_PARQUET}: not a sweep folder, "
            "i.e. not a folder written by `clustersim sweep`"))
    meta = json.loads((out / DESIGN_JSON).read_text(encoding="utf-8"))
    return pd.read_parquet(out / DESIGN_PARQUET), meta


# ------------------------------------------------------------------------------ parts
def part_paths(out: Path) -> list[Path]:
    """Complete part files of ``out``, in the order they were written (temp files excluded)."""
    folder = Path(out) / RUNS_DIR
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p.name, p) for p in folder.iterdir() if (m := _PART.match(p.name))]
    return [p for _, _, p in sorted(found)]


def next_part_number(out: Path) -> int:
    paths = part_paths(out)
    return 1 + max((int(_PART.match(p.name).group(1)) for p in paths), default=0)


def write_part(out: Path, number: int, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> Path:
    """Write finished runs ``rows`` (dicts) as part ``number``, with exactly ``columns``."""
    df = pd.DataFrame.from_records([{c: r.get(c) for c in columns} for r in rows], columns=list(columns))
    name = f"part-{number:06d}-{uuid.uuid4().hex[:8]}.parquet"
    return write_bytes_atomic(parquet_bytes(df), Path(out) / RUNS_DIR / name)


def read_parts(out: Path) -> pd.DataFrame:
    """Every row of every part of ``out`` (all attempts), in the order written."""
    frames = [pd.read_parquet(p) for p in part_paths(out)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["run_id", *RUN_COLUMNS])
    return pd.concat(frames, ignore_index=True, sort=False)


def run_history(out: Path) -> tuple[set[str], dict[str, int]]:
    """(run ids with an ``ok`` row, highest attempt number recorded per run id)."""
    parts = read_parts(out)
    if parts.empty:
        return set(), {}
    ok = set(parts.loc[parts["status"] == "ok", "run_id"])
    attempts = parts.groupby("run_id")["attempt"].max().astype(int).to_dict()
    return ok, attempts


def write_status(out: Path, status: Mapping[str, Any]) -> Path:
    return write_json(dict(status), Path(out) / STATUS_JSON)


# ------------------------------------------------------------------------------ loader
def load_results(out: Path, *, include_failed: bool = False) -> pd.DataFrame:
    """The results of the sweep in ``out`` as one row per run, in design order.

    A run's row is its ``ok`` row; runs that never succeeded are left out, or, with
    ``include_failed``, shown by their last failed attempt (outcomes null). Columns: the
    design's (run_id, point_id, sample_index, replicate, seed, one per factor), then status,
    error, attempt, model_seconds, finished_at, then the outcomes. Runs not yet run (an
    interrupted sweep) are absent. Raises :class:`ScenarioError` if ``out`` is no sweep folder.
    """
    design, _ = load_design(out)
    return results_of(out, design, include_failed=include_failed)


def results_of(out: Path, design: pd.DataFrame, *, include_failed: bool = False) -> pd.DataFrame:
    """:func:`load_results` for a caller that already holds the sweep's design (``load_design``)."""
    parts = read_parts(out)
    outcome_cols = [c for c in parts.columns if c not in design.columns and c not in RUN_COLUMNS]
    if parts.empty:
        return pd.DataFrame(columns=[*design.columns, *RUN_COLUMNS, *outcome_cols])
    parts = parts.assign(_ok=parts["status"] == "ok", _n=range(len(parts)))
    # one row per run: an ok row beats any failed one; among failed, the highest attempt, then the latest written
    parts = parts.sort_values(["_ok", "attempt", "_n"], kind="stable")
    chosen = parts.drop_duplicates("run_id", keep="last")
    if not include_failed:
        chosen = chosen[chosen["_ok"]]
    # an inner merge keeps the design's (left) order and drops rows of runs not in the design
    run_part = chosen[["run_id", *RUN_COLUMNS, *outcome_cols]].infer_objects()
    result = design.merge(run_part, on="run_id", how="inner", validate="one_to_one")
    return result.reset_index(drop=True)

