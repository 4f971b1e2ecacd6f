"""Training jobs in a browser session: one per page key, no double starts, reaped when the tab closes."""

from __future__ import annotations

import itertools
import time

import streamlit as st

from cnn_core import training

GRACE_SECONDS = 30  # a tab that reconnects within this keeps its job
KEEP_MODELS = 5  # older runs keep their numbers and curves but drop their models
_run_ids = itertools.count(1)


def owner_alive():
    """A callable that says whether this browser session is still there (for the scheduler)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return None  # bare mode and AppTest: no sessions to watch
    session_id, gone_since = ctx.session_id, [None]

    def alive() -> bool:
        if Runtime.instance().is_active_session(session_id):
            gone_since[0] = None
            return True
        gone_since[0] = gone_since[0] or time.monotonic()
        return time.monotonic() - gone_since[0] < GRACE_SECONDS

    return alive


def current(key: str):
    return st.session_state.get(key)


def start(key: str, spec, config: training.TrainConfig, label: str = "", **kwargs):
    """Start a job under `key` unless one is already active there (a double click starts one)."""
    job = st.session_state.get(key)
    if job is not None and job.active:
        return job
    job = training.TrainingJob(spec, config, owner_alive=owner_alive(),
                               label=label or f"run {next(_run_ids)}", **kwargs)
    st.session_state[key] = job
    job.start()
    return job


def remember(history_key: str, job) -> None:
    """Add a finished job to the session's run history (once), freeing old models."""
    history = st.session_state.setdefault(history_key, [])
    if job in history:
        return
    history.append(job)
    for old in history[:-KEEP_MODELS]:
        old.model = None
