"""A class's record: who joined, their quiz answers and their runs, in a real database.

    from cnn_core import class_store
    store = class_store.open_store()              # $CNN_DATABASE_URL, else SQLite in $CNN_DATA_DIR
    code = store.create_class("7B, Tuesday").code    # a short join code for the class
    learner = store.join(code, "Mina")              # by code and display name (again: the same learner)
    store.record_answer(learner, "q_stride_1", "b", correct=False, seconds=12.5)
    store.record_run(learner, kind="train", dataset="mnist", accuracy=0.991, ...)
    store.question_stats(code)  /  store.leaderboard(code, "mnist")  /  store.pooling_results(code)

SQLAlchemy 2 over SQLite (WAL, created on first use, no setup) or PostgreSQL (psycopg 3) when
`$CNN_DATABASE_URL` names one: several app servers share a class that way. The schema is created
when missing (`create_all`); there is one version of it so far, so no migration tool yet.
Learners are identified by class and display name; display names are cleaned here (control and
format characters, length) and pages show them as text, never markup. Self-study records
nothing: the pages call this only for a learner who joined a class.
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from cnn_core.messages import UserError

URL_ENV, DATA_DIR_ENV = "CNN_DATABASE_URL", "CNN_DATA_DIR"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off a projector
CODE_LENGTH = 6
NAME_MAX = 40  # characters of a display name (a class name: 80)
RUN_KINDS = ("train", "transfer", "pooling")
DOINGS = ("training", "queued")
# How long a write waits for a SQLite file another process holds: a class's writes take milliseconds
# each, so this is only reached when something is wrong (then the learner reads a sentence, not a hang).
BUSY_SECONDS = 5.0
FRESH_SECONDS = 90  # an activity not refreshed for this long is over (its tab closed): see ActivityRow


class Base(DeclarativeBase):
    pass


class ClassRow(Base):
    __tablename__ = "classes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LearnerRow(Base):
    __tablename__ = "learners"
    __table_args__ = (UniqueConstraint("class_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AnswerRow(Base):
    __tablename__ = "quiz_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(80), index=True)  # the id, never the text
    topic: Mapped[str | None] = mapped_column(String(40))  # the question's topic id (cnn_core.quiz.TOPICS)
    answer: Mapped[str] = mapped_column(String(200))
    correct: Mapped[bool] = mapped_column(Boolean)
    seconds: Mapped[float | None] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RunRow(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # one of RUN_KINDS
    state: Mapped[str] = mapped_column(String(16))  # finished or stopped
    dataset: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    preset: Mapped[str | None] = mapped_column(String(80))
    architecture: Mapped[str] = mapped_column(String(2000))  # a summary, e.g. "conv 32 3x3 / pool / dense 10"
    parameters: Mapped[int | None] = mapped_column(Integer)
    epochs: Mapped[int | None] = mapped_column(Integer)
    accuracy: Mapped[float | None] = mapped_column(Float)
    seconds: Mapped[float | None] = mapped_column(Float)
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # per kind: trainable stages, ms/step, max/avg ...
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActivityRow(Base):
    """What a learner is doing now (training, queued), kept fresh while it lasts: the dashboard's
    "training now". One row per learner, overwritten; a tab that closed stops refreshing it."""

    __tablename__ = "activity"
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True)
    doing: Mapped[str | None] = mapped_column(String(16))  # one of DOINGS, or None: nothing
    page: Mapped[str] = mapped_column(String(80), default="")  # where, by its key in ui.nav.PAGES, e.g. "train"
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # when `doing` began
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # when it was last said to be so


@dataclass(frozen=True)
class ClassInfo:
    id: int
    name: str
    code: str


@dataclass(frozen=True)
class QuestionStat:
    question_id: str
    topic: str | None  # the topic id its answers were recorded with
    answered: int
    right_share: float
    common_wrong: str | None  # the most frequent wrong answer, if any


class Store:
    """One database of classes (thread-safe: a session per call)."""

    def __init__(self, url: str):
        self.url = url
        sqlite = url.startswith("sqlite")
        self.engine = create_engine(url, pool_pre_ping=not sqlite,
                                    connect_args={"timeout": BUSY_SECONDS, "check_same_thread": False} if sqlite else {})
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        Base.metadata.create_all(self.engine)
        self._found: dict[str, ClassInfo] = {}  # code -> class, as looked up (classes are never changed)

    # -- classes and learners
    def create_class(self, name: str) -> ClassInfo:
        name = clean_name(name, 80, "class.bad_class_name")
        for _ in range(20):  # a clash of random codes is rare; try another
            row = ClassRow(name=name, code=new_code(), created_at=_now())
            try:
                with Session(self.engine) as s, s.begin():
                    s.add(row)
                    s.flush()
                    return ClassInfo(row.id, row.name, row.code)
            except IntegrityError:
                continue
        raise RuntimeError("no free class code after 20 tries")

    def find_class(self, code: str) -> ClassInfo:
        """The class with `code` (typed or linked); a sentence if there is none. A class never
        changes once made, so each is looked up once: every view of a dashboard redraw asks."""
        normal = normal_code(code)
        if normal in self._found:
            return self._found[normal]
        with Session(self.engine) as s:
            row = s.scalar(select(ClassRow).where(ClassRow.code == normal))
        if row is None:
            raise UserError("class.unknown_code", code=normal)
        self._found[normal] = ClassInfo(row.id, row.name, row.code)
        return self._found[normal]

    def join(self, code: str, display_name: str) -> int:
        """The learner's id in the class with `code`: a new one, or theirs again (same name)."""
        klass = self.find_class(code)
        name = clean_name(display_name, NAME_MAX, "class.bad_display_name")
        for _ in range(2):  # two tabs joining with one name at once: the second finds the first
            with Session(self.engine) as s:
                found = s.scalar(select(LearnerRow.id).where(LearnerRow.class_id == klass.id, LearnerRow.name == name))
            if found is not None:
                return found
            try:
                with Session(self.engine) as s, s.begin():
                    row = LearnerRow(class_id=klass.id, name=name, joined_at=_now())
                    s.add(row)
                    s.flush()
                    return row.id
            except IntegrityError:
                continue
        raise RuntimeError("could not join")

    def roster(self, code: str) -> list[str]:
        klass = self.find_class(code)
        with Session(self.engine) as s:
            return list(s.scalars(select(LearnerRow.name).where(LearnerRow.class_id == klass.id)
                                  .order_by(LearnerRow.joined_at, LearnerRow.id)))

    # -- what is recorded
    def record_answer(self, learner_id: int, question_id: str, answer: str, *, correct: bool,
                      seconds: float | None = None, topic: str | None = None) -> None:
        with Session(self.engine) as s, s.begin():
            s.add(AnswerRow(learner_id=learner_id, question_id=str(question_id)[:80], answer=str(answer)[:200],
                            correct=bool(correct), seconds=seconds, topic=topic, at=_now()))

    def record_run(self, learner_id: int, *, kind: str, state: str, dataset: str, source: str, architecture: str,
                   accuracy: float | None, seconds: float | None, parameters: int | None = None,
                   epochs: int | None = None, preset: str | None = None, details: dict | None = None) -> None:
        if kind not in RUN_KINDS:  # a caller's bug, not the learner's
            raise RuntimeError(f"unknown run kind {kind!r}")
        with Session(self.engine) as s, s.begin():
            s.add(RunRow(learner_id=learner_id, kind=kind, state=state, dataset=dataset, source=source, preset=preset,
                         architecture=str(architecture)[:2000], parameters=parameters, epochs=epochs, accuracy=accuracy,
                         seconds=seconds, details=details or {}, at=_now()))

    def note_activity(self, learner_id: int, doing: str | None, page: str = "") -> None:
        """Say what a learner is doing now (None: nothing); said again every half minute while it lasts."""
        if doing is not None and doing not in DOINGS:
            raise RuntimeError(f"unknown activity {doing!r}")
        now = _now()
        for _ in range(2):  # two servers noting one learner at once: the second updates the first's row
            try:
                with Session(self.engine) as s, s.begin():
                    row = s.get(ActivityRow, learner_id)
                    if row is None:
                        s.add(ActivityRow(learner_id=learner_id, doing=doing, page=page[:80], since=now, at=now))
                    else:
                        if row.doing != doing:
                            row.since = now
                        row.doing, row.page, row.at = doing, page[:80], now
                return
            except IntegrityError:
                continue

    # -- the teacher's views
    def activity(self, code: str) -> list[dict]:
        """Who is training or queued now (said within FRESH_SECONDS), longest first."""
        klass = self.find_class(code)
        fresh = _now() - timedelta(seconds=FRESH_SECONDS)
        with Session(self.engine) as s:
            rows = s.execute(select(LearnerRow.name, ActivityRow)
                             .join(ActivityRow, ActivityRow.learner_id == LearnerRow.id)
                             .where(LearnerRow.class_id == klass.id, ActivityRow.doing.is_not(None),
                                    ActivityRow.at >= fresh)
                             .order_by(ActivityRow.since, LearnerRow.name)).all()
        return [{"learner": name, "doing": a.doing, "page": a.page, "since": _aware(a.since)} for name, a in rows]

    def question_stats(self, code: str) -> list[QuestionStat]:
        """Per question: how many answered, the share right, the commonest wrong answer; hardest first."""
        klass = self.find_class(code)
        with Session(self.engine) as s:
            rows = s.execute(select(AnswerRow.question_id, AnswerRow.answer, AnswerRow.correct, AnswerRow.topic)
                             .join(LearnerRow, LearnerRow.id == AnswerRow.learner_id)
                             .where(LearnerRow.class_id == klass.id)).all()
        by_question: dict[str, list] = {}
        topics: dict[str, str | None] = {}
        for qid, answer, correct, topic in rows:
            by_question.setdefault(qid, []).append((answer, correct))
            topics[qid] = topic or topics.get(qid)
        stats = []
        for qid, answers in by_question.items():
            wrong = Counter(a for a, ok in answers if not ok)
            stats.append(QuestionStat(qid, topics[qid], len(answers), sum(ok for _, ok in answers) / len(answers),
                                      wrong.most_common(1)[0][0] if wrong else None))
        return sorted(stats, key=lambda q: (q.right_share, q.question_id))

    def mastery(self, code: str) -> dict[str, dict[str, float]]:
        """{learner: {topic: share of that topic's answers right}}, every learner who joined."""
        klass = self.find_class(code)
        with Session(self.engine) as s:
            rows = s.execute(select(LearnerRow.name, AnswerRow.topic, AnswerRow.correct)
                             .join(AnswerRow, AnswerRow.learner_id == LearnerRow.id)
                             .where(LearnerRow.class_id == klass.id, AnswerRow.topic.is_not(None))).all()
        tally: dict[str, dict[str, list[int]]] = {name: {} for name in self.roster(code)}
        for name, topic, correct in rows:
            right_and_all = tally[name].setdefault(topic, [0, 0])
            right_and_all[0] += bool(correct)
            right_and_all[1] += 1
        return {name: {t: right / n for t, (right, n) in topics.items()} for name, topics in tally.items()}

    def leaderboard(self, code: str, dataset: str, limit: int = 20) -> list[dict]:
        """Each learner's best finished training run on `dataset`, best first."""
        klass = self.find_class(code)
        with Session(self.engine) as s:
            rows = s.execute(select(LearnerRow.name, RunRow)
                             .join(RunRow, RunRow.learner_id == LearnerRow.id)
                             .where(LearnerRow.class_id == klass.id, RunRow.kind == "train",
                                    RunRow.dataset == dataset, RunRow.accuracy.is_not(None))
                             .order_by(RunRow.accuracy.desc(), RunRow.seconds)).all()
        best: dict[str, dict] = {}
        for name, run in rows:
            best.setdefault(name, {"learner": name, "accuracy": run.accuracy, "parameters": run.parameters,
                                   "seconds": run.seconds, "architecture": run.architecture, "preset": run.preset})
        return list(best.values())[:limit]

    def pooling_results(self, code: str) -> list[dict]:
        """Every max-vs-average experiment of the class, one row each (many seeds, pooled)."""
        klass = self.find_class(code)
        with Session(self.engine) as s:
            runs = s.scalars(select(RunRow).join(LearnerRow, LearnerRow.id == RunRow.learner_id)
                             .where(LearnerRow.class_id == klass.id, RunRow.kind == "pooling")
                             .order_by(RunRow.at, RunRow.id)).all()
        return [{"dataset": r.dataset, **r.details} for r in runs]

    def classes(self) -> list[ClassInfo]:
        """Every class, newest first (the instructor's list)."""
        with Session(self.engine) as s:
            rows = s.scalars(select(ClassRow).order_by(ClassRow.created_at.desc(), ClassRow.id.desc())).all()
        return [ClassInfo(r.id, r.name, r.code) for r in rows]

    def answers(self, code: str) -> list[dict]:
        """Every answer of the class, oldest first: the CSV export (question ids, never texts)."""
        klass = self.find_class(code)
        with Session(self.engine) as s:
            rows = s.execute(select(LearnerRow.name, AnswerRow).join(AnswerRow, AnswerRow.learner_id == LearnerRow.id)
                             .where(LearnerRow.class_id == klass.id).order_by(AnswerRow.at, AnswerRow.id)).all()
        return [{"learner": name, "question_id": a.question_id, "answer": a.answer, "correct": a.correct,
                 "seconds": a.seconds, "at": a.at.isoformat(timespec="seconds")} for name, a in rows]

    def runs(self, code: str) -> list[dict]:
        """Every run of the class, oldest first: the CSV export."""
        klass = self.find_class(code)
        with Session(self.engine) as s:
            rows = s.execute(select(LearnerRow.name, RunRow).join(RunRow, RunRow.learner_id == LearnerRow.id)
                             .where(LearnerRow.class_id == klass.id).order_by(RunRow.at, RunRow.id)).all()
        return [{"learner": name, "kind": r.kind, "state": r.state, "dataset": r.dataset, "source": r.source,
                 "preset": r.preset, "architecture": r.architecture, "parameters": r.parameters, "epochs": r.epochs,
                 "accuracy": r.accuracy, "seconds": r.seconds, "at": r.at.isoformat(timespec="seconds")}
                for name, r in rows]

    def counts(self, code: str) -> dict:
        klass = self.find_class(code)
        with Session(self.engine) as s:
            learners = s.scalar(select(func.count()).select_from(LearnerRow).where(LearnerRow.class_id == klass.id))
            answers = s.scalar(select(func.count()).select_from(AnswerRow)
                               .join(LearnerRow, LearnerRow.id == AnswerRow.learner_id)
                               .where(LearnerRow.class_id == klass.id))
            runs = s.scalar(select(func.count()).select_from(RunRow)
                            .join(LearnerRow, LearnerRow.id == RunRow.learner_id)
                            .where(LearnerRow.class_id == klass.id))
        return {"learners": learners, "answers": answers, "runs": runs}


