"""Helpers shared by the quiz tests: a clock the test moves by hand, and answers of the right size."""

from __future__ import annotations


class FakeClock:
    """Seconds that only move when a test sets ``.t`` (exams and widgets take any clock function)."""

    def __init__(self, t: float = 0.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def right(q):
    return sorted(q.correct_letters)


def wrong(q):
    """A wrong answer of the right size: the wrong options first (a choose-3 question may have only two)."""
    return (sorted(set(q.letters) - q.correct_letters) + sorted(q.correct_letters))[: q.n_correct]
