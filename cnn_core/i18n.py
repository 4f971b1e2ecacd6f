"""The app's languages: gettext catalogs (`locales/<lang>/LC_MESSAGES/messages.mo`), managed with Babel.

    from cnn_core.i18n import _, ngettext, N_
    st.header(_("Convolution lab"))                      # in the language of whoever is reading
    st.caption(ngettext("{n:,} run", "{n:,} runs", n).format(n=n))
    TITLES = {"max": N_("max pooling")}                   # marked for extraction; `_(TITLES[k])` when shown

English is the source language: a string without a translation reads in English. Which language
"the caller" reads is asked of a source the UI installs (`read_language_from`): the Streamlit
session's choice, per session, on whatever thread runs its script. cnn_core itself never imports
Streamlit, so a background thread or a test without a session reads English.

Why gettext and Babel: translators get the standard `.po` workflow (Poedit, Weblate, msgmerge),
plural rules come from CLDR, and the stdlib reads the compiled `.mo` files at run time (no extra
run-time dependency). `scripts/catalogs.py` extracts, updates and compiles (README, "Adding a
language").
"""

from __future__ import annotations

import functools
import gettext as _gettext
from collections.abc import Callable, Mapping
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
DEFAULT = "en"
# Each language in its own words: the switch reads right to someone who reads only that language.
LANGUAGES = {"en": "English", "ja": "日本語", "ko": "한국어"}



def _no_reader() -> str | None:  # until the UI installs its source: English
    return None


_language_source: Callable[[], str | None] = _no_reader


def read_language_from(source: Callable[[], str | None]) -> None:
    """Install where the current reader's language comes from (the UI: the session's choice)."""
    global _language_source
    _language_source = source


def language() -> str:
    """The current reader's language code (one of LANGUAGES)."""
    lang = _language_source()
    return lang if lang in LANGUAGES else DEFAULT


def supported(tag: str | None) -> str | None:
    """The language of a browser locale or a `?lang=` value ('ko-KR' -> 'ko'), or None if we have none."""
    if not tag:
        return None
    code = tag.replace("_", "-").split("-")[0].strip().lower()
    return code if code in LANGUAGES else None


@functools.cache
def translation(lang: str) -> _gettext.NullTranslations:
    """The catalog of `lang`, read once per process; English (and a missing catalog) translate to themselves."""
    if lang == DEFAULT:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(text: str) -> str:  # gettext's conventional name, so that extraction tools find the strings
    if not text:  # gettext("") is the catalog's header, never what a caller means
        return text
    return translation(language()).gettext(text)


def now(lang: str | None = None) -> Callable[[str], str]:
    """`_` fixed to `lang` (default: the current reader's language), for a function called later or
    on another thread: a widget's `format_func` formats in the language the widget was drawn in
    (Streamlit's test harness calls it outside the session, where `_` would read English)."""
    gettext = translation(lang or language()).gettext
    return lambda text: gettext(text) if text else text


def labels_in_this_language(labels: Mapping) -> Callable[[object], str]:
    """A `format_func` showing each choice's N_-marked label in the current reader's language."""
    gettext = now()
    return lambda choice: gettext(labels[choice])


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the current language (Japanese and Korean have one form)."""
    return translation(language()).ngettext(singular, plural, n)


def N_(text: str) -> str:  # noqa: N802  (mark for extraction; translated where it is shown)
    return text


def Nn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802  (a plural pair, marked for extraction)
    return singular, plural
