"""The class record on SQLite and on a real PostgreSQL (a throwaway cluster this fixture starts):
joining, what is recorded, and the numbers the teacher's views are built from."""

import glob
import os
import shutil
import subprocess
import tempfile
import threading

import pytest
from live_server import free_port

from cnn_core import class_store
from cnn_core.messages import UserError

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _as_postgres(*cmd: str) -> None:
    """PostgreSQL refuses to run as root: its commands run as the `postgres` user when we are root."""
    run = ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)
    subprocess.run(run, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def postgres_url():
    if not PG_BIN:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed (.ci/run installs it; CI never skips these)")
        pytest.skip("PostgreSQL's server is not installed (apt-get install postgresql)")
    bin_dir, port = PG_BIN[-1], free_port()
    folder = tempfile.mkdtemp(prefix="cnn-pg-")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = os.path.join(folder, "data")
    _as_postgres(f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
    _as_postgres(f"{bin_dir}/pg_ctl", "-D", data, "-w", "-l", os.path.join(folder, "log"), "-o",
                 f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        _as_postgres(f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield class_store.open_store(f"sqlite:///{tmp_path / 'classroom.db'}")
        return
    url = request.getfixturevalue("postgres_url")
    st = class_store.open_store(url)
    yield st
    class_store.Base.metadata.drop_all(st.engine)  # the next test starts from an empty class record
    st.engine.dispose()


def test_a_class_gets_a_readable_code_and_learners_join_with_it(store):
    klass = store.create_class("  7B,\tTuesday  ")
    assert klass.name == "7B, Tuesday"
    assert len(klass.code) == 6 and set(klass.code) <= set(class_store.CODE_ALPHABET)
    mina = store.join(klass.code.lower(), "Mina")  # typed in lower case
    assert store.join(f"{klass.code[:3]}-{klass.code[3:]}", "Mina") == mina  # the same learner again
    jun = store.join(klass.code, "Jun")
    assert jun != mina and store.roster(klass.code) == ["Mina", "Jun"]
    other = store.create_class("8A")
    assert other.code != klass.code and store.join(other.code, "Mina") != mina  # a class of its own


@pytest.mark.parametrize("code,words", [("ZZZZZZ", "No class has the code ZZZZZZ"), ("12", "is 6 letters"),
                                        ("", "is 6 letters"), ("O0O0O0", "is 6 letters")])
def test_a_wrong_or_malformed_code_gets_a_sentence(store, code, words):
    with pytest.raises(UserError, match=words):
        store.join(code, "Mina")


def test_hostile_display_names_are_cleaned_and_limited(store):
    code = store.create_class("7B").code
    store.join(code, "Mi\u0000na\u202e\u200b " + "x" * 100)  # control, bidi override, zero-width, far too long
    (name,) = store.roster(code)
    assert name == "Mina " + "x" * 35 and len(name) == class_store.NAME_MAX
    for empty in ("", "   ", "\u0000\u200b"):
        with pytest.raises(UserError, match="Type a name"):
            store.join(code, empty)


def test_question_stats_put_the_hardest_first_with_the_commonest_wrong_answer(store):
    code = store.create_class("7B").code
    learners = [store.join(code, f"learner {i}") for i in range(4)]
    for i, learner in enumerate(learners):
        store.record_answer(learner, "q_pool_1", "a", correct=True, seconds=3.0)
        store.record_answer(learner, "q_stride_2", "c" if i == 0 else "b" if i < 3 else "d", correct=i == 0)
    stride, pool = store.question_stats(code)
    assert (stride.question_id, stride.answered, stride.right_share, stride.common_wrong) == ("q_stride_2", 4, 0.25, "b")
    assert (pool.question_id, pool.right_share, pool.common_wrong) == ("q_pool_1", 1.0, None)
    assert store.question_stats(store.create_class("empty").code) == []


def test_the_leaderboard_has_each_learners_best_finished_run_per_dataset(store):
    code = store.create_class("7B").code
    mina, jun = store.join(code, "Mina"), store.join(code, "Jun")
    run = dict(kind="train", state="finished", source="sample", architecture="conv 8 3x3 / pool / dense 10",
               parameters=13_610, epochs=1, seconds=4.0)
    store.record_run(mina, dataset="mnist", accuracy=0.95, **run)
    store.record_run(mina, dataset="mnist", accuracy=0.97, **run)
    store.record_run(jun, dataset="mnist", accuracy=0.96, **{**run, "preset": "fast MNIST"})
    store.record_run(jun, dataset="cifar10", accuracy=0.70, **run)
    board = store.leaderboard(code, "mnist")
    assert [(r["learner"], r["accuracy"]) for r in board] == [("Mina", 0.97), ("Jun", 0.96)]
    assert board[1]["preset"] == "fast MNIST" and board[0]["architecture"].startswith("conv 8")
    assert [r["learner"] for r in store.leaderboard(code, "cifar10")] == ["Jun"]


def test_the_class_pooling_experiments_are_pooled_into_one_table(store):
    code = store.create_class("7B").code
    for i, name in enumerate(("Mina", "Jun", "Ari")):
        store.record_run(store.join(code, name), kind="pooling", state="finished", dataset="mnist", source="sample",
                         architecture="Tiny", accuracy=None, seconds=20.0,
                         details={"seed": i, "max": 0.9 + i / 100, "average": 0.89 + i / 100})
    table = store.pooling_results(code)
    assert [row["seed"] for row in table] == [0, 1, 2] and all(row["dataset"] == "mnist" for row in table)
    assert store.counts(code) == {"learners": 3, "answers": 0, "runs": 3}


def test_a_class_of_30_answering_at_once_loses_nothing(store):
    code = store.create_class("7B").code
    learners = [store.join(code, f"learner {i}") for i in range(30)]
    errors = []

    def answer(learner):
        try:
            for q in range(5):
                store.record_answer(learner, f"q{q}", "a", correct=q % 2 == 0, seconds=1.0)
        except Exception as exc:  # collected: a lost write must fail the test, not vanish in a thread
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(learner,)) for learner in learners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert store.counts(code)["answers"] == 150
    assert {q.question_id: q.right_share for q in store.question_stats(code)}["q1"] == 0.0


def test_the_default_store_is_sqlite_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(class_store.URL_ENV, raising=False)
    monkeypatch.setenv(class_store.DATA_DIR_ENV, str(tmp_path / "data"))
    store = class_store.open_store()
    assert store.url == f"sqlite:///{tmp_path / 'data' / 'classroom.db'}"
    store.join(store.create_class("7B").code, "Mina")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"  # the dashboard never blocks writes


def test_the_mastery_grid_has_every_learner_and_their_share_right_per_topic(store):
    code = store.create_class("7B").code
    mina, jun = store.join(code, "Mina"), store.join(code, "Jun")
    store.join(code, "Ari")  # joined, answered nothing yet
    store.record_answer(mina, "q1", "a", correct=True, topic="conv")
    store.record_answer(mina, "q2", "b", correct=False, topic="conv")
    store.record_answer(mina, "q3", "a", correct=True, topic="pool")
    store.record_answer(jun, "q1", "c", correct=False, topic="conv")
    assert store.mastery(code) == {"Mina": {"conv": 0.5, "pool": 1.0}, "Jun": {"conv": 0.0}, "Ari": {}}


def test_who_is_training_or_queued_now(store):
    code = store.create_class("7B").code
    mina, jun = store.join(code, "Mina"), store.join(code, "Jun")
    store.note_activity(mina, "queued", "Train")
    store.note_activity(jun, "training", "Transfer learning")
    assert [(a["learner"], a["doing"], a["page"]) for a in store.activity(code)] == [
        ("Mina", "queued", "Train"), ("Jun", "training", "Transfer learning")]  # the longest waiting first
    queued_since = store.activity(code)[0]["since"]
    store.note_activity(mina, "training", "Train")
    mina_now = next(a for a in store.activity(code) if a["learner"] == "Mina")
    assert mina_now["doing"] == "training" and mina_now["since"] >= queued_since
    store.note_activity(mina, None, "Train")  # finished
    assert [a["learner"] for a in store.activity(code)] == ["Jun"]


def test_an_activity_no_tab_refreshes_is_over(store):
    from datetime import timedelta

    from sqlalchemy import update
    from sqlalchemy.orm import Session

    code = store.create_class("7B").code
    mina = store.join(code, "Mina")
    store.note_activity(mina, "training", "Train")
    with Session(store.engine) as s, s.begin():  # its tab closed FRESH_SECONDS ago
        old = class_store._now() - timedelta(seconds=class_store.FRESH_SECONDS + 1)
        s.execute(update(class_store.ActivityRow).values(at=old))
    assert store.activity(code) == []


WRITER = """
import sys
from cnn_core import class_store
store = class_store.open_store(sys.argv[1])
for learner in map(int, sys.argv[3:]):
    for q in range(10):
        store.record_answer(learner, f"q{q}", "a", correct=True, seconds=1.0)
    store.record_run(learner, kind="train", state="finished", dataset="mnist", source="sample",
                     architecture="Tiny", accuracy=0.9, seconds=3.0)
    store.note_activity(learner, "training", "Train")
print(sys.argv[2], "done")
"""


def test_several_processes_writing_at_once_lose_nothing(store):
    """Several app servers (processes) share one class: 30 learners, 300 answers, 30 runs at once."""
    import sys
    from pathlib import Path

    code = store.create_class("7B").code
    learners = [store.join(code, f"learner {i}") for i in range(30)]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, store.url, str(p), *map(str, learners[p::4])],
                              cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for p in range(4)]
    outs = [proc.communicate(timeout=300) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err[-2000:] for _, err in outs]
    assert store.counts(code) == {"learners": 30, "answers": 300, "runs": 30}
    assert len(store.activity(code)) == 30


def test_a_sql_like_or_huge_name_is_only_a_name(store):
    code = store.create_class("'; DROP TABLE classes;--").code
    store.join(code, "Robert'); DROP TABLE learners;--")
    store.join(code, "y" * 10_000)
    store.join(code, "**bold** <img src=x onerror=alert(1)>")
    assert store.roster(code) == ["Robert'); DROP TABLE learners;--", "y" * class_store.NAME_MAX,
                                  "**bold** <img src=x onerror=alert(1)>"]  # kept as typed (pages show text)
    assert [c.name for c in store.classes()] == ["'; DROP TABLE classes;--"]


def test_the_teachers_numbers_equal_those_recomputed_from_the_rows(store):
    """30 learners answering at random: every view of the dashboard, recomputed from the exported rows."""
    import random
    from collections import Counter, defaultdict

    rng = random.Random(7)
    code = store.create_class("7B").code
    topics = ["conv", "pool", "stride"]
    for i in range(30):
        learner = store.join(code, f"learner {i:02d}")
        for q in rng.sample(range(12), 8):
            store.record_answer(learner, f"q{q}", rng.choice("abcd"), correct=rng.random() < 0.6,
                                topic=topics[q % 3])
        for _ in range(rng.randint(0, 3)):
            store.record_run(learner, kind="train", state="finished", dataset=rng.choice(["mnist", "cifar10"]),
                             source="sample", architecture="conv", accuracy=round(rng.random(), 4),
                             seconds=rng.randint(1, 99))
    rows = store.answers(code)
    by_q = defaultdict(list)
    for r in rows:
        by_q[r["question_id"]].append(r)
    for stat in store.question_stats(code):
        answers = by_q[stat.question_id]
        assert stat.answered == len(answers)
        assert stat.right_share == pytest.approx(sum(r["correct"] for r in answers) / len(answers))
        wrong = Counter(r["answer"] for r in answers if not r["correct"])
        assert stat.common_wrong is None if not wrong else wrong[stat.common_wrong] == max(wrong.values())
    shares = [s.right_share for s in store.question_stats(code)]
    assert shares == sorted(shares)  # hardest first
    mastery = store.mastery(code)
    for name, per_topic in mastery.items():
        for topic in topics:
            mine = [r["correct"] for r in rows
                    if r["learner"] == name and topics[int(r["question_id"][1:]) % 3] == topic]
            assert per_topic.get(topic) == (pytest.approx(sum(mine) / len(mine)) if mine else None)
    runs = store.runs(code)
    for dataset in ("mnist", "cifar10"):
        best = {}
        for r in runs:
            if r["dataset"] == dataset and r["accuracy"] > best.get(r["learner"], -1):
                best[r["learner"]] = r["accuracy"]
        board = store.leaderboard(code, dataset, limit=30)
        assert {r["learner"]: r["accuracy"] for r in board} == best
        assert [r["accuracy"] for r in board] == sorted(best.values(), reverse=True)
    assert store.counts(code) == {"learners": 30, "answers": len(rows), "runs": len(runs)}
