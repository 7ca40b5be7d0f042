"""Quiz logic without a user interface: parsing answers, feedback, scoring, text rendering, picking."""

from __future__ import annotations

from collections import Counter

import pytest

from labsim.quiz import AnswerError, QuizSession, load_bank
from labsim.quiz.bank import Option, Question
from labsim.quiz.picking import draw, select
from labsim.quiz.render import feedback_text, format_duration, question_text, score_text, wrap_markdown
from labsim.quiz.session import parse_choices


def make_q(qid: str, *, topic: str = "kds-write", correct: str = "b", n: int = 4) -> Question:
    kind = "multiple" if len(correct) > 1 else "single"
    text = f"Which options? (Choose {len(correct)})" if kind == "multiple" else "Which option?"
    options = tuple(Option(f"text {c}", c in correct, f"why {c}") for c in "abcdefgh"[:n])
    return Question(id=qid, topic=topic, domains=("ingestion-transformation",), type=kind, question=text,
                    options=options, lesson="lessons/02-producing-and-throttling.ipynb#Throttling")


SINGLE = make_q("kds-write-901", correct="b")
MULTI = make_q("kds-write-902", correct="bd", n=5)
BASIC = make_q("course-basics-901", topic="course-basics", correct="a")


@pytest.fixture(scope="module")
def bank():
    return load_bank()


# --- parsing answers ----------------------------------------------------------------------------

@pytest.mark.parametrize("given", ["b,d", "B, D", "b d", "bd", " d;b ", ["b", "d"], ["B", "d"], [1, 3], ("d", 1)])
def test_choices_can_be_written_in_many_ways(given):
    assert parse_choices(given, MULTI) == {"b", "d"}


