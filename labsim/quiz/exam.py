"""Exam practice: N questions across topics, against the clock, scored at the end.

The real AWS Certified Data Engineer - Associate exam gives 130 minutes for 65 questions, so
the default pace is 2 minutes per question. As on the exam, answers can be changed until the
end, nothing is revealed before it, unanswered questions count as wrong, and a question is
right only if exactly the right options are chosen.

A *mock exam* (``new_mock_exam``) is the full thing: 65 questions drawn by the exam guide's domain
weights, 130 minutes, and a scaled score from 100 to 1000 with 720 to pass (see mock.py for how the
lab approximates AWS's unpublished scaling).

The clock is injectable (any function returning seconds), so tests never wait.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable

from .bank import Question, load_bank
from .history import History
from .mock import MockReport, draw_mock, mock_report
from .picking import draw, select
from .render import feedback_text, format_duration, score_text
from .session import Feedback, QuizSession, Score

EXAM_MINUTES, EXAM_QUESTIONS = 130, 65
SECONDS_PER_QUESTION = EXAM_MINUTES * 60 / EXAM_QUESTIONS  # 120 s
DEFAULT_QUESTIONS = 20


class ExamOver(RuntimeError):
    """The exam has ended (submitted or out of time); answers are locked."""


class TimeUp(ExamOver):
    """An answer arrived after the time limit; it is not counted."""


@dataclass(frozen=True)
class ExamResult:
    score: Score
    wrong: list[Feedback]
    unanswered: list[Question]
    timed_out: bool
    elapsed: float
    time_limit: float | None
    mock: MockReport | None = None  # a mock exam's scaled score and domains

    def summary(self) -> dict:
        """What the history keeps about the exam as a whole."""
        out = {"questions": self.score.total, "answered": self.score.answered,
               "correct": self.score.correct, "timed_out": self.timed_out,
               "seconds": round(self.elapsed), "time_limit": self.time_limit,
               "by_topic": {t: {"asked": s.total, "correct": s.correct} for t, s in self.score.by_topic.items()}}
        if self.mock is not None:
            out["mock"] = self.mock.summary()
        return out

    def text(self, width: int = 88) -> str:
        limit = f" of {format_duration(self.time_limit)}" if self.time_limit else ""
        lines = [("Time is up. " if self.timed_out else "") + f"Time used: {format_duration(self.elapsed)}{limit}.",
                 score_text(self.score)]
        if self.mock is not None:
            lines += self.mock.lines()
        if self.wrong:
            lines += ["", f"Review of wrong answers ({len(self.wrong)}):"]
            for fb in self.wrong:
                lines += ["", feedback_text(fb, width)]
        if self.unanswered:
            lines += ["", "Not answered (counted as wrong): " + ", ".join(q.id for q in self.unanswered)]
        return "\n".join(lines)


class ExamSession(QuizSession):
    """A timed QuizSession whose latest answers are scored once it finishes."""

    def __init__(self, questions: Iterable[Question], *, minutes: float | None = None, timed: bool = True,
                 clock: Callable[[], float] = time.monotonic, mock: bool = False):
        super().__init__(questions, last_answer_counts=True)
        self.mock = mock
        if minutes is not None and not minutes > 0:
            raise ValueError(f"minutes must be positive, got {minutes}")
        default = len(self.questions) * SECONDS_PER_QUESTION
        self.time_limit: float | None = (default if minutes is None else minutes * 60) if timed else None
        self.clock = clock
        self.started = clock()
        self.result: ExamResult | None = None

    def elapsed(self) -> float:
        return self.clock() - self.started

    def remaining(self) -> float | None:
        return None if self.time_limit is None else self.time_limit - self.elapsed()

    @property
    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    @property
    def finished(self) -> bool:
        return self.result is not None

    def _check_open(self) -> None:
        if self.result is not None:
            raise ExamOver("the exam is over; answers are locked")
        if self.expired:
            self.finish()
            raise TimeUp("time is up; this answer was not counted")

    def answer(self, qid: str, choices, *, exact_count: bool = True) -> Feedback:
        self._check_open()
        return super().answer(qid, choices, exact_count=exact_count)

    def clear(self, qid: str) -> None:
        self._check_open()
        super().clear(qid)

    def finish(self) -> ExamResult:
        """End the exam (idempotent) and score it; a late finish still records only on-time answers."""
        if self.result is None:
            elapsed = self.elapsed()
            timed_out = self.time_limit is not None and elapsed >= self.time_limit
            if timed_out:
                elapsed = self.time_limit
            report = mock_report(self.questions, self.results) if self.mock else None
            self.result = ExamResult(self.score, self.wrong(), self.unanswered(), timed_out, elapsed, self.time_limit,
                                     report)
        return self.result

    def record(self, history: History, *, mode: str = "exam", when: datetime | None = None) -> bool:
        """Add the finished exam's answers (and, for an exam, its summary) to ``history`` and save it.
        An exam abandoned before any answer says nothing about the learner: it is not recorded (False)."""
        result = self.finish()
        if not self.results:
            return False
        history.record(self.results.values(), mode=mode, when=when)
        if mode == "exam":
            history.record_exam(result.summary())
        history.save()
        return True


def new_exam(n: int = DEFAULT_QUESTIONS, *, topics: str | Iterable[str] | None = None, seed: int | None = None,
             weak: bool = False, minutes: float | None = None, timed: bool = True, history: History | None = None,
             bank: list[Question] | None = None, clock: Callable[[], float] = time.monotonic) -> ExamSession:
    """Draw an exam; with ``weak`` the learner's weakest topics (from ``history``) are drawn more often."""
    pool = select(load_bank() if bank is None else bank, topics)
    weights = (history or History()).summary().weights() if weak else None
    return ExamSession(draw(pool, n, seed=seed, weights=weights), minutes=minutes, timed=timed, clock=clock)


def new_mock_exam(*, seed: int | None = None, timed: bool = True, bank: list[Question] | None = None,
                  clock: Callable[[], float] = time.monotonic) -> ExamSession:
    """The full mock exam: 65 questions by the exam guide's domain weights, 130 minutes, scaled score."""
    questions = draw_mock(load_bank() if bank is None else bank, EXAM_QUESTIONS, seed=seed)
    return ExamSession(questions, minutes=EXAM_MINUTES, timed=timed, clock=clock, mock=True)
