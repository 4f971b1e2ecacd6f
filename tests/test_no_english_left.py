"""Every page in Japanese and Korean, after what a class does on it, has no English left on screen.

Each page runs under AppTest with the session's language set, goes through the interactions of the
page tests (a training run, a stopped run, a quiz answer, a bad setting's sentence, an upload
missing), and every text the page sends to the browser is read: labels, help, captions, markdown,
table headers and cells, chart titles and axes. A text fails when it is the English source of a
translated string (with any parameters filled in), or when it holds a run of English prose (four
English words in a row outside code) that no string marks for translation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnn_core import class_store, i18n, quiz
from tests.test_i18n import TRANSLATED, _po

ROOT = Path(__file__).resolve().parent.parent
TINY = [{"type": "conv", "filters": 4, "kernel": 3}, {"type": "pool"}, {"type": "flatten"}]
SKIPPED_TYPES = {"code", "html", "json", "exception"}  # code stays code; CSS; raw data
CODE_SPAN = re.compile(r"`[^`]*`|https?://\S+|\S+\.(?:py|keras|toml|npz|csv|json)\b")
ENGLISH_PROSE = re.compile(r"\b(?:[A-Za-z][a-z']+\s+){3}[a-z][a-z']+\b")


# ---------------------------------------------------------------- what a page shows

def _strings_in_plotly(spec: str):
    def walk(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in ("type", "mode", "hovermode", "colorscale", "xaxis", "yaxis", "font", "family",
                               "template", "legendgroup", "uid", "anchor", "overlaying", "side", "fill"):
                    yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)
    data = json.loads(spec)
    data.get("layout", {}).pop("template", None)
    yield from walk(data)


NOT_SHOWN = {"id", "form_id", "page", "page_script_hash", "icon", "key", "url", "columns", "arrow_data"}


def _strings_in_proto(proto):
    for field, value in proto.ListFields():
        if field.name in NOT_SHOWN:
            continue
        for item in (value if field.is_repeated else [value]):
            if isinstance(item, str):
                yield from (_strings_in_plotly(item) if field.name == "spec" else [item])  # a Plotly figure: JSON
            elif hasattr(item, "ListFields"):
                yield from _strings_in_proto(item)


def _strings_in_table(table):
    """A table's headers as shown (a column's label in its configuration, else its name) and text cells."""
    frame = table.value
    config = json.loads(getattr(table.proto, "columns", "") or "{}")
    yield from (config.get(str(c), {}).get("label", str(c)) for c in frame.columns)
    for column in frame.columns:
        if frame[column].dtype == object:
            yield from (v for v in frame[column] if isinstance(v, str))


def texts_on_screen(at: AppTest) -> list[str]:
    found: list[str] = []

    def visit(node):
        kind = getattr(node, "type", "")
        if kind in SKIPPED_TYPES:
            return
        if kind in ("arrow_data_frame", "dataframe", "table"):
            found.extend(_strings_in_table(node))
        elif getattr(node, "proto", None) is not None:
            found.extend(s for s in _strings_in_proto(node.proto) if kind != "arrow_data_frame")
        for child in getattr(node, "children", {}).values():
            visit(child)
    visit(at._tree)
    return [t.strip() for t in found if t and t.strip()]


# ---------------------------------------------------------------- what counts as English

def _source_patterns(lang: str) -> list[tuple[str, re.Pattern]]:
    """A pattern per English source string that has a translation: its parameters match anything."""
    patterns = []
    for message in _po(lang):
        for source in (message.id if isinstance(message.id, tuple) else (message.id,)):
            if not source or not re.search(r"[A-Za-z]{2}", source):
                continue
            parts = re.split(r"\{[^{}]*\}", source.replace("{{", "{").replace("}}", "}"))
            patterns.append((source, re.compile(".*?".join(re.escape(p) for p in parts), re.S)))
    return patterns


def english_left(texts: list[str], lang: str) -> list[str]:
    problems = []
    patterns = _source_patterns(lang)
    for text in texts:
        plain = text.replace("**", "").replace("*", "")
        for source, pattern in patterns:
            # A whole text that is an English source; or a sentence of one inside a longer text.
            if pattern.fullmatch(plain) or pattern.fullmatch(text) or (
                    len(source.split()) >= 4 and pattern.search(text)):
                problems.append(f"{text[:80]!r} is the English of {source[:60]!r}")
                break
        else:
            prose = ENGLISH_PROSE.search(CODE_SPAN.sub(" ", plain))
            if prose:
                problems.append(f"{text[:80]!r} has English prose {prose.group(0)!r} that nothing translates")
    return problems


# ---------------------------------------------------------------- each page, after what a class does on it

def _page(name: str, lang: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app_pages" / name), default_timeout=120)
    at.session_state["lang"] = lang
    return at.run()


def _finish_the_job(at: AppTest) -> None:
    for _ in range(3):
        at.run()


def _home(lang):
    return [_page("home.py", lang)]


def _whole_app(lang):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    return [at.run()]


def _convolution(lang):
    at = _page("convolution.py", lang)
    at.slider(key="conv_k").set_value(5)
    at.slider(key="conv_stride").set_value(2).run()
    at.session_state["conv_padding"] = "same"  # (AppTest's set_value formats choices outside the session: English)
    at.run()
    at.button(key="conv_next").click().run()
    bad_link = AppTest.from_file(str(ROOT / "app_pages" / "convolution.py"), default_timeout=60)
    bad_link.session_state["lang"] = lang
    bad_link.query_params["k"] = "99"  # a link's value the page cannot use: a sentence
    return [at, bad_link.run()]


def _pooling(lang):
    at = _page("pooling.py", lang)
    at.session_state["pool_padding"] = "same"
    at.run()
    return [at]


def _build(lang):
    at = _page("build.py", lang)
    at.session_state["build_preset"] = "Tiny"
    at.button(key="build_load").click().run()
    remove = [b.key for b in at.button if b.key and b.key.endswith("_remove")]
    at.button(key=remove[-1]).click().run()  # an impossible stack: the sentence that says why
    return [at]


def _train(lang):
    finished = _page("train.py", lang)
    finished.session_state["cnn_layers"] = TINY
    finished.run()
    finished.session_state["train_source"] = "sample"
    finished.number_input(key="train_epochs").set_value(1)
    finished.button(key="train_job_start").click().run()
    assert finished.session_state["train_job"].wait(300)
    _finish_the_job(finished)
    stopped = _page("train.py", lang)
    stopped.session_state["cnn_layers"] = TINY
    stopped.run()
    stopped.number_input(key="train_epochs").set_value(50)
    stopped.button(key="train_job_start").click().run()
    job = stopped.session_state["train_job"]
    job.stop()
    assert job.wait(300)
    _finish_the_job(stopped)
    bad_setting = _page("train.py", lang)
    bad_setting.text_input(key="train_lr").set_value("fast").run()  # a sentence, and Train disabled
    return [finished, stopped, bad_setting]


def _quiz(lang):
    at = _page("quiz.py", lang)
    at.session_state["quiz_code"] = "77-4"
    at.run()
    for q in quiz.make_quiz(quiz.parse_code("77-4"))[:3]:  # three answers, each checked: feedback and score
        key = f"quiz_77-4_{q.id}"
        at.session_state[key] = (q.keys[-1] if q.kind == "single" else [q.keys[-1]] if q.kind == "multiple"
                                 else "1")
        at.button(key=f"{key}_check").click().run()
    return [at]


def _instructor(lang, tmp_path, monkeypatch):
    """The teacher's dashboard of a class with two learners who answered, trained and are training now."""
    url = f"sqlite:///{tmp_path}/class.db"
    monkeypatch.setenv(class_store.URL_ENV, url)
    monkeypatch.setenv("CNN_INSTRUCTOR_PASSWORD", "teacher")
    store = class_store.open_store(url)
    code = store.create_class("6-B").code
    for name in ("Mina", "Kenji"):
        learner = store.join(code, name)
        for q in quiz.load_bank()[:5]:
            store.record_answer(learner, q.id, q.keys[-1] if q.keys else "7", correct=False, seconds=9.0,
                                topic=q.topic)
        store.record_run(learner, kind="train", state="finished", dataset="mnist", source="sample",
                         architecture="conv 4 3x3, pool max 2x2, flatten", accuracy=0.9, seconds=12.0,
                         parameters=6_810, epochs=1)
        store.record_run(learner, kind="pooling", state="finished", dataset="mnist", source="sample",
                         architecture="Tiny", accuracy=None, seconds=20.0, details={"seed": 0, "max": 0.9, "average": 0.88})
        store.note_activity(learner, "training", "train")
    locked = _page("instructor.py", lang)
    at = AppTest.from_file(str(ROOT / "app_pages" / "instructor.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["instructor_ok"] = True
    at.session_state["instructor_class"] = code
    return [locked, at.run()]


def _transfer(lang):
    at = _page("transfer.py", lang)
    at.toggle(key="transfer_tr_resnet20_stage3").set_value(True).run()
    return [at]


def _pooling_experiment(lang):
    return [_page("pooling_experiment.py", lang)]


VISITS = [_whole_app, _home, _convolution, _pooling, _build, _train, _quiz, _instructor, _transfer,
          _pooling_experiment]


@pytest.mark.parametrize("visit", VISITS, ids=[v.__name__.strip("_") for v in VISITS])
@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_english_left(lang, visit, tmp_path, monkeypatch):
    pages = visit(lang, tmp_path, monkeypatch) if visit is _instructor else visit(lang)
    for at in pages:
        assert not at.exception, at.exception
        texts = texts_on_screen(at)
        assert any(re.search(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]", t) for t in texts), "nothing translated"
        problems = english_left(texts, lang)
        assert not problems, f"{i18n.LANGUAGES[lang]}: " + "\n".join(problems[:15])
