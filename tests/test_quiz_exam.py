"""Exam practice logic (timing, scoring, review) and the learner's history file."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from labsim.quiz import history_summary, load_bank
from labsim.quiz.exam import SECONDS_PER_QUESTION, ExamOver, ExamSession, TimeUp, new_exam
from labsim.quiz.history import History, HistoryError, history_path, plot_history
from labsim.quiz.session import QuizSession
from labsim.quiz.topics import TOPICS
from quizkit import FakeClock, right, wrong  # tests/quizkit.py



@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture(autouse=True)
def labsim_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LABSIM_HOME", str(tmp_path / "home"))
    return tmp_path / "home"




# --- timing and scoring -------------------------------------------------------------------------

def test_default_pace_is_the_real_exams():
    assert SECONDS_PER_QUESTION == 120  # 130 minutes for 65 questions


def test_time_limit_defaults_to_two_minutes_per_question_and_can_be_changed(bank):
    clock = FakeClock()
    assert ExamSession(bank[:5], clock=clock).time_limit == 600
    assert ExamSession(bank[:5], minutes=7.5, clock=clock).time_limit == 450
    untimed = ExamSession(bank[:5], timed=False, clock=clock)
    assert untimed.time_limit is None and untimed.remaining() is None and not untimed.expired
    for bad in (0, -1):
        with pytest.raises(ValueError, match="minutes must be positive"):
            ExamSession(bank[:5], minutes=bad)


def test_answers_can_change_until_the_end_and_unanswered_count_as_wrong(bank):
    clock = FakeClock()
    qs = bank[:4]
    s = ExamSession(qs, clock=clock)
    s.answer(qs[0].id, wrong(qs[0]))
    s.answer(qs[0].id, right(qs[0]))  # changed mind: the latest answer counts
    s.answer(qs[1].id, wrong(qs[1]))
    s.answer(qs[2].id, right(qs[2]))
    clock.t += 100
    assert s.remaining() == 380
    r = s.finish()
    assert (r.score.total, r.score.answered, r.score.correct, r.timed_out, r.elapsed) == (4, 3, 2, False, 100)
    assert r.score.percent == 50
    assert [fb.qid for fb in r.wrong] == [qs[1].id] and [q.id for q in r.unanswered] == [qs[3].id]
    assert s.finish() is r  # idempotent
    with pytest.raises(ExamOver):
        s.answer(qs[3].id, right(qs[3]))
    with pytest.raises(ExamOver):
        s.clear(qs[0].id)


def test_an_answer_after_the_time_limit_is_not_counted(bank):
    clock = FakeClock()
    qs = bank[:2]
    s = ExamSession(qs, minutes=1, clock=clock)
    s.answer(qs[0].id, right(qs[0]))
    clock.t += 60  # exactly at the limit: time is up
    with pytest.raises(TimeUp):
        s.answer(qs[1].id, right(qs[1]))
    assert s.finished and s.result.timed_out and s.result.elapsed == 60
    assert (s.result.score.answered, s.result.score.correct) == (1, 1)
    clock.t += 1000
    assert s.finish().elapsed == 60  # a late look at the result does not change it


def test_result_text_reviews_wrong_answers_with_explanations(bank):
    q_wrong, q_skip = bank[3], bank[5]
    s = ExamSession([q_wrong, q_skip], clock=FakeClock())
    s.answer(q_wrong.id, wrong(q_wrong))
    text = s.finish().text(width=200)
    assert "Time used: 0:00 of 4:00." in text
    assert "Score: 0/2 correct (0%); answered 1 of 2." in text
    assert "Review of wrong answers (1):" in text
    for o in q_wrong.options:
        assert " ".join(o.explanation.split()) in " ".join(text.split())
    assert f"Not answered (counted as wrong): {q_skip.id}" in text


def test_new_exam_draws_reproducibly_from_the_topics_asked(bank):
    a = new_exam(6, topics="course-basics", seed=4, bank=bank, clock=FakeClock())
    b = new_exam(6, topics=["course-basics"], seed=4, bank=bank, clock=FakeClock())
    assert [q.id for q in a.questions] == [q.id for q in b.questions]
    assert {q.topic for q in a.questions} == {"course-basics"} and len(a.questions) == 6
    assert a.time_limit == 720
    with pytest.raises(ValueError, match="no questions yet"):
        new_exam(5, topics="security", bank=[q for q in bank if q.topic != "security"])  # a topic with none


def test_weak_mode_draws_more_from_the_weakest_topic(bank, tmp_path):
    """course-basics answered all wrong, every other topic all right: weak mode draws course-basics
    far more often than its unweighted share (4000 seeded 10-question exams: enough that sampling noise, about
    3 % of a topic's share, cannot hide the 5-10 % a well-practised topic loses), the others less."""
    history = History(tmp_path / "h.json")
    s = QuizSession(bank)
    for q in bank:
        s.answer(q.id, wrong(q) if q.topic == "course-basics" else right(q))
    history.record(s.results.values(), mode="quiz")

    def shares(weak):
        drawn = Counter(q.topic for seed in range(4000)
                        for q in new_exam(10, seed=seed, weak=weak, history=history, bank=bank).questions)
        return {t: n / sum(drawn.values()) for t, n in drawn.items()}

    plain, weak = shares(False), shares(True)
    assert 0 < plain["course-basics"] < 0.5
    assert weak["course-basics"] > 1.5 * plain["course-basics"], (plain, weak)
    gain = {t: weak.get(t, 0) / plain[t] for t in plain}
    # A topic with only a few questions answered is weighted up (its smoothed accuracy is uncertain), so
    # only the well-practised topics must lose share to course-basics.
    practised = {t for t, n in Counter(q.topic for q in bank).items() if n >= 8}
    assert max(gain, key=gain.get) == "course-basics" and all(g < 1 for t, g in gain.items()
                                                              if t != "course-basics" and t in practised)


# --- history ------------------------------------------------------------------------------------

def test_history_location_parameter_then_environment_then_home(tmp_path, monkeypatch):
    assert history_path(tmp_path / "x.json") == tmp_path / "x.json"
    monkeypatch.setenv("LABSIM_HOME", str(tmp_path / "lh"))
    assert history_path() == tmp_path / "lh" / "quiz-history.json"
    monkeypatch.delenv("LABSIM_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert history_path() == tmp_path / "home" / ".labsim" / "quiz-history.json"


def test_exam_results_are_kept_and_summarised_per_topic(bank, labsim_home):
    basics = [q for q in bank if q.topic == "course-basics"][:3]
    writes = [q for q in bank if q.topic == "kds-write"][:2]
    s = ExamSession(basics + writes, clock=FakeClock())
    s.answer(basics[0].id, right(basics[0]))
    s.answer(basics[1].id, wrong(basics[1]))
    s.answer(writes[0].id, right(writes[0]))
    s.answer(writes[1].id, right(writes[1]))
    s.record(History())
    data = json.loads((labsim_home / "quiz-history.json").read_text())
    assert len(data["attempts"]) == 4  # answered questions only
    assert data["exams"][0]["questions"] == 5 and data["exams"][0]["correct"] == 3
    assert not [p for p in labsim_home.iterdir() if p.name != "quiz-history.json"]  # no temp files left

    summary = history_summary()
    assert {t: (s.attempts, s.correct) for t, s in summary.topics.items()} == {
        "course-basics": (2, 1), "kds-write": (2, 2)}
    assert summary.topics["course-basics"].accuracy == 0.5
    assert summary.weakest(1) == ["course-basics"] and summary.exams == 1
    w = summary.weights()
    assert w["course-basics"] > w["kds-write"] and w["efo"] == 2.0  # never tried: neutral
    table = summary.table()
    assert "course-basics         2        1       50%" in table and "weakest: course-basics" in table
    assert "<td>course-basics</td><td>2</td><td>1</td><td>50%</td>" in summary._repr_html_()


def test_history_accumulates_across_sessions(bank, labsim_home):
    q = bank[0]
    for answer in (right(q), wrong(q)):
        h = History()
        h.record([QuizSession([q]).answer(q.id, answer)], mode="quiz")
        h.save()
    stats = history_summary().topics[q.topic]
    assert (stats.attempts, stats.correct) == (2, 1)


@pytest.mark.parametrize("content, message", [
    ("{not json", "cannot read quiz history"),
    ('["a list"]', "is not a labsim quiz history file"),
    ('{"attempts": [{"topic": "kds-write", "correct": "yes"}]}', "is not a labsim quiz history file"),
])
def test_broken_history_is_reported_with_its_path_and_a_way_out(tmp_path, content, message):
    path = tmp_path / "quiz-history.json"
    path.write_text(content)
    with pytest.raises(HistoryError, match=message) as info:
        History(path)
    assert str(path) in str(info.value) and "start a new history" in str(info.value)


def test_empty_history_summary_and_chart(tmp_path):
    summary = history_summary(tmp_path / "none.json")
    assert summary.topics == {} and "No quiz history yet" in summary.table()
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    ax = plot_history(tmp_path / "none.json")
    assert ax.get_title() == "No quiz history yet"


def test_history_chart_has_a_bar_per_topic(bank, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = History(tmp_path / "h.json")
    s = QuizSession(bank)
    for i, q in enumerate(bank):
        s.answer(q.id, right(q) if i % 3 else wrong(q))
    h.record(s.results.values(), mode="quiz")
    h.save()
    ax = plot_history(tmp_path / "h.json")
    topics = [t for t in TOPICS if any(q.topic == t for q in bank)]  # the bank's topics, in course order
    assert [t.get_text() for t in ax.get_yticklabels()] == topics
    widths = [round(p.get_width()) for p in ax.patches]
    expected = {t: [i % 3 != 0 for i, q in enumerate(bank) if q.topic == t] for t in topics}
    assert widths == [round(100 * sum(expected[t]) / len(expected[t])) for t in topics]
    plt.close(ax.figure)
