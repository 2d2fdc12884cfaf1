"""The page language (中文 / English), shared by the model page and the package lab of one browser
session, and the app bar both pages show (title, links to each other, the language switch).

Solara keeps a module-level reactive per kernel, i.e. per page load of a browser tab. The language
a user picks is also remembered under the browser session's id (Solara's session cookie, shared by
the tabs of one browser), so the other page, a reload or a new tab of the same browser opens in it.
Until the user picks one, each page opens in its own default (:data:`DEFAULTS`): the model page in
English (the students' course language), the lab in Chinese (the officials it serves); ``clustersim ui
--lang`` sets one default for both (environment :data:`LANG_ENV`).
"""

from __future__ import annotations

import os
import threading

import solara
from solara.toestand import KernelStoreFactory

from clustersim.i18n import LANGUAGES, Translator, translator
from clustersim.ui.session import LANG_ENV

#: each page's language until the user picks one: page -> language code
DEFAULTS = {"model": "en", "lab": "zh"}
#: how many browser sessions' choices are remembered (oldest forgotten first)
REMEMBERED = 10_000

_chosen: dict[str, str] = {}  # browser session id -> language picked in that session
_chosen_lock = threading.Lock()


def _session_id() -> str | None:
    """The browser session's id, or None outside a served page (``solara.render`` in tests)."""
    try:
        return solara.get_session_id()
    except RuntimeError:
        return None


def _remembered() -> str | None:
    session = _session_id()
    with _chosen_lock:
        return _chosen.get(session) if session is not None else None


#: the language picked in this tab, or None (the page's default); first read per kernel from the session
_picked = solara.Reactive(KernelStoreFactory(_remembered, key="clustersim.ui.language.picked"))


def page_default(page: str) -> str:
    """The language ``page`` ("model" or "lab") opens in before the user picks one."""
    named = os.environ.get(LANG_ENV, "").strip()
    if named:
        if named not in LANGUAGES:
            raise ValueError(f"{LANG_ENV}={named!r}: allowed {', '.join(LANGUAGES)}")
        return named
    return DEFAULTS[page]


def current(page: str) -> str:
    """This tab's language on ``page``: the one picked in the browser session, else the page's default."""
    return _picked.value or page_default(page)


def use_translator(page: str) -> Translator:
    """The catalogue's translator for this tab's language (components re-render when it changes)."""
    return translator(current(page))


def pick(code: str) -> None:
    """Switch this tab to ``code`` and remember it for the browser session."""
    if code not in LANGUAGES:
        raise ValueError(f"language {code!r}: allowed {', '.join(LANGUAGES)}")
    session = _session_id()
    if session is not None:
        with _chosen_lock:
            _chosen.pop(session, None)
            _chosen[session] = code
            while len(_chosen) > REMEMBERED:
                del _chosen[next(iter(_chosen))]
    _picked.set(code)


@solara.component
def LanguageSwitch(page: str):
    """中文 | English: the language shown is a filled button, the other a text one; a click picks it."""
    lang = current(page)
    with solara.Row(gap="4px", classes=["cs-language"]):
        for code, (_folder, name) in LANGUAGES.items():
            solara.Button(name, on_click=lambda code=code: pick(code), text=lang != code, color="primary",
                          classes=[f"lang-{code}"])


#: the pages link to each other in their own words; Solara's route tabs (fixed English labels) are hidden
HIDE_ROUTE_TABS = ".v-app-bar .v-tabs { display: none; }"
