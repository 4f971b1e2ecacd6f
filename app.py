"""CNN classroom dashboard: `python serve.py` (or `streamlit run app.py`). Routes to the pages; no model code here."""

from pathlib import Path

import streamlit as st

from cnn_core import warmup
from ui import classroom, nav, presenting, streamlit_compat

ICON = Path(__file__).parent / "ui" / "assets" / "icon.png"
streamlit_compat.install()  # once per process: what this app changes in Streamlit, and a version check
warmup.start_in_background()  # once per process: TensorFlow ready before the first Train press
# The icon is a file in the repository: a classroom offline still gets it (an emoji or material
# icon as the favicon is fetched from the internet by the browser).
# A projector link (?present=1) opens with the sidebar folded away.
st.set_page_config(page_title="CNN classroom", page_icon=str(ICON), layout="wide",
                   initial_sidebar_state="collapsed" if presenting.asked_by_link() else "auto")
presenting.start()

page = st.navigation(nav.navigation())
with st.sidebar:
    classroom.sidebar()
    presenting.toggle()
    st.caption("A dashboard for learning convolutional neural networks with real training on "
               "real data. Every number on screen says where it comes from.")
presenting.keep()  # before the page: a page may end its run early (st.stop)
st.session_state[classroom.PAGE_TITLE] = page.title
page.run()
