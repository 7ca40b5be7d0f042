"""Spaced review: every question answered wrong comes back on a Leitner schedule, until mastered.

Each question the learner has ever missed gets a card. A wrong answer puts the card in box 1; a right
answer moves it up one box; a card is due ``INTERVAL_DAYS[box - 1]`` days after its last answer, and
a right answer in the last box retires it. This is Leitner's box system (Sebastian Leitner, *So lernt
man lernen*, 1972) with the doubling intervals most flashcard tools use: 1, 2, 4, 8 and 16 days.

Cards are computed from the history file each time (``labsim.quiz.history``), so there is no second
file to keep in step, and answers given in quizzes, exams and reviews all count. Every function takes
``now`` so tests and notebooks need no real waiting.

The same history gives the mastery chart: per topic, the share of right answers among the last
``MASTERY_WINDOW`` answers, day by day, as a line per topic.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable

from .bank import Question
from .history import History
from .topics import TOPICS

INTERVAL_DAYS = (1, 2, 4, 8, 16)
MASTERY_WINDOW = 10  # answers per topic that the mastery line averages over


@dataclass(frozen=True)
class Card:
    qid: str
    topic: str
    box: int              # 1..len(INTERVAL_DAYS); len + 1 once retired
    last: datetime        # the last answer's time
    misses: int

    @property
    def retired(self) -> bool:
        return self.box > len(INTERVAL_DAYS)

    @property
    def due(self) -> datetime | None:
        return None if self.retired else self.last + timedelta(days=INTERVAL_DAYS[self.box - 1])


def _when(attempt: dict) -> datetime:
    when = datetime.fromisoformat(attempt["when"])
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _history(history: History | str | os.PathLike | None) -> History:
    return history if isinstance(history, History) else History(history)


def cards(history: History | str | os.PathLike | None = None) -> dict[str, Card]:
    """A card per question ever answered wrong (retired ones included), by question id."""
    out: dict[str, Card] = {}
    for attempt in sorted(_history(history).attempts, key=_when):
        qid = attempt.get("qid")
        if not qid:
            continue
        when, card = _when(attempt), out.get(qid)
        if not attempt["correct"]:
            out[qid] = Card(qid, attempt["topic"], 1, when, (card.misses if card else 0) + 1)
        elif card is not None and not card.retired:
            out[qid] = Card(qid, card.topic, card.box + 1, when, card.misses)
    return out


def due_questions(bank: Iterable[Question], history: History | str | os.PathLike | None = None,
                  now: datetime | None = None) -> list[Question]:
    """The questions whose card is due at ``now``, longest overdue first (then lowest box)."""
    now = now or datetime.now(timezone.utc)
    by_id = {q.id: q for q in bank}
    due = [c for c in cards(history).values() if not c.retired and c.due <= now and c.qid in by_id]
    due.sort(key=lambda c: (c.due, c.box, c.qid))
    return [by_id[c.qid] for c in due]


def schedule_text(history: History | str | os.PathLike | None = None, now: datetime | None = None) -> str:
    """What is due now, what comes later, and what is mastered, in a few lines."""
    now = now or datetime.now(timezone.utc)
    all_cards = list(cards(history).values())
    if not all_cards:
        return "Spaced review: nothing to review yet (questions you miss will come back here)."
    live = [c for c in all_cards if not c.retired]
    due_now = [c for c in live if c.due <= now]
    later = sorted((c for c in live if c.due > now), key=lambda c: c.due)
    lines = [f"Spaced review: {len(due_now)} due now, {len(later)} scheduled, "
             f"{len(all_cards) - len(live)} mastered (right in every box)."]
    for box in range(1, len(INTERVAL_DAYS) + 1):
        n = sum(c.box == box for c in live)
        if n:
            lines.append(f"  box {box} (every {INTERVAL_DAYS[box - 1]:>2} d): {n} question(s)")
    if later:
        lines.append(f"  next: {later[0].qid} on {later[0].due:%Y-%m-%d %H:%M} UTC")
    return "\n".join(lines)


def mastery_timeline(history: History | str | os.PathLike | None = None) -> dict[str, list[tuple[datetime, float]]]:
    """Per topic (course order), the mastery at the end of each day with answers in it: the share of
    right answers among that topic's last ``MASTERY_WINDOW`` answers."""
    recent: dict[str, list[bool]] = {}
    points: dict[str, dict[datetime, float]] = {}
    for attempt in sorted(_history(history).attempts, key=_when):
        topic = attempt["topic"]
        window = recent.setdefault(topic, [])
        window.append(bool(attempt["correct"]))
        del window[:-MASTERY_WINDOW]
        day = _when(attempt).replace(hour=0, minute=0, second=0, microsecond=0)
        points.setdefault(topic, {})[day] = sum(window) / len(window)
    order = {t: i for i, t in enumerate(TOPICS)}
    return {t: sorted(points[t].items()) for t in sorted(points, key=lambda t: (order.get(t, len(order)), t))}


def plot_mastery(history: History | str | os.PathLike | None = None, ax=None):
    """A line per topic: mastery (last answers' accuracy) over time; returns the matplotlib Axes."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt  # only the chart needs matplotlib

    timeline = mastery_timeline(history)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    for topic, series in timeline.items():
        days, values = zip(*series)
        ax.plot(days, [100 * v for v in values], marker="o", markersize=3, label=topic)
    ax.set_ylim(0, 105)
    ax.set_ylabel(f"right, last {MASTERY_WINDOW} answers (%)")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
    ax.set_title("Mastery by topic over time" if timeline else "No quiz history yet")
    if timeline:
        ax.legend(fontsize=7, ncol=2, loc="lower right")
    return ax
