"""Shared test fixtures: a CLI runner (run from the repository root). Under pytest-xdist (``make
test`` runs ``-n 2``) the controller fills numba's disk cache before the workers start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """On a fresh checkout both xdist workers would compile the model's numba functions at once,
    each writing the same cache entries; the controller compiles them once, before it starts the
    workers (which then load them), as a sweep's fork server does (clustersim.sweep.warm)."""
    config = session.config
    if not hasattr(config, "workerinput") and config.getoption("numprocesses", default=None):
        import clustersim.sweep.warm  # noqa: F401  (importing it runs the small warm-up world)


@pytest.fixture
def run_cli():
    """Run ``python -m clustersim ARGS...`` in a subprocess (as a user would); returns the
    CompletedProcess with text stdout/stderr."""

    def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "clustersim", *map(str, args)], capture_output=True,
                              text=True, cwd=cwd or REPO, timeout=120, check=False)

    return run
