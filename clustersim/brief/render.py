"""Draw the brief: its figures (matplotlib, Noto Sans CJK SC), a self-contained HTML page and a
three-page A4 PDF.

The PDF is drawn with matplotlib's ``PdfPages``: matplotlib is already a dependency, it embeds the
CJK font as a subset (Type 0 / CID font with a ToUnicode map, ``pdf.fonttype = 42``), so the PDF's
text layer holds the Chinese terms, and it needs no system libraries (WeasyPrint would need Pango
and its fonts configured). A glyph missing from the font is an error, never a box.
"""

from __future__ import annotations

import base64
import html
import io
import re
import textwrap
import warnings
from pathlib import Path

import numpy as np

from clustersim.brief.fonts import use_cjk_font
from clustersim.brief.text import Brief
from clustersim.i18n import translator
from clustersim.units import compact

__all__ = ["figures", "write_html", "write_pdf"]

RED, GREY = "#b2182b", "#555555"


def _points(ax, table, stem: str, labels: list[str], scale: float = 1.0) -> None:
    y = np.arange(len(table))[::-1]
    v = table[stem].astype(float).to_numpy() * scale
    lo = table[f"{stem}_low"].astype(float).to_numpy() * scale
    hi = table[f"{stem}_high"].astype(float).to_numpy() * scale
    err = np.nan_to_num(np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)]))
    ax.errorbar(v, y, xerr=err, fmt="o", color=RED, ecolor=GREY, capsize=4)
    ax.set_yticks(y, labels)
    ax.grid(axis="x", color="#dddddd")


def figures(brief: Brief) -> dict[str, object]:
    """One figure per question (keys as in ``brief.questions``)."""
    from matplotlib.figure import Figure

    use_cjk_font()
    if brief.comparison.empty:  # a take-off sweep's brief brings its own figures
        return dict(brief.extra_figures)
    _ = translator(brief.lang)
    t = brief.comparison
    labels = [textwrap.shorten(brief.labels[str(p)], 28, placeholder="…") if brief.lang == "en"
              else brief.labels[str(p)][:16] for p in t["package"]]
    zh = brief.lang == "zh"
    money_scale, money_unit = (1e-4, _("100 million yuan")) if zh else (1.0, _("wan"))
    out: dict[str, object] = {}
    fig = Figure(figsize=(7.0, 0.55 * len(t) + 1.4), layout="constrained")
    ax = fig.subplots()
    _points(ax, t, "took_off", labels, 100.0)
    ax.axvline(50, color=GREY, ls="--", lw=1)
    ax.set_xlim(-2, 102)
    ax.set_xlabel(_("Take-off probability") + " (%)")
    out["take_off"] = fig
    fig = Figure(figsize=(7.0, 0.55 * len(t) + 1.4), layout="constrained")
    a1, a2 = fig.subplots(1, 2, sharey=True)
    _points(a1, t, "jobs", labels, 1e-4 if zh else 1.0)
    a1.set_xlabel(_("Jobs gained") + (" (万人)" if zh else ""))
    _points(a2, t, "incentives_paid", labels, money_scale)
    a2.set_xlabel(_("Incentives paid") + f" ({money_unit})")
    for a in (a1, a2):
        a.axvline(0, color=GREY, lw=0.8)
        a.xaxis.set_major_formatter(compact)
    out["jobs_cost"] = fig
    fig = Figure(figsize=(7.0, 0.55 * len(t) + 1.4), layout="constrained")
    ax = fig.subplots()
    _points(ax, t, "net_fiscal_return", labels, money_scale)
    ax.axvline(0, color=GREY, lw=0.8)
    ax.xaxis.set_major_formatter(compact)
    ax.set_xlabel(_("Net fiscal return") + f" ({money_unit})")
    out["net"] = fig
    for key, fig in brief.extra_figures:
        out[key] = fig
    return out


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _strict_glyphs():
    """Turn matplotlib's 'Glyph ... missing from font' warning into an error."""
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.filterwarnings("error", message=".*missing from font.*")
    return ctx


