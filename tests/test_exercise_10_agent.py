"""The 10-agent exercise grades right from wrong: the round trip through nbgrader.

The instructor solution earns full marks, the generated student version untouched earns none, and each
typical wrong answer loses exactly the points of the cells named (and keeps all others).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labsim.grading import Wrong, assert_round_trip, check_sync

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "solutions" / "10-agent" / "agent.ipynb"
ALL = ["test_config", "test_orders", "test_web", "test_app", "test_latency"]


def _config(old: str, new: str):
    """Replace one piece of the solution's agent_config."""
    def edit(src: str) -> str:
        assert old in src, old
        return src.replace(old, new)
    return edit


@pytest.mark.notebook
def test_agent_round_trip():
    scores = assert_round_trip(NOTEBOOK, wrong_answers={
        "keeps the CSV header rows": Wrong({"config": _config('"skipHeaderLines": 1, ', "")}, loses=["test_orders"]),
        "starts at the end of the first file": Wrong({"config": _config('"initialPosition": "START_OF_FILE", ', "")},
                                                     loses=["test_orders"]),
        "the common log format": Wrong({"config": _config("COMBINEDAPACHELOG", "COMMONAPACHELOG")}, loses=["test_web"]),
        "one record per line": Wrong({"config": _config('"multiLineStartPattern": r"\\d{4}-\\d{2}-\\d{2} ",\n', "")},
                                     loses=["test_app"]),
        "app.log without its rotated copies": Wrong({"config": _config('f"{root}/app/app.log*"', 'f"{root}/app/app.log"')},
                                                    loses=["test_app"]),
        "the default buffer age": Wrong({"config": _config("fast = 1000", "fast = 60000")}, loses=["test_latency"]),
        "checkpoints in /var/run": Wrong({"config": _config('"checkpointFile": f"{root}/state/checkpoints",\n', "")},
                                         loses=ALL),
    })
    assert scores["solution"].max_total == 8


def test_exercise_is_generated_from_the_solution():
    assert check_sync(["10-agent"], root=ROOT) == [], "run: python -m labsim.grading generate 10-agent"
