"""Pinyin labels for Chinese place names (pypinyin): 衡阳县 -> "Hengyang County"."""

from __future__ import annotations

import re

from pypinyin import lazy_pinyin

_SUFFIXES = (("自治县", "Autonomous County"), ("自治州", "Autonomous Prefecture"), ("特别行政区", "SAR"),
             ("县", "County"), ("市", "City"), ("区", "District"), ("旗", "Banner"), ("省", "Province"))
_ETHNIC = re.compile(r"^(.{2,}?)((?:[\u4e00-\u9fff]{1,2}族)+)$")


def _syllables(text: str) -> str:
    return "".join(lazy_pinyin(text)).capitalize()


def pinyin_label(name: str) -> str:
    """Hanyu pinyin of a county-level name with its administrative suffix in English
    (ethnic names of autonomous counties kept: 通道侗族自治县 -> "Tongdao Dong Autonomous County")."""
    for suffix, english in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            words = [_syllables(stem)]
            m = _ETHNIC.match(stem) if suffix.startswith("自治") else None
            if m:
                groups = re.findall(r"([\u4e00-\u9fff]{1,2})族", m.group(2))
                words = [_syllables(m.group(1)), "-".join(_syllables(g) for g in groups)]
            return " ".join([*words, english])
    return _syllables(name)
