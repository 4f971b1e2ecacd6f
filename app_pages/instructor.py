"""Instructor: create a class, give out its code, and watch what the class does, live."""

from __future__ import annotations

import hmac
import logging
import os
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from cnn_core import quiz
from cnn_core.messages import UserError, msg
from ui import classroom

PASSWORD_ENV = "CNN_INSTRUCTOR_PASSWORD"
log = logging.getLogger("cnn_classroom")

st.title("Instructor")


def expected_password() -> str | None:
    """$CNN_INSTRUCTOR_PASSWORD, else `instructor_password` in Streamlit's secrets.toml, else None."""
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    try:
        return st.secrets.get("instructor_password") or None
    except Exception:  # no secrets file at all
        return None


def signed_in() -> bool:
    password = expected_password()
    if password is None:
        st.info(str(msg("class.no_passphrase", env=PASSWORD_ENV)))
        return False
    if st.session_state.get("instructor_ok"):
        return True
    typed = st.text_input("Passphrase", type="password", key="instructor_password")
    if st.button("Open the instructor view", key="instructor_enter"):
        if hmac.compare_digest(typed.encode(), password.encode()):  # the same time whatever was typed
            st.session_state["instructor_ok"] = True
            st.rerun()
        st.error(str(msg("class.wrong_passphrase")))
    return False


def new_class_ui() -> None:
    with st.form("instructor_new_class", clear_on_submit=True):
        name = st.text_input("A new class", placeholder="e.g. 7B, Tuesday", max_chars=80)
        if st.form_submit_button("Create it"):
            try:
                st.session_state["instructor_class"] = classroom.store().create_class(name).code
            except UserError as err:
                st.error(str(err))


def join_text(code: str) -> None:
    base = (st.context.url or "").split("?")[0].rsplit("/", 1)[0]
    st.markdown(f"Learners join with the code **{code}** in the sidebar's *Join a class*, or with this link:")
    st.code(f"{base}/?class={code}", language=None)


def roster_table(names: list[str], activity: list[dict]) -> pd.DataFrame:
    """Every learner, with what they are doing now ("training on Train for 2 min", "queued on ...")."""
    now = datetime.now(UTC)
    doing = {a["learner"]: f"{a['doing']} on {a['page']} for {_minutes(now - a['since'])}" for a in activity}
    return pd.DataFrame({"learner": names, "now": [doing.get(name, "") for name in names]})


def _minutes(span) -> str:
    minutes = int(span.total_seconds() // 60)
    return "under a minute" if minutes < 1 else "1 min" if minutes == 1 else f"{minutes} min"


@st.fragment(run_every=5)
def dashboard(code: str) -> None:
    """What the class has done so far, redrawn every 5 s without reloading the page. A database
    that stops answering mid-class costs one sentence; the next redraw tries again."""
    try:
        draw_dashboard(code)
    except Exception:
        log.exception("the class dashboard could not be drawn")
        st.error(str(msg("class.dashboard_unreachable")))


def draw_dashboard(code: str) -> None:
    store = classroom.store()
    counts = store.counts(code)
    c1, c2, c3 = st.columns(3)
    c1.metric("Learners", counts["learners"])
    c2.metric("Quiz answers", counts["answers"])
    c3.metric("Training runs", counts["runs"])
    st.markdown("**Who has joined, and who is training or queued now**")
    st.dataframe(roster_table(store.roster(code), store.activity(code)), hide_index=True)  # names as text
    st.markdown("**Quiz questions, hardest first**")
    stats = store.question_stats(code)
    if stats:
        hardest = stats[0]
        st.markdown(f"Hardest so far: `{hardest.question_id}`, {hardest.right_share:.0%} right of "
                    f"{hardest.answered} answered.")
        st.dataframe(pd.DataFrame([{"question": s.question_id, "topic": quiz.TOPICS.get(s.topic, ""),
                                    "answered": s.answered,
                                    "right": f"{s.right_share:.0%}", "most common wrong answer": s.common_wrong or ""}
                                   for s in stats]), hide_index=True)
    else:
        st.caption("No answers yet.")
    mastery = store.mastery(code)
    if any(mastery.values()):
        st.markdown("**Each learner's share right, per topic** (empty: not answered yet)")
        grid = pd.DataFrame.from_dict(mastery, orient="index").rename(columns=quiz.TOPICS)
        st.dataframe(grid, column_config={c: st.column_config.NumberColumn(format="percent") for c in grid.columns})
    st.markdown("**Best training run per learner**")
    dataset = st.radio("Dataset", ["mnist", "cifar10"], horizontal=True, key="instructor_board_dataset",
                       format_func={"mnist": "MNIST", "cifar10": "CIFAR-10"}.get)
    board = store.leaderboard(code, dataset)
    if board:
        st.dataframe(pd.DataFrame(board), hide_index=True)
    else:
        st.caption("No runs on this dataset yet.")
    pooled = store.pooling_results(code)
    if pooled:
        table = pd.DataFrame(pooled)
        seeds = "1 seed" if len(table) == 1 else f"{len(table)} seeds"
        st.markdown(f"**Max vs average pooling, the whole class, {seeds}**: test accuracy, mean "
                    f"{table['max'].mean():.1%} (max) vs {table['average'].mean():.1%} (average); max was better in "
                    f"{int((table['max'] > table['average']).sum())} of {len(table)}.")
        st.dataframe(table, hide_index=True)
    # The files are made when clicked, from the record as it is then: not every 5 s with the redraw.
    c1, c2 = st.columns(2)
    c1.download_button("Answers (CSV)", lambda: pd.DataFrame(store.answers(code)).to_csv(index=False),
                       file_name=f"class_{code}_answers.csv", mime="text/csv", key="instructor_csv_answers")
    c2.download_button("Runs (CSV)", lambda: pd.DataFrame(store.runs(code)).to_csv(index=False),
                       file_name=f"class_{code}_runs.csv", mime="text/csv", key="instructor_csv_runs")


if signed_in():
    try:
        new_class_ui()
        classes = classroom.store().classes()  # with the one just created
    except Exception:  # the database is down or unreadable: a sentence, and the rest of the app works
        log.exception("the class list could not be read")
        st.error(str(msg("class.dashboard_unreachable")))
        st.stop()
    if classes:
        names = {c.code: c.name for c in classes}
        if st.session_state.get("instructor_class") not in names:
            st.session_state["instructor_class"] = classes[0].code
        code = st.selectbox("Class", list(names), key="instructor_class", format_func=lambda c: f"{names[c]} ({c})")
        join_text(code)
        dashboard(code)
    else:
        st.caption("No class yet: create one above.")
