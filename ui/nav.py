"""The app's pages in one table: app.py's navigation, the home page's path and the quiz's links."""

from __future__ import annotations

import streamlit as st

from cnn_core.i18n import N_, _

# key -> (file, title, icon, section)
PAGES = {
    "home": ("app_pages/home.py", N_("Home"), ":material/home:", N_("Start")),
    "convolution": ("app_pages/convolution.py", N_("Convolution lab"), ":material/grid_on:", N_("See it")),
    "pooling": ("app_pages/pooling.py", N_("Pooling lab"), ":material/filter_alt:", N_("See it")),
    "build": ("app_pages/build.py", N_("Build a CNN"), ":material/construction:", N_("Do it")),
    "train": ("app_pages/train.py", N_("Train"), ":material/show_chart:", N_("Do it")),
    "pooling_experiment": ("app_pages/pooling_experiment.py", N_("Max vs average pooling"), ":material/compare:",
                           N_("Do it")),
    "transfer": ("app_pages/transfer.py", N_("Transfer learning"), ":material/swap_horiz:", N_("Do it")),
    "quiz": ("app_pages/quiz.py", N_("Quiz"), ":material/quiz:", N_("Check it")),
    "instructor": ("app_pages/instructor.py", N_("Instructor"), ":material/school:", N_("Teach")),
}

# The pages whose runs report on training (a job panel): they take turns in a busy server (ui.turns).
TRAINING_PAGES = frozenset({"train", "pooling_experiment", "transfer"})


def navigation() -> dict:
    """{section: [st.Page, ...]} for st.navigation."""
    sections: dict = {}
    for key, (path, title, icon, section) in PAGES.items():
        page = st.Page(path, title=_(title), icon=icon, default=key == "home")
        sections.setdefault(_(section), []).append(page)
    return sections


def key_of(page) -> str:
    """The key of an st.Page made by `navigation` (its URL path is its file's name; home's is empty)."""
    return page.url_path or "home"


def page_link(key: str, label: str | None = None) -> None:
    """A link to one of the app's pages; plain bold text where a page runs on its own (tests)."""
    path, title, icon, _section = PAGES[key]
    try:
        st.page_link(path, label=label or _(title), icon=icon)
    except Exception:  # no navigation (the page was run alone): the page's name still reads right
        st.markdown(f"**{label or _(title)}**")
