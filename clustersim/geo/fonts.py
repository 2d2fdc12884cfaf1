"""A CJK font for matplotlib, so Chinese place names render instead of empty boxes.

The set-up installs Debian's ``fonts-noto-cjk`` (``.ci/system-packages``); :func:`use_cjk_font`
adds its Noto Sans CJK SC face to matplotlib's font families after the generic sans-serif
(Latin text keeps DejaVu Sans; matplotlib >= 3.6 falls back per glyph along ``font.family``).
A matplotlib font cache written before the font was installed does not list it, so the font
files are added by path when missing.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager

CJK_FAMILY = "Noto Sans CJK SC"


@cache
def cjk_family() -> str | None:
    """The CJK font family matplotlib can use, or None if none is installed."""
    if not any(f.name == CJK_FAMILY for f in font_manager.fontManager.ttflist):
        for path in font_manager.findSystemFonts():
            if Path(path).name.startswith("NotoSansCJK"):
                font_manager.fontManager.addfont(path)
    if any(f.name == CJK_FAMILY for f in font_manager.fontManager.ttflist):
        return CJK_FAMILY
    return None


def use_cjk_font() -> str | None:
    """Make matplotlib fall back to the CJK font; warn once if it is not installed."""
    family = cjk_family()
    if family is None:
        warnings.warn("no CJK font found: Chinese names will show as boxes; install Debian's fonts-noto-cjk "
                      "(.ci/system-packages does)", stacklevel=2)
        return None
    families = list(matplotlib.rcParams["font.family"])
    if family not in families:
        matplotlib.rcParams["font.family"] = [*families, family]
    return family
