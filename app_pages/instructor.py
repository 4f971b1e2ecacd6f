"""Instructor: create a class, give out its code, and watch what the class does, live."""

from __future__ import annotations

import hmac
import logging
import os
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from cnn_core import quiz
from cnn_core.i18n import N_, _, ngettext
from cnn_core.messages import UserError, msg
from ui import classroom

PASSWORD_ENV = "CNN_INSTRUCTOR_PASSWORD"
log = logging.getLogger("cnn_classroom")
# The tables' columns: the store's names (the CSV files keep them) -> what the teacher reads.
COLUMNS = {
    "learner": N_("learner"), "now": N_("now"), "id": N_("id"), "question": N_("question"), "topic": N_("topic"),
    "answered": N_("answered"), "right": N_("right"), "common_wrong": N_("most common wrong answer"),
    "accuracy": N_("accuracy"), "parameters": N_("parameters"), "seconds": N_("seconds"),
    "architecture": N_("architecture"), "preset": N_("preset"), "dataset": N_("dataset"), "seed": N_("seed"),
    "images": N_("images"), "max": N_("max pooling"), "average": N_("average pooling"),
}
DOING = {"training": N_("training on {page} for {span}"), "queued": N_("queued on {page} for {span}")}

st.title(_("Instructor"))


def headed(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its columns in the teacher's words."""
    return table.rename(columns=lambda c: _(COLUMNS[c]) if c in COLUMNS else c)


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
    typed = st.text_input(_("Passphrase"), type="password", key="instructor_password")
    if st.button(_("Open the instructor view"), key="instructor_enter"):
        if hmac.compare_digest(typed.encode(), password.encode()):  # the same time whatever was typed
            st.session_state["instructor_ok"] = True
            st.rerun()
        st.error(str(msg("class.wrong_passphrase")))
    return False


def new_class_ui() -> None:
    with st.form("instructor_new_class", clear_on_submit=True):
        name = st.text_input(_("A new class"), placeholder=_("e.g. 7B, Tuesday"), max_chars=80,
                             key="instructor_new_class_name")
        if st.form_submit_button(_("Create it")):
            try:
                st.session_state["instructor_class"] = classroom.store().create_class(name).code
            except UserError as err:
                st.error(str(err))


def join_text(code: str) -> None:
    base = (st.context.url or "").split("?")[0].rsplit("/", 1)[0]
    st.markdown(_("Learners join with the code **{code}** in the sidebar's *Join a class*, or with this link:").format(
        code=code))
    st.code(f"{base}/?class={code}", language=None)


def roster_table(names: list[str], activity: list[dict]) -> pd.DataFrame:
    """Every learner, with what they are doing now ("training on Train for 2 min", "queued on ..."),
    in the teacher's words (the store records the page's key)."""
    now = datetime.now(UTC)
    sentences = {what: _(sentence) for what, sentence in DOING.items()}
    doing = {a["learner"]: sentences[a["doing"]].format(page=classroom.page_title(a["page"]),
                                                         span=_minutes(now - a["since"]))
             for a in activity if a["doing"] in DOING}
    return pd.DataFrame({"learner": names, "now": [doing.get(name, "") for name in names]})


def _minutes(span) -> str:
    minutes = int(span.total_seconds() // 60)
    return _("under a minute") if minutes < 1 else _("{n} min").format(n=minutes)


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
    c1.metric(_("Learners"), counts["learners"])
    c2.metric(_("Quiz answers"), counts["answers"])
    c3.metric(_("Training runs"), counts["runs"])
    st.markdown(_("**Who has joined, and who is training or queued now**"))
    st.dataframe(headed(roster_table(store.roster(code), store.activity(code))), hide_index=True)  # names as text
    st.markdown(_("**Quiz questions, hardest first**"))
    stats = store.question_stats(code)
    if stats:
        hardest = stats[0]
        st.markdown(_("Hardest so far: `{question}`, {share:.0%} right of {answered} answered.").format(
            question=hardest.question_id, share=hardest.right_share, answered=hardest.answered))
        st.dataframe(headed(pd.DataFrame([question_row(s) for s in stats])), hide_index=True)
    else:
        st.caption(_("No answers yet."))
    mastery = store.mastery(code)
    if any(mastery.values()):
        st.markdown(_("**Each learner's share right, per topic** (empty: not answered yet)"))
        grid = pd.DataFrame.from_dict(mastery, orient="index")
        grid = grid.rename(columns=lambda t: _(quiz.TOPICS[t]) if t in quiz.TOPICS else t)
        st.dataframe(grid, column_config={c: st.column_config.NumberColumn(format="percent") for c in grid.columns})
    st.markdown(_("**Best training run per learner**"))
    dataset = st.radio(_("Dataset"), ["mnist", "cifar10"], horizontal=True, key="instructor_board_dataset",
                       format_func={"mnist": "MNIST", "cifar10": "CIFAR-10"}.get)
    board = store.leaderboard(code, dataset)
    if board:
        table = pd.DataFrame(board)
        table["preset"] = table["preset"].map(lambda name: _(name) if isinstance(name, str) else name)  # a preset's name is marked
        st.dataframe(headed(table), hide_index=True)
    else:
        st.caption(_("No runs on this dataset yet."))
    pooled = store.pooling_results(code)
    if pooled:
        table = pd.DataFrame(pooled)
        seeds = ngettext("{n} seed", "{n} seeds", len(table)).format(n=len(table))
        st.markdown(_("**Max vs average pooling, the whole class, {seeds}**: test accuracy, mean {max:.1%} (max) vs "
                      "{average:.1%} (average); max was better in {better} of {runs}.").format(
            seeds=seeds, max=table["max"].mean(), average=table["average"].mean(),
            better=int((table["max"] > table["average"]).sum()), runs=len(table)))
        if "images" in table:
            table["images"] = table["images"].map(lambda n: _("all") if n == "all" else n)
        st.dataframe(headed(table), hide_index=True)
    # The files are made when clicked, from the record as it is then: not every 5 s with the redraw.
    # Their columns and values are the record's own, the same in every language (question ids, keys).
    c1, c2 = st.columns(2)
    c1.download_button(_("Answers (CSV)"), lambda: pd.DataFrame(store.answers(code)).to_csv(index=False),
                       file_name=f"class_{code}_answers.csv", mime="text/csv", key="instructor_csv_answers")
    c2.download_button(_("Runs (CSV)"), lambda: pd.DataFrame(store.runs(code)).to_csv(index=False),
                       file_name=f"class_{code}_runs.csv", mime="text/csv", key="instructor_csv_runs")


def question_row(stat) -> dict:
    """One row of the question table, in the teacher's words: the question asked in the teacher's
    language (the bank's, by id), and the commonest wrong answer in its words too."""
    question = quiz.bank_question(stat.question_id)
    wrong = stat.common_wrong or ""
    return {"id": stat.question_id,
            "question": question.prompt if question else _("(a generated question: its numbers are in its id)"),
            "topic": _(quiz.TOPICS[stat.topic]) if stat.topic in quiz.TOPICS else "",
            "answered": stat.answered, "right": f"{stat.right_share:.0%}",
            "common_wrong": quiz.answer_words(question, wrong) if question and wrong else wrong}


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
        code = st.selectbox(_("Class"), list(names), key="instructor_class", format_func=lambda c: f"{names[c]} ({c})")
        join_text(code)
        dashboard(code)
    else:
        st.caption(_("No class yet: create one above."))
