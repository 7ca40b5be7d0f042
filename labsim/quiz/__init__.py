"""Quizzes and exam practice for the course (labsim layer 3, teaching).

In a notebook::

    from labsim.quiz import quiz, exam, history_summary
    quiz("kds-write")              # a topic's self-check, with a Check button per question
    quiz("kds-write", n=5, seed=1) # five of them, drawn reproducibly
    exam(n=20)                     # timed exam practice (2 minutes per question by default)
    exam(mock=True)                # the full mock exam: 65 questions by exam domain, 130 minutes, scaled score
    history_summary()              # per-topic accuracy so far; .plot() for a chart
    review()                       # spaced review: the questions you missed that are due today
    plot_mastery()                 # mastery per topic over time

In a terminal: ``labsim-exam --help`` (or ``python -m labsim.quiz --help``).

The modules of this package read the YAML question bank and the learner's local history file
only: none of them imports the lab, moto or anything that touches the network.
"""

from .bank import Question, QuestionBankError, load_bank
from .exam import ExamSession
from .history import history_summary, plot_history
from .review import due_questions, plot_mastery
from .session import AnswerError, Feedback, QuizSession
from .widget import exam, quiz, review

__all__ = ["quiz", "exam", "review", "due_questions", "plot_mastery", "load_bank", "history_summary", "plot_history", "QuizSession", "ExamSession",
           "Feedback", "AnswerError", "Question", "QuestionBankError"]
