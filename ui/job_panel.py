"""The one job panel every training page uses: Start/Stop, status and queue, live view, results hook.

    job = job_panel.panel("train_job", start=make_job, start_label="Train", live=draw, on_done=remember)

`start(label=..., owner_alive=...)` builds a cnn_core Job (or JobGroup) from the page's settings
when the learner presses Start; the panel hands it to the executor, disables Start while it is
active (a double click starts one run), redraws its status from a fragment without rerunning the
page, and calls `on_done(job)` once when it ends. How often the fragment polls depends on what
there is to see: every 5 s while queued (30 waiting learners cost the server little), 4 times a
second until the first loss point, then once a second.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import streamlit as st

from cnn_core import executors
from cnn_core.i18n import _
from cnn_core.jobs import Job, JobGroup, Presence
from cnn_core.messages import Message, msg
from ui import classroom, errors, turns

GRACE_SECONDS = 30  # a tab that reconnects within this keeps its job
KEEP_MODELS = 5  # older runs of a session keep their numbers and curves but drop their models
POLL_QUEUED, POLL_FIRST, POLL_RUNNING = 5.0, 0.25, 1.0
POLL_SOON_PLACES = 2  # queued this near the front: poll like a running job, so its start shows at once


def executor():
    """Where this server's jobs run (local threads, or the Ray cluster at $CNN_RAY_ADDRESS)."""
    return executors.default_executor()


def owner_alive():
    """A callable that says whether this browser session is still there (for the executor): here,
    away (disconnected, within the grace period) or gone."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return None  # bare mode and AppTest: no sessions to watch
    session_id, gone_since = ctx.session_id, [None]

    def alive() -> Presence:
        if Runtime.instance().is_active_session(session_id):
            gone_since[0] = None
            return Presence.HERE
        gone_since[0] = gone_since[0] or time.monotonic()
        return Presence.AWAY if time.monotonic() - gone_since[0] < GRACE_SECONDS else Presence.GONE

    return alive


def next_label() -> str:
    """'run 1', 'run 2', ... counted per browser session (a new tab starts at run 1). In English: a
    job's label is data (the server log names it); `label_text` shows it in the reader's language."""
    n = st.session_state.get("job_panel_runs", 0) + 1
    st.session_state["job_panel_runs"] = n
    return f"run {n}"


def label_text(label) -> str:
    """A job's label as the reader reads it: 'run 3' from `next_label` translated, any other as it is."""
    numbered = re.fullmatch(r"run (\d+)", str(label))
    return _("run {n}").format(n=int(numbered[1])) if numbered else str(label)


def remember(history_key: str, job: Job) -> None:
    """Add a finished job to the session's run history (once); old runs drop their models."""
    history = st.session_state.setdefault(history_key, [])
    if job in history:
        return
    history.append(job)
    for old in history[:-KEEP_MODELS]:
        old.free_model()


# ---------------------------------------------------------------- status in words

def duration(seconds: float) -> Message:
    if seconds < 90:
        return msg("units.seconds_about", n=max(5, int(round(seconds / 5.0)) * 5))
    return msg("units.minutes", n=int(round(seconds / 60)))


def status(job: Job, snap) -> Message:
    """One sentence: where the job stands."""
    if snap.state == "queued":
        ex = job.executor
        wait = ex.estimated_wait(job) if ex is not None else None
        slots = ex.max_running if ex is not None else 1
        if wait is None:
            return msg("panel.queued", position=snap.queue_position, slots=slots)
        return msg("panel.queued_wait", position=snap.queue_position, wait=duration(wait), slots=slots)
    source = snap.dataset_source
    if snap.state in ("running", "stopping") and snap.phase is not None and not snap.steps:
        return snap.phase
    if snap.state == "running" and snap.total_steps:
        left = msg("panel.left", left=duration(snap.seconds_left)) if snap.seconds_left is not None else ""
        return msg("panel.running", source=source, epoch=min(snap.epoch + 1, snap.epochs), epochs=snap.epochs,
                   step=snap.step, total=snap.total_steps, left=left)
    if snap.state == "running":
        return msg("panel.preparing")
    if snap.state == "stopping":
        return msg("panel.stopping")
    if snap.state == "stopped" and job.never_started:
        return msg("panel.stopped_queued")
    if snap.state == "stopped":
        return msg("panel.stopped", batches=msg("units.batches", n=snap.step), source=source)
    return msg("panel.finished", epochs=msg("units.epochs", n=snap.epoch), batches=msg("units.batches", n=snap.step),
               seconds=snap.seconds, source=source)


