"""The documentation stands alone: nothing sends a reader to notes outside the repository (the
reference design and policy notes the project started from are retold in docs/reference_design.md
and docs/policy.md), and every relative link in docs/ and the README points at a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(r"MODEL_SPEC|POLICY_NOTES|/work/shared|\.\./shared")


def shipped_text_files() -> list[Path]:
    out = [REPO / "README.md", REPO / "Makefile"]
    for folder, pattern in (("docs", "*.md"), ("clustersim", "*.py"), ("scenarios", "*.toml"),
                            ("experiments", "*"), ("tests", "*.py"), ("benchmarks", "*.py"), ("examples", "*")):
        out += [p for p in (REPO / folder).rglob(pattern) if p.is_file() and p.suffix in (".md", ".py", ".toml")]
    return out


def test_nothing_points_outside_the_repository():
    offenders = []
    for path in shipped_text_files():
        rel = path.relative_to(REPO).as_posix()
        if rel == "tests/test_docs_stand_alone.py":
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if OUTSIDE.search(line):
                offenders.append(f"{rel}:{i}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_odd_cites_the_retold_design_and_policy():
    odd = (REPO / "docs" / "ODD.md").read_text(encoding="utf-8")
    head = "\n".join(odd.splitlines()[:10])
    assert "[reference_design.md](reference_design.md)" in head and "[policy.md](policy.md)" in head
    # the sections the ODD cites exist in the retold design, and the texts in the policy page
    design = (REPO / "docs" / "reference_design.md").read_text(encoding="utf-8")
    for section in sorted(set(re.findall(r"§(\d)", odd))):
        assert f"## §{section} " in design, section
    policy = (REPO / "docs" / "policy.md").read_text(encoding="utf-8")
    for text in sorted(set(re.findall(r"Texts? (\d)", odd))):
        assert f"## Text {text}:" in policy, text


def test_policy_page_has_the_district_numbers_the_scenario_encodes():
    from clustersim.scenario import load_scenario

    policy = (REPO / "docs" / "policy.md").read_text(encoding="utf-8")
    package = load_scenario(REPO / "scenarios" / "district_package.toml").packages["district"]
    for tier in package.land_tiers:
        assert f"{tier.min_investment:,.0f} wan" in policy and f"{tier.price:g} wan/mu" in policy
    assert f"{package.standard_factory_price:g} wan/mu" in policy
    assert "100 % in years 1–3 and 50 % in years 4–5" in policy and "2,025 wan" in policy
    assert "**6 : 4**" in policy and "Valid two years" in policy


def test_relative_links_in_the_docs_resolve():
    missing = []
    for path in [REPO / "README.md", *(REPO / "docs").glob("*.md"), REPO / "experiments" / "README.md"]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            if not (path.parent / target).exists():
                missing.append(f"{path.relative_to(REPO)} -> {target}")
    assert not missing, missing
