"""The notebook views, driven without a browser: build the widgets, set values, click buttons."""

from __future__ import annotations

import html
import json
import sys
import threading
import time

import pytest

pytest.importorskip("ipywidgets")

from labsim.quiz import AnswerError, exam, load_bank, quiz  # noqa: E402
from labsim.quiz.exam import ExamOver, ExamSession, TimeUp  # noqa: E402
from labsim.quiz.history import History  # noqa: E402
from labsim.quiz.widget import ExamView, lesson_href, md_html  # noqa: E402
from quizkit import FakeClock, wrong  # noqa: E402  (tests/quizkit.py)


@pytest.fixture(autouse=True)
def labsim_home(tmp_path, monkeypatch):
    """Never touch the real ~/.labsim: every test gets its own history location."""
    monkeypatch.setenv("LABSIM_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(scope="module")
def bank():
    return load_bank()




def choose(card, letters):
    """What a learner does with the mouse: click the options, one after the other."""
    for letter, box in zip("abcdefgh", card.inputs):
        if box.value and letter not in letters:
            box.value = False
    for letter, box in zip("abcdefgh", card.inputs):
        if letter in letters:
            box.value = True


def history_file(home):
    return json.loads((home / "quiz-history.json").read_text())


# --- practice quiz ------------------------------------------------------------------------------

def test_quiz_builds_one_card_per_question_with_the_right_controls(bank):
    view = quiz("kds-write")
    topic = [q for q in bank if q.topic == "kds-write"]
    assert list(view.cards) == [q.id for q in topic]
    for q in topic:
        card = view.cards[q.id]
        assert [type(w).__name__ for w in card.inputs] == ["Checkbox"] * len(q.options)
        assert not any(w.value for w in card.inputs)
        assert [f"labsim-letter-{letter}" in w._dom_classes for letter, w in zip(q.letters, card.inputs)] == [True] * len(q.options)
        assert ("labsim-single" if q.type == "single" else "labsim-multiple") in card.box._dom_classes
        assert card.check.description == "Check" and card.feedback.value == ""
    assert type(view.widget).__name__ == "VBox"


def test_clicking_check_shows_feedback_for_every_option_and_updates_the_score(bank, labsim_home):
    q = next(q for q in bank if q.topic == "kds-write" and q.type == "single")
    view = quiz(ids=[q.id])
    card = view.cards[q.id]
    choose(card, sorted(q.correct_letters))
    card.check.click()
    shown = card.feedback.value
    assert "Correct." in shown and "Not quite" not in shown
    for o in q.options:
        assert html.escape(o.explanation.split("`")[0].strip()) in shown
    assert "(your choice)" in shown and q.lesson in shown
    assert "1 correct of 1 answered" in view.score_label.value
    (attempt,) = history_file(labsim_home)["attempts"]
    assert (attempt["qid"], attempt["mode"], attempt["correct"]) == (q.id, "quiz", True)


def test_wrong_answer_shows_the_right_one_and_the_then_now_note(bank):
    view = quiz(ids=["course-basics-004"], record=False)
    q = view.session.questions[0]
    card = view.cards[q.id]
    choose(card, wrong(q))
    card.check.click()
    assert f"the answer is <b>{next(iter(q.correct_letters))}</b>" in card.feedback.value
    assert "Then / now</b> (changed 2021-11)" in card.feedback.value
    assert "0 correct of 1 answered" in view.score_label.value


def test_check_without_a_choice_or_with_the_wrong_count_explains_and_does_not_score(bank):
    q = next(q for q in bank if q.type == "multiple")
    view = quiz(ids=[q.id], record=False)
    card = view.cards[q.id]
    card.check.click()
    assert "no option chosen" in card.feedback.value
    choose(card, sorted(q.correct_letters)[:1])
    card.check.click()
    assert f"asks for {q.n_correct} options; you chose 1" in card.feedback.value
    assert view.session.score.answered == 0
    choose(card, sorted(q.correct_letters))
    card.check.click()
    assert "Correct." in card.feedback.value and view.session.score.correct == 1


def test_only_the_first_try_counts(bank):
    q = next(q for q in bank if q.type == "single")
    view = quiz(ids=[q.id], record=False)
    card = view.cards[q.id]
    choose(card, wrong(q))
    card.check.click()
    choose(card, sorted(q.correct_letters))
    card.check.click()
    assert "Correct." in card.feedback.value and "Only your first try counts" in card.feedback.value
    assert "0 correct of 1 answered" in view.score_label.value


def test_answer_from_code_drives_the_same_widgets(bank):
    q = next(q for q in bank if q.type == "multiple")
    view = quiz(ids=[q.id], record=False)
    fb = view.answer(q.id, ",".join(sorted(q.correct_letters)))
    assert fb.correct and [w.value for w in view.cards[q.id].inputs] == [o.correct for o in q.options]
    with pytest.raises(AnswerError, match="asks for"):
        view.answer(q.id, sorted(q.correct_letters)[0])


def test_record_false_and_a_broken_history_do_not_block_the_quiz(bank, labsim_home):
    q = bank[0]
    quiz(ids=[q.id], record=False).answer(q.id, sorted(q.correct_letters))
    assert not (labsim_home / "quiz-history.json").exists()
    labsim_home.mkdir(parents=True)
    (labsim_home / "quiz-history.json").write_text("{not json")
    view = quiz(ids=[q.id])
    assert "not being recorded" in view.notice and "quiz-history.json" in view.notice
    assert view.answer(q.id, sorted(q.correct_letters)).correct


def test_selection_is_reproducible(bank):
    a = quiz("kds-write", n=5, seed=11, record=False)
    b = quiz("kds-write", n=5, seed=11, record=False)
    assert list(a.cards) == list(b.cards) and len(a.cards) == 5
    assert {q.topic for q in a.session.questions} == {"kds-write"}
    with pytest.raises(ValueError, match="unknown topic"):
        quiz("kinesis")


def test_mimebundle_carries_the_widget_and_a_text_fallback(bank):
    view = quiz(ids=["course-basics-001", "kds-write-010"], record=False)
    data = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    text = data["text/plain"]
    assert "Question 1/2" in text and "course-basics-001" in text and "Score: 0/2" in text


def test_plain_text_fallback_is_interactive_too(bank):
    q = bank[0]
    view = quiz(ids=[q.id], plain=True, record=False)
    assert view.widget is None and view._repr_mimebundle_().keys() == {"text/plain"}
    assert "Answer with .answer(" in repr(view)
    fb = view.answer(q.id, sorted(q.correct_letters))
    assert fb.correct and f"{q.id}: Correct." in repr(view)


def test_without_ipywidgets_the_quiz_falls_back_to_text(bank, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    view = quiz(ids=[bank[0].id], record=False)
    assert view.widget is None and "Question 1/1" in repr(view)
    exam_view = exam(n=2, seed=1, bank=bank, start_timer=False)
    assert exam_view.widget is None and "Exam practice: 2 questions" in repr(exam_view)


def test_markdown_subset_and_escaping():
    out = md_html("Use `PutRecords` **now**.\n\n- one <b>\n- two\n\n```\nx < 1\n```")
    assert out == ("<p>Use <code>PutRecords</code> <b>now</b>.</p><ul><li>one &lt;b&gt;</li><li>two</li></ul>"
                   "<pre>x &lt; 1\n</pre>")


def test_lesson_links_are_made_relative_to_the_notebook(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "00-start-here.ipynb").write_text("{}")
    link = "lessons/00-start-here.ipynb#Retention"
    assert lesson_href(link, cwd=tmp_path / "lessons") == "00-start-here.ipynb#Retention"
    assert lesson_href(link, cwd=tmp_path) == link
    (tmp_path / "solutions" / "unit").mkdir(parents=True)
    assert lesson_href(link, cwd=tmp_path / "solutions" / "unit") == "../../lessons/00-start-here.ipynb#Retention"
    assert lesson_href("lessons/99-none.ipynb#X", cwd=tmp_path) == "lessons/99-none.ipynb#X"


# --- exam practice ------------------------------------------------------------------------------

def test_exam_widget_counts_down_locks_and_scores_on_submit(bank, labsim_home):
    clock = FakeClock()
    view = exam(n=3, seed=5, bank=bank, clock=clock, start_timer=False)
    qs = view.session.questions
    assert "Time left: 6:00" in view.timer.value  # 2 minutes per question by default
    assert all(c.check is None for c in view.cards.values())  # nothing is revealed before the end
    choose(view.cards[qs[0].id], sorted(qs[0].correct_letters))
    choose(view.cards[qs[1].id], wrong(qs[1]))
    clock.t += 61
    assert view.tick() is True and "Time left: 4:59" in view.timer.value
    assert view.result_html.value == ""
    view.submit_button.click()
    result = view.session.result
    assert (result.score.correct, result.score.answered, result.timed_out) == (1, 2, False)
    assert "Exam submitted." in view.result_html.value and "Review of wrong answers (1)" in view.result_html.value
    assert qs[2].id in view.result_html.value  # listed as unanswered
    assert all(w.disabled for c in view.cards.values() for w in c.inputs) and view.submit_button.disabled
    saved = history_file(labsim_home)
    assert len(saved["exams"]) == 1 and saved["exams"][0]["correct"] == 1
    assert sorted(a["qid"] for a in saved["attempts"]) == sorted([qs[0].id, qs[1].id])
    assert view.tick() is False
    with pytest.raises(ExamOver):
        view.answer(qs[2].id, sorted(qs[2].correct_letters))


@pytest.mark.parametrize("late_type", ["single", "multiple"])
@pytest.mark.parametrize("answered_in_time", [False, True], ids=["unanswered", "changed-late"])
def test_exam_widget_time_up_locks_answers_given_in_time(bank, tmp_path, late_type, answered_in_time):
    """A single and a multiple question answered in time, then a late answer to a third of each
    type: the late answer is not recorded and every card shows what was scored."""
    singles = [q for q in bank if q.type == "single"]
    multiples = [q for q in bank if q.type == "multiple"]
    on_time_single, on_time_multiple = singles[0], multiples[0]
    late = (singles if late_type == "single" else multiples)[1]
    clock = FakeClock()
    session = ExamSession([on_time_single, on_time_multiple, late], minutes=1, clock=clock)
    view = ExamView(session, History(tmp_path / "h.json"), start_timer=False)
    view.answer(on_time_single.id, sorted(on_time_single.correct_letters))
    view.answer(on_time_multiple.id, sorted(on_time_multiple.correct_letters))
    scored_late = wrong(late) if answered_in_time else []
    if answered_in_time:
        view.answer(late.id, scored_late)
    assert view.cards[late.id].selected() == scored_late
    clock.t += 60.5
    with pytest.raises(TimeUp):
        view.answer(late.id, sorted(late.correct_letters))  # too late: the change locks the exam instead
    result = view.session.result
    assert result.timed_out and result.elapsed == 60 and view.submitted
    assert (result.score.answered, result.score.correct) == (2 + answered_in_time, 2)
    recorded = view.session.results.get(late.id)
    assert (sorted(recorded.chosen) if recorded else []) == scored_late  # the late answer is not recorded
    assert "Time is up." in view.result_html.value and "Exam finished." in view.timer.value
    for q, shown in [(on_time_single, sorted(on_time_single.correct_letters)),
                     (on_time_multiple, sorted(on_time_multiple.correct_letters)), (late, scored_late)]:
        card = view.cards[q.id]
        assert card.selected() == shown, q.id  # the card shows what was scored
        assert all(w.disabled for w in card.inputs)
    with pytest.raises(ExamOver):
        view.answer(late.id, sorted(late.correct_letters))


def test_exam_timer_thread_ends_the_exam_by_itself(bank, tmp_path):
    clock = FakeClock()
    session = ExamSession(bank[:2], minutes=1, clock=clock)
    view = ExamView(session, History(tmp_path / "h.json"), start_timer=True, tick_seconds=0.01)
    assert not session.finished
    clock.t += 61
    deadline = time.monotonic() + 5
    while not session.finished and time.monotonic() < deadline:
        time.sleep(0.01)
    assert session.finished and session.result.timed_out
    assert "Time is up." in view.result_html.value
    timers = [t for t in threading.enumerate() if t.name == "labsim-exam-timer"]
    for t in timers:
        t.join(timeout=2)
    assert not any(t.is_alive() for t in timers)  # the timer stops once the exam is over


def test_exam_plain_text_version(bank, labsim_home):
    view = exam(n=2, seed=2, bank=bank, plain=True, clock=FakeClock())
    q1, q2 = view.session.questions
    assert "Time left: 4:00" in repr(view) and "then .submit()" in repr(view)
    view.answer(q1.id, wrong(q1))
    result = view.submit()
    assert result.score.correct == 0 and "Review of wrong answers (1)" in repr(view)
    assert f"saved to {labsim_home / 'quiz-history.json'}" in repr(view)


# --- what the browser shows ---------------------------------------------------------------------

def test_single_answer_options_behave_as_radio_buttons(bank):
    q = next(q for q in bank if q.type == "single" and len(q.options) >= 3)
    card = quiz(ids=[q.id], record=False).cards[q.id]
    changes = []
    card.observe(lambda c: changes.append(c.selected()))
    a, b = card.inputs[0], card.inputs[1]
    a.value = True
    b.value = True  # a click on b: a is unticked by the card, and the learner's one change is reported once
    assert card.selected() == [q.letters[1]] and not a.value
    assert changes == [[q.letters[0]], [q.letters[1]]]
    b.value = False
    assert card.selected() == [] and changes[-1] == []


def test_multiple_answer_options_stay_independent(bank):
    q = next(q for q in bank if q.type == "multiple")
    card = quiz(ids=[q.id], record=False).cards[q.id]
    card.inputs[0].value = card.inputs[1].value = True
    assert card.selected() == list(q.letters[:2])


def test_option_labels_render_markdown_code_and_wrap_in_their_own_row(bank):
    q = next(q for q in bank if q.type == "single" and any("`" in o.text for o in q.options))
    view = quiz(ids=[q.id], record=False)
    for letter, option, box in zip(q.letters, q.options, view.cards[q.id].inputs):
        assert box.description_allow_html and "`" not in box.description
        assert box.description.startswith(f"<b>{letter})</b> ")
        if "`" in option.text:
            assert "<code>" in box.description
        assert "<" not in box.tooltip and box.tooltip.startswith(f"{letter}) ")
    css = view.widget.children[0].value
    assert ".labsim-option label" in css and "white-space: normal" in css and "height: auto" in css


def test_review_line_is_a_jupyterlab_link_to_the_section(tmp_path, monkeypatch):
    from labsim.quiz.widget import review_link, server_path

    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "00-start-here.ipynb").write_text("{}")
    link = "lessons/00-start-here.ipynb#3-·-Simulated-time"
    # the server's root is the course folder: the notebook's own path says how deep the kernel is
    cwd = tmp_path / "lessons"
    assert server_path(link, cwd=cwd, session="lessons/04-x.ipynb") == "lessons/00-start-here.ipynb"
    # the server's root is the folder above the course: the path includes the course folder
    assert server_path(link, cwd=cwd, session=f"{tmp_path.name}/lessons/04-x.ipynb") == \
        f"{tmp_path.name}/lessons/00-start-here.ipynb"
    assert server_path(link, cwd=cwd, session="") == "lessons/00-start-here.ipynb"  # unknown: the course root
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("JPY_SESSION_NAME", "lessons/04-x.ipynb")
    anchor = review_link(link)
    assert 'class="labsim-review"' in anchor and 'href="00-start-here.ipynb#3-·-Simulated-time"' in anchor
    assert 'data-commandlinker-command="rendermime:handle-local-link"' in anchor
    args = json.loads(html.unescape(anchor.split('data-commandlinker-args="')[1].split('"')[0]))
    assert args == {"path": "lessons/00-start-here.ipynb", "id": "#3-·-Simulated-time"}
