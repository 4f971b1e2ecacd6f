"""Quiz: the question bank (cnn_core/assets/quiz_bank.yaml), generated questions, grading, codes.

    from cnn_core import quiz
    questions = quiz.make_quiz(quiz.parse_code("1234-all"))
    quiz.grade(questions[0], "26, 26, 32")        # -> Grade(correct=..., given=..., ...)

Generated questions take their answers from cnn_core.arithmetic / cnn_core.spec, which the
tests check against Keras itself. No TensorFlow here: the quiz page stays light.
"""

from __future__ import annotations

import io
import math
import random
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from cnn_core import arithmetic as ar
from cnn_core import spec as spec_mod
from cnn_core.messages import UserError, msg

BANK = Path(__file__).parent / "assets" / "quiz_bank.yaml"
TOPICS = {  # id -> what a learner reads
    "filters": "Filters (kernels)", "stride": "Stride", "padding": "Padding", "output_size": "Output size",
    "pooling": "Pooling", "why_cnn": "Why CNNs", "channels": "Channels and weight counts",
    "trainable": "trainable and transfer learning", "residual": "Residual connections", "training": "Training",
}
KINDS = ("single", "multiple", "numeric", "shape")
PAGES = {"home", "convolution", "pooling", "build", "train", "transfer", "quiz"}


@dataclass(frozen=True)
class Question:
    id: str
    topic: str
    kind: str  # single | multiple | numeric | shape
    prompt: str
    answer: object  # int | tuple[int, ...] | float
    explanation: str
    page: str  # the page that demonstrates it
    choices: tuple = ()
    tolerance: float = 0.0
    generated: bool = False
    keras: dict = field(default_factory=dict, compare=False)  # how to rebuild it in Keras (tests)


@dataclass(frozen=True)
class Grade:
    correct: bool
    given: str  # the answer as the learner gave it, in words
    expected: str  # the right answer, in words


# ---------------------------------------------------------------- the bank

def _check(q: dict, n: int) -> Question:
    where = msg("quiz.bank_question", n=n, id=q.get("id", "?"))
    for key in ("id", "topic", "kind", "prompt", "answer", "explanation", "page"):
        if q.get(key) in (None, ""):
            raise UserError("quiz.bank_missing_key", where=where, key=key)
    if q["topic"] not in TOPICS:
        raise UserError("quiz.bank_topic", where=where, value=q["topic"])
    if q["kind"] not in KINDS:
        raise UserError("quiz.bank_kind", where=where, value=q["kind"])
    if q["page"] not in PAGES:
        raise UserError("quiz.bank_page", where=where, value=q["page"])
    choices = tuple(str(c) for c in q.get("choices") or ())
    answer = q["answer"]
    if q["kind"] == "single":
        if len(choices) < 2 or not isinstance(answer, int) or not 0 <= answer < len(choices):
            raise UserError("quiz.bank_single", where=where)
    elif q["kind"] == "multiple":
        if len(choices) < 2 or not answer or any(not isinstance(a, int) or not 0 <= a < len(choices) for a in answer):
            raise UserError("quiz.bank_multiple", where=where)
        answer = tuple(sorted(set(answer)))
    elif q["kind"] == "numeric":
        if not isinstance(answer, (int, float)):
            raise UserError("quiz.bank_numeric", where=where)
    else:
        if not isinstance(answer, list) or not answer or any(not isinstance(a, int) for a in answer):
            raise UserError("quiz.bank_shape", where=where)
        answer = tuple(answer)
    return Question(q["id"], q["topic"], q["kind"], q["prompt"], answer, q["explanation"], q["page"],
                    choices, float(q.get("tolerance", 0.0)))


@lru_cache(maxsize=4)
def load_bank(path: str | Path = BANK) -> tuple[Question, ...]:
    """The question bank, checked: every question has a valid answer, an explanation and a topic."""
    import yaml

    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise UserError("quiz.bank_not_list")
    questions = tuple(_check(q, n) for n, q in enumerate(raw, start=1))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise UserError("quiz.bank_duplicates")
    return questions


# ---------------------------------------------------------------- generated questions

def _valid_conv(rng: random.Random):
    while True:
        n, c = rng.choice([(28, 1), (32, 3), (64, 3), (224, 3), (13, 32), (16, 16)])
        k, s, pad = rng.choice([1, 3, 5, 7]), rng.choice([1, 1, 2, 3]), rng.choice(["valid", "same"])
        if pad == "same" or k <= n:
            return n, c, rng.choice([8, 16, 32, 64]), k, s, pad


