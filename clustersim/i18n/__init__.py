"""One message catalogue for the lab page and the policy brief: GNU gettext, kept as Babel ``.po``
files (``clustersim/i18n/locale/<lang>/LC_MESSAGES/clustersim.po``), compiled in memory when first
used (Babel's ``read_po`` + ``write_mo``, then :class:`gettext.GNUTranslations`), so no compiled
``.mo`` file has to be built at install.

Message ids are the English text; English is the catalogue's source language, so its translator
returns the id itself, but only for ids in the catalogue: an id that is missing, or left
untranslated (empty or fuzzy) in Chinese, raises :class:`MissingMessage`. Nothing falls back to
English in the Chinese page.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Callable
from pathlib import Path

__all__ = ["LANGUAGES", "N_", "MissingMessage", "catalogue_ids", "translator", "untranslated"]

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "clustersim"
#: language code -> (gettext locale folder or None for the source language, name shown in the switch)
LANGUAGES: dict[str, tuple[str | None, str]] = {"zh": ("zh_CN", "中文"), "en": (None, "English")}


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue (``pybabel extract -k _ -k N_``) where it is translated later."""
    return message


class MissingMessage(KeyError):
    """A message id that the catalogue lacks or leaves untranslated."""


def _po_path(folder: str = "zh_CN") -> Path:
    return LOCALE_DIR / folder / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def _catalog(folder: str = "zh_CN"):
    from babel.messages.pofile import read_po

    with _po_path(folder).open("rb") as f:
        return read_po(f, locale=folder)


def catalogue_ids() -> frozenset[str]:
    """Every message id of the catalogue (the English texts)."""
    return frozenset(str(m.id) for m in _catalog() if m.id)


def untranslated(folder: str = "zh_CN") -> list[str]:
    """Ids without a usable translation (empty or fuzzy) in ``folder``'s catalogue."""
    return [str(m.id) for m in _catalog(folder) if m.id and (not m.string or m.fuzzy)]


@functools.cache
def _compiled(folder: str) -> gettext.GNUTranslations:
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, _catalog(folder))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translator(lang: str) -> Callable[[str], str]:
    """``gettext`` for ``lang`` (``"zh"`` or ``"en"``), strict: :class:`MissingMessage` for an id
    the catalogue lacks or leaves untranslated. Use ``_("Run {n} replicates").format(n=...)``."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r}: allowed {', '.join(LANGUAGES)}")
    folder = LANGUAGES[lang][0]
    ids = catalogue_ids()
    bad = frozenset(untranslated())
    translations = _compiled(folder) if folder else None

    def _(message: str) -> str:
        if message not in ids:
            raise MissingMessage(f"{message!r} is not in {_po_path()}")
        if translations is None:
            return message
        if message in bad:
            raise MissingMessage(f"{message!r} has no Chinese translation in {_po_path()}")
        return translations.gettext(message)

    return _
