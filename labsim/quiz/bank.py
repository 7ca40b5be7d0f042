"""The question bank: YAML files under ``questions/``, checked strictly when they are loaded.

Every question is validated against a small schema written out in code (not a jsonschema
document) so that each problem can be reported in the author's terms: the file, the question
id and what is wrong ("option c: 'explanation' is missing"). All problems in the bank are
collected and raised together, so an author fixes a file in one pass.

Besides its text, a question names the lesson section that teaches it (``lesson``) and the key words
that section must contain (``terms``; tests/test_quiz_bank.py checks them against the notebook). A
question of a unit whose lesson is still being written may say ``lesson_pending: true``.

``domains`` lists the exam domains (topics.DOMAINS) a question touches; the first is the one it counts
towards (``Question.domain``, what a mock exam draws by). ``scenario: true`` marks an exam-style scenario:
a paragraph of context with figures and the exam's kind of ask ("which solution meets these requirements
MOST cost-effectively / with the LEAST operational overhead"), checked when it is loaded.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

from .topics import DOMAINS, SOURCE_KEYS, TOPICS

QUESTIONS_DIR = Path(__file__).with_name("questions")
LETTERS = "abcdefgh"  # option labels; also the most options a question may have
MIN_OPTIONS = 3

ID_RE = re.compile(r"^(?P<topic>[a-z0-9]+(?:-[a-z0-9]+)*)-(?P<number>\d{3})$")
# A lesson link points into a notebook section: lessons/<file>.ipynb#<anchor>.
LESSON_RE = re.compile(r"^lessons/[^/#\s]+\.ipynb#[^#\s]+$")
CHOOSE_RE = re.compile(r"\(Choose (\w+)\)")
DATE_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5}

REQUIRED = ("id", "topic", "domains", "type", "question", "options", "lesson")
OPTIONAL = ("changed", "difficulty", "source", "terms", "lesson_pending", "scenario")
# Units whose lessons are still being written: their questions may link a section that does not exist
# yet, marked `lesson_pending: true`, until the lesson lands and the link is checked like any other.
PENDING_LESSON_TOPICS = ("kcl", "firehose", "agent-sources", "firehose-transform")
MAX_TERMS = 6
# A scenario question: a paragraph of context, then the exam's kind of ask.
SCENARIO_MIN_CHARS = 250
SCENARIO_ASK_RE = re.compile(r"\b(MOST|LEAST|LOWEST|FEWEST|BEST)\b|meets? (these|this|the) requirements?")
OPTION_KEYS = ("text", "correct", "explanation")
CHANGED_KEYS = ("date", "then", "now")
TYPES = ("single", "multiple")


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class Changed:
    """A fact that changed: what older notes say (``then``) and what is true today (``now``)."""

    date: str
    then: str
    now: str


@dataclass(frozen=True)
class Question:
    id: str
    topic: str
    domains: tuple[str, ...]
    type: str
    question: str
    options: tuple[Option, ...]
    lesson: str
    changed: Changed | None = None
    difficulty: int | None = None
    source: str | None = None
    file: str | None = None
    # The words the linked lesson section must contain for the link to be a real one (tests check it).
    terms: tuple[str, ...] = ()
    lesson_pending: bool = False
    # An exam-style scenario: business context with figures, "which solution ... MOST cost-effectively".
    scenario: bool = False

    @property
    def domain(self) -> str:
        """The exam domain the question counts towards (its first one): what a mock exam draws by."""
        return self.domains[0]

    @property
    def letters(self) -> tuple[str, ...]:
        return tuple(LETTERS[: len(self.options)])

    @property
    def correct_letters(self) -> frozenset[str]:
        return frozenset(letter for letter, o in zip(LETTERS, self.options) if o.correct)

    @property
    def n_correct(self) -> int:
        return sum(o.correct for o in self.options)


@dataclass(frozen=True)
class Problem:
    file: str
    where: str  # "question kds-write-007", or "question #3 (no id)" when the id itself is bad
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}"


class QuestionBankError(ValueError):
    """One or more questions are malformed; ``problems`` lists each with its file and question."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [f"{len(self.problems)} problem(s) in the question bank:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe loader that refuses repeated keys: PyYAML silently keeps the last one, which
    would let a second ``correct:`` line quietly change the answer."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def default_paths() -> list[Path]:
    return sorted(QUESTIONS_DIR.glob("*.yaml"))


