"""Quiz: the question bank (cnn_core/assets/quiz_bank.yaml), generated questions, grading, codes.

    from cnn_core import quiz
    questions = quiz.make_quiz(quiz.parse_code("1234-all"))   # in the reader's language
    quiz.grade(questions[0], "26, 26, 32")        # -> Grade(correct=..., given=..., ...)

Generated questions take their answers from cnn_core.arithmetic / cnn_core.spec, which the
tests check against Keras itself. No TensorFlow here: the quiz page stays light.

Languages: the bank has a file per language (quiz_bank.ja.yaml, ...) with the same ids, order,
kinds, answers and choice counts; only the words differ. A quiz code picks its questions from
the English bank and then reads them in the reader's language, so everyone with the same code
gets the same questions in the same order, whatever they read. A choice is known by its English
words (`Question.keys`): widget values and a class's records are the same in every language.
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
from cnn_core import i18n
from cnn_core import spec as spec_mod
from cnn_core.i18n import N_
from cnn_core.messages import UserError, msg

BANK = Path(__file__).parent / "assets" / "quiz_bank.yaml"  # English; quiz_bank.<lang>.yaml beside it
TOPICS = {  # id -> what a learner reads (translated where it is shown: `_(TOPICS[t])`)
    "filters": N_("Filters (kernels)"), "stride": N_("Stride"), "padding": N_("Padding"),
    "output_size": N_("Output size"), "pooling": N_("Pooling"), "why_cnn": N_("Why CNNs"),
    "channels": N_("Channels and weight counts"), "trainable": N_("trainable and transfer learning"),
    "residual": N_("Residual connections"), "training": N_("Training"),
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
    choice_keys: tuple = ()  # the choices in English, in the order shown: the same in every language

    @property
    def keys(self) -> tuple:
        """What names each choice whatever the language (widget options, records): its English words."""
        return self.choice_keys or self.choices


@dataclass(frozen=True)
class Grade:
    correct: bool
    given: str  # the answer as the learner gave it, in words (the reader's language)
    expected: str  # the right answer, in words (the reader's language)
    recorded: str = ""  # the answer as a class records it: the same in every language (choices by their keys)


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


def bank_path(language: str = i18n.DEFAULT) -> Path:
    """The bank file of `language`; English's when that language has none."""
    path = BANK.with_name(f"{BANK.stem}.{language}{BANK.suffix}")
    return path if language != i18n.DEFAULT and path.exists() else BANK


@lru_cache(maxsize=8)
def load_bank(language: str | Path = i18n.DEFAULT) -> tuple[Question, ...]:
    """The question bank of a language ('en', 'ja', ...; English for one without a file) or of a
    bank file (a Path), checked: every question has a valid answer, an explanation and a topic."""
    import yaml

    path = language if isinstance(language, Path) else bank_path(language)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise UserError("quiz.bank_not_list")
    questions = tuple(_check(q, n) for n, q in enumerate(raw, start=1))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise UserError("quiz.bank_duplicates")
    return questions


def _same_question(mine: Question | None, english: Question) -> bool:
    """Whether a translated question still asks what the English one asks (only its words differ)."""
    return mine is not None and (mine.topic, mine.kind, mine.answer, mine.page, len(mine.choices), mine.tolerance) == (
        english.topic, english.kind, english.answer, english.page, len(english.choices), english.tolerance)


@lru_cache(maxsize=8)
def bank_by_id(language: str = i18n.DEFAULT) -> dict[str, Question]:
    """The bank's questions by id, in `language`'s words, each knowing its English choices (`keys`).
    A question a translation lacks or changed reads in English."""
    english = load_bank(i18n.DEFAULT)
    translated = {q.id: q for q in load_bank(language)}
    return {q.id: replace(translated[q.id] if _same_question(translated.get(q.id), q) else q, choice_keys=q.choices)
            for q in english}


def bank_question(question_id: str, language: str | None = None) -> Question | None:
    """A bank question by id in `language` (default: the reader's); None for a generated one."""
    return bank_by_id(language or i18n.language()).get(question_id)


# ---------------------------------------------------------------- generated questions

