"""Spaced review (Leitner boxes) and the mastery chart, from a history with known answer times."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from labsim.quiz import load_bank
from labsim.quiz.history import History
from labsim.quiz.review import INTERVAL_DAYS, MASTERY_WINDOW, cards, due_questions, mastery_timeline, plot_mastery
from labsim.quiz.widget import Note, QuizView, review

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def bank():
    return load_bank()


@pytest.fixture
def history(tmp_path):
    return History(tmp_path / "quiz-history.json")


def answer(history: History, q, correct: bool, when: datetime) -> None:
    history.attempts.append({"when": when.isoformat(timespec="seconds"), "mode": "quiz", "qid": q.id,
                             "topic": q.topic, "correct": correct})


def test_a_missed_question_comes_back_after_each_box_interval_and_retires_after_the_last(bank, history):
    q = bank[0]
    answer(history, q, False, T0)
    assert due_questions(bank, history, T0 + timedelta(hours=23)) == [], "box 1 waits a day"
    assert due_questions(bank, history, T0 + timedelta(days=1)) == [q]
    when = T0 + timedelta(days=1)
    for box, days in enumerate(INTERVAL_DAYS[1:], start=2):
        answer(history, q, True, when)
        card = cards(history)[q.id]
        assert (card.box, card.due) == (box, when + timedelta(days=days))
        assert due_questions(bank, history, when + timedelta(days=days) - timedelta(minutes=1)) == []
        when += timedelta(days=days)
        assert due_questions(bank, history, when) == [q]
    answer(history, q, True, when)  # right in the last box: mastered
    assert cards(history)[q.id].retired
    assert due_questions(bank, history, when + timedelta(days=365)) == []


def test_a_wrong_answer_sends_the_card_back_to_box_one(bank, history):
    q = bank[1]
    answer(history, q, False, T0)
    answer(history, q, True, T0 + timedelta(days=1))
    answer(history, q, True, T0 + timedelta(days=3))
    assert cards(history)[q.id].box == 3
    answer(history, q, False, T0 + timedelta(days=7))
    card = cards(history)[q.id]
    assert (card.box, card.misses, card.due) == (1, 2, T0 + timedelta(days=8))


def test_only_missed_questions_get_cards_and_the_longest_overdue_comes_first(bank, history):
    right, late, early = bank[2], bank[3], bank[4]
    answer(history, right, True, T0)
    answer(history, early, False, T0 + timedelta(hours=5))
    answer(history, late, False, T0)
    assert set(cards(history)) == {late.id, early.id}
    assert due_questions(bank, history, T0 + timedelta(days=2)) == [late, early]
    # A question that left the bank is not asked (and does not break the review).
    answer(history, dataclasses.replace(right, id="gone-999"), False, T0)
    assert due_questions(bank, history, T0 + timedelta(days=2)) == [late, early]


def test_the_review_widget_asks_what_is_due_and_records_review_answers(bank, tmp_path):
    path = tmp_path / "h.json"
    history = History(path)
    q = bank[5]
    answer(history, q, False, T0)
    history.save()

    early = review(now=T0 + timedelta(hours=1), history_path=path, plain=True, bank=bank)
    assert isinstance(early, Note) and "0 due now, 1 scheduled" in repr(early)

    view = review(now=T0 + timedelta(days=1), history_path=path, plain=True, bank=bank)
    assert isinstance(view, QuizView) and [x.id for x in view.session.questions] == [q.id]
    right = [letter for letter, o in zip("abcdefghij", q.options) if o.correct]
    view.session.answer(q.id, right)
    saved = History(path).attempts
    assert saved[-1]["mode"] == "review" and saved[-1]["correct"] is True
    assert cards(path)[q.id].box == 2


def test_mastery_is_the_share_right_among_each_topics_last_answers_day_by_day(bank, history):
    q = next(x for x in bank if x.topic == "kds-write")
    for i in range(MASTERY_WINDOW):  # day 1: all wrong
        answer(history, q, False, T0 + timedelta(minutes=i))
    for i in range(MASTERY_WINDOW // 2):  # day 2: half the window becomes right
        answer(history, q, True, T0 + timedelta(days=1, minutes=i))
    line = mastery_timeline(history)["kds-write"]
    assert [round(v, 2) for _, v in line] == [0.0, 0.5]
    assert [d.day for d, _ in line] == [T0.day, T0.day + 1]
    ax = plot_mastery(history)
    assert [ln.get_label() for ln in ax.get_lines()] == ["kds-write"]
    assert list(ax.get_lines()[0].get_ydata()) == [0.0, 50.0]


def test_the_terminal_review_asks_the_due_questions_then_says_what_comes_next(bank, tmp_path):
    import io

    from labsim.quiz.cli import main

    path = tmp_path / "h.json"
    history = History(path)
    missed = bank[6]
    answer(history, missed, False, T0)
    history.save()
    right = ",".join(letter for letter, o in zip("abcdefghij", missed.options) if o.correct)
    out = io.StringIO()
    code = main(["--review", "--history-file", str(path)], stdin=io.StringIO(right + "\n"), stdout=out,
                stderr=io.StringIO(), bank=bank, today=lambda: T0 + timedelta(days=1))
    assert code == 0
    assert missed.id in out.getvalue() and "1 due now" in out.getvalue()
    assert History(path).attempts[-1]["mode"] == "review" and History(path).exams == [], "a review is not an exam"
    assert cards(path)[missed.id].box == 2

    out = io.StringIO()
    main(["--review", "--history-file", str(path)], stdin=io.StringIO(""), stdout=out, stderr=io.StringIO(),
         bank=bank, today=lambda: T0 + timedelta(days=2))
    assert "0 due now, 1 scheduled" in out.getvalue() and "2026-03-04" in out.getvalue()