def gen_conv_shape(rng: random.Random) -> Question:
    n, c, f, k, s, pad = _valid_conv(rng)
    out = ar.conv_output_size(n, k, s, pad)
    return Question(
        f"gen-conv-shape-{n}-{c}-{f}-{k}-{s}-{pad}", "output_size", "shape",
        f"A {n}x{n}x{c} input goes through Conv2D({f}, {k}, strides={s}, padding='{pad}'). "
        "What is the output shape (height, width, channels)?",
        (out, out, f), f"{ar.conv_output_formula(n, k, s, pad)} on each side, and {f} filters give {f} channels.",
        "convolution", generated=True,
        keras={"layer": "Conv2D", "args": [f, k], "kwargs": {"strides": s, "padding": pad}, "input": [n, n, c]})


def gen_conv_params(rng: random.Random) -> Question:
    n, c, f, k, s, pad = _valid_conv(rng)
    p = ar.conv_params(k, c, f)
    return Question(
        f"gen-conv-params-{n}-{c}-{f}-{k}-{s}-{pad}", "channels", "numeric",
        f"How many parameters (weights and biases) does Conv2D({f}, {k}, strides={s}, padding='{pad}') "
        f"have on a {n}x{n}x{c} input?",
        p, f"({k}*{k}*{c} + 1) * {f} = {p:,}. Neither the image size nor the stride changes it: weights are shared.",
        "build", generated=True,
        keras={"layer": "Conv2D", "args": [f, k], "kwargs": {"strides": s, "padding": pad}, "input": [n, n, c]})


def gen_pool_shape(rng: random.Random) -> Question:
    n, c = rng.choice([(26, 32), (13, 64), (11, 64), (30, 16), (7, 128), (224, 64), (15, 8)])
    size, pad = rng.choice([2, 2, 3]), rng.choice(["valid", "valid", "same"])
    if size > n:
        size = 2
    out = ar.pool_output_size(n, size, None, pad)
    kind = rng.choice(["MaxPooling2D", "AveragePooling2D"])
    formula = f"ceil({n} / {size}) = {out}" if pad == "same" else f"floor(({n} - {size}) / {size}) + 1 = {out}"
    return Question(
        f"gen-pool-{kind}-{n}-{c}-{size}-{pad}", "pooling", "shape",
        f"A {n}x{n}x{c} feature map goes through {kind}({size}, padding='{pad}'). What is the output shape?",
        (out, out, c), f"{formula} on each side (the stride defaults to the pool size); pooling keeps the {c} channels.",
        "pooling", generated=True,
        keras={"layer": kind, "args": [size], "kwargs": {"padding": pad}, "input": [n, n, c]})


def gen_frozen(rng: random.Random) -> Question:
    shape = rng.choice([(28, 28, 1), (32, 32, 3)])
    f1, f2, units = rng.choice([8, 16, 32]), rng.choice([16, 32, 64]), rng.choice([32, 64, 128])
    spec = [{"type": "conv", "filters": f1, "kernel": 3}, {"type": "pool"},
            {"type": "conv", "filters": f2, "kernel": 3}, {"type": "pool"},
            {"type": "flatten"}, {"type": "dense", "units": units}]
    rows = spec_mod.infer(spec, shape, 10)
    names = {1: f"Conv2D({f1}, 3)", 3: f"Conv2D({f2}, 3)", 6: f"Dense({units})"}
    frozen = sorted(rng.sample(list(names), rng.randint(1, 2)))
    trainable = sum(r.params for r in rows if r.position not in frozen)
    total = sum(r.params for r in rows)
    arch = (f"Conv2D({f1}, 3) -> MaxPooling2D(2) -> Conv2D({f2}, 3) -> MaxPooling2D(2) -> Flatten -> "
            f"Dense({units}) -> Dense(10)")
    frozen_txt = " and ".join(f"the {names[i]} layer" for i in frozen)
    return Question(
        f"gen-frozen-{shape[2]}-{f1}-{f2}-{units}-{'-'.join(map(str, frozen))}", "trainable", "numeric",
        f"A {'x'.join(map(str, shape))} input goes through {arch} (padding='valid'). With "
        f"{frozen_txt} frozen (trainable = False), how many parameters are trainable?",
        trainable, f"The model has {total:,} parameters; the frozen layers hold {total - trainable:,} of them, so "
        f"{trainable:,} stay trainable. The total does not change.", "transfer", generated=True,
        keras={"spec": spec, "input": list(shape), "frozen": frozen})


GENERATORS = {"output_size": gen_conv_shape, "channels": gen_conv_params, "pooling": gen_pool_shape,
              "trainable": gen_frozen}


# ---------------------------------------------------------------- quizzes and codes

