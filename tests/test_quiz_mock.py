"""The full mock exam: drawn by domain weights, timed, scored on the scaled 100-1000 range (mock.py)."""

from __future__ import annotations

import io
from collections import Counter

import pytest

from labsim.quiz import exam, load_bank
from labsim.quiz.cli import main
from labsim.quiz.exam import EXAM_MINUTES, EXAM_QUESTIONS, TimeUp, new_mock_exam
from labsim.quiz.history import History
from labsim.quiz.mock import PASS_MARK, domain_quota, draw_mock, mock_report, scaled_score
from labsim.quiz.topics import DOMAIN_WEIGHTS, DOMAINS
from quizkit import FakeClock, right, wrong  # tests/quizkit.py



@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture(autouse=True)
def labsim_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LABSIM_HOME", str(tmp_path / "home"))
    return tmp_path / "home"




# --- drawing by domain ----------------------------------------------------------------------------

def test_65_questions_split_by_the_exam_guides_weights():
    assert domain_quota(65) == {"ingestion-transformation": 22, "data-store-management": 17,
                                "operations-support": 14, "security-governance": 12}
    for n in range(1, 131):
        quota = domain_quota(n)
        assert sum(quota.values()) == n
        assert all(abs(quota[d] - n * w) < 1 for d, w in DOMAIN_WEIGHTS.items()), (n, quota)
    with pytest.raises(ValueError, match="at least 1 question"):
        domain_quota(0)


def test_a_mock_exam_is_drawn_by_domain_and_repeats_with_its_seed(bank):
    a = draw_mock(bank, 65, seed=11)
    assert [q.id for q in a] == [q.id for q in draw_mock(bank, 65, seed=11)]
    assert [q.id for q in a] != [q.id for q in draw_mock(bank, 65, seed=12)]
    assert len({q.id for q in a}) == 65
    assert Counter(q.domain for q in a) == Counter(domain_quota(65))
    # each seed draws within a domain at random: over many exams every question of a small domain turns up
    security = {q.id for q in bank if q.domain == "security-governance"}
    seen = {q.id for seed in range(60) for q in draw_mock(bank, 65, seed=seed) if q.domain == "security-governance"}
    assert seen == security


def test_a_domain_without_enough_questions_is_named(bank):
    few = [q for q in bank if q.domain != "security-governance"] + \
          [q for q in bank if q.domain == "security-governance"][:5]
    with pytest.raises(ValueError, match=r"Domain 4: Data Security and Governance \(has 5, needs 12\)"):
        draw_mock(few, 65, seed=1)


# --- the scaled score -----------------------------------------------------------------------------

def test_the_scaled_score_is_a_straight_line_from_100_to_1000():
    assert scaled_score(0, 65) == 100 and scaled_score(65, 65) == 1000
    assert scaled_score(45, 65) == 723 >= PASS_MARK > scaled_score(44, 65) == 709  # 45 of 65 right to pass
    assert scaled_score(1, 2) == 550
    for bad in ((-1, 65), (66, 65), (0, 0)):
        with pytest.raises(ValueError):
            scaled_score(*bad)


def test_a_mock_exam_is_timed_scored_and_reported_by_domain(bank):
    clock = FakeClock()
    s = new_mock_exam(seed=3, bank=bank, clock=clock)
    assert len(s.questions) == EXAM_QUESTIONS and s.time_limit == EXAM_MINUTES * 60 and s.mock
    first, rest = s.questions[:45], s.questions[45:]
    for q in first:
        s.answer(q.id, right(q))
    for q in rest[:10]:
        s.answer(q.id, wrong(q))
    clock.t += EXAM_MINUTES * 60  # time is up: the last answers come too late
    with pytest.raises(TimeUp):
        s.answer(rest[10].id, right(rest[10]))
    r = s.finish()
    assert r.timed_out and (r.score.correct, r.score.answered) == (45, 55)
    assert (r.mock.scaled, r.mock.passed) == (723, True)
    asked = Counter(q.domain for q in s.questions)
    right_by_domain = Counter(q.domain for q in first)
    assert {d: (x.total, x.correct) for d, x in r.mock.by_domain.items()} == {
        d: (asked[d], right_by_domain[d]) for d in DOMAINS}
    text = r.text()
    assert "Scaled score: 723 of 1000 (pass mark 720): PASS." in text
    assert "AWS does not publish its scaling; this is the lab's linear approximation" in text
    assert all(name in text for name in DOMAINS.values())
    assert r.summary()["mock"] == {"scaled": 723, "passed": True, "pass_mark": 720, "by_domain": {
        d: {"asked": asked[d], "correct": right_by_domain[d]} for d in DOMAINS}}


