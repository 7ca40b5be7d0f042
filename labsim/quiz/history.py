"""The learner's quiz history: a small JSON file on their own machine, never sent anywhere.

Default location ``~/.labsim/quiz-history.json``; ``$LABSIM_HOME`` replaces ``~/.labsim``, and
every function takes an explicit ``path`` too. Each scored answer is one attempt
(question id, topic, right or wrong, when, quiz or exam), so per-topic accuracy, and with it the
weakest topics, can be computed at any time.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from .session import Feedback
from .topics import TOPICS

ENV_VAR = "LABSIM_HOME"
FILENAME = "quiz-history.json"
VERSION = 1


class HistoryError(RuntimeError):
    """The history file exists but cannot be used (unreadable, not JSON, wrong shape)."""


def history_path(path: str | os.PathLike | None = None) -> Path:
    if path is not None:
        return Path(path)
    home = os.environ.get(ENV_VAR)
    return (Path(home) if home else Path.home() / ".labsim") / FILENAME


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class History:
    def __init__(self, path: str | os.PathLike | None = None):
        self.path = history_path(path)
        self.attempts: list[dict] = []
        self.exams: list[dict] = []
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        hint = "move it away or delete it to start a new history"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HistoryError(f"cannot read quiz history {self.path}: {exc}; {hint}") from exc
        if (not isinstance(data, dict) or not isinstance(data.get("attempts"), list)
                or not isinstance(data.get("exams", []), list)
                or not all(isinstance(a, dict) and isinstance(a.get("topic"), str)
                           and isinstance(a.get("correct"), bool) for a in data["attempts"])):
            raise HistoryError(f"{self.path} is not a labsim quiz history file; {hint}")
        self.attempts = data["attempts"]
        self.exams = data.get("exams", [])

    def record(self, feedbacks: Iterable[Feedback], *, mode: str, when: datetime | None = None) -> None:
        when = when.isoformat(timespec="seconds") if when else _now()
        for fb in feedbacks:
            self.attempts.append({"when": when, "mode": mode, "qid": fb.qid,
                                  "topic": fb.question.topic, "correct": fb.correct})

    def record_exam(self, summary: dict) -> None:
        self.exams.append({"when": _now(), **summary})

    def save(self) -> None:
        """Write atomically (temporary file + rename), so a crash never leaves half a file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": VERSION, "attempts": self.attempts, "exams": self.exams}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".quiz-history-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def summary(self) -> "HistorySummary":
        stats: dict[str, TopicStats] = {}
        for a in self.attempts:
            ts = stats.setdefault(a["topic"], TopicStats(a["topic"]))
            ts.attempts += 1
            ts.correct += a["correct"]
        # Course order first, then any topic the code no longer knows (kept, not dropped).
        order = {t: i for i, t in enumerate(TOPICS)}
        ordered = dict(sorted(stats.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
        return HistorySummary(self.path, ordered, exams=len(self.exams))


@dataclass
class TopicStats:
    topic: str
    attempts: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.attempts if self.attempts else 0.0

    @property
    def smoothed_accuracy(self) -> float:
        """(correct + 1) / (attempts + 2): an unseen topic counts as 50 %, and one lucky answer
        does not make a topic look mastered."""
        return (self.correct + 1) / (self.attempts + 2)


@dataclass
class HistorySummary:
    path: Path
    topics: dict[str, TopicStats]
    exams: int = 0

    @property
    def attempts(self) -> int:
        return sum(t.attempts for t in self.topics.values())

    def weakest(self, k: int = 3) -> list[str]:
        """Topics with the lowest accuracy (ties: more attempts first, then course order)."""
        ranked = sorted(self.topics.values(), key=lambda t: (t.accuracy, -t.attempts))
        return [t.topic for t in ranked[:k]]

    def weights(self) -> dict[str, float]:
        """A drawing weight per topic for exam practice: 1 for a mastered topic, up to 3 for a
        topic always answered wrong, 2 for a topic never tried."""
        return {t: 1.0 + 2.0 * (1.0 - self.topics.get(t, TopicStats(t)).smoothed_accuracy) for t in TOPICS}

    def table(self) -> str:
        if not self.topics:
            return f"No quiz history yet ({self.path})."
        w = max(len("topic"), *(len(t) for t in self.topics))
        lines = [f"Quiz history ({self.path}): {self.attempts} answers, {self.exams} exam(s)",
                 f"  {'topic':<{w}}  attempts  correct  accuracy"]
        for t in self.topics.values():
            lines.append(f"  {t.topic:<{w}}  {t.attempts:>8}  {t.correct:>7}  {100 * t.accuracy:>7.0f}%")
        lines.append(f"  weakest: {', '.join(self.weakest())}")
        return "\n".join(lines)

    __str__ = table

    def _repr_html_(self) -> str:
        if not self.topics:
            return f"<p>No quiz history yet (<code>{html.escape(str(self.path))}</code>).</p>"
        rows = "".join(
            f"<tr><td>{html.escape(t.topic)}</td><td>{t.attempts}</td><td>{t.correct}</td>"
            f"<td>{100 * t.accuracy:.0f}%</td></tr>" for t in self.topics.values())
        return ("<table><thead><tr><th>topic</th><th>attempts</th><th>correct</th><th>accuracy</th>"
                f"</tr></thead><tbody>{rows}</tbody></table>"
                f"<p>Weakest: {html.escape(', '.join(self.weakest()))}</p>")

    def plot(self, ax=None):
        """A bar chart of accuracy per topic (matplotlib); returns the Axes."""
        import matplotlib.pyplot as plt  # only the chart needs matplotlib

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.45 * max(len(self.topics), 2) + 1))
        names = list(self.topics)
        values = [100 * self.topics[t].accuracy for t in names]
        bars = ax.barh(names, values, color=["#c0392b" if v < 70 else "#2e86c1" for v in values])
        for bar, t in zip(bars, names):
            ax.annotate(f"{self.topics[t].correct}/{self.topics[t].attempts}",
                        (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                        xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        ax.set_xlim(0, 110)
        ax.invert_yaxis()  # course order from the top
        ax.set_xlabel("accuracy (%)")
        ax.set_title("Quiz accuracy by topic" if names else "No quiz history yet")
        return ax


def history_summary(path: str | os.PathLike | None = None) -> HistorySummary:
    """Per-topic attempts and accuracy from the learner's history (an empty summary if none)."""
    return History(path).summary()


def plot_history(path: str | os.PathLike | None = None, ax=None):
    """Bar chart of per-topic accuracy for a notebook cell; returns the matplotlib Axes."""
    return history_summary(path).plot(ax=ax)