def _valid_conv(rng: random.Random):
    while True:
        n, c = rng.choice([(28, 1), (32, 3), (64, 3), (224, 3), (13, 32), (16, 16)])
        k, s, pad = rng.choice([1, 3, 5, 7]), rng.choice([1, 1, 2, 3]), rng.choice(["valid", "same"])
        if pad == "same" or k <= n:
            return n, c, rng.choice([8, 16, 32, 64]), k, s, pad


def gen_conv_shape(rng: random.Random, language: str | None = None) -> Question:
    _ = i18n.now(language)  # the question is never cached: each quiz is made in its reader's language
    n, c, f, k, s, pad = _valid_conv(rng)
    out = ar.conv_output_size(n, k, s, pad)
    layer = f"Conv2D({f}, {k}, strides={s}, padding='{pad}')"
    return Question(
        f"gen-conv-shape-{n}-{c}-{f}-{k}-{s}-{pad}", "output_size", "shape",
        _("A {n}x{n}x{c} input goes through {layer}. What is the output shape (height, width, channels)?").format(
            n=n, c=c, layer=layer),
        (out, out, f),
        _("{formula} on each side, and {filters} filters give {filters} channels.").format(
            formula=ar.conv_output_formula(n, k, s, pad), filters=f),
        "convolution", generated=True,
        keras={"layer": "Conv2D", "args": [f, k], "kwargs": {"strides": s, "padding": pad}, "input": [n, n, c]})


def gen_conv_params(rng: random.Random, language: str | None = None) -> Question:
    _ = i18n.now(language)  # the question is never cached: each quiz is made in its reader's language
    n, c, f, k, s, pad = _valid_conv(rng)
    p = ar.conv_params(k, c, f)
    layer = f"Conv2D({f}, {k}, strides={s}, padding='{pad}')"
    return Question(
        f"gen-conv-params-{n}-{c}-{f}-{k}-{s}-{pad}", "channels", "numeric",
        _("How many parameters (weights and biases) does {layer} have on a {n}x{n}x{c} input?").format(
            layer=layer, n=n, c=c),
        p,
        _("{formula}. Neither the image size nor the stride changes it: weights are shared.").format(
            formula=f"({k}*{k}*{c} + 1) * {f} = {p:,}"),
        "build", generated=True,
        keras={"layer": "Conv2D", "args": [f, k], "kwargs": {"strides": s, "padding": pad}, "input": [n, n, c]})


def gen_pool_shape(rng: random.Random, language: str | None = None) -> Question:
    _ = i18n.now(language)  # the question is never cached: each quiz is made in its reader's language
    n, c = rng.choice([(26, 32), (13, 64), (11, 64), (30, 16), (7, 128), (224, 64), (15, 8)])
    size, pad = rng.choice([2, 2, 3]), rng.choice(["valid", "valid", "same"])
    if size > n:
        size = 2
    out = ar.pool_output_size(n, size, None, pad)
    kind = rng.choice(["MaxPooling2D", "AveragePooling2D"])
    formula = f"ceil({n} / {size}) = {out}" if pad == "same" else f"floor(({n} - {size}) / {size}) + 1 = {out}"
    return Question(
        f"gen-pool-{kind}-{n}-{c}-{size}-{pad}", "pooling", "shape",
        _("A {n}x{n}x{c} feature map goes through {layer}. What is the output shape?").format(
            n=n, c=c, layer=f"{kind}({size}, padding='{pad}')"),
        (out, out, c),
        _("{formula} on each side (the stride defaults to the pool size); pooling keeps the {c} channels.").format(
            formula=formula, c=c),
        "pooling", generated=True,
        keras={"layer": kind, "args": [size], "kwargs": {"padding": pad}, "input": [n, n, c]})


