"""``labsim-exam`` / ``python -m labsim.quiz``: exam practice in a terminal.

Questions are asked one at a time; answers are read from standard input ("a", "b,d"); the
score by topic and a review of every wrong answer come at the end, as on the real exam.
End of input or Ctrl-C stops early and scores what was answered. Exit status: 0 when the
exam ran (whatever the score), 1 when the question bank or history file is broken, 2 for
bad command-line arguments, 130 after Ctrl-C, 141 when the reader of the output goes away.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import time
from datetime import datetime, timezone
from typing import Callable, TextIO

from .bank import Question, QuestionBankError, load_bank
from .exam import (DEFAULT_QUESTIONS, EXAM_QUESTIONS, SECONDS_PER_QUESTION, ExamSession, TimeUp, new_exam,
                   new_mock_exam)
from .experiments import load_experiments
from .review import due_questions, schedule_text
from .history import ENV_VAR, History, HistoryError
from .render import format_duration, question_text
from .session import AnswerError
from .topics import TOPICS

PROG = "labsim-exam"
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 130, 141

HELP = """Answer with the letter of an option (a), or for "(Choose N)" questions with N letters (b,d or b d).
  skip   leave this question for now; it comes back once at the end
  quit   stop now and score the answers given so far (so do Ctrl-D and Ctrl-C)
  help   this text"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of minutes, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of minutes, got {text!r}")
    return value


def _topic_list(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in names if t not in TOPICS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown topic(s) {', '.join(unknown) or repr(text)}; choose from: {', '.join(TOPICS)}")
    return names


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Exam practice for Amazon Kinesis Data Streams and Amazon Data Firehose: answer "
                    "questions against the clock, then get your score by topic and a review of every "
                    "wrong answer.",
        epilog=f"While answering, type 'help' for the commands. Your history is kept in "
               f"~/.labsim/quiz-history.json (${ENV_VAR}/quiz-history.json if ${ENV_VAR} is set).")
    p.add_argument("-n", "--questions", type=_positive_int, metavar="N",
                   help=f"number of questions (default {DEFAULT_QUESTIONS})")
    p.add_argument("--mock", action="store_true",
                   help=f"a full mock exam: {EXAM_QUESTIONS} questions drawn by the exam guide's domain weights, "
                        "130 minutes, scored 100-1000 with 720 to pass (the lab's linear approximation of AWS's "
                        "unpublished scaling)")
    p.add_argument("--topics", type=_topic_list, metavar="A,B",
                   help="only these topics, comma-separated (see --list-topics)")
    timing = p.add_mutually_exclusive_group()
    timing.add_argument("--minutes", type=_positive_minutes, metavar="M",
                        help=f"time limit (default {SECONDS_PER_QUESTION / 60:g} minutes per question, "
                             "the real exam's pace: 130 minutes for 65 questions)")
    timing.add_argument("--untimed", action="store_true", help="no time limit")
    p.add_argument("--seed", type=int, metavar="S", help="draw the same questions again (the seed is printed)")
    p.add_argument("--weak", action="store_true", help="draw more questions from your weakest topics")
    p.add_argument("--review", action="store_true",
                   help="spaced review: only the questions you missed that are due today (Leitner boxes), untimed")
    p.add_argument("--try", dest="experiment", metavar="NAME",
                   help="run the lab experiment a review offered (NAME as it printed), show its code and output, exit")
    p.add_argument("--history", action="store_true", help="print your per-topic history and exit")
    p.add_argument("--history-file", metavar="PATH", help="use this history file instead of the default")
    p.add_argument("--list-topics", action="store_true", help="list the topics and their question counts and exit")
    return p


