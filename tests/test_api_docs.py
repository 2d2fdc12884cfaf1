"""Every ```python block of docs/api.md runs (in a subprocess from the repository folder, as a
reader would paste it), with the sizes written there."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "api.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_page_has_its_examples():
    assert len(BLOCKS) >= 6
    text = "\n".join(BLOCKS)
    for tool in ("batch_run(", "SolaraViz(", "ema_model(", "sobol.sample(", "clustersim.run(", "run_experiment("):
        assert tool in text, tool


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_block_runs(code):
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
