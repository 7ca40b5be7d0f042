"""The lab experiments that reviews offer: each answers real questions and shows what it claims."""

from __future__ import annotations

import contextlib
import io
import warnings

import pytest

from labsim.quiz import load_bank
from labsim.quiz.cli import main
from labsim.quiz.experiments import experiment_for, load_experiments
from labsim.quiz.render import feedback_text
from labsim.quiz.session import QuizSession
from labsim.quiz.widget import feedback_html

EXPERIMENTS = load_experiments()


def test_every_experiment_answers_questions_that_exist_and_each_question_has_one_experiment():
    ids = {q.id for q in load_bank()}
    named = [qid for e in EXPERIMENTS.values() for qid in e.questions]
    assert set(named) <= ids, f"experiments name unknown questions: {sorted(set(named) - ids)}"
    assert len(named) == len(set(named)), "a question is demonstrated by two experiments"
    assert len(EXPERIMENTS) >= 15


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_the_experiment_runs_in_a_lab_of_its_own_and_prints_what_it_claims(name):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a KCL experiment shows a warning on purpose
        EXPERIMENTS[name].run()
    missing = [text for text in EXPERIMENTS[name].expect if text not in out.getvalue()]
    assert not missing, f"{name} did not print {missing}; it printed:\n{out.getvalue()}"


def test_a_wrong_answer_is_reviewed_with_its_experiment_in_text_and_in_html():
    bank = {q.id: q for q in load_bank()}
    linked = bank["kds-write-001"]
    other = next(q for q in bank.values() if experiment_for(q.id) is None)
    session = QuizSession([linked, other])
    wrong = [letter for letter, o in zip("abcd", linked.options) if not o.correct][:1]
    fb = session.answer(linked.id, wrong)
    assert "labsim-exam --try records-per-second" in feedback_text(fb)
    assert "See it in the lab" in feedback_html(fb) and "put_records" in feedback_html(fb)
    fb_other = session.answer(other.id, sorted(other.correct_letters))
    assert "--try" not in feedback_text(fb_other) and "See it in the lab" not in feedback_html(fb_other)


def test_the_terminal_runs_an_experiment_by_name_and_refuses_an_unknown_one():
    out, err = io.StringIO(), io.StringIO()
    assert main(["--try", "retention-minimum"], stdout=out, stderr=err) == 0
    assert "decrease_stream_retention_period" in out.getvalue() and "InvalidArgumentException" in out.getvalue()
    assert main(["--try", "no-such"], stdout=io.StringIO(), stderr=err) == 2
    assert "retention-minimum" in err.getvalue(), "the error lists the experiments there are"