@dataclass(frozen=True)
class QuizCode:
    seed: int
    topics: tuple  # topic ids

    def __str__(self) -> str:
        if set(self.topics) == set(TOPICS):
            return f"{self.seed}-all"
        mask = sum(1 << i for i, t in enumerate(TOPICS) if t in self.topics)
        return f"{self.seed}-{mask:x}"


def parse_code(text: str) -> QuizCode:
    """'1234-all' or '1234-1f' (a seed and a topic mask) -> QuizCode; ValueError if malformed."""
    m = re.fullmatch(r"\s*(\d{1,9})-(all|[0-9a-fA-F]{1,4})\s*", text or "")
    if not m:
        raise UserError("quiz.code_format")
    seed, part = int(m.group(1)), m.group(2).lower()
    if part == "all":
        return QuizCode(seed, tuple(TOPICS))
    mask = int(part, 16)
    topics = tuple(t for i, t in enumerate(TOPICS) if mask >> i & 1)
    if not topics or mask >> len(TOPICS):
        raise UserError("quiz.code_topics")
    return QuizCode(seed, topics)


def make_quiz(code: QuizCode, n_bank: int = 8, n_generated: int = 4) -> list[Question]:
    """The same questions, in the same order, for everyone with the same code."""
    rng = random.Random(code.seed)
    pool = [q for q in load_bank() if q.topic in code.topics]
    picked = rng.sample(pool, min(n_bank, len(pool)))
    gens = [GENERATORS[t] for t in code.topics if t in GENERATORS]
    for i in range(n_generated if gens else 0):
        picked.append(gens[i % len(gens)](rng))
    rng.shuffle(picked)
    return [_shuffle_choices(q, rng) for q in picked]


def _shuffle_choices(q: Question, rng: random.Random) -> Question:
    """The bank lists the right choice first; show choices in a seeded random order."""
    if q.kind not in ("single", "multiple"):
        return q
    order = list(range(len(q.choices)))
    rng.shuffle(order)
    choices = tuple(q.choices[i] for i in order)
    new = {old: pos for pos, old in enumerate(order)}
    answer = new[q.answer] if q.kind == "single" else tuple(sorted(new[a] for a in q.answer))
    return replace(q, choices=choices, answer=answer)


# ---------------------------------------------------------------- grading

def _parse_number(text) -> float:
    s = str(text).strip().replace(",", "").replace("_", "")
    if not s:
        raise UserError("quiz.number_empty")
    try:
        value = float(s)
    except ValueError:
        raise UserError("quiz.number_bad", text=text) from None
    if not math.isfinite(value):
        raise UserError("quiz.number_finite")
    return value


def _parse_shape(text) -> tuple:
    s = str(text).strip().strip("()[]")
    if not s:
        raise UserError("quiz.shape_empty")
    parts = [p for p in re.split(r"[,x×\s]+", s) if p]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise UserError("quiz.shape_bad", text=text) from None


def _expected(q: Question) -> str:
    if q.kind == "single":
        return q.choices[q.answer]
    if q.kind == "multiple":
        return "; ".join(q.choices[i] for i in q.answer)
    if q.kind == "shape":
        return "(" + ", ".join(map(str, q.answer)) + ")"
    return f"{q.answer:,}" if float(q.answer).is_integer() else str(q.answer)


def grade(q: Question, given) -> Grade:
    """Grade an answer. Unreadable input (empty, not a number, not a shape) raises ValueError and
    never counts as an answer."""
    if q.kind == "single":
        if given is None or given == "":
            raise UserError("quiz.choose_one")
        idx = q.choices.index(given) if isinstance(given, str) else int(given)
        return Grade(idx == q.answer, q.choices[idx], _expected(q))
    if q.kind == "multiple":
        idx = tuple(sorted({q.choices.index(g) if isinstance(g, str) else int(g) for g in (given or [])}))
        if not idx:
            raise UserError("quiz.choose_some")
        return Grade(idx == q.answer, "; ".join(q.choices[i] for i in idx), _expected(q))
    if q.kind == "numeric":
        value = _parse_number(given)
        return Grade(abs(value - float(q.answer)) <= q.tolerance + 1e-9, str(given).strip(), _expected(q))
    shape = _parse_shape(given)
    return Grade(shape == tuple(q.answer), "(" + ", ".join(map(str, shape)) + ")", _expected(q))


def results_csv(rows: list[dict]) -> str:
    """CSV of answered questions: question, answer given, correct, time (and topic, seconds)."""
    import csv

    buf = io.StringIO()
    cols = ["question_id", "topic", "question", "answer_given", "correct", "expected", "time", "seconds"]
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()
