"""Training jobs in a browser session: one per page key, no double starts, reaped when the tab closes."""

from __future__ import annotations

import itertools
import threading
import time

import streamlit as st

from cnn_core import training

GRACE_SECONDS = 30  # a tab that reconnects within this keeps its job
KEEP_MODELS = 5  # older runs keep their numbers and curves but drop their models
_run_ids = itertools.count(1)


def _keep_keras_session() -> None:
    """Streamlit calls `keras.backend.clear_session()` after every script run, fragment runs
    included. With models training in background threads that threw TensorFlow's kernel cache
    away and forced a full garbage collection once a second per open Train page: training in
    the server ran several times slower than the same training in a notebook (the first batches
    of a run could take a minute). Nothing here relies on that clean-up: every run builds its
    own model. (`runner.postScriptGC = false` in .streamlit/config.toml is the other half.)"""
    from streamlit.runtime.scriptrunner import script_runner

    if getattr(script_runner, "_clean_problem_modules", None) is not None:
        script_runner._clean_problem_modules = lambda: None


_keep_keras_session()


def _import_keras() -> None:
    import keras  # noqa: F401  (TensorFlow with it: 5-10 s the first time in a process)


# A training page was opened: load Keras in the background now, so that the first Train press of
# this server process does not wait for the import.
threading.Thread(target=_import_keras, name="keras-import", daemon=True).start()


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
