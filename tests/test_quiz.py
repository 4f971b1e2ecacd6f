"""The quiz: bank validation, grading of each kind, generated answers against Keras, the page."""

import csv
import io
import random
from pathlib import Path

import keras
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core import models, quiz

ROOT = Path(__file__).resolve().parents[1]


def test_bank_loads_and_covers_every_topic():
    bank = quiz.load_bank()
    assert len(bank) >= 40
    assert {q.topic for q in bank} >= set(quiz.TOPICS)
    for q in bank:
        assert q.explanation and q.page in quiz.PAGES
        assert quiz.grade(q, _right(q)).correct  # the stored answer grades as right


def test_bank_rejects_a_question_whose_answer_is_not_a_choice(tmp_path):
    bad = tmp_path / "bank.yaml"
    bad.write_text("- {id: x, topic: stride, kind: single, prompt: p, choices: [a, b], answer: 2, "
                   "explanation: e, page: build}\n")
    with pytest.raises(ValueError, match="index of one of its choices"):
        quiz.load_bank(bad)


def _right(q):
    if q.kind == "single":
        return q.choices[q.answer]
    if q.kind == "multiple":
        return [q.choices[i] for i in q.answer]
    if q.kind == "shape":
        return ", ".join(map(str, q.answer))
    return str(q.answer)


def _q(kind, answer, choices=(), tol=0.0):
    return quiz.Question("t", "stride", kind, "p", answer, "e", "build", tuple(choices), tol)


def test_grading_each_kind():
    single = _q("single", 1, ["a", "b", "c"])
    assert quiz.grade(single, "b").correct and not quiz.grade(single, "a").correct
    multi = _q("multiple", (0, 2), ["a", "b", "c"])
    assert quiz.grade(multi, ["c", "a"]).correct
    assert not quiz.grade(multi, ["a"]).correct and not quiz.grade(multi, ["a", "b", "c"]).correct
    num = _q("numeric", 896)
    assert quiz.grade(num, " 896 ").correct and quiz.grade(num, "896.0").correct and quiz.grade(num, "896").correct
    assert not quiz.grade(num, "895").correct
    assert quiz.grade(_q("numeric", 0.5, tol=0.01), "0.505").correct
    assert quiz.grade(_q("numeric", 16959488), "16,959,488").correct
    shape = _q("shape", (26, 26, 32))
    for text in ("26, 26, 32", "(26,26,32)", "26x26x32", "[26 26 32]"):
        assert quiz.grade(shape, text).correct
    assert not quiz.grade(shape, "26, 26").correct


@pytest.mark.parametrize("q,given,words", [
    (_q("numeric", 3), "three", "not a number"),
    (_q("numeric", 3), "", "Type a number"),
    (_q("shape", (1, 2)), "", "Type a shape"),
    (_q("shape", (1, 2)), "1, two", "not a shape"),
    (_q("single", 0, ["a", "b"]), None, "Choose an answer"),
    (_q("multiple", (0,), ["a", "b"]), [], "at least one"),
])
def test_unreadable_answers_are_not_graded(q, given, words):
    with pytest.raises(ValueError, match=words):
        quiz.grade(q, given)


def _generated(n):
    rng = random.Random(7)
    gens = list(quiz.GENERATORS.values())
    return [gens[i % len(gens)](rng) for i in range(n)]


@pytest.mark.parametrize("q", _generated(300), ids=lambda q: q.id)
def test_generated_answers_match_keras(q):
    k = q.keras
    if "spec" in k:  # frozen layers: trainable parameters from a real Keras model
        model = models.build_cnn(k["spec"], tuple(k["input"]), 10)
        weighted = [layer for layer in model.layers if layer.count_params()]
        spec_index = {1: 0, 3: 1, 6: 2}  # conv, conv, dense among the layers with weights
        for i in k["frozen"]:
            weighted[spec_index[i]].trainable = False
        trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
        assert trainable == q.answer
        return
    layer = getattr(keras.layers, k["layer"])(*k["args"], **k["kwargs"])
    shape = (None, *k["input"])
    if q.kind == "shape":
        assert tuple(layer.compute_output_shape(shape)[1:]) == q.answer
    else:
        layer.build(shape)
        assert layer.count_params() == q.answer


