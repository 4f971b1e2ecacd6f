"""CNN classroom dashboard: `streamlit run app.py`. Routes to the pages; no model code here."""

import streamlit as st

from ui import streamlit_compat

streamlit_compat.install()  # once per process: what this app changes in Streamlit, and a version check
st.set_page_config(page_title="CNN classroom", page_icon=":material/neurology:", layout="wide")

PAGES = {
    "Start": [st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True)],
    "See it": [
        st.Page("app_pages/convolution.py", title="Convolution lab", icon=":material/grid_on:"),
        st.Page("app_pages/pooling.py", title="Pooling lab", icon=":material/filter_alt:"),
    ],
    "Do it": [
        st.Page("app_pages/build.py", title="Build a CNN", icon=":material/construction:"),
        st.Page("app_pages/train.py", title="Train", icon=":material/show_chart:"),
        st.Page("app_pages/pooling_experiment.py", title="Max vs average pooling", icon=":material/compare:"),
        st.Page("app_pages/transfer.py", title="Transfer learning", icon=":material/swap_horiz:"),
    ],
    "Check it": [st.Page("app_pages/quiz.py", title="Quiz", icon=":material/quiz:")],
}

page = st.navigation(PAGES)
with st.sidebar:
    st.caption("A dashboard for learning convolutional neural networks with real training on "
               "real data. Every number on screen says where it comes from.")
page.run()