@pytest.mark.parametrize("given, message", [
    (None, "no option chosen; answer with a letter from a-d"),
    ("", "no option chosen"),
    (" , ", "no option chosen"),
    ([], "no option chosen"),
    ("z", "'z' is not an option here; choose from a-d"),
    ("e", "'e' is not an option here"),  # only four options
    ("x,y", "'x', 'y' are not options here"),
    ("b,b", "the same option is given twice"),
    ("b,c", "this question asks for one option; you chose 2 (b, c)"),
    ([7], "option index 7 is out of range 0-3"),
    ([True], "is not an option"),
    ([1.0], "is not an option"),
])
def test_bad_choices_are_refused_with_a_reason(given, message):
    with pytest.raises(AnswerError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_choices(given, SINGLE)


def test_multiple_answer_question_wants_exactly_n_unless_told_otherwise():
    with pytest.raises(AnswerError, match=r"asks for 2 options; you chose 1 \(b\)"):
        parse_choices("b", MULTI)
    with pytest.raises(AnswerError, match="you chose 3"):
        parse_choices("a,b,d", MULTI)
    assert parse_choices("b", MULTI, exact_count=False) == {"b"}
    assert parse_choices("b,e", MULTI) == {"b", "e"}  # wrong, but a well-formed answer


# --- feedback and score -------------------------------------------------------------------------

def test_feedback_marks_every_option_and_is_all_or_nothing():
    s = QuizSession([MULTI])
    fb = s.answer(MULTI.id, "b,c")
    assert not fb.correct
    assert [(o.letter, o.correct, o.chosen) for o in fb.options] == [
        ("a", False, False), ("b", True, True), ("c", False, True), ("d", True, False), ("e", False, False)]
    assert [o.explanation for o in fb.options] == ["why a", "why b", "why c", "why d", "why e"]
    assert fb.lesson == MULTI.lesson and fb.changed is None
    assert s.answer(MULTI.id, "d,b").correct  # a retry is judged on its own merits ...


def test_first_attempt_is_the_one_scored_in_practice_mode():
    seen = []
    s = QuizSession([SINGLE, MULTI, BASIC], on_answer=seen.append)
    first = s.answer(SINGLE.id, "a")
    retry = s.answer(SINGLE.id, "b")
    assert (first.counted, first.correct) == (True, False)
    assert (retry.counted, retry.correct) == (False, True)
    s.answer(BASIC.id, "a")
    score = s.score
    assert (score.total, score.answered, score.correct) == (3, 2, 1)
    assert score.percent == pytest.approx(100 / 3) and score.answered_percent == 50
    assert {t: (ts.total, ts.answered, ts.correct) for t, ts in score.by_topic.items()} == {
        "kds-write": (2, 1, 0), "course-basics": (1, 1, 1)}
    assert [fb.qid for fb in s.wrong()] == [SINGLE.id]
    assert [q.id for q in s.unanswered()] == [MULTI.id]
    assert [fb.qid for fb in seen] == [SINGLE.id, BASIC.id]  # only scored answers reach the history


def test_refused_answer_changes_nothing():
    seen = []
    s = QuizSession([SINGLE], on_answer=seen.append)
    with pytest.raises(AnswerError):
        s.answer(SINGLE.id, "q")
    assert s.score.answered == 0 and not seen


def test_exam_style_session_scores_the_latest_answer_and_can_withdraw_one():
    s = QuizSession([SINGLE, BASIC], last_answer_counts=True)
    s.answer(SINGLE.id, "a")
    s.answer(SINGLE.id, "b")
    s.answer(BASIC.id, "a")
    s.clear(BASIC.id)
    assert (s.score.answered, s.score.correct) == (1, 1)


def test_session_rejects_unknown_empty_and_repeated_questions():
    s = QuizSession([SINGLE])
    with pytest.raises(KeyError, match="kds-write-999"):
        s.answer("kds-write-999", "a")
    with pytest.raises(ValueError, match="at least one question"):
        QuizSession([])
    with pytest.raises(ValueError, match="same question twice"):
        QuizSession([SINGLE, SINGLE])


def test_every_shipped_question_can_be_answered_right_and_wrong(bank):
    s = QuizSession(bank)
    for q in bank:
        right = sorted(q.correct_letters)
        # A wrong answer of the right size: all but one right option, plus one wrong one.
        wrong = right[:-1] + sorted(set(q.letters) - q.correct_letters)[:1]
        assert s.answer(q.id, right).correct
        assert not QuizSession([q]).answer(q.id, wrong).correct
    assert s.score.correct == len(bank)


# --- text rendering -----------------------------------------------------------------------------

def test_question_text_lists_the_options_with_letters():
    text = question_text(MULTI, 2, 5, extra="time left 9:00")
    assert text.splitlines()[0] == "Question 2/5  [kds-write] (kds-write-902)  time left 9:00"
    assert "Which options? (Choose 2)" in text
    assert [ln.strip()[:2] for ln in text.splitlines() if ln.startswith("  ")] == ["a)", "b)", "c)", "d)", "e)"]


def test_feedback_text_explains_all_options_and_shows_then_and_now(bank):
    (q,) = [q for q in bank if q.id == "course-basics-004"]
    wrong = sorted(set(q.letters) - q.correct_letters)[0]
    text = feedback_text(QuizSession([q]).answer(q.id, wrong), width=100)
    assert f"Not quite: the answer is {next(iter(q.correct_letters))} (you chose {wrong})." in text
    flat = " ".join(text.split())
    for o in q.options:
        assert " ".join(o.explanation.split()) in flat
    assert flat.count("+ Correct:") == 1 and flat.count("- Incorrect:") == len(q.options) - 1
    assert f"[x] {q.options['abcd'.index(wrong)].text.split()[0]}" in text
    assert "Then / now (changed 2021-11): then maximum retention 168 hours (7 days); now" in flat
    assert f"Review: {q.lesson}" in text
    assert text.replace(q.lesson, "").isascii()  # the renderer adds no symbols a console may lack


def test_retry_feedback_says_it_does_not_count():
    s = QuizSession([SINGLE])
    s.answer(SINGLE.id, "a")
    assert "Only your first try counts" in feedback_text(s.answer(SINGLE.id, "b"))


def test_score_text_has_a_row_per_topic():
    s = QuizSession([SINGLE, BASIC])
    s.answer(BASIC.id, "a")
    lines = score_text(s.score).splitlines()
    assert lines[0] == "Score: 1/2 correct (50%); answered 1 of 2."
    assert lines[2].split() == ["kds-write", "1", "0", "0", "0%"]
    assert lines[3].split() == ["course-basics", "1", "1", "1", "100%"]


def test_markdown_wrapping_keeps_lists_and_code():
    text = "A long paragraph " * 10 + "\n\n- item one\n- item two\n\n```\ncode  line\n```"
    out = wrap_markdown(text, width=40)
    assert all(len(ln) <= 40 for ln in out.splitlines())
    assert "- item one\n- item two" in out and "code  line" in out


@pytest.mark.parametrize("seconds, text", [(0, "0:00"), (-5, "0:00"), (0.2, "0:01"), (65, "1:05"),
                                           (2400, "40:00"), (7800, "2:10:00")])
def test_durations_are_shown_as_a_countdown(seconds, text):
    assert format_duration(seconds) == text


# --- choosing questions -------------------------------------------------------------------------

def test_select_by_topic_and_id(bank):
    basics = select(bank, "course-basics")
    assert basics and {q.topic for q in basics} == {"course-basics"}
    two = select(bank, ["kds-write", "course-basics"])
    assert two == [q for q in bank if q.topic in ("course-basics", "kds-write")]  # bank order
    assert select(bank, list(dict.fromkeys(q.topic for q in bank))) == bank
    ids = ["kds-write-003", "course-basics-002"]
    assert [q.id for q in select(bank, ids=ids)] == ids
    with pytest.raises(ValueError, match="unknown topic.*kds-writes.*known: course-basics"):
        select(bank, "kds-writes")
    # A known topic without questions: a small bank of its own, whatever the shipped bank covers.
    with pytest.raises(ValueError, match="no questions yet for topic.*efo"):
        select([SINGLE, MULTI, BASIC], "efo")
    with pytest.raises(ValueError, match="no question with id.*kds-write-999"):
        select(bank, ids=["kds-write-001", "kds-write-999"])
    with pytest.raises(ValueError, match="course-basics-001"):
        select(bank, "kds-write", ids=["course-basics-001"])


def test_draw_is_reproducible_and_capped(bank):
    a, b, c = draw(bank, 10, seed=7), draw(bank, 10, seed=7), draw(bank, 10, seed=8)
    assert [q.id for q in a] == [q.id for q in b] != [q.id for q in c]
    assert len({q.id for q in a}) == 10
    assert len(draw(bank[:5], 50, seed=1)) == 5
    assert sorted(q.id for q in draw(bank, seed=3)) == sorted(q.id for q in bank)
    with pytest.raises(ValueError, match="at least 1"):
        draw(bank, 0)


def test_weighted_draw_favours_heavier_topics(bank):
    """A topic's share of 10-question draws (1000 seeded draws) against its share without weights:
    well above it when the topic weighs 3 and the others 1, well below it the other way round."""
    topics = set(q.topic for q in bank)

    def share(weights, topic="course-basics"):
        picked = Counter(q.topic for seed in range(1000) for q in draw(bank, 10, seed=seed, weights=weights))
        return picked[topic] / sum(picked.values())

    plain = share(None)
    assert 0 < plain < 0.5  # room to move either way; the draw takes 10 of many more questions
    # Equal weights change nothing but the random numbers: the noise is well inside the margins below.
    assert share({t: 1.0 for t in topics}) == pytest.approx(plain, rel=0.2)
    favoured = share({t: 3.0 if t == "course-basics" else 1.0 for t in topics})
    assert favoured > 1.5 * plain, (plain, favoured)
    disfavoured = share({t: 1.0 if t == "course-basics" else 3.0 for t in topics})
    assert disfavoured < plain / 1.5, (plain, disfavoured)
    # A topic missing from the weights counts as 1: weighting only the others up lowers its share too.
    assert share({t: 3.0 for t in topics - {"course-basics"}}) < plain / 1.5
