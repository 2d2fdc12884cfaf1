"""``clustersim brief DIR [--lang zh|en|both] [--out DIR] [--search OUT]``: a policy brief (HTML and
PDF) from a package comparison sweep (a packages design with a baseline package, e.g. one the package
lab made, or ``experiments/packages.toml``) or a take-off sweep (a grid over the subsidy depth and
the fee, e.g. ``experiments/take_off.toml``)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_brief", "cmd_brief", "write_brief"]


def add_brief(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("brief", help="write a policy brief (HTML and PDF, Chinese or English) from a package sweep",
                       description="Write a two-to-three-page policy brief for non-specialists from a package "
                                   "comparison sweep: the answer first, one figure per question, the table the "
                                   "text quotes, and what the model leaves out.")
    p.add_argument("sweep_dir", type=Path, metavar="DIR", help="a sweep folder (clustersim sweep --out DIR)")
    p.add_argument("--lang", choices=("zh", "en", "both"), default="zh", help="language (default zh)")
    p.add_argument("--out", type=Path, metavar="OUT", help="output folder (default DIR/brief)")
    p.add_argument("--search", type=Path, metavar="SEARCH",
                   help="a `clustersim cheapest` output folder: adds the cheapest package and its frontier")
    p.set_defaults(handler=cmd_brief)


def write_brief(sweep_dir: Path, out: Path, lang: str, search: Path | None = None) -> list[Path]:
    from clustersim.brief.render import write_html, write_pdf
    from clustersim.brief.text import build_brief, read_brief_input

    results, meta = read_brief_input(sweep_dir)
    found = None
    if search is not None:
        import json

        from clustersim.scenario import ScenarioError

        path = search / "result.json"
        if not path.is_file():
            raise ScenarioError(path, "result.json",
                                allowed="missing: run `clustersim cheapest` into this folder first")
        found = json.loads(path.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for code in (("zh", "en") if lang == "both" else (lang,)):
        if meta.get("design_kind") == "grid":
            from clustersim.brief.takeoff import build_takeoff_brief

            brief = build_takeoff_brief(results, meta, code)
        else:
            brief = build_brief(results, meta, code, found)
        written += [write_html(brief, out / f"brief_{code}.html"), write_pdf(brief, out / f"brief_{code}.pdf")]
    return written


def cmd_brief(args: argparse.Namespace) -> int:
    out = args.out if args.out is not None else args.sweep_dir / "brief"
    for path in write_brief(args.sweep_dir, out, args.lang, args.search):
        print(f"brief     {path}")
    return 0
