"""The policy brief from a fixed small package sweep, in Chinese and English: every number in the
text is one of the table's, the table's numbers are the comparison's, and the PDF's text layer holds
the documents' Chinese terms in an embedded CJK font (no missing glyph: render.write_pdf turns
matplotlib's missing-glyph warning into an error)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from clustersim.brief.command import write_brief
from clustersim.brief.text import build_brief, read_brief_input
from clustersim.lab import form as lf

# pytest-xdist (make test) gives the whole module to one worker, which runs this module's sweep and search fixtures once
pytestmark = pytest.mark.xdist_group("test_brief")

REPO = Path(__file__).resolve().parents[1]
TERMS = ("招商引资", "税收返还", "标准厂房", "亩", "万元")
#: a number as the brief writes it, with its unit
NUMBER = {"zh": re.compile(r"第?-?[\d,]+(?:\.\d+)?(?:%|万人|人|亿元|万元|年)"),
          "en": re.compile(r"(?:year )?-?[\d,]+(?:\.\d+)?(?:%| wan)?")}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("brief")
    design = lf.shipped_packages()["held_district"].model_copy(
        update={"subsidy_depth": 2.0, "name": "deep", "label": "deep"})
    setup = lf.LabSetup(packages=[design], replicates=3, years=20, fee_rate=0.02, sweep_seed=7)
    exp = lf.write_experiment(setup, folder / "experiment.toml")
    subprocess.run([sys.executable, "-m", "clustersim", "sweep", str(exp), "--out", str(folder / "sweep"),
                    "--workers", "2", "--no-progress"], check=True, cwd=REPO, capture_output=True)
    return folder / "sweep"


@pytest.fixture(scope="module")
def search():
    """A cheapest-package search (on the synthetic problem: its numbers only need to be quoted right)."""
    from clustersim.optimise.search import Levers, cheapest_package
    from clustersim.optimise.synthetic import Synthetic

    return cheapest_package(Synthetic(), Levers(), target=0.8, trials=20, seed=1).to_json()


@pytest.mark.parametrize(("lang", "with_search"), [("zh", False), ("en", False), ("zh", True), ("en", True)])
def test_every_number_in_the_text_is_in_the_table(sweep, search, lang, with_search):
    results, meta = read_brief_input(sweep)
    brief = build_brief(results, meta, lang, search if with_search else None)
    assert bool(brief.frontier_rows) == with_search
    cells = " ".join(" ".join(row) for row in brief.table_rows + brief.frontier_rows)
    answer = " ".join(brief.answer)
    # the confidence level of the intervals is the method's constant, not a result
    # and the search's rule (target and quantile) is its input, not a result
    constants = ["95 %", "95%", "80%", "25%"] if with_search else ["95 %", "95%"]
    for c in constants:
        answer = answer.replace(c, "")
    numbers = NUMBER[lang].findall(answer)
    assert len(numbers) >= 8
    for number in numbers:
        if lang == "zh" and re.fullmatch(r"\d+年", number):  # a duration: "有效期6年" quotes the cell "6"
            number = number[:-1]
        if re.fullmatch(r"\d+(?:\.\d+)?", number):
            assert number in cells.split(), number  # a bare count (the runs) is a table cell of its own
        else:
            assert number in cells, f"{number!r} of the text is not in the table"


def test_the_table_shows_the_comparison(sweep):
    results, meta = read_brief_input(sweep)
    brief = build_brief(results, meta, "en")
    t = brief.comparison.set_index("package")
    deep = next(r for r in brief.table_rows if r[0] == "deep")
    assert deep[1] == str(int(t.loc["deep", "n_ok"]))
    assert float(deep[2].split("%")[0]) == pytest.approx(100 * t.loc["deep", "took_off"], abs=0.5)
    paid = float(deep[4].split(" wan")[0].replace(",", ""))
    assert paid == pytest.approx(t.loc["deep", "incentives_paid"], abs=0.5)


def test_brief_files_in_both_languages_with_cjk_text_layer(sweep, tmp_path):
    import pypdf

    paths = write_brief(sweep, tmp_path, "both")
    assert sorted(p.name for p in paths) == ["brief_en.html", "brief_en.pdf", "brief_zh.html", "brief_zh.pdf"]
    zh = pypdf.PdfReader(tmp_path / "brief_zh.pdf")
    assert 2 <= len(zh.pages) <= 4
    text = "".join(page.extract_text() for page in zh.pages)
    for term in TERMS:
        assert term in text, term
    fonts = {}
    for page in zh.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert fonts and all("NotoSansCJK" in name for name in fonts)
    for font in fonts.values():
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor  # embedded, not referenced
        assert "/ToUnicode" in font
    html = (tmp_path / "brief_zh.html").read_text(encoding="utf-8")
    assert all(term in html for term in TERMS)
    en = "".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "brief_en.pdf").pages)
    assert "take off" in en and not re.search(r"[\u4e00-\u9fff]", en)


def test_brief_refuses_a_sweep_without_packages(tmp_path):
    out = subprocess.run([sys.executable, "-m", "clustersim", "brief", str(tmp_path)], cwd=REPO,
                         capture_output=True, text=True)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1


GRID = """name = "take_off_small"
base_scenario = "{base}"
years = 20
replicates = 2
sweep_seed = 5
[design]
kind = "grid"
[levers.subsidy_depth]
parameter = "focal.subsidy_depth"
values = [0, 2, 4]
[levers.fee_rate]
parameter = "focal.fee_rate"
values = [0.01, 0.03]
"""


def test_take_off_sweep_brief_quotes_its_table(tmp_path):
    """A take-off grid gives its own brief: per fee level the depth where take-off becomes likely
    (threshold tools) and the highest probability, every number of the text a table cell."""
    exp = tmp_path / "grid.toml"
    exp.write_text(GRID.format(base=REPO / "scenarios" / "held_package.toml"), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "clustersim", "sweep", str(exp), "--out", str(tmp_path / "sweep"),
                    "--workers", "2", "--no-progress"], check=True, cwd=REPO, capture_output=True)
    from clustersim.brief.takeoff import build_takeoff_brief

    results, meta = read_brief_input(tmp_path / "sweep")
    for lang in ("zh", "en"):
        brief = build_takeoff_brief(results, meta, lang)
        assert [row[0] for row in brief.table_rows] == ["1%", "3%"]
        cells = " ".join(" ".join(row) for row in brief.table_rows)
        text = " ".join(brief.answer).replace("95 %", "").replace("95%", "")
        for number in re.findall(r"\d+(?:\.\d+)?%?", text):
            assert number in cells, f"{lang}: {number!r} of the text is not in the table"
    paths = write_brief(tmp_path / "sweep", tmp_path / "brief", "zh")
    assert (tmp_path / "brief" / "brief_zh.pdf") in paths