def load_bank(paths: Iterable[str | Path] | None = None) -> list[Question]:
    """Load and validate question files (default: the shipped bank); a directory means its *.yaml.

    Raises QuestionBankError listing every problem found, with file and question id.
    """
    files: list[Path] = []
    for p in (default_paths() if paths is None else paths):
        p = Path(p)
        files.extend(sorted(p.glob("*.yaml")) if p.is_dir() else [p])
    problems: list[Problem] = []
    questions: list[Question] = []
    for path in files:
        questions.extend(_load_file(path, problems))
    _check_unique(questions, problems)
    if problems:
        raise QuestionBankError(problems)
    return questions


def _load_file(path: Path, problems: list[Problem]) -> list[Question]:
    name = str(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except OSError as exc:
        problems.append(Problem(name, "file", f"cannot be read ({exc.strerror or exc})"))
        return []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        problems.append(Problem(name, where, f"is not valid YAML: {getattr(exc, 'problem', None) or exc}"))
        return []
    if not isinstance(data, list) or not data:
        problems.append(Problem(name, "file", "must be a non-empty YAML list of questions"))
        return []
    # A file named after a topic holds that topic only, so a topic's questions are in one place.
    file_topic = path.stem if path.stem in TOPICS else None
    out = []
    for index, raw in enumerate(data, start=1):
        q = _Validator(name, index, raw, file_topic, problems).question()
        if q is not None:
            out.append(q)
    return out


def _check_unique(questions: list[Question], problems: list[Problem]) -> None:
    ids: dict[str, Question] = {}
    texts: dict[str, Question] = {}
    for q in questions:
        where = f"question {q.id}"
        if q.id in ids:
            problems.append(Problem(q.file or "?", where, f"duplicate id (also in {ids[q.id].file})"))
        ids.setdefault(q.id, q)
        text = " ".join(q.question.split()).lower()
        if text in texts:
            problems.append(Problem(q.file or "?", where, f"same question text as {texts[text].id}"))
        texts.setdefault(text, q)


class _Validator:
    """Checks one raw question; records problems and returns a Question only if there were none."""

    def __init__(self, file: str, index: int, raw: Any, file_topic: str | None, problems: list[Problem]):
        self.file, self.raw, self.file_topic, self.problems = file, raw, file_topic, problems
        qid = raw.get("id") if isinstance(raw, dict) else None
        self.where = f"question {qid}" if isinstance(qid, str) and qid else f"question #{index} (no id)"
        self.ok = True

    def fail(self, message: str) -> None:
        self.ok = False
        self.problems.append(Problem(self.file, self.where, message))

    def text(self, value: Any, what: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{what} must be a non-empty string, got {value!r}")
            return None
        return value.strip()

    def question(self) -> Question | None:
        raw = self.raw
        if not isinstance(raw, dict):
            self.fail(f"must be a mapping of keys, got {type(raw).__name__}")
            return None
        for key in raw.keys() - set(REQUIRED + OPTIONAL):
            self.fail(f"unknown key {key!r} (allowed: {', '.join(REQUIRED + OPTIONAL)})")
        for key in REQUIRED:
            if key not in raw:
                self.fail(f"{key!r} is missing")
        topic = self.topic(raw.get("topic"))
        qid = self.qid(raw.get("id"), topic)
        domains = self.domains(raw.get("domains"))
        qtype = raw.get("type")
        if "type" in raw and qtype not in TYPES:
            self.fail(f"type must be 'single' or 'multiple', got {qtype!r}")
        text = self.text(raw.get("question"), "'question'") if "question" in raw else None
        options = self.options(raw.get("options")) if "options" in raw else None
        if text and options and qtype in TYPES:
            self.answer_count(qtype, text, options)
        lesson = self.lesson(raw.get("lesson")) if "lesson" in raw else None
        changed = self.changed(raw["changed"]) if "changed" in raw else None
        difficulty = raw.get("difficulty")
        if "difficulty" in raw and (type(difficulty) is not int or not 1 <= difficulty <= 3):
            self.fail(f"difficulty must be 1, 2 or 3, got {difficulty!r}")
        source = self.source(raw["source"]) if "source" in raw else None
        terms = self.terms(raw["terms"]) if "terms" in raw else ()
        pending = self.pending(raw["lesson_pending"], topic) if "lesson_pending" in raw else False
        scenario = self.scenario(raw["scenario"], text) if "scenario" in raw else False
        if not self.ok:
            return None
        return Question(id=qid, topic=topic, domains=domains, type=qtype, question=text, options=options,
                        lesson=lesson, changed=changed, difficulty=difficulty, source=source, file=self.file,
                        terms=terms, lesson_pending=pending, scenario=scenario)

    def topic(self, topic: Any) -> str | None:
        if topic is None:
            return None
        if topic not in TOPICS:
            self.fail(f"unknown topic {topic!r} (known: {', '.join(TOPICS)})")
            return None
        if self.file_topic and topic != self.file_topic:
            self.fail(f"topic {topic!r} does not belong in {self.file_topic}.yaml")
        return topic

    def qid(self, qid: Any, topic: str | None) -> str | None:
        if qid is None:
            return None
        m = ID_RE.match(qid) if isinstance(qid, str) else None
        if m is None:
            self.fail(f"id {qid!r} must look like '<topic>-NNN', e.g. 'kds-write-007'")
        elif topic and m["topic"] != topic:
            self.fail(f"id {qid!r} must start with its topic, '{topic}-'")
        return qid

    def domains(self, domains: Any) -> tuple[str, ...]:
        if domains is None:
            return ()
        values = [domains] if isinstance(domains, str) else domains
        if not isinstance(values, list) or not values:
            self.fail(f"domains must be a domain name or a non-empty list of them, got {domains!r}")
            return ()
        for d in values:
            if d not in DOMAINS:
                self.fail(f"unknown domain {d!r} (known: {', '.join(DOMAINS)})")
        if len(set(map(str, values))) != len(values):
            self.fail(f"domains repeat a value: {values!r}")
        return tuple(values)

    def options(self, options: Any) -> tuple[Option, ...] | None:
        if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= len(LETTERS):
            self.fail(f"options must be a list of {MIN_OPTIONS} to {len(LETTERS)} options, got "
                      f"{len(options) if isinstance(options, list) else repr(options)}")
            return None
        out = []
        for letter, opt in zip(LETTERS, options):
            name = f"option {letter}"
            if not isinstance(opt, dict):
                self.fail(f"{name} must be a mapping with {', '.join(OPTION_KEYS)}")
                continue
            for key in opt.keys() - set(OPTION_KEYS):
                self.fail(f"{name}: unknown key {key!r} (allowed: {', '.join(OPTION_KEYS)})")
            missing = [k for k in OPTION_KEYS if k not in opt]
            for key in missing:
                self.fail(f"{name}: {key!r} is missing")
            if missing:
                continue
            text = self.text(opt["text"], f"{name}: 'text'")
            explanation = self.text(opt["explanation"], f"{name}: 'explanation'")
            if not isinstance(opt["correct"], bool):
                self.fail(f"{name}: 'correct' must be true or false, got {opt['correct']!r}")
            elif text and explanation:
                out.append(Option(text, opt["correct"], explanation))
        texts = [" ".join(o.text.split()).lower() for o in out]
        if len(set(texts)) != len(texts):
            self.fail("two options have the same text")
        return tuple(out) if len(out) == len(options) else None

    def answer_count(self, qtype: str, text: str, options: tuple[Option, ...]) -> None:
        n = sum(o.correct for o in options)
        choose = CHOOSE_RE.findall(text)
        if qtype == "single":
            if n != 1:
                self.fail(f"a 'single' question needs exactly 1 correct option, found {n}")
            if choose:
                self.fail("a 'single' question must not say '(Choose N)'; use type 'multiple'")
            return
        if n < 2:
            self.fail(f"a 'multiple' question needs at least 2 correct options, found {n}")
        if n >= len(options):
            self.fail("a 'multiple' question needs at least one wrong option")
        said = [NUMBER_WORDS.get(c.lower(), int(c) if c.isdigit() else None) for c in choose]
        if said != [n]:
            self.fail(f"a 'multiple' question must say '(Choose {n})' once, matching its {n} correct "
                      f"options; found {['(Choose ' + c + ')' for c in choose] or 'none'}")

    def lesson(self, lesson: Any) -> str | None:
        if not isinstance(lesson, str) or not LESSON_RE.match(lesson):
            self.fail(f"lesson {lesson!r} must look like 'lessons/NN-name.ipynb#Section-anchor'")
            return None
        return lesson

    def terms(self, terms: Any) -> tuple[str, ...]:
        if (not isinstance(terms, list) or not 1 <= len(terms) <= MAX_TERMS
                or not all(isinstance(t, str) and t.strip() for t in terms)):
            self.fail(f"terms must be a list of 1 to {MAX_TERMS} non-empty strings (the key words its lesson "
                      f"section must contain), got {terms!r}")
            return ()
        cleaned = tuple(t.strip() for t in terms)
        if len({t.lower() for t in cleaned}) != len(cleaned):
            self.fail(f"terms repeat a value: {terms!r}")
        return cleaned

    def pending(self, pending: Any, topic: str | None) -> bool:
        if pending is not True:
            self.fail(f"lesson_pending must be true (or left out), got {pending!r}")
            return False
        if topic is not None and topic not in PENDING_LESSON_TOPICS:
            self.fail(f"lesson_pending is only for topics whose lesson is being written "
                      f"({', '.join(PENDING_LESSON_TOPICS)}); link {topic!r} questions to an existing section")
        return True

    def scenario(self, scenario: Any, text: str | None) -> bool:
        if scenario is not True:
            self.fail(f"scenario must be true (or left out), got {scenario!r}")
            return False
        if text and (len(text) < SCENARIO_MIN_CHARS or not SCENARIO_ASK_RE.search(text)):
            self.fail(f"a scenario question sets the scene (at least {SCENARIO_MIN_CHARS} characters) and asks, "
                      f"as the exam does, which solution meets the requirements (MOST cost-effectively, with the "
                      f"LEAST operational overhead, ...)")
        return True

    def changed(self, changed: Any) -> Changed | None:
        if not isinstance(changed, dict):
            self.fail(f"changed must be a mapping with {', '.join(CHANGED_KEYS)}, got {changed!r}")
            return None
        for key in changed.keys() - set(CHANGED_KEYS):
            self.fail(f"changed: unknown key {key!r} (allowed: {', '.join(CHANGED_KEYS)})")
        date = changed.get("date")
        # YAML reads an unquoted 2021-11-30 as a date object; accept it and keep the text form.
        if isinstance(date, _dt.date):
            date = date.isoformat()
        if not isinstance(date, str) or not DATE_RE.match(date) or not _real_date(date):
            self.fail(f"changed: date must be YYYY-MM or YYYY-MM-DD, got {changed.get('date')!r}")
        then = self.text(changed.get("then"), "changed: 'then'")
        now = self.text(changed.get("now"), "changed: 'now'")
        if then and now and then == now:
            self.fail("changed: 'then' and 'now' are the same")
        return Changed(date, then, now) if self.ok else None

    def source(self, source: Any) -> str | None:
        text = self.text(source, "'source'")
        if text is None:
            return None
        for part in text.split(";"):
            key = re.split(r"[\s:(]", part.strip(), maxsplit=1)[0]
            if key not in SOURCE_KEYS:
                self.fail(f"source {part.strip()!r} must start with a key of kinesis-facts.md "
                          f"(e.g. KDS-API, KDS-DG22:file.md) or COURSE")
        return text


def _real_date(text: str) -> bool:
    parts = [int(p) for p in text.split("-")] + [1]
    try:
        _dt.date(*parts[:3])
    except ValueError:
        return False
    return True

