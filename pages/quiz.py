"""Quiz page (coming next)."""

import streamlit as st

st.title("Quiz")
st.info("Coming next: this page is being built. Meanwhile, try **Build a CNN**.")
