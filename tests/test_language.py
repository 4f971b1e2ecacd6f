"""The language switch: a link's language, a bad one, and a switch that keeps the session's work."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from cnn_core import i18n, quiz

ROOT = Path(__file__).resolve().parent.parent
ko, ja = i18n.translation("ko").gettext, i18n.translation("ja").gettext


def _app(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def test_a_link_opens_in_its_language_and_keeps_it_on_every_page():
    at = _app(lang="ko")
    assert at.session_state["lang"] == "ko"
    assert at.title[0].value == ko("Learn CNNs by doing")
    at.switch_page("app_pages/pooling.py").run()  # Streamlit clears a page's parameters on a switch
    assert at.query_params["lang"] == "ko" and at.title[0].value == ko("Pooling lab")


def test_a_link_with_a_language_we_do_not_have_says_so_and_the_app_works():
    at = _app(lang="fr")
    assert not at.exception and at.session_state["lang"] == "en"
    assert any("lang=fr" in w.value for w in at.warning)
    at = _app(lang="<script>alert(1)</script>")
    assert not at.exception and any("lang=" in w.value for w in at.warning)


def test_switching_keeps_the_builders_stack_and_settings_and_the_quizs_answers():
    at = _app()
    at.switch_page("app_pages/build.py").run()
    at.selectbox(key="build_dataset").set_value("cifar10").run()
    first_filters = next(n.key for n in at.number_input if n.key and n.key.endswith("_filters"))
    at.number_input(key=first_filters).set_value(12).run()
    total = next(m.value for m in at.metric if m.label == "Total parameters")
    at.session_state["lang"] = "ja"  # what the sidebar's switch does
    at.run()
    assert at.title[0].value == ja("Build a CNN")
    assert at.selectbox(key="build_dataset").value == "cifar10" and at.number_input(key=first_filters).value == 12
    assert next(m.value for m in at.metric if m.label == ja("Total parameters")) == total
    at.session_state["lang"] = "ko"
    at.switch_page("app_pages/quiz.py").run()
    at.session_state["quiz_code"] = "70-4"  # its first question has one right choice
    at.run()
    q = quiz.make_quiz(quiz.parse_code("70-4"))[0]
    key = f"quiz_70-4_{q.id}"
    at.session_state[key] = q.keys[q.answer]
    at.button(key=f"{key}_check").click().run()
    assert next(m.value for m in at.metric if m.label == ko("Score")) == "1 / 1"
    at.session_state["lang"] = "en"
    at.run()
    assert at.query_params["lang"] == "en" and at.radio(key=key).value == q.keys[q.answer]
    assert next(m.value for m in at.metric if m.label == "Score") == "1 / 1"
