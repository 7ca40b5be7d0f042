"""The 07-kcl exercise grades right from wrong: the round trip through nbgrader.

The instructor solution earns full marks, the generated student version untouched earns none, and each typical
wrong answer (kcl-contract; issue 10) loses exactly the points of the cells named and keeps all others.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labsim.grading import Wrong, assert_round_trip, check_sync

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "solutions" / "07-kcl" / "kcl.ipynb"

SKIP_SEEN = (
    "            if self.ledger.has(key):\n"
    "                continue  # delivered again after a crash or a lease change: already counted\n"
)
CHECKPOINT_AFTER = "        process_records_input.checkpointer.checkpoint()  # after the work, never before\n"
LOOP = "        for record in process_records_input.records:\n"
SHARD_END = "        shard_ended_input.checkpointer.checkpoint()  # SHARD_END: lets the child shards start\n"
LEASE_LOST = "        pass  # another worker holds the shard now: nothing to save\n"
KEY = "            key = (record.sequence_number, record.sub_sequence_number)\n"


def _replace(old: str, new: str):
    def edit(src: str) -> str:
        assert old in src, f"the solution no longer contains {old!r}"
        return src.replace(old, new)
    return edit


def _checkpoint_first(src: str) -> str:
    assert CHECKPOINT_AFTER in src and LOOP in src
    src = src.replace(CHECKPOINT_AFTER, "")
    return src.replace(LOOP, "        process_records_input.checkpointer.checkpoint()\n" + LOOP)


@pytest.mark.notebook
def test_kcl_round_trip():
    scores = assert_round_trip(NOTEBOOK, wrong_answers={
        "no checkpoint in shard_ended": Wrong({"processor": _replace(SHARD_END, "        pass\n")},
                                              loses=["test_split"]),
        "checkpoint before processing": Wrong({"processor": _checkpoint_first}, loses=["test_nothing_lost"]),
        "checkpoint in lease_lost": Wrong({"processor": _replace(LEASE_LOST, "        lease_lost_input.checkpointer.checkpoint()\n")},
                                          loses=["test_lease_lost"]),
        "no idempotency": Wrong({"processor": _replace(SKIP_SEEN, "")}, loses=["test_no_double_counting"]),
        "ignores sub-sequence numbers": Wrong({"processor": _replace(KEY, "            key = record.sequence_number\n")},
                                              loses=["test_kpl"]),
    })
    assert scores["solution"].max_total == 10


def test_exercise_is_generated_from_the_solution():
    assert check_sync(["07-kcl"], root=ROOT) == [], "run: python -m labsim.grading generate 07-kcl"
