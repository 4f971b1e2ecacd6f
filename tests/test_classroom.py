"""The teacher's side in the app (AppTest): the Instructor page behind its passphrase, a learner
joining from the sidebar, their quiz answers and training runs reaching the teacher's dashboard."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnn_core import quiz
from ui import classroom

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def own_database(tmp_path, monkeypatch):
    """Each test its own SQLite file: the store is opened once per process, so reopen it."""
    monkeypatch.setenv("CNN_DATABASE_URL", f"sqlite:///{tmp_path / 'classroom.db'}")
    classroom.store.clear()
    yield
    classroom.store.clear()


def _instructor(monkeypatch, password="s3cret word"):
    monkeypatch.setenv("CNN_INSTRUCTOR_PASSWORD", password)
    at = AppTest.from_file(str(ROOT / "app_pages" / "instructor.py"), default_timeout=30)
    at.run()
    at.text_input(key="instructor_password").set_value(password)
    at.button(key="instructor_enter").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _create_class(at, name="7B, Tuesday") -> str:
    at.text_input(key=at.get("text_input")[0].key).set_value(name)
    at.button[0].click().run()  # the form's "Create it"
    return at.selectbox(key="instructor_class").value


def _answer(at, q, key) -> None:
    """Some answer to question `q`, checked (right or wrong does not matter here)."""
    value = q.choices[0] if q.kind == "single" else [q.choices[0]] if q.kind == "multiple" else "1"
    {"single": at.radio, "multiple": at.multiselect}.get(q.kind, at.text_input)(key=key).set_value(value)
    at.button(key=f"{key}_check").click().run()


def _press_train_on_a_tiny_stack(at) -> None:
    """One conv layer, the shipped sample, 1 epoch: Train pressed (the job may still be running)."""
    at.session_state["cnn_layers"] = [{"type": "conv", "filters": 4, "kernel": 3, "stride": 1, "padding": "valid",
                                       "activation": "relu", "id": "T1"}]
    at.run()
    at.radio(key="train_source").set_value("sample")
    at.number_input(key="train_epochs").set_value(1)
    at.button(key="train_job_start").click().run()


def test_the_instructor_page_shows_nothing_without_a_passphrase_set(monkeypatch):
    monkeypatch.delenv("CNN_INSTRUCTOR_PASSWORD", raising=False)
    at = AppTest.from_file(str(ROOT / "app_pages" / "instructor.py"), default_timeout=30).run()
    assert any("Set a passphrase first" in i.value for i in at.info)
    assert not at.text_input and not at.button and not at.exception


def test_a_wrong_passphrase_is_refused(monkeypatch):
    monkeypatch.setenv("CNN_INSTRUCTOR_PASSWORD", "s3cret word")
    at = AppTest.from_file(str(ROOT / "app_pages" / "instructor.py"), default_timeout=30).run()
    at.text_input(key="instructor_password").set_value("guess").run()
    at.button(key="instructor_enter").click().run()
    assert any("not the one" in e.value for e in at.error)
    assert "instructor_class" not in at.session_state


def test_a_learner_joins_answers_and_trains_and_the_teacher_sees_it(monkeypatch):
    teacher = _instructor(monkeypatch)
    code = _create_class(teacher)
    assert len(code) == 6 and any(f"?class={code}" in c.value for c in teacher.code)

    learner = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    learner.query_params["class"] = code  # the join link
    learner.run()
    assert learner.text_input(key="class_code").value == code  # filled in from the link
    learner.text_input(key="class_name_input").set_value("Mina\u202e <i>x</i>").run()
    learner.button(key="class_join").click().run()
    assert not learner.exception, [e.value for e in learner.exception]
    assert learner.session_state[classroom.JOINED]["name"] == "Mina <i>x</i>"  # cleaned, kept as text

    learner.switch_page("app_pages/quiz.py").run()
    learner.session_state["quiz_code"] = "77-4"
    learner.run()
    q = quiz.make_quiz(quiz.parse_code("77-4"))[0]
    key = f"quiz_77-4_{q.id}"
    _answer(learner, q, key)
    assert not learner.exception, [e.value for e in learner.exception]

    learner.switch_page("app_pages/train.py").run()
    _press_train_on_a_tiny_stack(learner)
    assert learner.session_state["train_job"].wait(300)
    learner.run()
    learner.run()  # the run has ended: recorded once, however often the page reruns
    learner.run()
    assert not learner.exception, [e.value for e in learner.exception]
    (run,) = classroom.store().runs(code)
    assert (run["learner"], run["kind"], run["state"], run["dataset"], run["source"]) == (
        "Mina <i>x</i>", "train", "finished", "mnist", "sample")
    assert run["architecture"] == "conv 4 3x3" and run["parameters"] > 0 and 0 < run["accuracy"] <= 1

    teacher.run()
    stats = classroom.store().question_stats(code)
    assert [(s.question_id, s.answered) for s in stats] == [(q.id, 1)]
    assert classroom.store().roster(code) == ["Mina <i>x</i>"]
    texts = [str(df.value.to_dict()) for df in teacher.dataframe]
    assert any(q.id in t for t in texts)  # the dashboard's question table
    assert classroom.store().answers(code)[0]["question_id"] == q.id  # the export records the id, not the text
    assert classroom.store().mastery(code) == {"Mina <i>x</i>": {q.topic: stats[0].right_share}}
    assert any(quiz.TOPICS[q.topic] in list(df.value.columns) for df in teacher.dataframe)  # the learners x topics grid


def test_self_study_records_nothing(monkeypatch):
    at = AppTest.from_file(str(ROOT / "app_pages" / "quiz.py"), default_timeout=30)
    at.session_state["quiz_code"] = "77-4"
    at.run()
    q = quiz.make_quiz(quiz.parse_code("77-4"))[0]
    key = f"quiz_77-4_{q.id}"
    _answer(at, q, key)
    assert classroom.joined() is None
    assert classroom.store().classes() == []  # nothing was written anywhere


def test_a_bad_code_in_the_sidebar_gets_a_sentence(monkeypatch):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input(key="class_code").set_value("ZZZZZZ")
    at.text_input(key="class_name_input").set_value("Mina").run()
    at.button(key="class_join").click().run()
    assert any("No class has the code ZZZZZZ" in e.value for e in at.error)
    assert not at.exception and classroom.JOINED not in at.session_state


def _joined(page: str, code: str, name: str) -> AppTest:
    """`page` run as a learner who joined the class `code` (the sidebar's join, done before)."""
    learner = classroom.store().join(code, name)
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.session_state[classroom.JOINED] = {"code": code, "class_name": "7B", "learner": learner, "name": name}
    return at


def _run_to_the_end(at, panel_key: str) -> None:
    """Press the job panel's start button, wait for the run, and let the page see its end."""
    at.button(key=f"{panel_key}_start").click().run()
    assert at.session_state[panel_key].wait(600)
    at.run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_transfer_runs_and_pooling_experiments_are_recorded_for_the_class(monkeypatch):
    from cnn_core import transfer

    code = classroom.store().create_class("7B").code
    at = _joined("app_pages/pooling_experiment.py", code, "Mina").run()
    at.select_slider(key="poolx_images").set_value(1000)
    _run_to_the_end(at, "poolx_experiment")
    (row,) = classroom.store().pooling_results(code)  # one seed: one pair
    assert row["seed"] == 0 and 0 < row["max"] <= 1 and 0 < row["average"] <= 1 and row["images"] == 1000
    teacher = _instructor(monkeypatch)  # the class's experiments, pooled on the teacher's page
    assert any(m.value.startswith("**Max vs average pooling, the whole class, 1 seed**") for m in teacher.markdown)

    if not transfer.WEIGHTS.exists():
        pytest.skip("the pretrained weights are not built yet")
    at = _joined("app_pages/transfer.py", code, "Jun").run()
    at.select_slider(key="transfer_images").set_value(500)
    at.number_input(key="transfer_epochs").set_value(1)
    _run_to_the_end(at, "transfer_job")
    (run,) = [r for r in classroom.store().runs(code) if r["kind"] == "transfer"]
    assert (run["learner"], run["dataset"], run["parameters"]) == ("Jun", "cifar5_heldout", 325)
    assert run["architecture"] == "resnet20: all frozen (head only)" and 0 <= run["accuracy"] <= 1


def test_the_dashboard_shows_who_is_training_and_who_is_queued(monkeypatch):
    teacher = _instructor(monkeypatch)
    code = _create_class(teacher)
    store = classroom.store()
    mina, jun = store.join(code, "Mina"), store.join(code, "Jun")
    store.join(code, "Ari")
    store.note_activity(mina, "training", "Train")
    store.note_activity(jun, "queued", "Max vs average pooling")
    teacher.run()
    roster = next(df.value for df in teacher.dataframe if "now" in df.value.columns)
    now = dict(zip(roster["learner"], roster["now"], strict=True))
    assert now["Mina"].startswith("training on Train for") and now["Jun"].startswith("queued on Max vs average")
    assert now["Ari"] == ""


def test_a_training_learner_is_shown_training_then_not(monkeypatch):
    code = classroom.store().create_class("7B").code
    at = _joined("app_pages/train.py", code, "Mina")
    _press_train_on_a_tiny_stack(at)
    assert [a["doing"] for a in classroom.store().activity(code)] in (["queued"], ["training"])
    assert at.session_state["train_job"].wait(300)
    at.run()
    at.run()
    assert classroom.store().activity(code) == []  # finished: no longer "training now"


def test_a_locked_database_costs_a_learner_a_sentence_not_the_page(monkeypatch, tmp_path):
    """Another process holds the class file: the answer is graded and shown, the learner reads that
    it was not recorded, and the next answer (lock gone) is recorded."""
    import sqlite3

    from cnn_core import class_store

    monkeypatch.setattr(class_store, "BUSY_SECONDS", 0.3)
    classroom.store.clear()
    code = classroom.store().create_class("7B").code
    at = _joined("app_pages/quiz.py", code, "Mina")
    at.session_state["quiz_code"] = "77-4"
    at.run()
    first, second = quiz.make_quiz(quiz.parse_code("77-4"))[:2]
    holder = sqlite3.connect(tmp_path / "classroom.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        _answer(at, first, f"quiz_77-4_{first.id}")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not at.exception, [e.value for e in at.exception]
    assert any("not recorded for your class" in t.value for t in at.toast)
    assert at.success or at.error  # the answer was graded and shown all the same
    _answer(at, second, f"quiz_77-4_{second.id}")
    assert [a["question_id"] for a in classroom.store().answers(code)] == [second.id]


def test_an_unreachable_database_lets_nobody_join_but_breaks_nothing(monkeypatch, tmp_path):
    (tmp_path / "not-a-folder").write_text("a file where the data folder should be")
    monkeypatch.setenv("CNN_DATABASE_URL", f"sqlite:///{tmp_path / 'not-a-folder' / 'classroom.db'}")
    classroom.store.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input(key="class_code").set_value("K7QM2P")
    at.text_input(key="class_name_input").set_value("Mina").run()
    at.button(key="class_join").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("cannot be reached right now" in e.value for e in at.error)
    assert classroom.JOINED not in at.session_state and at.title[0].value == "Learn CNNs by doing"


def test_a_database_failing_mid_class_costs_the_dashboard_a_sentence(monkeypatch):
    """The class list still reads, the answers table does not (a broken or half-restored database):
    the live dashboard says so in a sentence instead of a traceback, and the page stays up."""
    from sqlalchemy import text

    teacher = _instructor(monkeypatch)
    _create_class(teacher)
    with classroom.store().engine.begin() as conn:
        conn.execute(text("DROP TABLE quiz_answers"))
    teacher.run()
    assert not teacher.exception, [e.value for e in teacher.exception]
    assert any("cannot be reached right now" in e.value for e in teacher.error)
    assert teacher.selectbox(key="instructor_class").value  # the class picker is still there
