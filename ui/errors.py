"""How an error reaches a learner: our sentences as they are, anything else as a generic one.

    with errors.shown():
        config = settings_ui()          # a UserError becomes st.error(its sentence)

A `UserError` (cnn_core.messages) is a sentence written for the learner. Any other exception
(from Keras, TensorFlow, a bug) is logged with its traceback for the teacher's terminal and
shown as one generic sentence: never a traceback, never a library's message posing as advice.
"""

from __future__ import annotations

import contextlib
import logging

import streamlit as st

from cnn_core.messages import Message, UserError, msg

log = logging.getLogger("cnn_classroom")


def text(exc: BaseException) -> str:
    """The sentence to show for `exc`."""
    if isinstance(exc, UserError):
        return str(exc.message)
    log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    return str(msg("error.unexpected"))


def show(exc_or_message: BaseException | Message) -> None:
    st.error(str(exc_or_message) if isinstance(exc_or_message, Message) else text(exc_or_message))


@contextlib.contextmanager
def shown():
    """Run a block; an exception in it is shown as a sentence and the page carries on after the block."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001  (every kind gets a sentence; `text` logs the unexpected ones)
        show(exc)
