"""The CJK font of figures and the brief: Noto Sans CJK SC from Debian's fonts-noto-cjk
(``.ci/system-packages`` installs it). Missing font is an error, never a silent fallback to a font
that draws Chinese as empty boxes."""

from __future__ import annotations

from pathlib import Path

__all__ = ["CJK_FAMILY", "CJK_FONT", "use_cjk_font"]

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_FAMILY = "Noto Sans CJK SC"


def use_cjk_font() -> None:
    """Make matplotlib draw text in Noto Sans CJK SC (Latin text too, so one font is embedded)."""
    import matplotlib
    from matplotlib import font_manager

    if not CJK_FONT.exists():
        raise FileNotFoundError(f"{CJK_FONT} is missing: install Debian's fonts-noto-cjk (.ci/system-packages)")
    if CJK_FAMILY not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(CJK_FONT))
    matplotlib.rcParams["font.family"] = [CJK_FAMILY]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["pdf.fonttype"] = 42
