"""Links that restore a view: a page's settings kept in its URL (`st.query_params`).

    SETTINGS = [view_links.Setting("k", "conv_k", view_links.whole(1, 7), default=3), ...]
    view_links.restore(SETTINGS)   # at the top of the page, before its widgets
    ...widgets keyed "conv_k" (no value= of their own: the default comes from the Setting)...
    view_links.keep(SETTINGS)      # at the end: the URL now shows the view; paste it, and others see it too

The URL holds plain values (`?k=5&stride=2&padding=same`), the same in every language. A value
the page cannot show (`?k=99`, `?padding=round`) is named in one sentence and the default is
used; everything else in the link still applies. A link is applied once: what the learner
changes afterwards wins, and goes into the URL. Streamlit clears a page's parameters when the
learner moves to another page; `keep` writes them again when the page is back.
(Streamlit's own `bind="query-params"` drops a bad value without a word and keeps a choice's
label, which a translated page changes; hence this module.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from cnn_core.messages import UserError, msg
from ui import kept

APPLIED = "view_links_applied"  # session state: {param: the link text last applied or written}


@dataclass(frozen=True)
class Setting:
    """One setting of a view: its URL name, where the page keeps it, and how to read and write it."""

    param: str  # the name in the URL
    key: str | Callable[[], str]  # the session-state key (a widget's), or a function of the others
    parse: Callable[[str], Any]  # the URL's text -> a value; ValueError or UserError if it is none
    default: Any = None  # the value before anything is chosen (set once, so widgets need no value=); or a function
    dump: Callable[[Any], str | None] = str  # a value -> the URL's text; None: leave it out
    apply: Callable[[Any], None] | None = None  # instead of writing `key` (when more must change with it)

    def state_key(self) -> str:
        return self.key() if callable(self.key) else self.key


def restore(settings: list[Setting]) -> None:
    """Apply what the page's URL says (once per link), then fill in what the learner had chosen when
    the page last ran (`ui.kept`: Streamlit forgets it on another page), else the defaults."""
    applied = st.session_state.setdefault(APPLIED, {})
    refused, reasons = [], []
    for setting in settings:
        text = st.query_params.get(setting.param)
        if text is not None and applied.get(setting.param) != text:
            applied[setting.param] = text
            try:
                value = setting.parse(text)
            except (ValueError, TypeError) as err:  # a UserError says why in a sentence of its own
                refused.append(_as_code(f"{setting.param}={text}"))
                if isinstance(err, UserError):
                    reasons.append(str(err))
            else:
                if setting.apply is not None:
                    setting.apply(value)
                else:
                    st.session_state[setting.state_key()] = value
        key = setting.state_key()
        if setting.apply is None and key not in st.session_state:  # first visit, or back from another page
            value = kept.recall(key)  # the default (a function, for some) only when nothing was kept
            if value is None and setting.default is not None:
                value = setting.default() if callable(setting.default) else setting.default
            if value is not None:
                st.session_state[key] = value
    if refused:
        st.warning(" ".join([str(msg("link.bad_settings", n=len(refused), settings=", ".join(refused)))] + reasons))


def _as_code(text: str, limit: int = 40) -> str:
    """A link's own words in a sentence: as code (never markdown), without backticks, shortened."""
    text = text.replace("`", "'").replace("\n", " ")
    return f"`{text if len(text) <= limit else text[:limit] + '…'}`"


def keep(settings: list[Setting]) -> None:
    """Write the page's settings into its URL (only those that changed: each write reaches the browser),
    and remember them for the page's next run (`ui.kept`)."""
    applied = st.session_state.setdefault(APPLIED, {})
    for setting in settings:
        key = setting.state_key()
        if key not in st.session_state:
            continue
        text = setting.dump(st.session_state[key])
        if text is None:
            if setting.param in st.query_params:
                del st.query_params[setting.param]
        elif st.query_params.get(setting.param) != text:
            st.query_params[setting.param] = text
        applied[setting.param] = text
    kept.remember(setting.state_key() for setting in settings if setting.apply is None)


# ---------------------------------------------------------------- readers for `parse`

def whole(low: int, high: int) -> Callable[[str], int]:
    """A whole number from low to high."""
    def parse(text: str) -> int:
        value = int(text.strip())
        if not low <= value <= high:
            raise ValueError(text)
        return value
    return parse


def one_of(choices) -> Callable[[str], Any]:
    """One of `choices`, written as str(choice) in the URL (so 2 and "2" both name the choice 2)."""
    by_text = {str(c): c for c in choices}

    def parse(text: str):
        return by_text[text.strip()]  # KeyError is a LookupError: turned into a ValueError below
    return _lookup_errors_are_value_errors(parse)


def named(names: dict[str, Any]) -> Callable[[str], Any]:
    """A value by its short URL name, e.g. {"mnist": "MNIST digit"}: a link stays the same when the
    labels change (a translated page)."""
    return _lookup_errors_are_value_errors(lambda text: names[text.strip()])


def name_of(names: dict[str, Any]) -> Callable[[Any], str | None]:
    """The `dump` that goes with `named`."""
    by_value = {value: name for name, value in names.items()}
    return by_value.get


def flag(text: str) -> bool:
    """1/0, true/false, on/off, yes/no."""
    low = text.strip().lower()
    if low in ("1", "true", "on", "yes"):
        return True
    if low in ("0", "false", "off", "no", ""):
        return False
    raise ValueError(text)


def _lookup_errors_are_value_errors(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def checked(text: str):
        try:
            return parse(text)
        except LookupError:
            raise ValueError(text) from None
    return checked
