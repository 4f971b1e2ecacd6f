"""A learner in a class: the sidebar's join box, and what a joined learner's pages record.

    classroom.sidebar()                      # app.py: join with a code and a name (?class=CODE fills the code)
    classroom.showing(page)                  # app.py: which page runs (its key: the dashboard's "training on Train")
    classroom.record_answer(record)          # the quiz, for each checked answer
    classroom.note_activity(job)             # the job panel: training or queued now, for the dashboard
    classroom.record_training_run(job, ...)  # the Train page, once per finished or stopped run
    classroom.record_transfer_run(job, row)  # the Transfer page; record_pooling_experiment: the experiment

Self-study (no class joined) records nothing. The store (cnn_core.class_store) is opened once per
process, on first use: pages of a learner who never joins do not even import SQLAlchemy.
What is recorded is the same in every language (question ids, choices by their English words,
page keys); the teacher's dashboard puts it into the teacher's words.
"""

from __future__ import annotations

import logging
import time

import streamlit as st

from cnn_core import i18n
from cnn_core.i18n import _
from cnn_core.messages import UserError, msg
from ui import nav

log = logging.getLogger(__name__)
JOINED = "class_joined"  # session state: {"code", "name", "learner", "class_name"} once joined
ACTIVITY = "class_activity"  # session state: (what the dashboard was last told, when)
PAGE = "page_key"  # session state: the page being shown, by its key in ui.nav.PAGES (app.py)
HEARTBEAT_SECONDS = 30.0  # well inside class_store.FRESH_SECONDS


@st.cache_resource(show_spinner=False)
def store():
    from cnn_core import class_store

    return class_store.open_store()


def joined() -> dict | None:
    return st.session_state.get(JOINED)


def showing(page) -> None:
    """app.py, before the page runs: remember which page it is, by its key in ui.nav.PAGES (the
    same in every language, unlike its title)."""
    st.session_state[PAGE] = nav.key_of(page)


def page_title(key: str) -> str:
    """A recorded page in the reader's words: by its key; an older record holds the English title itself."""
    return _(nav.PAGES[key][1]) if key in nav.PAGES else key


def sidebar() -> None:
    """Join a class (code + display name) or show the one joined, with a way to leave."""
    member = joined()
    label = _("Your class") if member else _("Join a class")
    with st.expander(label, expanded=bool(st.query_params.get("class")) and not member):
        if member:
            st.caption(_("In **{class_name}** ({code}) as").format(class_name=member["class_name"], code=member["code"]))
            st.text(member["name"])  # a learner's own words: shown as text, never as markup
            st.button(_("Leave the class"), key="class_leave", on_click=_leave)
            return
        linked = st.query_params.get("class", "")
        if linked:
            _check_linked_code(linked)
        st.text_input(_("Class code"), key="class_code", value=linked[:9], max_chars=9,
                      placeholder=_("e.g. K7QM2P"))
        st.text_input(_("Your name, as the teacher will see it"), key="class_name_input", max_chars=40)
        if st.button(_("Join"), key="class_join"):
            _join(st.session_state.get("class_code", ""), st.session_state.get("class_name_input", ""))
        st.caption(_("Without a class nothing you do here is recorded."))


def _check_linked_code(code: str) -> None:
    """A join link whose code cannot be one (cut off, edited) gets a sentence before anyone types."""
    from cnn_core import class_store

    try:
        class_store.normal_code(code)
    except UserError as err:
        st.warning(str(msg("class.link_code", reason=err.message)))


def _join(code: str, name: str) -> None:
    from cnn_core import class_store

    try:
        klass = store().find_class(code)
        learner = store().join(klass.code, name)
        shown = class_store.clean_name(name, class_store.NAME_MAX, "class.bad_display_name")
    except UserError as err:
        st.error(str(err))
        return
    except Exception:  # the database is down or unreadable: say so, keep the page working
        log.exception("joining a class failed")
        st.error(str(msg("class.unreachable")))
        return
    st.session_state[JOINED] = {"code": klass.code, "class_name": klass.name, "learner": learner, "name": shown}
    st.rerun()


def _leave() -> None:
    st.session_state.pop(JOINED, None)


