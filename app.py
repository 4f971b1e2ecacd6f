"""CNN classroom dashboard: `python serve.py` (or `streamlit run app.py`). Routes to the pages; no model code here."""

from pathlib import Path

import streamlit as st

from cnn_core import diagnostics, memory, warmup
from cnn_core.i18n import _
from ui import classroom, language, nav, presenting, streamlit_compat, turns

ICON = Path(__file__).parent / "ui" / "assets" / "icon.png"
memory.share_heaps()  # once per process (serve.py has done it first): what a class frees is reused
streamlit_compat.install()  # once per process: what this app changes in Streamlit, and a version check
warmup.start_in_background()  # once per process: TensorFlow ready before the first Train press
# The icon is a file in the repository: a classroom offline still gets it (an emoji or material
# icon as the favicon is fetched from the internet by the browser).
# A projector link (?present=1) opens with the sidebar folded away.
language.start()  # the link's or the browser's language, before the first word
st.set_page_config(page_title=_("CNN classroom"), page_icon=str(ICON), layout="wide",
                   initial_sidebar_state="collapsed" if presenting.asked_by_link() else "auto")
presenting.start()

page = st.navigation(nav.navigation())
with st.sidebar:
    language.switch()
    classroom.sidebar()
    presenting.toggle()
    st.caption(_("A dashboard for learning convolutional neural networks with real training on "
                 "real data. Every number on screen says where it comes from."))
language.keep()
presenting.keep()  # before the page: a page may end its run early (st.stop)
classroom.showing(page)  # by its key: the teacher's dashboard says where, in the teacher's words
# 30 Train pages at once take turns, so a lab's answer does not wait behind them; CNN_PAUSES=1
# logs slow page runs in the server's log.
page_key = nav.key_of(page)
with diagnostics.timed_run(page_key), turns.turn(needed=page_key in nav.TRAINING_PAGES):
    page.run()
