"""A page whose live view polls and now and then reruns the whole page (job_panel does this when
a job starts or finishes), on a server made to be as late as a class of 30 makes it, every time:

- a page run's messages reach the browser 0.5 s late (the flush loop busy with other tabs), so
  the browser's old poll timer is still firing while the page runs;
- a poll request that arrives while the page runs is handled only once the run has ended (the
  event loop busy with other tabs' messages meanwhile).

With CNN_TEST_ADJUSTMENTS=on the app installs ui.streamlit_compat as app.py does.
tests/test_live_view_timers.py reads "polls: N" and "late polls: N" off the page.
"""

import asyncio
import os
import sys
import time
from pathlib import Path

import streamlit as st
from streamlit.runtime import Runtime, app_session

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
if os.environ.get("CNN_TEST_ADJUSTMENTS") == "on":
    from ui import streamlit_compat

    streamlit_compat.install()

FLUSH_LATE_S = 0.5
Session = app_session.AppSession


def _make_the_server_late() -> None:
    """Once per process: the two delays of the docstring, on Streamlit's own AppSession."""
    handle_request, flush = Session._handle_rerun_script_request, Session.flush_browser_queue
    Session.late_polls = 0

    def handle_request_after_the_run(self, client_state=None):
        runner = self._scriptrunner
        if client_state is not None and client_state.fragment_id and runner is not None:
            deadline = time.monotonic() + 3
            while runner._requests._state.name != "STOP" and time.monotonic() < deadline:
                time.sleep(0.01)
            Session.late_polls += 1
        handle_request(self, client_state)

    def flush_a_page_run_late(self):
        starts_a_page_run = any(m.WhichOneof("type") == "new_session" and not m.metadata.run.fragment_ids
                                for m in self._browser_queue._queue)
        if starts_a_page_run:
            self.held_since = getattr(self, "held_since", None) or time.monotonic()
            if time.monotonic() - self.held_since < FLUSH_LATE_S:
                asyncio.get_running_loop().call_later(0.05, Runtime.instance()._enqueued_some_message)
                return []
        self.held_since = None
        return flush(self)

    Session._handle_rerun_script_request = handle_request_after_the_run
    Session.flush_browser_queue = flush_a_page_run_late
    Session.made_late = True


if not getattr(Session, "made_late", False):
    _make_the_server_late()

st.session_state.setdefault("polls", 0)
time.sleep(0.4)  # a page run that takes a while, as a Train page's does under load


@st.fragment(run_every=0.25)
def live_view():
    st.session_state.polls += 1
    st.write(f"polls: {st.session_state.polls}")
    st.write(f"late polls: {Session.late_polls}")
    if st.session_state.polls % 4 == 0:
        st.rerun()  # as job_panel does at queued -> running -> finished


live_view()
