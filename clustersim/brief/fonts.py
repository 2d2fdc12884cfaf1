"""The font of the brief and the lab's figures: Noto Sans CJK SC alone (Latin text too, so one font
is embedded in the PDF), found by :func:`clustersim.geo.fonts.cjk_family` (Debian's fonts-noto-cjk,
installed by ``.ci/system-packages``). Unlike the maps, which warn and draw boxes, the brief refuses
to draw without it: a brief with unreadable Chinese is worse than none."""

from __future__ import annotations

__all__ = ["use_cjk_font"]


def use_cjk_font() -> str:
    """Make matplotlib draw every text in Noto Sans CJK SC; FileNotFoundError if it is not installed."""
    import matplotlib

    from clustersim.geo.fonts import cjk_family

    family = cjk_family()
    if family is None:
        raise FileNotFoundError("no Noto Sans CJK SC font: install Debian's fonts-noto-cjk (.ci/system-packages)")
    matplotlib.rcParams["font.family"] = [family]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["pdf.fonttype"] = 42  # TrueType/CID subset with a ToUnicode map: a searchable text layer
    return family
