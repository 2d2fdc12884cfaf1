"""Every script in examples/ runs (small sizes, in a subprocess as a user runs it). The SolaraViz
page, examples/solara_page.py, is driven in headless Chromium by tests/test_solara_example.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

#: script -> (small-size arguments, text its output must hold)
RUNS = {
    "one_call.py": (["--years", "6"], "take_off_observable"),
    "batch_run.py": (["--years", "4", "--processes", "2"], "focal__subsidy_depth"),
    "salib_sobol.py": (["--n", "2", "--years", "4", "--replicates", "1", "--workers", "1"], "ST_conf"),
    "ema_prim.py": (["--scenarios", "6", "--years", "4", "--replicates", "1", "--processes", "2"], "coverage"),
}


def test_every_example_is_run_here():
    scripts = {p.name for p in EXAMPLES.glob("*.py")}
    assert scripts == {*RUNS, "solara_page.py"}


@pytest.mark.parametrize("script", sorted(RUNS))
def test_example_runs(script, tmp_path):
    args, needle = RUNS[script]
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300, check=False)  # not the repository: shipped names must resolve
    assert done.returncode == 0, done.stderr[-3000:]
    assert needle in done.stdout, done.stdout[-2000:]
    assert "Traceback" not in done.stderr
