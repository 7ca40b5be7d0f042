"""One-cell experiments that show a question's answer in the lab.

``experiments.yaml`` beside this module holds each experiment's code (a whole cell: it starts its own
lab), the questions it answers and what its output must contain. A review of a wrong answer (quiz,
exam or spaced review) offers the question's experiment: in a notebook as code to paste into a cell,
in a terminal as ``labsim-exam --try NAME``, which runs it. tests/test_quiz_experiments.py runs every
experiment and checks its output, so each stays true to the lab.

This module only reads text; the code runs when a learner asks for it (``run``), and imports the lab then.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

FILE = Path(__file__).with_name("experiments.yaml")


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    questions: tuple[str, ...]
    code: str
    expect: tuple[str, ...]

    def run(self) -> None:
        """Execute the experiment here (its output goes to standard output, as in a cell)."""
        exec(compile(self.code, f"<experiment {self.name}>", "exec"), {"__name__": "__main__"})


@functools.lru_cache(maxsize=None)
def load_experiments(path: Path = FILE) -> dict[str, Experiment]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {name: Experiment(name, e["title"], tuple(e["questions"]), e["code"], tuple(e["expect"]))
            for name, e in data.items()}


def experiment_for(qid: str) -> Experiment | None:
    """The experiment that demonstrates question ``qid``'s answer, if the lab has one."""
    return next((e for e in load_experiments().values() if qid in e.questions), None)