def open_store(url: str | None = None) -> Store:
    """The store at `url`, else $CNN_DATABASE_URL, else SQLite in $CNN_DATA_DIR (created)."""
    return Store(url or os.environ.get(URL_ENV) or default_sqlite_url())


def default_sqlite_url() -> str:
    folder = Path(os.environ.get(DATA_DIR_ENV) or
                  Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "cnn_classroom")
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'classroom.db'}"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(code: str) -> str:
    """A typed or linked code, as stored: upper case, no spaces or dashes; a sentence if it cannot be one."""
    normal = re.sub(r"[\s-]", "", str(code or "")).upper()
    if len(normal) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in normal):
        raise UserError("class.bad_code", n=CODE_LENGTH)
    return normal


def clean_name(name: str, limit: int, error_id: str) -> str:
    """A name as shown to people: Unicode-normalised, control and format characters removed,
    spaces collapsed, at most `limit` characters; a sentence if nothing is left."""
    text = unicodedata.normalize("NFKC", str(name or ""))
    text = "".join(" " if c.isspace() else c for c in text if c.isspace() or unicodedata.category(c)[0] != "C")
    text = " ".join(text.split())[:limit].strip()
    if not text:
        raise UserError(error_id, limit=limit)
    return text


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back times without their zone (they were stored in UTC); PostgreSQL keeps it."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL: readers (the teacher's dashboard) never block the class's writes; foreign keys on."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
    cursor.close()
