"""Quiz: instant feedback with explanations, progress per topic, retries, instructor codes, CSV."""

import random
import time
from datetime import datetime

import pandas as pd
import streamlit as st

from cnn_core import i18n, quiz
from cnn_core.i18n import _
from cnn_core.messages import UserError
from ui import classroom, nav, view_links

st.title(_("Quiz"))
st.caption(_("Answer, check, read why. Numbers in generated questions are fresh for every quiz code "
             "and their answers come from the same code the tests check against Keras."))

st.session_state.setdefault("quiz_code", str(quiz.QuizCode(random.randint(1000, 9999), tuple(quiz.TOPICS))))
st.session_state.setdefault("quiz_answers", {})  # question id -> answer record; survives page changes and languages
st.session_state.setdefault("quiz_started", time.time())


def set_code(code: str) -> None:
    if code == st.session_state.get("quiz_code"):
        return  # the same quiz again (a link opened twice): the answers stay
    st.session_state["quiz_code"] = code
    st.session_state["quiz_answers"] = {}
    st.session_state["quiz_started"] = time.time()


# A link restores the quiz (?quiz=1234-all): every learner who opens it gets the same questions.
LINK = [view_links.Setting("quiz", "quiz_code", lambda text: str(quiz.parse_code(text)), apply=set_code)]
view_links.restore(LINK)


def code_ui() -> None:
    with st.expander(_("Quiz code (instructor mode)")):
        st.caption(_("Everyone who enters the same code gets the same questions in the same order, in any language."))
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        typed = c1.text_input(_("Enter a code from your instructor"), key="quiz_code_input", placeholder="1234-all")
        if c2.button(_("Load"), key="quiz_load"):
            try:
                set_code(str(quiz.parse_code(typed)))
            except UserError as err:
                st.error(str(err))
        st.divider()
        topics = st.multiselect(_("Topics"), list(quiz.TOPICS), default=list(quiz.TOPICS),
                                format_func=i18n.labels_in_this_language(quiz.TOPICS), key="quiz_topics",
                                placeholder=_("Choose topics"))  # Streamlit's own words are English
        seed = st.number_input(_("Seed"), 0, 999_999_999, 1234, key="quiz_seed")
        if topics:
            made = str(quiz.QuizCode(int(seed), tuple(topics)))
            st.markdown(_("Code for your class: `{code}`").format(code=made))
            st.button(_("Use this code myself"), key="quiz_use_made", on_click=set_code, args=(made,))
        else:
            st.warning(_("Choose at least one topic."))


def answer_widget(q: quiz.Question, key: str, locked: bool):
    """The answer's widget. A choice's value is its key (its English words), shown in the reader's
    words: an answer being chosen stays chosen when the language changes."""
    words = dict(zip(q.keys, q.choices, strict=True))
    if q.kind == "single":
        return st.radio(_("Your answer"), q.keys, index=None, format_func=words.get, key=key, disabled=locked)
    if q.kind == "multiple":
        return st.multiselect(_("Your answers (all that apply)"), q.keys, format_func=words.get, key=key,
                              disabled=locked, placeholder=_("Choose one or more"))
    hint = _("a number, e.g. 896") if q.kind == "numeric" else _("a shape, e.g. 26, 26, 32")
    return st.text_input(_("Your answer"), key=key, placeholder=hint, disabled=locked)


def question_ui(n: int, q: quiz.Question) -> None:
    answers = st.session_state["quiz_answers"]
    record = answers.get(q.id)
    with st.container(border=True):
        st.markdown(f"**{n}. {q.prompt}**  \n*{_(quiz.TOPICS[q.topic])}*")
        key = f"quiz_{st.session_state['quiz_code']}_{q.id}"
        given = answer_widget(q, key, locked=record is not None)
        if record is None:
            if st.button(_("Check"), key=f"{key}_check"):
                try:
                    g = quiz.grade(q, given)
                except UserError as err:
                    st.warning(str(err))  # unreadable: not counted as an answer
                else:
                    # "question", "answer_given", "expected": the learner's own CSV, in their words;
                    # "recorded": the answer in words that are the same in every language (the class's record).
                    answers[q.id] = {"question_id": q.id, "topic": q.topic, "question": q.prompt,
                                     "answer_given": g.given, "recorded": g.recorded, "correct": g.correct,
                                     "expected": g.expected, "time": datetime.now().isoformat(timespec="seconds"),
                                     "seconds": round(time.time() - st.session_state["quiz_started"], 1)}
                    classroom.record_answer(answers[q.id])  # for the teacher, when in a class
                    st.rerun()
            return
        given = quiz.answer_words(q, record.get("recorded", record["answer_given"]))  # in today's language
        if record["correct"]:
            st.success(_("Right: {answer}").format(answer=given))
        else:
            st.error(_("Not quite. You said {given}; the answer is {expected}.").format(
                given=given, expected=quiz.expected(q)))
        st.markdown(q.explanation)
        st.caption(_("See it for yourself:"))
        nav.page_link(q.page)


def progress_ui(questions) -> None:
    answers = st.session_state["quiz_answers"]
    done = [answers[q.id] for q in questions if q.id in answers]
    right = sum(r["correct"] for r in done)
    c1, c2, c3 = st.columns(3)
    c1.metric(_("Score"), f"{right} / {len(done)}", help=_("right answers among those checked"))
    c2.metric(_("Answered"), _("{done} of {total}").format(done=len(done), total=len(questions)))
    c3.metric(_("Quiz code"), st.session_state["quiz_code"])
    if done:
        per_topic = pd.DataFrame(done).groupby("topic")["correct"].agg(["sum", "count"]).reset_index()
        per_topic["topic"] = per_topic["topic"].map(lambda t: _(quiz.TOPICS[t]))
        per_topic.columns = [_("topic"), _("right"), _("answered")]
        st.dataframe(per_topic, hide_index=True, key="quiz_topic_table")
        missed = [q.id for q in questions if q.id in answers and not answers[q.id]["correct"]]
        b1, b2 = st.columns(2)
        if b1.button(_("Retry the {n} I missed").format(n=len(missed)), key="quiz_retry", disabled=not missed):
            for qid in missed:
                del answers[qid]
            st.rerun()
        b2.download_button(_("Download results (CSV)"), quiz.results_csv(done), "quiz_results.csv", "text/csv",
                           key="quiz_csv")


code_ui()
view_links.keep(LINK)
questions = quiz.make_quiz(quiz.parse_code(st.session_state["quiz_code"]))
progress_ui(questions)
for n, q in enumerate(questions, start=1):
    question_ui(n, q)