def write_html(brief: Brief, path: Path) -> Path:
    figs = figures(brief)
    e = html.escape
    parts = [f"<!doctype html><html lang=\"{'zh-CN' if brief.lang == 'zh' else 'en'}\"><head><meta charset=\"utf-8\">",
             f"<title>{e(brief.title)}</title><style>body{{font-family:'Noto Sans CJK SC',sans-serif;max-width:820px;"
             "margin:2em auto;line-height:1.6}} table{{border-collapse:collapse;font-size:13px}}"
             " td,th{{border:1px solid #ccc;padding:4px 6px}} .answer p{{margin:.4em 0}}</style></head><body>",
             f"<h1>{e(brief.title)}</h1><p class=\"subtitle\">{e(brief.subtitle)}</p><div class=\"answer\">",
             *[f"<p>{e(p)}</p>" for p in brief.answer], "</div>"]
    for heading, key in brief.questions:
        parts.append(f"<h2>{e(heading)}</h2><img alt=\"{e(heading)}\" src=\"data:image/png;base64,{_png(figs[key])}\">")
    head = "".join(f"<th>{e(h)}</th>" for h in brief.table_header)
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>")
    parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in brief.table_rows]
    parts.append("</tbody></table>")
    if brief.frontier_rows:
        head = "".join(f"<th>{e(h)}</th>" for h in brief.frontier_header)
        parts.append(f"<table class=\"frontier\"><thead><tr>{head}</tr></thead><tbody>")
        parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in brief.frontier_rows]
        parts.append("</tbody></table>")
    parts.append(f"<h2>{e(brief.caveats_title)}</h2><ul>")
    parts += [f"<li>{e(c)}</li>" for c in brief.caveats]
    parts.append(f"</ul><p><small>{e(brief.method)}</small></p></body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


_TOKEN = re.compile(r"[0-9A-Za-z.,%+\-–_:/'’()（）]+|\s+|.")


def _wrap(text: str, lang: str, width: int = 88) -> list[str]:
    """Lines of at most ``width`` columns (a CJK character takes two), never breaking inside a number
    or a word."""
    lines, line, used = [], "", 0
    for token in _TOKEN.findall(text):
        size = sum(2 if ord(ch) > 0x2E7F else 1 for ch in token)
        if used + size > width and line.strip():
            lines.append(line.rstrip())
            line, used = "", 0
            if token.isspace():
                continue
        line += token
        used += size
    return [*lines, line.rstrip()] if line.strip() else lines or [""]


def _text_page(fig, lines: list[tuple[str, float, str]], top: float = 0.95) -> float:
    """Lines of (text, font size, weight) from ``top`` down; returns the y below the last line."""
    y = top
    for text, size, weight in lines:
        fig.text(0.07, y, text, fontsize=size, weight=weight, va="top")
        y -= size / 72 / 11.69 * 1.55
    return y


def write_pdf(brief: Brief, path: Path) -> Path:
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    figs = figures(brief)
    lang = brief.lang
    ctx = _strict_glyphs()
    try:
        with PdfPages(path, metadata={"Title": brief.title, "Creator": "ClusterSim"}) as pdf:
            page = Figure(figsize=(8.27, 11.69))
            lines = [(line, 15, "bold") for line in _wrap(brief.title, lang)]
            lines += [(brief.subtitle, 9, "normal"), ("", 6, "normal")]
            for p in brief.answer:
                lines += [(line, 11, "normal") for line in _wrap(p, lang)] + [("", 4, "normal")]
            y = _text_page(page, lines)
            ax = page.add_axes((0.04, max(y - 0.42, 0.05), 0.92, 0.36))
            ax.axis("off")
            cells = [["\n".join(_wrap(c, lang, 17)) for c in row] for row in brief.table_rows]
            tab = ax.table(cellText=cells, colLabels=["\n".join(_wrap(h, lang, 15)) for h in brief.table_header],
                           loc="upper center")
            tab.auto_set_font_size(False)
            tab.set_fontsize(7)
            tab.scale(1, 3.2)
            pdf.savefig(page)
            page = Figure(figsize=(8.27, 11.69))
            n = len(brief.questions)
            for i, (heading, key) in enumerate(brief.questions):
                top = 0.97 - i * (0.95 / n)
                page.text(0.07, top, heading, fontsize=13, weight="bold", va="top")
                buffer = io.BytesIO()
                figs[key].savefig(buffer, format="png", dpi=150)
                buffer.seek(0)
                import matplotlib.image as mpimg

                img = mpimg.imread(buffer)
                ax = page.add_axes((0.07, top - 0.95 / n + 0.02, 0.86, 0.95 / n - 0.06))
                ax.imshow(img)
                ax.axis("off")
            pdf.savefig(page)
            page = Figure(figsize=(8.27, 11.69))
            lines = [(brief.caveats_title, 14, "bold"), ("", 6, "normal")]
            for c in brief.caveats:
                wrapped = _wrap(c, lang)
                lines += [("• " + wrapped[0], 11, "normal")] + [("   " + w, 11, "normal") for w in wrapped[1:]]
                lines += [("", 4, "normal")]
            lines += [("", 8, "normal")] + [(w, 9, "normal") for w in _wrap(brief.method, lang)]
            y = _text_page(page, lines)
            if brief.frontier_rows:
                ax = page.add_axes((0.07, max(y - 0.35, 0.04), 0.86, 0.3))
                ax.axis("off")
                tab = ax.table(cellText=brief.frontier_rows,
                               colLabels=["\n".join(_wrap(h, lang, 22)) for h in brief.frontier_header],
                               loc="upper center")
                tab.auto_set_font_size(False)
                tab.set_fontsize(8)
                tab.scale(1, 1.8)
            pdf.savefig(page)
    finally:
        ctx.__exit__(None, None, None)
    return path
