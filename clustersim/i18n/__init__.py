"""One message catalogue for the lab page and the policy brief: GNU gettext, kept as Babel ``.po``
files (``clustersim/i18n/locale/<lang>/LC_MESSAGES/clustersim.po``), compiled in memory when first
used (Babel's ``read_po`` + ``write_mo``, then :class:`gettext.GNUTranslations`), so no compiled
``.mo`` file has to be built at install.

Message ids are the English text; English is the catalogue's source language, so its translator
returns the id itself, but only for ids in the catalogue: an id that is missing, or left
untranslated (empty or fuzzy) in Chinese, raises :class:`MissingMessage`. Nothing falls back to
English in the Chinese page. Where one English text needs two Chinese ones (a table header with its
unit, a status line whose value carries the unit), the second has a gettext context (``msgctxt``):
``_.pgettext("status", "Incentives paid")``.

Used by the package lab, the students' model page (:mod:`clustersim.ui`) and the policy brief.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

__all__ = ["LANGUAGES", "NP_", "N_", "MissingMessage", "Translator", "catalogue_ids", "catalogue_keys", "translator",
           "untranslated"]

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "clustersim"
#: language code -> (gettext locale folder or None for the source language, name shown in the switch)
LANGUAGES: dict[str, tuple[str | None, str]] = {"zh": ("zh_CN", "中文"), "en": (None, "English")}


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue (``pybabel extract -k _ -k N_``) where it is translated later."""
    return message


def NP_(context: str, message: str) -> str:
    """Mark ``message`` with a gettext context for the catalogue (``pybabel extract -k NP_:1c,2``);
    translated later with ``_.pgettext(context, message)``."""
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
    """Every message id of the catalogue without a context (the English texts)."""
    return frozenset(str(m.id) for m in _catalog() if m.id and not m.context)


def catalogue_keys() -> frozenset[tuple[str | None, str]]:
    """Every (context or None, message id) of the catalogue."""
    return frozenset((m.context or None, str(m.id)) for m in _catalog() if m.id)


def untranslated(folder: str = "zh_CN") -> list[str]:
    """Ids without a usable translation (empty or fuzzy) in ``folder``'s catalogue (``context|id``
    for an id with a context)."""
    return [(f"{m.context}|" if m.context else "") + str(m.id) for m in _catalog(folder)
            if m.id and (not m.string or m.fuzzy)]


@functools.cache
def _compiled(folder: str) -> gettext.GNUTranslations:
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, _catalog(folder))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """``gettext`` for one language, strict (:class:`MissingMessage` for an id the catalogue lacks
    or leaves untranslated). Call it with a message id; :meth:`pgettext` takes a context first."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"language {lang!r}: allowed {', '.join(LANGUAGES)}")
        self.lang = lang
        folder = LANGUAGES[lang][0]
        self._keys = catalogue_keys()
        bad = {(m.context or None, str(m.id)) for m in _catalog() if m.id and (not m.string or m.fuzzy)}
        self._bad = frozenset(bad)
        self._translations = _compiled(folder) if folder else None

    def _check(self, context: str | None, message: str) -> None:
        if (context, message) not in self._keys:
            where = f" (context {context!r})" if context else ""
            raise MissingMessage(f"{message!r}{where} is not in {_po_path()}")
        if self._translations is not None and (context, message) in self._bad:
            raise MissingMessage(f"{message!r} has no Chinese translation in {_po_path()}")

    def __call__(self, message: str) -> str:
        self._check(None, message)
        return message if self._translations is None else self._translations.gettext(message)

    def pgettext(self, context: str, message: str) -> str:
        self._check(context, message)
        return message if self._translations is None else self._translations.pgettext(context, message)


@functools.cache
def translator(lang: str) -> Translator:
    """The :class:`Translator` for ``lang`` (``"zh"`` or ``"en"``), made once per language. Use
    ``_("Run {n} replicates").format(n=...)``."""
    return Translator(lang)
