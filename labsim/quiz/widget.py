"""Notebook views of a quiz and an exam (ipywidgets), with a plain-text fallback.

The views only display and collect choices: scoring lives in QuizSession / ExamSession.
Each view also answers to ``.answer(qid, choices)``, so it works without ipywidgets too, and
its ``text/plain`` representation is the whole quiz as text, which is what a frontend that
cannot render widgets (nbconvert, a terminal, GitHub) shows instead.
"""

from __future__ import annotations

import html
import json
import os
import re
import threading
import time
from typing import Callable, Iterable
from pathlib import Path

from .bank import LETTERS, Question, load_bank
from .exam import DEFAULT_QUESTIONS, ExamOver, ExamSession, TimeUp, new_exam, new_mock_exam
from .experiments import experiment_for
from .mock import PASS_MARK, SCALED_MAX, SCALED_MIN, MockReport
from .topics import DOMAINS
from .history import History, HistoryError
from .picking import draw, select
from .render import feedback_text, format_duration, question_text, score_text
from .session import AnswerError, Feedback, QuizSession, Score, parse_choices

# Each option is a checkbox whose label holds the option's HTML (code, bold). Long texts wrap inside
# their own row, which grows to fit, so a click lands on the option under the pointer; single-answer
# options are drawn as round radio buttons (the card lets only one stay ticked).
_CSS = """<style>
.labsim-quiz .labsim-option {height: auto; min-height: var(--jp-widgets-inline-height, 28px); margin: 0 0 6px 0;}
.labsim-quiz .labsim-option label {display: flex; align-items: flex-start; height: auto; white-space: normal;
  overflow: visible; line-height: 1.4; cursor: pointer;}
.labsim-quiz .labsim-option label span {white-space: normal; overflow: visible; text-overflow: clip;}
.labsim-quiz .labsim-option label input[type=checkbox] {flex: none; align-self: flex-start; margin: 3px 8px 0 2px;
  line-height: normal; height: 15px;}
.labsim-quiz .widget-html-content {line-height: 1.45;}
.labsim-quiz .labsim-single .labsim-option label input[type=checkbox] {appearance: none; -webkit-appearance: none; width: 15px;
  height: 15px; border: 1.5px solid #767676; border-radius: 50%; background: #fff;}
.labsim-quiz .labsim-single .labsim-option label input[type=checkbox]:checked {border-color: #1a73e8;
  background: radial-gradient(circle, #1a73e8 0 3.5px, #fff 4.5px);}
.labsim-quiz code {background: rgba(127,127,127,.12); padding: 0 3px;
  border-radius: 3px; font-size: 92%;}
.labsim-quiz a.labsim-review {color: var(--jp-content-link-color, #1a73e8); text-decoration: underline;}
</style>"""


def _ipywidgets():
    """ipywidgets, or None when it is not installed (the views then fall back to text)."""
    try:
        import ipywidgets
    except ImportError:
        return None
    return ipywidgets


# --- HTML helpers -------------------------------------------------------------------------------

def md_html(text: str) -> str:
    """A small Markdown subset (paragraphs, bullet lists, `code`, **bold**, fenced code) as HTML.

    Enough for question text; done here so the widget needs no Markdown package.
    """
    out, in_code, items = [], False, []

    def inline(s: str) -> str:
        s = html.escape(s)
        s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
        return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", s)

    def flush_items():
        if items:
            out.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    para: list[str] = []

    def flush_para():
        if para:
            out.append("<p>" + inline(" ".join(para)) + "</p>")
            para.clear()

    for line in text.strip().splitlines():
        if line.lstrip().startswith("```"):
            flush_para(), flush_items()
            out.append("</pre>" if in_code else "<pre>")
            in_code = not in_code
        elif in_code:
            out.append(html.escape(line) + "\n")
        elif re.match(r"\s*[-*]\s", line):
            flush_para()
            items.append(inline(re.sub(r"^\s*[-*]\s", "", line)))
        elif not line.strip():
            flush_para(), flush_items()
        else:
            flush_items()
            para.append(line.strip())
    flush_para(), flush_items()
    return "".join(out).replace("<pre>\n", "<pre>")


def lesson_href(link: str, cwd: Path | None = None) -> str:
    """The lesson link relative to the notebook's folder (the kernel's working directory), found by
    looking for the lesson file upwards; unchanged if the file is not found."""
    path, _, anchor = link.partition("#")
    cwd = Path.cwd() if cwd is None else cwd
    for base in (cwd, *cwd.parents):
        if (base / path).is_file():
            return Path(os.path.relpath(base / path, cwd)).as_posix() + "#" + anchor
    return link


