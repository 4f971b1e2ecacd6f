"""CNN classroom dashboard: `streamlit run app.py`. Routes to the pages; no model code here."""

import streamlit as st

st.set_page_config(page_title="CNN classroom", page_icon="🧠", layout="wide")

PAGES = {
    "Start": [st.Page("pages/home.py", title="Home", icon="🏠", default=True)],
    "See it": [
        st.Page("pages/convolution.py", title="Convolution lab", icon="🔍"),
        st.Page("pages/pooling.py", title="Pooling lab", icon="🧩"),
    ],
    "Do it": [
        st.Page("pages/build.py", title="Build a CNN", icon="🧱"),
        st.Page("pages/train.py", title="Train", icon="📈"),
        st.Page("pages/pooling_experiment.py", title="Max vs average pooling", icon="⚖️"),
        st.Page("pages/transfer.py", title="Transfer learning", icon="🔁"),
    ],
    "Check it": [st.Page("pages/quiz.py", title="Quiz", icon="✅")],
}

page = st.navigation(PAGES)
with st.sidebar:
    st.caption("A dashboard for learning convolutional neural networks with real training on "
               "real data. Every number on screen says where it comes from.")
page.run()
