"""CNN classroom dashboard: `python serve.py` (or `streamlit run app.py`). Routes to the pages; no model code here."""

from pathlib import Path

import streamlit as st

from cnn_core import warmup
from ui import classroom, nav, streamlit_compat

ICON = Path(__file__).parent / "ui" / "assets" / "icon.png"
streamlit_compat.install()  # once per process: what this app changes in Streamlit, and a version check
warmup.start_in_background()  # once per process: TensorFlow ready before the first Train press
# The icon is a file in the repository: a classroom offline still gets it (an emoji or material
# icon as the favicon is fetched from the internet by the browser).
st.set_page_config(page_title="CNN classroom", page_icon=str(ICON), layout="wide")

page = st.navigation(nav.navigation())
with st.sidebar:
    classroom.sidebar()
    st.caption("A dashboard for learning convolutional neural networks with real training on "
               "real data. Every number on screen says where it comes from.")
page.run()
