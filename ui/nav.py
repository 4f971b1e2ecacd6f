"""The app's pages in one table: app.py's navigation, the home page's path and the quiz's links."""

from __future__ import annotations

import streamlit as st

# key -> (file, title, icon, section)
PAGES = {
    "home": ("app_pages/home.py", "Home", ":material/home:", "Start"),
    "convolution": ("app_pages/convolution.py", "Convolution lab", ":material/grid_on:", "See it"),
    "pooling": ("app_pages/pooling.py", "Pooling lab", ":material/filter_alt:", "See it"),
    "build": ("app_pages/build.py", "Build a CNN", ":material/construction:", "Do it"),
    "train": ("app_pages/train.py", "Train", ":material/show_chart:", "Do it"),
    "pooling_experiment": ("app_pages/pooling_experiment.py", "Max vs average pooling", ":material/compare:", "Do it"),
    "transfer": ("app_pages/transfer.py", "Transfer learning", ":material/swap_horiz:", "Do it"),
    "quiz": ("app_pages/quiz.py", "Quiz", ":material/quiz:", "Check it"),
    "instructor": ("app_pages/instructor.py", "Instructor", ":material/school:", "Teach"),
}


def navigation() -> dict:
    """{section: [st.Page, ...]} for st.navigation."""
    sections: dict = {}
    for key, (path, title, icon, section) in PAGES.items():
        sections.setdefault(section, []).append(st.Page(path, title=title, icon=icon, default=key == "home"))
    return sections


def page_link(key: str, label: str | None = None) -> None:
    """A link to one of the app's pages; plain bold text where a page runs on its own (tests)."""
    path, title, icon, _ = PAGES[key]
    try:
        st.page_link(path, label=label or title, icon=icon)
    except Exception:  # no navigation (the page was run alone): the page's name still reads right
        st.markdown(f"**{label or title}**")
