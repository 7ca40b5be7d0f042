"""Quizzes and exam practice for the course (labsim layer 3, teaching)."""

from .bank import Question, QuestionBankError, load_bank
from .exam import ExamSession
from .history import history_summary, plot_history
from .session import AnswerError, Feedback, QuizSession

__all__ = ["load_bank", "history_summary", "plot_history", "QuizSession", "ExamSession", "Feedback",
           "AnswerError", "Question", "QuestionBankError"]