def _draw_status(job: Job, snap) -> None:
    if snap.state == "failed":
        errors.show(snap.error or msg("train.failed"))
        return
    st.markdown(str(status(job, snap)))
    if snap.state in ("running", "stopping") and snap.phase is not None and not snap.steps and snap.phase_total:
        left = snap.phase_seconds_left
        text = msg("panel.phase_progress", done=snap.phase_done, total=snap.phase_total,
                   left=msg("panel.left", left=duration(left)) if left is not None else "")
        st.progress(snap.phase_fraction, text=str(text))
    elif snap.state in ("running", "stopping"):
        st.progress(snap.fraction)


def _draw_group_status(group: JobGroup) -> None:
    snaps = [(job, job.snapshot()) for job in group.jobs.values()]
    done = sum(not job.active for job, _ in snaps)
    st.progress(done / len(snaps), text=str(msg("panel.group_done", done=done, runs=msg("units.runs", n=len(snaps)))))
    for job, snap in snaps:
        if snap.state == "failed":
            st.error(f"{label_text(job.label)}: {snap.error or msg('train.failed')}")
    current = next(((j, s) for j, s in snaps if s.state in ("running", "stopping")), None) or \
        next(((j, s) for j, s in snaps if s.state == "queued"), None)
    if current is not None:
        st.markdown(f"**{label_text(current[0].label)}**: {status(*current)}")


# ---------------------------------------------------------------- the panel

def _members(job) -> list[Job]:
    return list(job.jobs.values()) if isinstance(job, JobGroup) else [job]


def cadence(job) -> float | None:
    """Seconds between polls for what `job` is doing now; None when nothing is going on."""
    if job is None or not job.active:
        return None
    members = [j for j in _members(job) if j.active]
    if all(j.state == "queued" for j in members):
        soon = any(0 < executor().position(j) <= POLL_SOON_PLACES for j in members)
        return POLL_RUNNING if soon else POLL_QUEUED
    if any(j.state != "queued" and not j.metrics.trained_batches and not j.snapshot().steps for j in members):
        return POLL_FIRST
    return POLL_RUNNING


def panel(key: str, start: Callable[..., Job | JobGroup], *, start_label: str, idle: str | Callable = "",
          disabled_reason: str = "", live: Callable | None = None, on_done: Callable | None = None):
    """Start/Stop buttons, then the live status (a fragment). Returns the session's job under `key`.
    `idle` is what stands there before the first run: a sentence, or a function that draws it.
    `start_label`, `idle` and `disabled_reason` come translated (the page's `_()`)."""
    job = st.session_state.get(key)
    active = job is not None and job.active
    failed_to_start = None
    # The click's own run starts the job before the buttons are drawn, so this one run already shows
    # Start disabled and the live view polling (no second run of the page: 30 clicks at once cost 30
    # page runs, not 60). A button's click is in session state before its widget is drawn.
    if st.session_state.get(f"{key}_start") and not active and not disabled_reason:
        try:
            job = start(label=next_label(), owner_alive=owner_alive())
        except Exception as exc:  # noqa: BLE001  (a UserError is a sentence; anything else is logged)
            failed_to_start = exc
        else:
            job = st.session_state[key] = job.start(executor())
            active = True
    b1, b2, b3 = st.columns([1, 1, 4], vertical_alignment="center")
    b1.button(start_label, key=f"{key}_start", type="primary", disabled=active or bool(disabled_reason))
    if failed_to_start is not None:
        errors.show(failed_to_start)
    if b2.button(_("Stop"), key=f"{key}_stop", disabled=not active):
        job.stop()
    if disabled_reason:
        b3.caption(disabled_reason)
    st.session_state[f"{key}_cadence"] = cadence(job)

    @st.fragment(run_every=st.session_state[f"{key}_cadence"])
    def live_view():
        with turns.turn():  # a poll runs without its page's run: it takes its own turn (ui.turns)
            _live_view()

    def _live_view():
        job = st.session_state.get(key)
        if job is None:
            if callable(idle):
                idle()
            elif idle:
                st.info(idle)
            return
        if isinstance(job, JobGroup):
            _draw_group_status(job)
        else:
            _draw_status(job, job.snapshot())
        if live is not None:
            live(job)
        classroom.note_activity(job)  # the teacher's "training now" (nothing without a class)
        if not job.active and st.session_state.get(f"{key}_done") is not job:
            st.session_state[f"{key}_done"] = job
            if on_done is not None:
                on_done(job)
            st.rerun()  # once: redraw the whole page with the results
        if cadence(job) != st.session_state.get(f"{key}_cadence"):
            st.rerun()  # queued -> running -> first points: poll at the new pace

    live_view()
    return st.session_state.get(key)
