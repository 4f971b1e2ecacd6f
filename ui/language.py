"""Which language this session reads: the sidebar's switch, `?lang=ko` in the URL, the browser's default.

    language.start()      # app.py, before anything is drawn: the link's or the browser's language
    language.switch()     # the sidebar's English / 日本語 / 한국어
    language.keep()       # app.py, before the page: `?lang=` on every page, so a shared link keeps it

The choice is one session-state value; `cnn_core.i18n` reads it (installed here) whenever a page
calls `_()` or shows a message, so everything drawn after a switch is in the new language, and
every other setting, run and answer of the session stays as it was: widgets are keyed by name,
show their choices through `format_func` (the values never depend on the language), and the switch
writes each choice back by value so the browser shows it with its new label.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnn_core import i18n
from ui import streamlit_compat, view_links

KEY = "lang"  # session state: "en", "ja" or "ko"


def _parse(text: str) -> str:
    lang = i18n.supported(text)
    if lang is None:
        raise ValueError(f"not one of {', '.join(i18n.LANGUAGES)}")
    return lang


def _browser_language() -> str:
    """The browser's language if we have it (Accept-Language via st.context.locale), else English."""
    try:
        return i18n.supported(st.context.locale) or i18n.DEFAULT
    except Exception:  # noqa: BLE001  (no browser: AppTest, a bare script run)
        return i18n.DEFAULT


# The URL always says the language: a shared link opens in the sharer's, whatever the other browser's is.
SETTING = view_links.Setting("lang", KEY, _parse, default=_browser_language)


def _session_language() -> str | None:
    """The language of the session whose script is running on this thread; None elsewhere."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return st.session_state.get(KEY)


i18n.read_language_from(_session_language)


def start() -> None:
    """The link's language (once), else the browser's, before the first word is drawn."""
    view_links.restore([SETTING])


def switch() -> None:
    """The sidebar's switch, each language named in itself (a reader finds their own)."""
    st.segmented_control("Language / 言語 / 언어", list(i18n.LANGUAGES), format_func=i18n.LANGUAGES.get,
                         key=KEY, required=True, label_visibility="collapsed", on_change=_keep_every_choice)


def _keep_every_choice() -> None:
    """Before the first run in the new language: every choice written back by value, so it is shown
    with its new label (a choice is kept as its label; see streamlit_compat)."""
    for key in streamlit_compat.keys_of_widgets_holding_labels():
        if key != KEY and key in st.session_state:
            st.session_state[key] = st.session_state[key]


def keep() -> None:
    view_links.keep([SETTING])