def server_path(link: str, cwd: Path | None = None, session: str | None = None) -> str:
    """The lesson file's path from the Jupyter server's root folder (what JupyterLab opens).

    The kernel runs in the notebook's folder and Jupyter tells it the notebook's own path from the
    root (``JPY_SESSION_NAME``), which gives the root; without it, the course folder is taken as the
    root (``course.py start`` serves it).
    """
    path = link.partition("#")[0]
    cwd = Path.cwd() if cwd is None else cwd
    session = os.environ.get("JPY_SESSION_NAME", "") if session is None else session
    depth = len(Path(session).parts) - 1 if session and not Path(session).is_absolute() else -1
    if depth < 0 or depth > len(cwd.parents):
        return path
    root = cwd if depth == 0 else cwd.parents[depth - 1]
    for base in (cwd, *cwd.parents):
        if (base / path).is_file():
            found = (base / path).resolve()
            try:
                return found.relative_to(root.resolve()).as_posix()
            except ValueError:  # the lesson is outside what the server shows
                return path
    return path


def review_link(link: str) -> str:
    """A link to a lesson section: in JupyterLab a click opens the notebook there and scrolls to the
    section (JupyterLab's command linker); elsewhere the ``href`` is an ordinary relative link."""
    path, _, anchor = link.partition("#")
    args = json.dumps({"path": server_path(link), "id": f"#{anchor}" if anchor else ""})
    return (f'<a class="labsim-review" href="{html.escape(lesson_href(link))}" target="_blank" '
            f'data-commandlinker-command="rendermime:handle-local-link" data-commandlinker-args="{html.escape(args)}">'
            f"{html.escape(path)}{' &sect; ' + html.escape(anchor.replace('-', ' ')) if anchor else ''}</a>")


def feedback_html(fb: Feedback) -> str:
    q = fb.question
    if fb.correct:
        verdict = '<b style="color:#1e8449">&#10004; Correct.</b>'
    else:
        chose = ", ".join(sorted(fb.chosen)) or "nothing"
        verdict = (f'<b style="color:#b03a2e">&#10008; Not quite:</b> the answer is '
                   f'<b>{", ".join(sorted(q.correct_letters))}</b> (you chose {chose}).')
    if not fb.counted:
        verdict += " <i>Only your first try counts toward the score.</i>"
    rows = []
    for o in fb.options:
        mark = ('<span style="color:#1e8449">&#10004;</span>' if o.correct
                else '<span style="color:#b03a2e">&#10008;</span>')
        yours = " <i>(your choice)</i>" if o.chosen else ""
        rows.append(f'<li style="margin:4px 0">{mark} <b>{o.letter})</b> {md_inline(o.text)}{yours}'
                    f'<br><span style="margin-left:1.4em;display:inline-block">{md_inline(o.explanation)}</span></li>')
    parts = [f"<p>{verdict}</p>", '<ul style="list-style:none;padding-left:0">' + "".join(rows) + "</ul>"]
    if fb.changed is not None:
        c = fb.changed
        parts.append(f'<p style="background:#fef5e7;padding:4px 8px;border-left:3px solid #f39c12">'
                     f"<b>Then / now</b> (changed {html.escape(c.date)}): then {md_inline(c.then)}; "
                     f"now {md_inline(c.now)}.</p>")
    parts.append(f"<p>Review: {review_link(q.lesson)}</p>")
    experiment = experiment_for(q.id)
    if experiment is not None:
        parts.append(f"<details><summary>See it in the lab: {html.escape(experiment.title)}</summary>"
                     "<p>Paste this into a new cell and run it (it starts a lab of its own):</p>"
                     f"<pre>{html.escape(experiment.code)}</pre></details>")
    return '<div class="labsim-feedback">' + "".join(parts) + "</div>"


def md_inline(text: str) -> str:
    return md_html(text).removeprefix("<p>").removesuffix("</p>")


def score_html(score: Score) -> str:
    rows = "".join(f"<tr><td>{html.escape(t)}</td><td>{s.total}</td><td>{s.answered}</td><td>{s.correct}</td>"
                   f"<td>{s.percent:.0f}%</td></tr>" for t, s in score.by_topic.items())
    return (f"<p><b>Score: {score.correct}/{score.total} correct ({score.percent:.0f}%)</b>; "
            f"answered {score.answered} of {score.total}.</p>"
            "<table><thead><tr><th>topic</th><th>asked</th><th>answered</th><th>correct</th><th>score</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>")


