"""Everything this app does to Streamlit beyond its public API, in one place, installed once.

    from ui import streamlit_compat
    streamlit_compat.install()        # app.py, before anything else

Written for Streamlit 1.67. With another version the app still starts, and the server log says
which adjustment could not be made, so a teacher who upgraded Streamlit knows where to look.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time

import streamlit as st

WRITTEN_FOR = "1.67.0"
SWITCH_INTERVAL_SECONDS = 0.0002  # see _hand_the_interpreter_over_sooner
log = logging.getLogger("cnn_classroom")
_installed = False
_lock = threading.Lock()


def install() -> list[str]:
    """Apply the adjustments (once per process); returns what could not be done, in words."""
    global _installed
    with _lock:
        if _installed:
            return []
        _installed = True
    _log_to_the_terminal()
    from cnn_core import diagnostics

    diagnostics.start_from_environment()  # CNN_DIAGNOSTICS=60: what the process holds, every minute
    problems = version_problems(st.__version__)
    _hand_the_interpreter_over_sooner()
    if not _keep_keras_session():
        problems.append("Streamlit's clean-up after each run could not be switched off: "
                        "live training will run slower in the server")
    if not _poll_config_files_slowly():
        problems.append("Streamlit's config-file polling could not be slowed down")
    if not _let_a_finished_run_reach_the_browser_first():
        problems.append("a tab's live view may stop updating now and then under load "
                        "(a Streamlit race this app works around could not be worked around)")
    if _drop_closed_sessions_on_time() is False:
        problems.append("closed tabs' sessions may be kept past their 2 minutes: memory grows with every class")
    for problem in problems:
        log.warning("CNN classroom: %s.", problem)
    return problems


def _hand_the_interpreter_over_sooner(seconds: float = SWITCH_INTERVAL_SECONDS) -> None:
    """One Python thread runs at a time; a thread that wants to run asks the one running to let go,
    and it lets go after the switch interval (Python's default: 5 ms). The event loop that reads a
    learner's click and writes the answer back lets go at every socket write and asks again
    after it: with a class's Train pages drawing and a model training, it waited an interval for
    each of the dozens of messages of one answer. 1 ms (against 5 ms) kept a lab's answer quicker
    while a class trained (p90 0.71-0.84 s against 0.70-1.01 s); 0.2 ms removed the 2.3-3.5 s
    answers the moment 30 tabs press Train (README "Performance"). A thread that runs alone is
    never interrupted; training beside a server-like thread measured the same at 0.2 ms as at
    1 ms (medians 2.65 vs 2.73 s, 4 alternated epochs each)."""
    sys.setswitchinterval(seconds)


def version_problems(installed: str) -> list[str]:
    """What to tell the teacher about the installed Streamlit version (nothing when it is ours)."""
    if installed == WRITTEN_FOR:
        return []
    return [f"this app was written for Streamlit {WRITTEN_FOR} and Streamlit {installed} is installed: "
            f"if something looks wrong, `pip install streamlit=={WRITTEN_FOR}`"]


def _log_to_the_terminal() -> None:
    """The app's own log lines (a job started, skipped, finished; an unexpected error) in the
    terminal that runs `streamlit run`: where a teacher looks when something seems off."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("cnn_core", "cnn_classroom"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False


def _poll_config_files_slowly(seconds: float = 5.0) -> bool:
    """Streamlit 1.67 checks its config files for changes every 0.2 s, whatever
    `server.fileWatcherType` says (`web/bootstrap.py`, a polling watcher; a missing
    ~/.streamlit/config.toml is hashed again each time). Profiled with a class of 30 training,
    that polling was 12% of the server's Python samples, competing for the GIL with every page.
    A teacher who edits config.toml while the class runs waits 5 s instead."""
    try:
        from streamlit.watcher import polling_path_watcher
    except ImportError:
        return False
    if not hasattr(polling_path_watcher, "_POLLING_PERIOD_SECS"):
        return False
    polling_path_watcher._POLLING_PERIOD_SECS = seconds  # read by each poll, so running watchers slow down too
    return True


def _keep_keras_session() -> bool:
    """Streamlit calls `keras.backend.clear_session()` after every script run, fragment runs
    included (`script_runner._clean_problem_modules`, a private name). With models training in
    background threads that threw TensorFlow's kernel cache away once a second per open live
    chart: training in the server ran several times slower than in a notebook. Nothing here
    relies on that clean-up (every run builds its own model). The other half,
    `runner.postScriptGC = false`, is in .streamlit/config.toml."""
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return False
    if getattr(script_runner, "_clean_problem_modules", None) is None:
        return False
    script_runner._clean_problem_modules = lambda: None
    return True


def _let_a_finished_run_reach_the_browser_first() -> bool:
    """A live view polls from a timer in the browser, which the run that draws the whole page
    resets: the page run's first message clears every timer and one of its last sets the live
    view's again. In Streamlit 1.67 a poll that reaches the server just after a page run has ended
    starts a new ScriptRunner at once, and the events the finished run had left on the event loop
    (its timer message among them) come from a runner that is no longer the session's and are
    dropped (`AppSession._handle_scriptrunner_event_on_event_loop`). The tab keeps the old page run's
    cleared timers and no new one: its status line stops where it was, with no "running" sign, for
    good. With 30 Train pages sharing the event loop this happened to one tab in about 650 job
    transitions (`scripts/load_test.py`); tests/test_streamlit_compat.py provokes it every time.

    Here the new runner starts one turn of the event loop later, after the finished run's waiting
    events, which are then delivered: a poll waits a few milliseconds more, nothing is lost."""
    try:
        from streamlit.runtime.app_session import AppSession, AppSessionState
    except ImportError:
        return False
    create = getattr(AppSession, "_create_scriptrunner", None)
    if create is None or not hasattr(AppSession, "_call_soon_on_event_loop"):
        return False
    if getattr(create, "after_the_finished_runs_events", False):
        return True

    def create_after_the_finished_runs_events(self, initial_rerun_data) -> None:
        refused_by = self._scriptrunner  # not None only when a runner that has finished refused the rerun
        if refused_by is None:
            create(self, initial_rerun_data)
            return

        def create_now() -> None:
            if self._state == AppSessionState.SHUTDOWN_REQUESTED:
                return
            current = self._scriptrunner
            if current not in (None, refused_by) and current.request_rerun(initial_rerun_data):
                return  # another request started a runner meanwhile: this one joins it
            create(self, initial_rerun_data)

        self._call_soon_on_event_loop(create_now)

    create_after_the_finished_runs_events.after_the_finished_runs_events = True
    AppSession._create_scriptrunner = create_after_the_finished_runs_events
    return True


SESSION_SWEEP_SECONDS = 30.0


def _drop_closed_sessions_on_time(every_s: float = SESSION_SWEEP_SECONDS) -> bool | None:
    """Streamlit keeps a closed tab's session for 2 minutes in case it reconnects
    (`server.disconnectedSessionTTL`), in a TTL cache that removes an expired entry only on a
    write or a length query (`runtime/caching/ttl_cache.py`): after a class, the sessions of the
    last tabs to close (their runs, results and charts) stayed for good, 160-220 MB after 30
    learners. Every `every_s` seconds this asks for the length, under the session manager's own
    lock, and hands what that freed back to the system. None where there is no server (AppTest)."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return None
    try:
        manager = Runtime.instance()._session_mgr
        lock, cache = manager._storage_lock, manager._session_storage._cache
        cache.expire  # noqa: B018  (the method the length query relies on)
    except AttributeError:
        return False

    def sweep() -> None:
        while True:
            time.sleep(every_s)
            with lock:
                before = len(getattr(cache, "_data", ()))
                after = len(cache)  # removes the expired sessions
            if after < before:
                from cnn_core import memory

                gc.collect()  # a session's objects point at each other
                memory.release_freed()
                log.info("dropped %d closed tab(s)' sessions; resident memory now %.0f MB",
                         before - after, memory.rss_mb())

    threading.Thread(target=sweep, name="session-sweep", daemon=True).start()
    return True


def keys_of_widgets_holding_labels() -> list[str]:
    """The keys of this session's widgets whose state is the label of the chosen option.

    Streamlit 1.67 keeps a selectbox's, radio's or multiselect's choice as the text its
    `format_func` showed (their serdes map `formatted_option_to_option_index`), and the browser
    sends that text back on the next run. After a change of language the text is in the old
    language and matches none of the new labels, so the widget would lose its value (or hand the
    page the label itself). The language switch writes each of these values back in its callback,
    when they are still read with the old labels (ui.language)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    state = getattr(getattr(ctx, "session_state", None), "_state", None)
    try:
        metadata = state._new_widget_state.widget_metadata
        key_of = state._key_id_mapper.id_key_mapping
    except AttributeError:  # another Streamlit: nothing to keep (a switch may reset such choices)
        return []
    keys = []
    for widget_id, meta in list(metadata.items()):
        serde = getattr(meta.deserializer, "__self__", None)
        if hasattr(serde, "formatted_option_to_option_index") and widget_id in key_of:
            keys.append(key_of[widget_id])
    return keys
