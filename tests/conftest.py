"""Shared test fixtures: a CLI runner (run from the repository root)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_cli():
    """Run ``python -m clustersim ARGS...`` in a subprocess (as a user would); returns the
    CompletedProcess with text stdout/stderr."""

    def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "clustersim", *map(str, args)], capture_output=True,
                              text=True, cwd=cwd or REPO, timeout=120, check=False)

    return run
