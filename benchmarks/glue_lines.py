"""Count the glue lines of the four tool examples in docs/api.md (batch_run, SolaraViz, EMA
Workbench, SALib): statements of user code that are neither imports, nor calls of the tool
itself (a call, or a ``with`` block, whose object comes from the tool's package or from a value
the tool returned), nor ``print``. A statement spanning several lines counts once.

    .venv/bin/python benchmarks/glue_lines.py

Prints one line per tool, then one JSON object on its last line: tool -> glue lines.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
#: tool -> (the heading of its section in docs/api.md, the top-level packages of the tool)
TOOLS = {
    "batch_run": ("### `mesa.batch_run`", ("mesa",)),
    "SolaraViz": ("### SolaraViz", ("mesa", "solara")),
    "EMA Workbench": ("### EMA Workbench", ("ema_workbench",)),
    "SALib": ("### SALib", ("SALib",)),
}


def section_code(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n### ", start + 1)
    section = text[start:] if end < 0 else text[start:end]
    return "\n".join(re.findall(r"```python\n(.*?)```", section, flags=re.S))


def _root(node: ast.AST) -> str | None:
    while isinstance(node, ast.Call | ast.Attribute | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _targets(node: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]


def glue(code: str, packages: tuple[str, ...]) -> list[str]:
    """The glue statements of ``code`` (their source text)."""
    tool_names: set[str] = set()
    found: list[str] = []

    def visit(statements: list[ast.stmt]) -> None:
        for st in statements:
            if isinstance(st, ast.Import | ast.ImportFrom):
                module = st.module if isinstance(st, ast.ImportFrom) else st.names[0].name
                if module and module.split(".")[0] in packages:
                    tool_names.update(a.asname or a.name.split(".")[0] for a in st.names)
                continue
            if isinstance(st, ast.With):
                if all(_root(item.context_expr) in tool_names for item in st.items):
                    tool_names.update(n for item in st.items if item.optional_vars
                                      for n in _targets(item.optional_vars))
                    visit(st.body)
                    continue
                found.append(ast.unparse(st).splitlines()[0])
                continue
            value = st.value if isinstance(st, ast.Assign | ast.Expr) else None
            if isinstance(value, ast.Call) and _root(value) == "print":
                continue
            if value is not None and _root(value) in tool_names:
                if isinstance(st, ast.Assign):
                    for t in st.targets:
                        tool_names.update(_targets(t))
                continue
            found.append(ast.unparse(st))

    visit(ast.parse(code).body)
    return found


def main() -> dict[str, int]:
    text = DOC.read_text(encoding="utf-8")
    counts = {}
    for tool, (heading, packages) in TOOLS.items():
        lines = glue(section_code(text, heading), packages)
        counts[tool] = len(lines)
        print(f"{tool}: {len(lines)} glue line(s)" + "".join(f"\n    {line}" for line in lines))
    return counts


if __name__ == "__main__":
    print(json.dumps(main()))
