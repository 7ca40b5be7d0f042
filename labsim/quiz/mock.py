"""The full mock exam: drawn by the exam guide's domain weights and scored on the exam's scaled range.

AWS Certified Data Engineer - Associate (DEA-C01): 65 questions in 130 minutes, four content domains
weighted 34 / 26 / 22 / 18 % (``topics.DOMAIN_WEIGHTS``), a result reported as a scaled score from
100 to 1000 with 720 to pass. (The real exam also holds 15 unscored questions among its 65; a mock
exam scores them all.)

**The scaling is the lab's assumption.** AWS does not publish how raw answers become a scaled score:
it equates different exam forms, so the same raw score may give different scaled scores on two forms.
The lab uses a straight line, 100 for no right answer and 1000 for all right:
``scaled = 100 + 900 x right / questions``, rounded. Then 720 needs 68.9 % right (45 of 65).
Read the number as "on the way to a pass or not", not as a prediction of the real score.

A question counts towards its first domain (``Question.domain``); each domain gets its share of the
questions by the largest-remainder rule (65 questions: 22, 17, 14, 12).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Iterable, Mapping

from .bank import Question
from .session import Feedback, TopicScore
from .topics import DOMAIN_WEIGHTS, DOMAINS

SCALED_MIN, SCALED_MAX, PASS_MARK = 100, 1000, 720


def domain_quota(n: int, weights: Mapping[str, float] = DOMAIN_WEIGHTS) -> dict[str, int]:
    """How many of ``n`` questions each domain gets: floor of its share, then the largest remainders
    (ties go to the heavier domain, then to the domain listed first)."""
    if n < 1:
        raise ValueError(f"a mock exam needs at least 1 question, got {n}")
    total = sum(weights.values())
    exact = {d: n * w / total for d, w in weights.items()}
    quota = {d: math.floor(x) for d, x in exact.items()}
    order = sorted(weights, key=lambda d: (-(exact[d] - quota[d]), -weights[d], list(weights).index(d)))
    for d in order[: n - sum(quota.values())]:
        quota[d] += 1
    return quota


def draw_mock(bank: Iterable[Question], n: int, *, seed: int | None = None,
              weights: Mapping[str, float] = DOMAIN_WEIGHTS) -> list[Question]:
    """``n`` distinct questions, each domain's share drawn at random from its questions, in random order.
    The same bank, n and seed always give the same exam. ValueError names a domain that is short."""
    rng = random.Random(seed)
    pools: dict[str, list[Question]] = {d: [] for d in weights}
    for q in bank:
        if q.domain in pools:
            pools[q.domain].append(q)
    quota = domain_quota(n, weights)
    short = {d: (len(pools[d]), k) for d, k in quota.items() if len(pools[d]) < k}
    if short:
        raise ValueError("not enough questions for a mock exam in domain(s) " + ", ".join(
            f"{DOMAINS.get(d, d)} (has {have}, needs {need})" for d, (have, need) in short.items()))
    picked = [q for d, k in quota.items() for q in rng.sample(pools[d], k)]
    rng.shuffle(picked)
    return picked


def scaled_score(correct: int, total: int) -> int:
    """The lab's linear stand-in for AWS's (unpublished) scaling: 100 + 900 x correct / total, rounded."""
    if total < 1 or not 0 <= correct <= total:
        raise ValueError(f"need 0 <= correct <= total and total >= 1, got {correct}/{total}")
    return int(SCALED_MIN + (SCALED_MAX - SCALED_MIN) * correct / total + 0.5)


@dataclass(frozen=True)
class MockReport:
    """What a mock exam adds to the plain score: the scaled score, pass or fail, and each domain's share."""

    scaled: int
    passed: bool
    by_domain: dict[str, TopicScore]

    def summary(self) -> dict:
        return {"scaled": self.scaled, "passed": self.passed, "pass_mark": PASS_MARK,
                "by_domain": {d: {"asked": s.total, "correct": s.correct} for d, s in self.by_domain.items()}}

    def lines(self) -> list[str]:
        verdict = "PASS" if self.passed else "FAIL"
        out = [f"Scaled score: {self.scaled} of {SCALED_MAX} (pass mark {PASS_MARK}): {verdict}.",
               "  (AWS does not publish its scaling; this is the lab's linear approximation, "
               f"{SCALED_MIN} + {SCALED_MAX - SCALED_MIN} x right / questions.)"]
        w = max(len(name) for name in DOMAINS.values())
        out.append(f"  {'domain':<{w}}  asked  correct  score")
        for d, s in self.by_domain.items():
            out.append(f"  {DOMAINS[d]:<{w}}  {s.total:>5}  {s.correct:>7}  {s.percent:>4.0f}%")
        return out


def mock_report(questions: Iterable[Question], results: Mapping[str, Feedback]) -> MockReport:
    """Score a finished mock exam; unanswered questions count as wrong."""
    by_domain = {d: TopicScore() for d in DOMAINS}
    for q in questions:
        s = by_domain[q.domain]
        s.total += 1
        fb = results.get(q.id)
        if fb is not None:
            s.answered += 1
            s.correct += fb.correct
    total = sum(s.total for s in by_domain.values())
    correct = sum(s.correct for s in by_domain.values())
    scaled = scaled_score(correct, total)
    return MockReport(scaled, scaled >= PASS_MARK, {d: s for d, s in by_domain.items() if s.total})
