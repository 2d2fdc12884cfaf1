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


def test_the_glue_counts_in_the_doc_are_the_counted_ones():
    """The summary table of docs/api.md says what benchmarks/glue_lines.py counts."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("glue_lines", REPO / "benchmarks" / "glue_lines.py")
    glue_lines = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(glue_lines)
    counts = glue_lines.main()
    table = DOC.read_text(encoding="utf-8").split("## Summary of glue lines", 1)[1]
    stated = {}
    for tool in counts:
        row = next(line for line in table.splitlines() if line.startswith("|") and tool in line)
        stated[tool] = int(row.split("|")[2])
    assert stated == counts
    assert max(counts.values()) <= 3
    text = DOC.read_text(encoding="utf-8")
    for tool, n in counts.items():  # the section headings say the same
        assert f"{glue_lines.TOOLS[tool][0]}" in text
        heading = next(line for line in text.splitlines() if line.startswith(glue_lines.TOOLS[tool][0]))
        assert heading.endswith(f"glue: {n} line" + ("s" if n != 1 else "")), heading
    assert glue_lines.glue("import clustersim\nx = clustersim.run()\nprint(x)", ("mesa",)) == ["x = clustersim.run()"]
