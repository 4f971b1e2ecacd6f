"""Convolution page (coming next)."""

import streamlit as st

st.title("Convolution")
st.info("Coming next: this page is being built. Meanwhile, try **Build a CNN**.")
