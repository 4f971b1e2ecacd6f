"""A page's settings, kept for when the learner comes back to it.

    epochs = st.number_input("Epochs", 0, 1000, kept.recall("train_epochs", 2), key="train_epochs")
    kept.remember(["train_epochs", ...])   # after the widgets
    kept.restore("poolx_")                 # or, before widgets with defaults of their own: put them back

Streamlit forgets a widget's value as soon as a run of another page does not draw it: a learner
who set 5 epochs on Train, went to Build a CNN to change a layer and came back found 2 again, and
a lab's kernel size was back at 3. Each page remembers its settings' values after drawing them,
in session state that no widget owns (so nothing forgets it), and gives them back to its widgets
when it runs again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

KEPT = "kept_settings"  # session state: {a widget's key: its value when its page last ran}


def remember(keys: Iterable[str]) -> None:
    """The current values of these widgets (those drawn in this run), for the next visit."""
    kept = st.session_state.setdefault(KEPT, {})
    kept.update({key: st.session_state[key] for key in keys if key in st.session_state})


def recall(key: str, default: Any = None) -> Any:
    """A widget's value: the one it has now, else the one it had when its page last ran, else `default`."""
    if key in st.session_state:
        return st.session_state[key]
    return st.session_state.get(KEPT, {}).get(key, default)


def restore(prefix: str) -> None:
    """Before a page's widgets: the kept values of its settings (keys starting with `prefix`) back
    into session state where Streamlit has forgotten them; a widget with a default of its own then
    shows the kept value."""
    for key, value in st.session_state.get(KEPT, {}).items():
        if key.startswith(prefix) and key not in st.session_state:
            st.session_state[key] = value
