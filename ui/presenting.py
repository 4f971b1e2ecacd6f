"""Presentation mode for the projector: larger type, the page's controls folded away, bigger charts.

    presenting.start()                  # app.py, before the page: `?present=1` or the sidebar toggle
    with presenting.controls():         # a page's settings: folded into an expander when presenting
        k = st.slider(...)
    lab.heatmap(..., height=presenting.chart_height(330))

It is one setting of the session, kept in the URL (`?present=1`) on every page, so the teacher's
projector link opens presenting, and the sidebar starts collapsed.
"""

from __future__ import annotations

import streamlit as st

from cnn_core.i18n import _
from ui import view_links

KEY = "present"
SETTING = view_links.Setting("present", KEY, view_links.flag, default=False, dump=lambda on: "1" if on else None)
CHART_SCALE = 1.5

# Streamlit sizes its text in rem: a larger root size makes every word larger, widgets included.
# The page uses the whole width of the screen. The header stays: its button opens the sidebar again.
STYLE = """<style>
html { font-size: 22px !important; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding: 2rem 2.5rem 2rem 2.5rem; }
</style>"""


def asked_by_link() -> bool:
    """Whether the URL asks for presenting (read before anything is drawn: the sidebar's first state)."""
    try:
        return view_links.flag(st.query_params.get("present", "0"))
    except ValueError:
        return False


def start() -> None:
    """The setting from the URL (once), the larger type while it is on, and the URL kept."""
    view_links.restore([SETTING])
    if active():
        st.html(STYLE)


def toggle() -> None:
    """The sidebar's switch."""
    st.toggle(_("Presentation mode"), key=KEY,
              help=_("For the projector: larger type, each page's settings folded away. The link keeps it "
                     "(?present=1)."))


def keep() -> None:
    """app.py, after the toggle: the URL says presenting on every page (a page switch clears it)."""
    view_links.keep([SETTING])


def active() -> bool:
    return bool(st.session_state.get(KEY))


def controls(label: str | None = None):
    """Where a page puts its settings: an expander (`label`, default "Settings"), folded, while
    presenting; otherwise in place. A page passes its label already translated."""
    return st.expander(label or _("Settings"), expanded=False) if active() else st.container()


def chart_height(height: int) -> int:
    return int(height * CHART_SCALE) if active() else height