# --- one question on screen ---------------------------------------------------------------------

class _Card:
    """A question with one checkbox per option (drawn as radio buttons for a single answer: ticking one
    unticks the others), a feedback area and, in practice mode, a Check button."""

    def __init__(self, W, q: Question, number: int, total: int, *, with_check: bool):
        self.q = q
        self.single = q.type == "single"
        head = f"<b>Question {number}/{total}</b> &middot; {html.escape(q.topic)} &middot; <code>{q.id}</code>"
        if not self.single:
            head += f" &middot; <i>choose {q.n_correct}</i>"
        self.header = W.HTML(f"<div>{head}</div>{md_html(q.question)}")
        self.inputs = []
        for letter, o in zip(LETTERS, q.options):
            box = W.Checkbox(value=False, description=f"<b>{letter})</b> {md_inline(o.text.strip())}",
                             description_allow_html=True, tooltip=f"{letter}) {o.text.strip().replace('`', '')}",
                             indent=False, layout=W.Layout(width="100%"))
            box.add_class("labsim-option")
            box.add_class(f"labsim-letter-{letter}")
            box.observe(self._ticked, names="value")
            self.inputs.append(box)
        self._callbacks: list = []
        self._syncing = False  # set while the card itself moves boxes: no callbacks for those
        self.check = W.Button(description="Check", button_style="primary") if with_check else None
        self.feedback = W.HTML("")
        children = [self.header, *self.inputs] + ([self.check] if self.check else []) + [self.feedback]
        self.box = W.VBox(children, layout=W.Layout(border="1px solid #ddd", padding="8px", margin="6px 0"))
        self.box.add_class("labsim-card")
        self.box.add_class("labsim-single" if self.single else "labsim-multiple")

    def _ticked(self, change) -> None:
        if self._syncing:
            return
        if self.single and change["new"]:
            self._syncing = True
            try:
                for box in self.inputs:
                    if box is not change["owner"]:
                        box.value = False
            finally:
                self._syncing = False
        for callback in self._callbacks:
            callback(self)

    def selected(self) -> list[str]:
        return [letter for letter, box in zip(LETTERS, self.inputs) if box.value]

    def set_selected(self, letters) -> None:
        """Tick exactly ``letters`` (from code: no change callbacks)."""
        letters = set(letters)
        self._syncing = True
        try:
            for letter, box in zip(LETTERS, self.inputs):
                box.value = letter in letters
        finally:
            self._syncing = False

    def observe(self, callback) -> None:
        """Call ``callback(card)`` after each change a learner makes."""
        self._callbacks.append(callback)

    def lock(self) -> None:
        for w in self.inputs + ([self.check] if self.check else []):
            w.disabled = True


# --- the display protocol shared by both views ------------------------------------------------