def note_activity(job) -> None:
    """The job panel, at each redraw: tell the teacher's dashboard this learner is training or
    queued (a write when that changes, and every HEARTBEAT_SECONDS while it lasts)."""
    member = joined()
    if not member:
        return
    doing = None if not job.active else "queued" if _all_queued(job) else "training"
    last = st.session_state.get(ACTIVITY)
    now = time.monotonic()
    if last is not None and last[0] == doing and (doing is None or now - last[1] < HEARTBEAT_SECONDS):
        return
    st.session_state[ACTIVITY] = (doing, now)
    _safely(store().note_activity, member["learner"], doing, st.session_state.get(PAGE, ""))


def _all_queued(job) -> bool:
    members = job.jobs.values() if hasattr(job, "jobs") else [job]
    return all(j.state == "queued" for j in members if j.active)


def record_answer(record: dict) -> None:
    """A checked quiz answer, for the teacher (question id, answer, right or not, seconds), in words
    that are the same in every language (quiz.Grade.recorded)."""
    member = joined()
    if member:
        answer = record.get("recorded", record["answer_given"])
        _safely(store().record_answer, member["learner"], record["question_id"], str(answer),
                correct=bool(record["correct"]), seconds=record.get("seconds"), topic=record.get("topic"))


def record_training_run(job, architecture: str, preset: str | None) -> None:
    """A finished or stopped Train run (the page's on_done: once per run)."""
    member = joined()  # the job panel calls its pages' on_done once per run: no guard needed here
    if not member or job.result is None:
        return
    cfg = job.request.config
    snap = job.snapshot()
    _safely(store().record_run, member["learner"], kind="train", state=job.state, dataset=cfg.dataset,
            source=job.outcome.images.kind or cfg.source, architecture=architecture, accuracy=float(job.result["accuracy"]),
            seconds=round(job.metrics.fit_seconds or 0.0, 1), parameters=job.model.count_params() if job.model else None,
            epochs=cfg.epochs if job.state == "finished" else snap.epoch, preset=preset)


def record_transfer_run(job, row: dict) -> None:
    """A finished or stopped transfer run, with the row the page's runs table shows."""
    from cnn_core import transfer

    member = joined()
    if not member or job.result is None:
        return
    request = job.request
    stages = transfer.BACKBONE_STAGES[request.backbone]
    # In English, like every recorded word: the dashboard is read in the teacher's language, not the learner's.
    configuration = transfer.describe_flags(dict(request.flags), request.scratch, stages).render(i18n.DEFAULT)
    _safely(store().record_run, member["learner"], kind="transfer", state=job.state, dataset=request.target,
            source=request.source, architecture=f"{request.backbone}: {configuration}",
            accuracy=float(job.result["accuracy"]), seconds=round(job.metrics.fit_seconds or 0.0, 1),
            parameters=int(row["trainable parameters"]), epochs=int(row["epochs"]),
            details={"trainable": {stage: bool(on) for stage, on in request.flags}, "scratch": request.scratch,
                     "ms_per_step": row["ms per step"], "batch_norm": row["batch norm"]})


def record_pooling_experiment(exp, architecture: str) -> None:
    """A finished max-vs-average experiment: one record per seed with both test accuracies, so the
    teacher can pool the class's seeds into one table."""
    member = joined()
    if not member:
        return
    cfg = exp.config
    for seed in exp.seeds:
        pair = {kind: exp.jobs[(kind, seed)] for kind in ("max", "avg")}
        if any(job.result is None for job in pair.values()):
            continue  # stopped before this seed's two runs were done
        _safely(store().record_run, member["learner"], kind="pooling", state="finished", dataset=cfg.dataset,
                source=cfg.source, architecture=architecture, accuracy=None,
                seconds=round(sum(job.metrics.fit_seconds or 0.0 for job in pair.values()), 1), epochs=cfg.epochs,
                details={"seed": seed, "images": cfg.max_train_images or "all",
                         "max": float(pair["max"].result["accuracy"]), "average": float(pair["avg"].result["accuracy"])})


def _safely(write, *args, **kwargs) -> None:
    """A record that cannot be written costs the learner nothing: logged, and a quiet note."""
    try:
        write(*args, **kwargs)
    except Exception:
        log.exception("recording for the class failed")
        st.toast(str(msg("class.not_recorded")))
