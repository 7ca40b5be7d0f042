"""The terminal exam: main() with injected stdin/stdout and clock, plus one real subprocess run."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from labsim.quiz import load_bank
from labsim.quiz.cli import main
from labsim.quiz.exam import new_exam
from labsim.quiz.topics import TOPICS
from quizkit import FakeClock  # tests/quizkit.py

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture(autouse=True)
def labsim_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LABSIM_HOME", str(tmp_path / "home"))
    return tmp_path / "home"



class Keyboard(io.StringIO):
    """Stdin that can make each answer take time, or raise Ctrl-C at a given line."""

    def __init__(self, lines, clock=None, seconds_per_answer=0.0, interrupt_at=None):
        super().__init__("".join(line + "\n" for line in lines))
        self.clock, self.seconds, self.interrupt_at, self.reads = clock, seconds_per_answer, interrupt_at, 0

    def readline(self, *args):
        self.reads += 1
        if self.reads == self.interrupt_at:
            raise KeyboardInterrupt
        if self.clock is not None:
            self.clock.t += self.seconds
        return super().readline(*args)


def run(args, lines=(), **keyboard):
    """Run the CLI; returns (exit code, stdout, stderr, questions in the order asked)."""
    clock = keyboard.pop("clock", FakeClock())
    bank = keyboard.pop("bank", None)  # default: the shipped bank
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdin=Keyboard(lines, clock=clock, **keyboard), stdout=out, stderr=err, clock=clock,
                bank=bank)
    asked = list(dict.fromkeys(re.findall(r"^Question \d+/\d+ .*?\(([a-z-]+-\d{3})\)", out.getvalue(), re.M)))
    return code, out.getvalue(), err.getvalue(), asked


def two_topic_bank(bank):
    """A bank with questions for course-basics and kds-write only: every other topic has none,
    however many topics the shipped bank covers by now."""
    return [q for q in bank if q.topic in ("course-basics", "kds-write")]


def drawn(bank, seed, n):
    """The questions the CLI asks for this seed (it draws with new_exam, as the notebook does)."""
    return new_exam(n, seed=seed, bank=bank).questions


def answers_for(bank, seed, n, good=True):
    """The answers a learner would type, right or wrong, for the exam drawn with this seed."""
    out = []
    for q in drawn(bank, seed, n):
        letters = sorted(q.correct_letters) if good else sorted(set(q.letters) - q.correct_letters)[: q.n_correct]
        out.append(",".join(letters))
    return out


def test_questions_are_asked_in_the_drawn_order_and_quit_records_nothing(bank, labsim_home):
    code, out, _, asked = run(["-n", "3", "--seed", "1"], ["skip", "skip", "quit"])
    assert code == 0 and asked == [q.id for q in drawn(bank, 1, 3)]
    assert "Nothing was answered, so your history is unchanged." in out
    assert not (labsim_home / "quiz-history.json").exists()


def test_full_exam_all_right(bank, labsim_home):
    lines = answers_for(bank, seed=1, n=3)
    code, out, err, asked = run(["-n", "3", "--seed", "1"], lines)
    assert code == 0 and err == ""
    assert asked == [q.id for q in drawn(bank, 1, 3)]
    assert "Exam practice: 3 questions, 6:00. Seed 1 (use --seed 1 to repeat this exam)." in out
    assert "Score: 3/3 correct (100%); answered 3 of 3." in out and "Review of wrong answers" not in out
    data = json.loads((labsim_home / "quiz-history.json").read_text())
    assert len(data["attempts"]) == 3 and data["exams"][0]["correct"] == 3
    assert f"Saved to your history: {labsim_home / 'quiz-history.json'}" in out


def test_wrong_answers_are_reviewed_with_explanations(bank):
    lines = answers_for(bank, seed=2, n=2, good=False)
    code, out, _, asked = run(["-n", "2", "--seed", "2"], lines)
    assert code == 0 and "Score: 0/2 correct (0%)" in out and "Review of wrong answers (2):" in out
    by_id = {q.id: q for q in bank}
    flat = " ".join(out.split())
    for qid in asked:
        assert f"{qid}: Not quite: the answer is" in out
        for o in by_id[qid].options:
            assert " ".join(o.explanation.split()) in flat


def test_bad_input_is_refused_with_a_reason_and_asked_again(bank):
    good = answers_for(bank, seed=3, n=1)
    code, out, _, _ = run(["-n", "1", "--seed", "3"], ["", "zz", "a,a", "help", *good])
    assert code == 0
    assert "Please type" in out
    assert "Sorry: 'z' is not an option here" in out
    assert "Sorry: the same option is given twice" in out
    assert "skip   leave this question for now" in out  # the help text
    assert "Score: 1/1 correct" in out


def test_wrong_number_of_letters_is_refused(bank):
    seed = next(s for s in range(500) if drawn(bank, s, 1)[0].type == "multiple")
    (first,) = drawn(bank, seed, 1)
    one = sorted(first.correct_letters)[0]
    code, out, _, _ = run(["-n", "1", "--seed", str(seed)], [one, ",".join(sorted(first.correct_letters))])
    assert f"Sorry: this question asks for {first.n_correct} options; you chose 1 ({one})" in out
    assert f"Your answer ({first.n_correct} letters)" in out
    assert "Score: 1/1 correct" in out


def test_skipped_questions_come_back_once(bank):
    good = answers_for(bank, seed=4, n=2)
    code, out, _, asked = run(["-n", "2", "--seed", "4"], ["skip", good[1], "skip"])
    assert code == 0
    assert "Skipped; it comes back at the end." in out and "(skipped earlier)" in out and "Left unanswered." in out
    assert "Score: 1/2 correct (50%); answered 1 of 2." in out
    assert f"Not answered (counted as wrong): {asked[0]}" in out


def test_quit_and_end_of_input_score_what_was_answered(bank):
    good = answers_for(bank, seed=5, n=4)
    code, out, _, _ = run(["-n", "4", "--seed", "5"], [good[0], "quit"])
    assert code == 0 and "Score: 1/4 correct (25%); answered 1 of 4." in out
    code, out, _, _ = run(["-n", "4", "--seed", "5"], good[:2])
    assert code == 0 and "End of input: scoring the answers given so far." in out
    assert "Score: 2/4 correct (50%); answered 2 of 4." in out


def test_ctrl_c_scores_what_was_answered_and_exits_130(bank, labsim_home):
    good = answers_for(bank, seed=6, n=3)
    code, out, _, _ = run(["-n", "3", "--seed", "6"], good, interrupt_at=2)
    assert code == 130
    assert "Interrupted: scoring the answers given so far." in out
    assert "Score: 1/3 correct (33%); answered 1 of 3." in out
    assert len(json.loads((labsim_home / "quiz-history.json").read_text())["attempts"]) == 1


def test_the_clock_runs_out_between_answers(bank):
    """3 questions in 2 minutes, 50 s per answer: the third answer comes at 150 s, too late."""
    good = answers_for(bank, seed=7, n=3)
    clock = FakeClock()
    code, out, _, _ = run(["-n", "3", "--seed", "7", "--minutes", "2"], good, clock=clock, seconds_per_answer=50)
    assert code == 0
    assert "time left 2:00" in out and "time left 1:10" in out and "time left 0:20" in out
    assert "Time ran out before this answer was given; it was not counted." in out
    assert "Time is up. Time used: 2:00 of 2:00." in out
    assert "Score: 2/3 correct (67%); answered 2 of 3." in out


def test_no_question_is_shown_after_time_is_up(bank):
    clock = FakeClock()
    code, out, _, asked = run(["-n", "2", "--seed", "8", "--minutes", "1"], ["skip", "a"], clock=clock,
                              seconds_per_answer=61)
    assert code == 0 and len(asked) == 1
    assert "\nTime is up.\n" in out and "answered 0 of 2" in out


def test_untimed_exam_shows_no_clock(bank):
    code, out, _, _ = run(["-n", "1", "--seed", "1", "--untimed"], ["quit"])
    assert "1 questions, no time limit" in out and "time left" not in out


def test_same_seed_same_exam(bank):
    first = run(["-n", "5", "--seed", "42"], ["skip"] * 10)[3]
    second = run(["-n", "5", "--seed", "42"], ["skip"] * 10)[3]
    other = run(["-n", "5", "--seed", "43"], ["skip"] * 10)[3]
    assert first == second != other and len(first) == 5


def test_topics_filter_and_too_few_questions(bank):
    n_basics = sum(q.topic == "course-basics" for q in bank)
    code, out, _, asked = run(["-n", "50", "--topics", "course-basics", "--seed", "1", "--untimed"],
                              ["skip"] * 200)
    assert code == 0 and f"Only {n_basics} questions match; the exam has {n_basics}." in out
    assert len(asked) == n_basics and all(a.startswith("course-basics-") for a in asked)


def test_list_topics_and_history(bank, labsim_home):
    small = two_topic_bank(bank)
    code, out, _, _ = run(["--list-topics"], bank=small)
    assert code == 0
    listed = dict(re.findall(r"^([a-z-]+)\s+(\d+) questions", out, re.M))
    assert listed == {t: str(sum(q.topic == t for q in small)) for t in TOPICS}  # every topic, in order
    assert list(listed) == list(TOPICS)
    assert listed["kds-write"] != "0" and listed["efo"] == "0"
    code, out, _, _ = run(["--list-topics"])  # the shipped bank
    assert code == 0 and dict(re.findall(r"^([a-z-]+)\s+(\d+) questions", out, re.M)) == {
        t: str(sum(q.topic == t for q in bank)) for t in TOPICS}
    code, out, _, _ = run(["--history"])
    assert code == 0 and "No quiz history yet" in out
    run(["-n", "2", "--seed", "1"], answers_for(bank, seed=1, n=2))
    code, out, _, _ = run(["--history"])
    assert code == 0 and "2 answers, 1 exam(s)" in out and "100%" in out


def test_history_file_option_and_broken_history(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text("[1, 2]")
    code, out, err, _ = run(["--history", "--history-file", str(path)])
    assert code == 1 and out == ""
    assert err.startswith("labsim-exam: error:") and str(path) in err and "start a new history" in err


@pytest.mark.parametrize("args, message", [
    (["--questions", "0"], "argument -n/--questions: must be at least 1, got 0"),
    (["-n", "many"], "expected a whole number, got 'many'"),
    (["--topics", "kds-write,nope"], "unknown topic(s) nope; choose from: course-basics"),
    (["--minutes", "-3"], "must be a positive number of minutes"),
    (["--minutes", "nan"], "must be a positive number of minutes"),
    (["--minutes", "5", "--untimed"], "not allowed with argument"),
    (["--seed", "x"], "invalid int value"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_arguments_exit_2_with_a_message(args, message):
    code, out, err, _ = run(args)
    assert code == 2 and out == ""
    assert "usage: labsim-exam" in err and message in err


def test_topic_without_questions_is_a_usage_error(bank):
    code, _, err, _ = run(["--topics", "efo"], bank=two_topic_bank(bank))
    assert code == 2 and "labsim-exam: error: no questions yet for topic(s) efo" in err


def test_a_closed_pipe_ends_quietly():
    class ClosedPipe(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    assert main(["--list-topics"], stdout=ClosedPipe(), stderr=io.StringIO()) == 141


def test_help_exits_0():
    code, out, err, _ = run(["--help"])
    assert code == 0 and err == ""
    assert out.startswith("usage: labsim-exam") and "--questions N" in out and "130 minutes for 65" in out


def test_python_dash_m_runs_a_real_exam(tmp_path):
    env = {**os.environ, "LABSIM_HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    # Answer each drawn question with as many letters as it asks for, whatever the bank holds today.
    drawn = new_exam(2, seed=9, timed=False).questions
    typed = "".join(",".join(q.letters[: len(q.correct_letters)]) + "\n" for q in drawn)
    done = subprocess.run([sys.executable, "-m", "labsim.quiz", "-n", "2", "--seed", "9"], input=typed,
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Exam practice: 2 questions, 4:00." in done.stdout and "answered 2 of 2" in done.stdout
    assert (tmp_path / "quiz-history.json").exists()