def main(argv: list[str] | None = None, *, stdin: TextIO | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None, clock: Callable[[], float] = time.monotonic,
         bank: list[Question] | None = None, today: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> int:
    """Run the command; returns the exit status. The streams and clocks can be injected for tests."""
    stdout = stdout or sys.stdout
    try:
        return _main(argv, stdin or sys.stdin, stdout, stderr or sys.stderr, clock, bank, today)
    except BrokenPipeError:
        # The reader went away (`labsim-exam --list-topics | head`): stop quietly, as Unix tools do.
        if stdout is sys.stdout:
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return EXIT_BROKEN_PIPE


def _main(argv, stdin: TextIO, stdout: TextIO, stderr: TextIO, clock: Callable[[], float],
          bank: list[Question] | None, today: Callable[[], datetime]) -> int:
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2): argparse has printed why
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE

    def say(text: str = "") -> None:
        print(text, file=stdout, flush=True)

    def error(text: str, code: int) -> int:
        print(f"{PROG}: error: {text}", file=stderr, flush=True)
        return code

    if args.experiment is not None:
        experiments = load_experiments()
        if args.experiment not in experiments:
            return error(f"no experiment {args.experiment!r}; there are: {', '.join(experiments)}", EXIT_USAGE)
        experiment = experiments[args.experiment]
        say(f"# {experiment.title}\n{experiment.code}\n# output:")
        with contextlib.redirect_stdout(stdout):
            experiment.run()
        return EXIT_OK
    try:
        bank = load_bank() if bank is None else bank
    except QuestionBankError as exc:
        return error(str(exc), EXIT_ERROR)
    if args.list_topics:
        counts = {t: sum(q.topic == t for q in bank) for t in TOPICS}
        for topic, about in TOPICS.items():
            say(f"{topic:<22} {counts[topic]:>3} questions  {about}")
        return EXIT_OK
    try:
        history = History(args.history_file)
    except HistoryError as exc:
        return error(str(exc), EXIT_ERROR)
    if args.history:
        say(history.summary().table())
        return EXIT_OK

    if args.mock:
        clash = [name for name, given in (("-n/--questions", args.questions), ("--topics", args.topics),
                                          ("--weak", args.weak), ("--minutes", args.minutes),
                                          ("--review", args.review)) if given]
        if clash:
            return error(f"--mock is the whole exam ({EXAM_QUESTIONS} questions by domain, 130 minutes); "
                         f"drop {', '.join(clash)}", EXIT_USAGE)
    if args.review:
        schedule = schedule_text(history, today())
        questions = due_questions(bank, history, today())
        if not questions:
            say(schedule)
            return EXIT_OK
        session, mode = ExamSession(questions, timed=False, clock=clock), "review"
        say(schedule.splitlines()[0])
        say(f"Spaced review: {len(questions)} question(s) you missed before, untimed. A right answer sends a "
            "question to a later box; a wrong one brings it back tomorrow.")
    else:
        wanted = args.questions or DEFAULT_QUESTIONS
        # Always use a seed and show it, so any exam can be taken again with --seed.
        seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
        try:
            if args.mock:
                session = new_mock_exam(seed=seed, timed=not args.untimed, bank=bank, clock=clock)
            else:
                session = new_exam(wanted, topics=args.topics, seed=seed, weak=args.weak, minutes=args.minutes,
                                   timed=not args.untimed, history=history, bank=bank, clock=clock)
        except ValueError as exc:
            return error(str(exc), EXIT_USAGE)
        mode = "exam"
        n = len(session.questions)
        if not args.mock and n < wanted:
            say(f"Only {n} questions match; the exam has {n}.")
        limit = format_duration(session.time_limit) if session.time_limit else "no time limit"
        kind = "Mock exam" if args.mock else "Exam practice"
        say(f"{kind}: {n} questions, {limit}. Seed {seed} (use --seed {seed} to repeat this exam).")
    say("Answer with a letter (a) or letters (b,d). Commands: skip, quit, help.")

    status = _ask_all(session, stdin, say, stdout)
    result = session.finish()
    say()
    say(result.text())
    say()
    try:
        recorded = session.record(history, mode=mode, when=today())
    except (OSError, HistoryError) as exc:
        print(f"{PROG}: warning: the result could not be saved to {history.path}: {exc}", file=stderr, flush=True)
    else:
        say(f"Saved to your history: {history.path} ({PROG} --history shows it)." if recorded
            else "Nothing was answered, so your history is unchanged.")
    return EXIT_INTERRUPTED if status == "interrupted" else EXIT_OK


def _ask_all(session: ExamSession, stdin: TextIO, say, stdout: TextIO) -> str:
    """Ask every question once (skipped ones once more at the end). Returns why it stopped:
    'done', 'quit', 'eof', 'timeout' or 'interrupted'."""
    number = {q.id: i for i, q in enumerate(session.questions, 1)}
    queue, skipped = list(session.questions), set()
    total = len(queue)
    try:
        while queue:
            q = queue.pop(0)
            if session.expired:
                say("\nTime is up.")
                return "timeout"
            left = session.remaining()
            extra = (f"time left {format_duration(left)}" if left is not None else "") + \
                    ("  (skipped earlier)" if q.id in skipped else "")
            say()
            say(question_text(q, number[q.id], total, extra=extra.strip()))
            want = "one letter" if q.type == "single" else f"{q.n_correct} letters"
            while True:
                stdout.write(f"Your answer ({want}): ")
                stdout.flush()
                line = stdin.readline()
                if not line:
                    say("\nEnd of input: scoring the answers given so far.")
                    return "eof"
                command = line.strip().lower()
                if command in ("quit", "exit", "q"):
                    return "quit"
                if command in ("help", "?"):
                    say(HELP)
                    continue
                if command == "skip":
                    if q.id in skipped:
                        say("Left unanswered.")
                    else:
                        skipped.add(q.id)
                        queue.append(q)
                        say("Skipped; it comes back at the end.")
                    break
                if not command:
                    say(f"Please type {want} (or 'help').")
                    continue
                try:
                    session.answer(q.id, command)
                except TimeUp:
                    say("Time ran out before this answer was given; it was not counted.")
                    return "timeout"
                except AnswerError as exc:
                    say(f"Sorry: {exc}. Please try again (or type 'help').")
                    continue
                break
        return "done"
    except KeyboardInterrupt:
        say("\nInterrupted: scoring the answers given so far.")
        return "interrupted"
