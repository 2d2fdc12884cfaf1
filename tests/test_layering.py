"""Nothing below the command line imports the command line: the subcommands' modules, the
sweep, the UI and the library take their argument types from ``clustersim.arguments`` and the
fiscal counterfactual from ``clustersim.counterfactual``."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "clustersim"
ALLOWED = {"cli.py", "__main__.py"}


def _imports_cli(tree: ast.AST, module: str) -> list[int]:
    lines = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.name == "clustersim.cli" or a.name.startswith("clustersim.cli.") for a in node.names):
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            if base == "clustersim.cli" or (base == "clustersim" and any(a.name == "cli" for a in node.names)):
                lines.append(node.lineno)
    return lines


def test_no_module_below_the_cli_imports_it() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.as_posix() in ALLOWED:
            continue
        module = "clustersim." + ".".join(rel.with_suffix("").parts)
        found = _imports_cli(ast.parse(path.read_text(encoding="utf-8")), module)
        if found:
            offenders[rel.as_posix()] = found
    assert offenders == {}, f"modules importing clustersim.cli (file: lines): {offenders}"


def test_the_check_sees_every_spelling_of_the_import() -> None:
    for code, module in (("import clustersim.cli", "clustersim.x"), ("from clustersim.cli import main", "clustersim.x"),
                         ("from clustersim import cli", "clustersim.x"), ("from .cli import main", "clustersim.x"),
                         ("from ..cli import whole_number", "clustersim.sweep.commands"),
                         ("def f():\n    from clustersim.cli import main", "clustersim.x")):
        assert _imports_cli(ast.parse(code), module), code
    assert not _imports_cli(ast.parse("from clustersim.arguments import whole_number"), "clustersim.x")



def _private_imports(tree: ast.AST, module: str) -> list[str]:
    """Names with one leading underscore (``_x``, not ``__x__``) that ``module`` imports from a
    clustersim module of another package (the top-level modules count as separate packages). A
    subpackage's modules may share their package-internal helpers (the report package's stats,
    tables and prose; the UI's components); nothing else reaches into them."""
    package = module.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        base = node.module or ""
        if node.level:
            parts = package.split(".")
            base = ".".join([*parts[: len(parts) - (node.level - 1)], *([base] if base else [])])
        if not base.startswith("clustersim") or (base.rsplit(".", 1)[0] == package != "clustersim"):
            continue
        out += [f"{base}.{a.name}:{node.lineno}" for a in node.names
                if a.name.startswith("_") and not a.name.startswith("__")]
    return out


def test_no_private_helper_is_imported_across_packages() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        module = "clustersim." + ".".join(rel.with_suffix("").parts)
        found = _private_imports(ast.parse(path.read_text(encoding="utf-8")), module)
        if found:
            offenders[rel.as_posix()] = found
    assert offenders == {}, f"private names imported across packages: {offenders}"
    assert _private_imports(ast.parse("def f():\n    from clustersim.sweep.runner import _local_pool"),
                            "clustersim.api")
    assert not _private_imports(ast.parse("from clustersim.sweep.report.tables import _num"),
                                "clustersim.sweep.report.prose")
    assert _private_imports(ast.parse("from clustersim.scenario import _apply_plain"), "clustersim.overrides")
    assert not _private_imports(ast.parse("from clustersim import __version__"), "clustersim.api")


def test_the_command_line_parser_loads_no_statistics_or_optimisers() -> None:
    """``clustersim --help`` and every subcommand's parsing build all the subcommands' parsers; the
    libraries that fit (scipy.stats, scipy.optimize, statsmodels) load only in the handlers that fit,
    so a command starts in about a second, not three (a fresh interpreter: what a user's shell runs)."""
    import json
    import subprocess
    import sys

    heavy = ("scipy.stats", "scipy.optimize", "statsmodels")
    code = ("import json, sys; from clustersim.cli import build_parser; build_parser(); "
            f"print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.splitlines()[-1]) == []