def test_an_unanswered_mock_exam_fails_at_the_bottom_of_the_scale(bank):
    s = new_mock_exam(seed=4, bank=bank, clock=FakeClock())
    report = s.finish().mock
    assert (report.scaled, report.passed) == (100, False)
    assert mock_report(s.questions, {}).by_domain.keys() == set(DOMAINS)


def test_plain_exams_have_no_scaled_score(bank):
    from labsim.quiz.exam import new_exam
    r = new_exam(5, seed=1, bank=bank, clock=FakeClock()).finish()
    assert r.mock is None and "mock" not in r.summary() and "Scaled score" not in r.text()


def test_the_history_keeps_the_scaled_score(bank, tmp_path):
    h = History(tmp_path / "h.json")
    s = new_mock_exam(seed=5, bank=bank, clock=FakeClock())
    for q in s.questions:
        s.answer(q.id, right(q))
    assert s.record(h)
    saved = History(tmp_path / "h.json").exams[-1]
    assert saved["mock"]["scaled"] == 1000 and saved["mock"]["passed"] and saved["questions"] == 65


# --- in the terminal and in the notebook ----------------------------------------------------------

def run(args, lines, bank, clock=None):
    out, err = io.StringIO(), io.StringIO()
    code = main(args, stdin=io.StringIO("".join(line + "\n" for line in lines)), stdout=out, stderr=err,
                clock=clock or FakeClock(), bank=bank)
    return code, out.getvalue(), err.getvalue()


def test_labsim_exam_mock_runs_the_whole_exam(bank):
    drawn = new_mock_exam(seed=7, bank=bank).questions
    answers = [",".join(wrong(q)) if i < 19 else ",".join(right(q)) for i, q in enumerate(drawn)]
    code, out, err = run(["--mock", "--seed", "7"], answers, bank)
    assert code == 0, err
    assert "Mock exam: 65 questions, 2:10:00. Seed 7 (use --seed 7 to repeat this exam)." in out
    assert "Score: 46/65 correct (71%); answered 65 of 65." in out
    assert f"Scaled score: {scaled_score(46, 65)} of 1000 (pass mark 720): PASS." in out
    assert "Domain 3: Data Operations and Support" in out


@pytest.mark.parametrize("extra, named", [(["-n", "5"], "-n/--questions"), (["--topics", "efo"], "--topics"),
                                          (["--weak"], "--weak"), (["--minutes", "10"], "--minutes")])
def test_labsim_exam_mock_refuses_options_that_would_change_the_exam(bank, extra, named):
    code, out, err = run(["--mock", *extra], [], bank)
    assert code == 2 and "--mock is the whole exam" in err and named in err and out == ""


def test_the_notebook_mock_exam(bank):
    clock = FakeClock()
    view = exam(mock=True, seed=8, bank=bank, plain=True, clock=clock, start_timer=False)
    assert repr(view).startswith("Mock exam: 65 questions.")
    for q in view.session.questions[:30]:
        view.answer(q.id, right(q))
    clock.t += 600
    view.submit()
    assert f"Scaled score: {scaled_score(30, 65)} of 1000 (pass mark 720): FAIL." in repr(view)
    html = view._result_html()
    assert "Scaled score: 515 of 1000" in html and "linear approximation" in html and "Domain 1:" in html
    with pytest.raises(ValueError, match="leave out n, topics, weak and minutes"):
        exam(mock=True, n=5, bank=bank, plain=True, start_timer=False)
