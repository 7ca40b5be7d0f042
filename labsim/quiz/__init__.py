"""Quizzes and exam practice for the course (labsim layer 3, teaching)."""

from .bank import Question, QuestionBankError, load_bank

__all__ = ["load_bank", "Question", "QuestionBankError"]
