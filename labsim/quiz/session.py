"""Quiz logic without any user interface: answer a question, get feedback, keep the score.

The notebook widget, the plain-text fallback and the terminal exam are thin views on this,
so everything that matters can be tested without a browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .bank import LETTERS, Changed, Question


class AnswerError(ValueError):
    """The choices cannot be an answer to this question (unknown letter, wrong count, none)."""


def parse_choices(choices: str | Iterable[str | int] | None, question: Question, *,
                  exact_count: bool = True) -> frozenset[str]:
    """Turn "b", "b,d", "B D", "bd", ["b", "d"] or 0-based indices [1, 3] into a set of letters.

    With ``exact_count`` the number of letters must match what the question asks for (one, or
    the N of "(Choose N)"), as the exam's interface enforces; without it any non-empty set is
    accepted (and scored).
    """
    letters = question.letters
    if choices is None:
        picked: list[str] = []
    elif isinstance(choices, str):
        picked = [c for c in re.sub(r"[\s,;/]+", "", choices.lower())]
    else:
        picked = []
        for c in choices:
            if isinstance(c, bool) or not isinstance(c, (int, str)):
                raise AnswerError(f"{c!r} is not an option; give letters like 'b' or indices like 1")
            if isinstance(c, int):
                if not 0 <= c < len(letters):
                    raise AnswerError(f"option index {c} is out of range 0-{len(letters) - 1}")
                picked.append(letters[c])
            else:
                picked.extend(re.sub(r"[\s,;/]+", "", c.lower()))
    span = f"{letters[0]}-{letters[-1]}"
    if not picked:
        raise AnswerError(f"no option chosen; answer with a letter from {span}")
    bad = sorted({c for c in picked if c not in letters})
    if bad:
        verb = "is not an option" if len(bad) == 1 else "are not options"
        raise AnswerError(f"{', '.join(repr(b) for b in bad)} {verb} here; choose from {span}")
    if len(set(picked)) != len(picked):
        raise AnswerError("the same option is given twice")
    want = question.n_correct if question.type == "multiple" else 1
    if exact_count and len(picked) != want:
        asked = "one option" if want == 1 else f"{want} options"
        raise AnswerError(f"this question asks for {asked}; you chose {len(picked)} ({', '.join(sorted(picked))})")
    return frozenset(picked)


@dataclass(frozen=True)
class OptionFeedback:
    letter: str
    text: str
    correct: bool
    chosen: bool
    explanation: str


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer, with every option's explanation."""

    question: Question
    chosen: frozenset[str]
    counted: bool = True  # False for a retry after the first (scored) attempt

    @property
    def qid(self) -> str:
        return self.question.id

    @property
    def correct(self) -> bool:
        # All or nothing, as on the exam: every right option and no wrong one.
        return self.chosen == self.question.correct_letters

    @property
    def options(self) -> tuple[OptionFeedback, ...]:
        return tuple(OptionFeedback(letter, o.text, o.correct, letter in self.chosen, o.explanation)
                     for letter, o in zip(LETTERS, self.question.options))

    @property
    def changed(self) -> Changed | None:
        return self.question.changed

    @property
    def lesson(self) -> str:
        return self.question.lesson


@dataclass
class TopicScore:
    total: int = 0
    answered: int = 0
    correct: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.total if self.total else 0.0


@dataclass(frozen=True)
class Score:
    total: int
    answered: int
    correct: int
    by_topic: dict[str, TopicScore] = field(default_factory=dict)

    @property
    def percent(self) -> float:
        """Correct answers out of all questions: unanswered ones count as wrong, as on the exam."""
        return 100.0 * self.correct / self.total if self.total else 0.0

    @property
    def answered_percent(self) -> float:
        return 100.0 * self.correct / self.answered if self.answered else 0.0


class QuizSession:
    """A set of questions and the learner's answers.

    In practice mode (the default) the first attempt at a question is the one scored; later
    attempts still get feedback (``counted=False``). With ``last_answer_counts=True`` (exam mode)
    an answer can be changed and the latest one is scored.
    ``on_answer`` is called with each scored Feedback (used to keep the learner's history).
    """

    def __init__(self, questions: Iterable[Question], *, last_answer_counts: bool = False,
                 on_answer: Callable[[Feedback], None] | None = None):
        self.questions = list(questions)
        if not self.questions:
            raise ValueError("a quiz needs at least one question")
        self._by_id = {q.id: q for q in self.questions}
        if len(self._by_id) != len(self.questions):
            raise ValueError("a quiz cannot hold the same question twice")
        self.last_answer_counts = last_answer_counts
        self.on_answer = on_answer
        self.results: dict[str, Feedback] = {}

    def question(self, qid: str) -> Question:
        try:
            return self._by_id[qid]
        except KeyError:
            raise KeyError(f"question {qid!r} is not in this quiz") from None

    def answer(self, qid: str, choices, *, exact_count: bool = True) -> Feedback:
        q = self.question(qid)
        chosen = parse_choices(choices, q, exact_count=exact_count)
        counted = self.last_answer_counts or qid not in self.results
        fb = Feedback(q, chosen, counted)
        if counted:
            self.results[qid] = fb
            if self.on_answer is not None:
                self.on_answer(fb)
        return fb

    def clear(self, qid: str) -> None:
        """Withdraw an answer (exam mode: the learner unticked everything)."""
        self.question(qid)
        self.results.pop(qid, None)

    @property
    def score(self) -> Score:
        by_topic: dict[str, TopicScore] = {}
        for q in self.questions:
            ts = by_topic.setdefault(q.topic, TopicScore())
            ts.total += 1
            fb = self.results.get(q.id)
            if fb is not None:
                ts.answered += 1
                ts.correct += fb.correct
        return Score(total=len(self.questions), answered=len(self.results),
                     correct=sum(fb.correct for fb in self.results.values()), by_topic=by_topic)

    def wrong(self) -> list[Feedback]:
        return [self.results[q.id] for q in self.questions if q.id in self.results and not self.results[q.id].correct]

    def unanswered(self) -> list[Question]:
        return [q for q in self.questions if q.id not in self.results]