def test_quiz_codes_give_everyone_the_same_questions():
    code = quiz.parse_code("4242-all")
    a, b = quiz.make_quiz(code), quiz.make_quiz(quiz.parse_code(str(code)))
    assert [q.id for q in a] == [q.id for q in b] and [q.choices for q in a] == [q.choices for q in b]
    only = quiz.parse_code(str(quiz.QuizCode(1, ("pooling", "stride"))))
    assert set(only.topics) == {"pooling", "stride"}
    assert {q.topic for q in quiz.make_quiz(only)} <= {"pooling", "stride"}
    with pytest.raises(ValueError, match="quiz code"):
        quiz.parse_code("hello")


def _page():
    at = AppTest.from_file(str(ROOT / "app_pages" / "quiz.py"), default_timeout=30)
    at.session_state["quiz_code"] = "77-4"  # padding questions only (topic bit 2)
    at.run()
    assert not at.exception
    return at


def _question(at, n=0):
    return quiz.make_quiz(quiz.parse_code("77-4"))[n]


def _answer(at, q, value):
    key = f"quiz_77-4_{q.id}"
    widget = {"single": at.radio, "multiple": at.multiselect}.get(q.kind, at.text_input)(key=key)
    widget.set_value(value)
    at.button(key=f"{key}_check").click().run()
    assert not at.exception


def _wrong(q):
    if q.kind == "single":
        return next(c for i, c in enumerate(q.choices) if i != q.answer)
    if q.kind == "multiple":
        return [q.choices[i] for i in range(len(q.choices)) if i not in q.answer][:1]
    if q.kind == "shape":
        return "1, 1, 1"
    return str(q.answer + 1)


def test_page_feedback_score_retry_and_csv():
    at = _page()
    q0, q1 = _question(at, 0), _question(at, 1)
    _answer(at, q0, _right(q0))
    _answer(at, q1, _wrong(q1))
    assert any(s.value.startswith("Right") for s in at.success)
    assert any("Not quite" in e.value for e in at.error)
    assert any(q1.explanation in m.value for m in at.markdown)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Score"] == "1 / 2"
    rows = list(csv.DictReader(io.StringIO(quiz.results_csv(list(at.session_state["quiz_answers"].values())))))
    assert len(rows) == 2 and {r["correct"] for r in rows} == {"True", "False"}
    assert set(rows[0]) >= {"question", "answer_given", "correct", "time"}
    at.button(key="quiz_retry").click().run()
    assert {m.label: m.value for m in at.metric}["Score"] == "1 / 1"  # the missed one is open again


def test_page_unreadable_answer_is_not_counted():
    at = _page()
    q = next(q for q in quiz.make_quiz(quiz.parse_code("77-4")) if q.kind in ("numeric", "shape"))
    key = f"quiz_77-4_{q.id}"
    at.text_input(key=key).set_value("")
    at.button(key=f"{key}_check").click().run()
    assert at.warning and not at.session_state["quiz_answers"]


@pytest.mark.parametrize("lang", ["ja", "ko"])
def test_every_language_gets_the_same_quiz_and_records_the_same_answers(lang):
    english = quiz.load_bank("en")
    translated = quiz.load_bank(lang)  # same ids, order, kinds, answers; only the words differ
    assert [(q.id, q.kind, q.answer, q.topic, q.page, len(q.choices)) for q in translated] == [
        (q.id, q.kind, q.answer, q.topic, q.page, len(q.choices)) for q in english]
    assert [q.prompt for q in translated] != [q.prompt for q in english]
    code = quiz.parse_code("4242-all")
    en, there = quiz.make_quiz(code, language="en"), quiz.make_quiz(code, language=lang)
    assert [(q.id, q.answer, q.keys) for q in there] == [(q.id, q.answer, q.keys) for q in en]
    for a, b in zip(en, there, strict=True):
        if a.kind in ("single", "multiple"):
            given = a.keys[0] if a.kind == "single" else list(a.keys[:2])
            assert quiz.grade(b, given).recorded == quiz.grade(a, given).recorded  # the class records English words
            assert quiz.answer_words(b, quiz.grade(a, given).recorded) == quiz.grade(b, given).given
    assert quiz.bank_question(english[0].id, lang).prompt == translated[0].prompt  # the dashboard's words, by id
    assert quiz.bank_question(next(q.id for q in en if q.generated), lang) is None
