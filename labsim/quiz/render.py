"""Plain-text rendering of questions, feedback and scores.

Used by the terminal exam, by the widget's text/plain fallback (frontends that cannot show
widgets) and when ipywidgets is not installed. The layout uses ASCII only (no check marks or
box drawing), so any console can print it.
"""

from __future__ import annotations

import re
import textwrap

from .bank import LETTERS, Question
from .experiments import experiment_for
from .session import Feedback, Score

WIDTH = 88
_KEEP_LINE = re.compile(r"\s*(?:[-*]\s|\d+\.\s|\||```)")  # list item, table row, code fence


def wrap_markdown(text: str, width: int = WIDTH, indent: str = "") -> str:
    """Wrap prose paragraphs; keep list items, tables and code blocks line by line."""
    out: list[str] = []
    in_code = False
    for para in text.strip().split("\n\n"):
        lines = para.splitlines()
        if not in_code and not any(_KEEP_LINE.match(ln) for ln in lines):
            out.append(textwrap.fill(" ".join(ln.strip() for ln in lines), width,
                                     initial_indent=indent, subsequent_indent=indent))
        else:
            for ln in lines:
                fence = ln.lstrip().startswith("```")
                if in_code or fence or ln.lstrip().startswith("|"):
                    out.append(indent + ln)  # code and tables: verbatim
                else:
                    lead = indent + ln[: len(ln) - len(ln.lstrip())]
                    out.append(textwrap.fill(ln.strip(), width, initial_indent=lead,
                                             subsequent_indent=lead + "  "))
                in_code ^= fence
        out.append("")
    return "\n".join(out).rstrip()


def question_text(q: Question, number: int | None = None, total: int | None = None,
                  width: int = WIDTH, extra: str = "") -> str:
    head = f"Question {number}/{total}" if number is not None and total is not None else "Question"
    head += f"  [{q.topic}] ({q.id})"
    if extra:
        head += f"  {extra}"
    lines = [head, wrap_markdown(q.question, width), ""]
    for letter, opt in zip(LETTERS, q.options):
        lines.append(textwrap.fill(opt.text.strip(), width, initial_indent=f"  {letter}) ",
                                   subsequent_indent="     "))
    return "\n".join(lines)


def feedback_text(fb: Feedback, width: int = WIDTH) -> str:
    q = fb.question
    right = ", ".join(sorted(q.correct_letters))
    chose = ", ".join(sorted(fb.chosen)) or "nothing"
    verdict = "Correct." if fb.correct else f"Not quite: the answer is {right} (you chose {chose})."
    if not fb.counted:
        verdict += " (Only your first try counts toward the score.)"
    lines = [f"{q.id}: {verdict}"]
    for o in fb.options:
        box = "[x]" if o.chosen else "[ ]"
        lines.append(textwrap.fill(o.text.strip(), width, initial_indent=f"  {o.letter}) {box} ",
                                   subsequent_indent="         "))
        label = "+ Correct: " if o.correct else "- Incorrect: "
        lines.append(textwrap.fill(" ".join(o.explanation.split()), width, initial_indent="      " + label,
                                   subsequent_indent="        "))
    lines += _changed_lines(fb, width)
    lines.append(f"  Review: {q.lesson}")
    experiment = experiment_for(q.id)
    if experiment is not None:
        lines.append(f"  See it in the lab: labsim-exam --try {experiment.name}  ({experiment.title})")
    return "\n".join(lines)


def _changed_lines(fb: Feedback, width: int) -> list[str]:
    c = fb.changed
    if c is None:
        return []
    return [textwrap.fill(f"Then / now (changed {c.date}): then {c.then}; now {c.now}.", width,
                          initial_indent="  ", subsequent_indent="    ")]


def score_text(score: Score) -> str:
    lines = [f"Score: {score.correct}/{score.total} correct ({score.percent:.0f}%); "
             f"answered {score.answered} of {score.total}."]
    if score.by_topic:
        w = max(len("topic"), *(len(t) for t in score.by_topic))
        lines.append(f"  {'topic':<{w}}  asked  answered  correct  score")
        for topic, ts in score.by_topic.items():
            lines.append(f"  {topic:<{w}}  {ts.total:>5}  {ts.answered:>8}  {ts.correct:>7}  {ts.percent:>4.0f}%")
    return "\n".join(lines)


def format_duration(seconds: float) -> str:
    """1:05 for 65 s, 2:10:00 for 130 min; never negative."""
    s = max(0, int(seconds + 0.999))  # round up: "0:00" only once time is really up
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
