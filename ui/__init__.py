"""Small Streamlit helpers shared by the pages (widget groups and per-session state).

Model logic lives in cnn_core; this package only holds what every page draws the same way.
"""