class _View:
    """Displays as its widget where widgets render; everywhere else (and in ``repr``) as text."""

    widget = None

    def text(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = self.widget._repr_mimebundle_(include=include, exclude=exclude) if self.widget is not None else {}
        data["text/plain"] = self.text()
        return data


# --- practice quiz ------------------------------------------------------------------------------

class QuizView(_View):
    """``quiz(...)`` returns this: a widget when ipywidgets is there, else a text quiz."""

    def __init__(self, session: QuizSession, *, title: str | None = None, plain: bool = False,
                 notice: str | None = None):
        self.session = session
        self.title = title or "Self-check quiz"
        self.notice = notice
        self.last: dict[str, Feedback] = {}  # latest feedback per question, counted or not
        self.cards: dict[str, _Card] = {}
        self.widget = None
        W = None if plain else _ipywidgets()
        if W is not None:
            self._build(W)

    def _build(self, W) -> None:
        total = len(self.session.questions)
        self.cards = {q.id: _Card(W, q, i, total, with_check=True) for i, q in enumerate(self.session.questions, 1)}
        for card in self.cards.values():
            card.check.on_click(lambda _btn, card=card: self._check(card))
        self.score_label = W.HTML(self._score_line())
        top = [W.HTML(_CSS + f"<h3>{html.escape(self.title)}</h3>")]
        if self.notice:
            top.append(W.HTML(f"<p><i>{html.escape(self.notice)}</i></p>"))
        self.widget = W.VBox(top + [c.box for c in self.cards.values()] + [self.score_label])
        self.widget.add_class("labsim-quiz")

    def _score_line(self) -> str:
        s = self.session.score
        return (f"<b>Score: {s.correct} correct of {s.answered} answered</b> "
                f"({s.total} question{'s' if s.total != 1 else ''}; your first try counts).")

    def _check(self, card: _Card, *, raise_errors: bool = False) -> Feedback | None:
        try:
            fb = self.session.answer(card.q.id, card.selected())
        except AnswerError as exc:
            card.feedback.value = f'<p style="color:#b03a2e">{html.escape(str(exc))}</p>'
            if raise_errors:
                raise
            return None
        self.last[fb.qid] = fb
        card.feedback.value = feedback_html(fb)
        self.score_label.value = self._score_line()
        return fb

    def answer(self, qid: str, choices) -> Feedback:
        """Answer from code (or in the text fallback): the same as ticking and clicking Check."""
        if self.widget is None:
            fb = self.session.answer(qid, choices)
            self.last[qid] = fb
            return fb
        card = self.cards[self.session.question(qid).id]
        card.set_selected(_letters(choices, card.q))
        return self._check(card, raise_errors=True)

    def text(self) -> str:
        total = len(self.session.questions)
        blocks = [self.title] + ([self.notice] if self.notice else [])
        for i, q in enumerate(self.session.questions, 1):
            blocks.append(question_text(q, i, total))
            if q.id in self.last:
                blocks.append(feedback_text(self.last[q.id]))
        blocks.append(score_text(self.session.score))
        if self.widget is None:
            blocks.append(f"Answer with .answer({self.session.questions[0].id!r}, 'b') "
                          "(several letters for '(Choose N)': 'b,d').")
        return "\n\n".join(blocks)


def _letters(choices, q: Question) -> list[str]:
    """Letters for setting widgets from code; the count is checked when the answer is scored."""
    return sorted(parse_choices(choices, q, exact_count=False))


def quiz(topic: str | list[str] | None = None, n: int | None = None, seed: int | None = None, *,
         ids: list[str] | None = None, record: bool = True, history_path=None, plain: bool = False,
         title: str | None = None, bank: list[Question] | None = None) -> QuizView:
    """A self-check quiz in a notebook cell.

    ``quiz("kds-write")`` asks a topic's questions in bank order; ``quiz("kds-write", n=5, seed=1)``
    a random five; ``quiz(ids=["kds-write-007"])`` exactly those. Each question has a Check button
    that explains every option. First tries are added to your local quiz history (``record=False``
    to skip; see ``history_summary()``).
    """
    pool = select(load_bank() if bank is None else bank, topic, ids)
    questions = pool if n is None and seed is None else draw(pool, n, seed=seed)
    history, notice, on_answer = _recorder(history_path, "quiz") if record else (None, None, None)
    if title is None and topic is not None:
        title = f"Self-check: {topic if isinstance(topic, str) else ', '.join(topic)}"
    return QuizView(QuizSession(questions, on_answer=on_answer), title=title, plain=plain, notice=notice)


def _recorder(history_path, mode: str):
    """(history, notice, on_answer): first tries are saved to the history as they are checked."""
    try:
        history = History(history_path)
    except HistoryError as exc:
        return None, f"Your answers are not being recorded: {exc}", None

    def on_answer(fb: Feedback) -> None:
        history.record([fb], mode=mode)
        try:
            history.save()
        except OSError:
            pass  # a read-only home must not break the quiz itself
    return history, None, on_answer


def review(*, now=None, history_path=None, plain: bool = False, bank: list[Question] | None = None) -> "QuizView | Note":
    """Spaced review in a notebook cell: the questions you missed that are due now (Leitner boxes,
    ``labsim.quiz.review``). Answers go to your history and move each card up a box or back to box 1."""
    from .review import due_questions, schedule_text

    history, notice, on_answer = _recorder(history_path, "review")
    if history is None:
        return Note(notice)
    questions = due_questions(load_bank() if bank is None else bank, history, now)
    if not questions:
        return Note(schedule_text(history, now))
    return QuizView(QuizSession(questions, on_answer=on_answer), title=f"Spaced review: {len(questions)} due",
                    plain=plain, notice=schedule_text(history, now).splitlines()[0])


class Note:
    """A few lines of text for a notebook cell (shown as text, not as a quoted string)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.text)}</pre>"


# --- exam practice ------------------------------------------------------------------------------

class ExamView(_View):
    """Exam practice: questions, a countdown, Submit; scored and reviewed at the end."""

    def __init__(self, session: ExamSession, history: History | None = None, *, plain: bool = False,
                 start_timer: bool = True, tick_seconds: float = 1.0):
        self.session, self.history = session, history
        self.saved: str | None = None  # where the result was recorded, or why it was not
        # Our own flag, not session.finished: a late answer finishes the session from inside
        # ExamSession.answer, and the view must still lock, show and record the result.
        self.submitted = False
        self._quiet = False  # set while answer() ticks boxes from code: one change, scored once
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self.cards: dict[str, _Card] = {}
        self.widget = None
        W = None if plain else _ipywidgets()
        if W is not None:
            self._build(W)
            if start_timer and session.time_limit is not None:
                threading.Thread(target=self._run_timer, args=(tick_seconds,), daemon=True,
                                 name="labsim-exam-timer").start()

    def _build(self, W) -> None:
        qs = self.session.questions
        self.cards = {q.id: _Card(W, q, i, len(qs), with_check=False) for i, q in enumerate(qs, 1)}
        for card in self.cards.values():
            card.observe(self._changed)
        self.timer = W.HTML(self._timer_text())
        self.submit_button = W.Button(description="Submit exam", button_style="warning")
        self.submit_button.on_click(lambda _btn: self.submit())
        self.result_html = W.HTML("")
        limit = (f"{format_duration(self.session.time_limit)} for {len(qs)} questions"
                 if self.session.time_limit else f"{len(qs)} questions, untimed")
        title = "Mock exam" if self.session.mock else "Exam practice"
        scaled = (f" Scored {SCALED_MIN}-{SCALED_MAX}, {PASS_MARK} to pass, drawn by the exam guide's domain weights."
                  if self.session.mock else "")
        intro = (f"<h3>{title}</h3><p>{limit}. Answers can be changed until you submit or time runs "
                 f"out; then they lock and the exam is scored. Unanswered questions count as wrong.{scaled}</p>")
        self.widget = W.VBox([W.HTML(_CSS + intro), self.timer] + [c.box for c in self.cards.values()]
                             + [self.submit_button, self.result_html])
        self.widget.add_class("labsim-quiz")

    def _timer_text(self) -> str:
        if self.submitted:
            return "<b>Exam finished.</b>"
        left = self.session.remaining()
        return "<b>Untimed.</b>" if left is None else f"<b>Time left: {format_duration(left)}</b>"

    def _run_timer(self, tick_seconds: float) -> None:
        while not self._stop.wait(tick_seconds):
            if not self.tick():
                break

    def tick(self) -> bool:
        """Refresh the countdown; when time is up, lock and score. False once the exam is over."""
        with self._lock:
            if not self.submitted and (self.session.finished or self.session.expired):
                self.submit()
            if self.widget is not None:
                self.timer.value = self._timer_text()
            return not self.submitted

    def _changed(self, card: _Card) -> None:
        with self._lock:
            if self.submitted or self._quiet:
                return
            chosen = card.selected()
            try:
                if chosen:
                    self.session.answer(card.q.id, chosen, exact_count=False)
                else:
                    self.session.clear(card.q.id)
            except TimeUp:
                self.submit()

    def answer(self, qid: str, choices) -> None:
        """Choose an answer from code (or in the text fallback); nothing is revealed until submit."""
        with self._lock:
            if self.submitted:
                raise ExamOver("the exam is over; answers are locked")
            if self.widget is None:
                try:
                    self.session.answer(qid, choices, exact_count=False)
                except TimeUp:
                    self.submit()
                    raise
                return
            q = self.session.question(qid)
            card = self.cards[q.id]
            letters = _letters(choices, q)
            # Tick the boxes as one change: a box-by-box update would score partial answers, and
            # if time ran out half-way, the boxes after the one that ended the exam would stay
            # ticked on a card that must show what was scored.
            self._quiet = True
            try:
                card.set_selected(letters)
            finally:
                self._quiet = False
            self._changed(card)
            if self.submitted:  # the change arrived after the time limit
                raise TimeUp("time is up; this answer was not counted")

    def submit(self):
        """End the exam, lock the answers, show the score and review, record the history."""
        with self._lock:
            result = self.session.finish()
            if self.submitted:
                return result
            self.submitted = True
            self._stop.set()
            self._record()
            if self.widget is not None:
                for card in self.cards.values():
                    recorded = self.session.results.get(card.q.id)
                    card.set_selected(recorded.chosen if recorded else [])  # show what was scored
                    card.lock()
                self.submit_button.disabled = True
                self.timer.value = self._timer_text()
                self.result_html.value = self._result_html()
            return result

    def _record(self) -> None:
        if self.history is None:
            self.saved = "not recorded (no history)"
            return
        try:
            recorded = self.session.record(self.history)
            self.saved = f"saved to {self.history.path}" if recorded else "unchanged: nothing was answered"
        except (OSError, HistoryError) as exc:
            self.saved = f"could not be saved: {exc}"

    def _result_html(self) -> str:
        r = self.session.finish()
        head = "<h3>Time is up.</h3>" if r.timed_out else "<h3>Exam submitted.</h3>"
        limit = f" of {format_duration(r.time_limit)}" if r.time_limit else ""
        parts = [head, f"<p>Time used: {format_duration(r.elapsed)}{limit}.</p>", score_html(r.score)]
        if r.mock is not None:
            parts.append(mock_html(r.mock))
        if r.wrong:
            parts.append(f"<h4>Review of wrong answers ({len(r.wrong)})</h4>")
            for fb in r.wrong:
                parts.append(f"<div style='margin:8px 0'><b>{fb.qid}</b>{md_html(fb.question.question)}"
                             f"{feedback_html(fb)}</div>")
        if r.unanswered:
            parts.append("<p>Not answered (counted as wrong): "
                         + ", ".join(f"<code>{q.id}</code>" for q in r.unanswered) + "</p>")
        parts.append(f"<p><i>History {html.escape(self.saved or '')}.</i></p>")
        return "".join(parts)

    def text(self) -> str:
        qs = self.session.questions
        if self.submitted:
            return self.session.finish().text() + f"\n\nHistory {self.saved}."
        title = "Mock exam" if self.session.mock else "Exam practice"
        blocks = [f"{title}: {len(qs)} questions. " + re.sub("<[^>]+>", "", self._timer_text())]
        blocks += [question_text(q, i, len(qs)) for i, q in enumerate(qs, 1)]
        if self.widget is None:
            blocks.append(f"Answer with .answer({qs[0].id!r}, 'b'), then .submit() to score.")
        return "\n\n".join(blocks)


def mock_html(report: MockReport) -> str:
    verdict = "PASS" if report.passed else "FAIL"
    rows = "".join(f"<tr><td>{html.escape(DOMAINS[d])}</td><td>{s.total}</td><td>{s.correct}</td>"
                   f"<td>{s.percent:.0f}%</td></tr>" for d, s in report.by_domain.items())
    return (f"<p><b>Scaled score: {report.scaled} of {SCALED_MAX}</b> (pass mark {PASS_MARK}): <b>{verdict}</b>. "
            f"<i>AWS does not publish its scaling; this is the lab's linear approximation, {SCALED_MIN} + "
            f"{SCALED_MAX - SCALED_MIN} &times; right / questions.</i></p>"
            f"<table><tr><th>domain</th><th>asked</th><th>correct</th><th>score</th></tr>{rows}</table>")


# The notebook entry point of exam practice lives with its view (exam.py holds the session alone).
def exam(n: int = DEFAULT_QUESTIONS, *, topics: str | Iterable[str] | None = None, seed: int | None = None,
         weak: bool = False, minutes: float | None = None, timed: bool = True, history_path=None,
         plain: bool = False, start_timer: bool = True, clock: Callable[[], float] = time.monotonic,
         bank: list[Question] | None = None, mock: bool = False):
    """Exam practice in a notebook: ``exam(n=20)`` shows the questions, a countdown and a
    Submit button; when time is up the answers lock and the exam is scored and reviewed.

    ``minutes`` defaults to 2 per question (the real exam's pace); ``weak=True`` draws more
    questions from the topics you have answered worst so far. ``exam(mock=True)`` is the full mock
    exam: 65 questions by the exam guide's domain weights, 130 minutes, a scaled score (100-1000, 720 to
    pass; the scaling is the lab's linear approximation). Without ipywidgets (or with ``plain=True``)
    you get a text version answered with ``.answer(qid, "b,d")`` and ``.submit()``.
    """
    history = History(history_path)
    if mock:
        if topics is not None or weak or minutes is not None or n != DEFAULT_QUESTIONS:
            raise ValueError("exam(mock=True) is the whole exam (65 questions by domain, 130 minutes): "
                             "leave out n, topics, weak and minutes")
        session = new_mock_exam(seed=seed, timed=timed, bank=bank, clock=clock)
    else:
        session = new_exam(n, topics=topics, seed=seed, weak=weak, minutes=minutes, timed=timed,
                           history=history, bank=bank, clock=clock)
    return ExamView(session, history, plain=plain, start_timer=start_timer)