def gen_frozen(rng: random.Random, language: str | None = None) -> Question:
    _ = i18n.now(language)  # the question is never cached: each quiz is made in its reader's language
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
    if len(frozen) == 1:
        prompt = _("A {shape} input goes through {architecture} (padding='valid'). With the {layer} layer frozen "
                   "(trainable = False), how many parameters are trainable?").format(
            shape="x".join(map(str, shape)), architecture=arch, layer=names[frozen[0]])
    else:
        prompt = _("A {shape} input goes through {architecture} (padding='valid'). With the {first} and {second} "
                   "layers frozen (trainable = False), how many parameters are trainable?").format(
            shape="x".join(map(str, shape)), architecture=arch, first=names[frozen[0]], second=names[frozen[1]])
    return Question(
        f"gen-frozen-{shape[2]}-{f1}-{f2}-{units}-{'-'.join(map(str, frozen))}", "trainable", "numeric",
        prompt, trainable,
        _("The model has {total:,} parameters; the frozen layers hold {frozen:,} of them, so {trainable:,} stay "
          "trainable. The total does not change.").format(total=total, frozen=total - trainable, trainable=trainable),
        "transfer", generated=True, keras={"spec": spec, "input": list(shape), "frozen": frozen})


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


def make_quiz(code: QuizCode, n_bank: int = 8, n_generated: int = 4, language: str | None = None) -> list[Question]:
    """The same questions, in the same order, for everyone with the same code, in `language`
    (default: the reader's). What is picked depends on the code and the ids alone: the picking
    runs on the English bank, and each question is then read in the language."""
    language = language or i18n.language()
    rng = random.Random(code.seed)
    pool = [q for q in load_bank(i18n.DEFAULT) if q.topic in code.topics]
    picked = rng.sample(pool, min(n_bank, len(pool)))
    gens = [GENERATORS[t] for t in code.topics if t in GENERATORS]
    for i in range(n_generated if gens else 0):
        picked.append(gens[i % len(gens)](rng, language))
    rng.shuffle(picked)
    bank = bank_by_id(language)  # the same choice counts as the English bank: the same draws below
    return [_shuffle_choices(bank.get(q.id, q), rng) for q in picked]


def _shuffle_choices(q: Question, rng: random.Random) -> Question:
    """The bank lists the right choice first; show choices in a seeded random order."""
    if q.kind not in ("single", "multiple"):
        return q
    order = list(range(len(q.choices)))
    rng.shuffle(order)
    choices, keys = tuple(q.choices[i] for i in order), tuple(q.keys[i] for i in order)
    new = {old: pos for pos, old in enumerate(order)}
    answer = new[q.answer] if q.kind == "single" else tuple(sorted(new[a] for a in q.answer))
    return replace(q, choices=choices, answer=answer, choice_keys=keys)


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


def expected(q: Question) -> str:
    """The right answer, in words (a choice in the question's language)."""
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
        idx = _choice_index(q, given)
        return Grade(idx == q.answer, q.choices[idx], expected(q), q.keys[idx])
    if q.kind == "multiple":
        idx = tuple(sorted({_choice_index(q, g) for g in (given or [])}))
        if not idx:
            raise UserError("quiz.choose_some")
        recorded = "; ".join(sorted(q.keys[i] for i in idx))  # one order for every quiz code and language
        return Grade(idx == q.answer, "; ".join(q.choices[i] for i in idx), expected(q), recorded)
    if q.kind == "numeric":
        value = _parse_number(given)
        given = str(given).strip()
        return Grade(abs(value - float(q.answer)) <= q.tolerance + 1e-9, given, expected(q), given)
    shape = _parse_shape(given)
    words = "(" + ", ".join(map(str, shape)) + ")"
    return Grade(shape == tuple(q.answer), words, expected(q), words)


def _choice_index(q: Question, given) -> int:
    """A choice given by its key (the widget's value), its words or its position."""
    if not isinstance(given, str):
        return int(given)
    return q.keys.index(given) if given in q.keys else q.choices.index(given)


def answer_words(q: Question, recorded: str) -> str:
    """A recorded answer (Grade.recorded) in the words of `q`'s language; as recorded if it names
    no choice of `q` (a number, a shape, a record made before the bank changed)."""
    if q.kind not in ("single", "multiple"):
        return recorded
    words = dict(zip(q.keys, q.choices, strict=True))
    keys, rest = [], recorded
    while rest:  # 'a; b' -> ['a', 'b'], the longest key first (a choice's own words may hold '; ')
        key = next((k for k in sorted(words, key=len, reverse=True) if rest == k or rest.startswith(k + "; ")), None)
        if key is None:
            return recorded
        keys.append(key)
        rest = rest[len(key) + 2:]
    return "; ".join(words[k] for k in keys)


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
