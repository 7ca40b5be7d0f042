"""Graded exercise 09-firehose-transform: the grader tells a correct transformation Lambda and delivery
configuration from the typical wrong ones.

One autograde run grades the solution, the untouched student version and every wrong answer below; each wrong
answer must lose exactly the test cells named in ``loses`` and keep every other point. The hidden tests draw
their log lines from a fresh seed on every run and push them through the lab's Firehose and Lambda.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labsim.grading import Wrong, assert_round_trip, check_sync

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "09-firehose-transform" / "firehose-transform.ipynb"


def _replace(*pairs):
    def edit(src: str) -> str:
        for old, new in pairs:
            assert old in src, f"the solution no longer contains {old!r}: update this wrong answer"
            src = src.replace(old, new)
        return src

    return edit


DROPPED = '            out.append({"recordId": record["recordId"], "result": "Dropped", "data": record["data"]})\n'
FAILED = '"result": "ProcessingFailed"'
ENCODED = 'data = base64.b64encode((json.dumps(row) + "\\n").encode()).decode()'

WRONG_ANSWERS = {
    "skips health checks (a missing recordId)": Wrong(
        {"handler": _replace((DROPPED, ""))}, loses=["test_record_ids", "test_delivery"]),
    "base64 forgotten": Wrong(
        {"handler": _replace((ENCODED, 'data = json.dumps(row) + "\\n"'))},
        loses=["test_base64", "test_delivery", "test_partitions"]),
    "Dropped and ProcessingFailed swapped": Wrong(
        {"handler": _replace((FAILED, '"result": "SWAP"'), ('"result": "Dropped"', FAILED), ('"result": "SWAP"', '"result": "Dropped"'))},
        loses=["test_drop_vs_fail", "test_delivery"]),
    "no newline between JSON rows": Wrong(
        {"handler": _replace((ENCODED, "data = base64.b64encode(json.dumps(row).encode()).decode()"))},
        loses=["test_newline"]),
    "partitioned by arrival time": Wrong(
        {"config": _replace(('"logs/date=!{partitionKeyFromLambda:date}/"', '"logs/date=!{timestamp:yyyy-MM-dd}/"'),
                            ('        "DynamicPartitioningConfiguration": {"Enabled": True},\n', ""))},
        loses=["test_partitions"]),
    "JSON instead of Parquet": Wrong(
        {"config": lambda src: src[:src.index('        "DataFormatConversionConfiguration"')]
         + src[src.index('        "ProcessingConfiguration"'):]},
        loses=["test_config"]),
}


@pytest.mark.notebook
def test_firehose_transform_round_trip():
    scores = assert_round_trip(SOLUTION, wrong_answers=WRONG_ANSWERS)
    assert scores["solution"].max_total == 10


def test_exercise_is_generated_from_the_solution():
    assert check_sync(["09-firehose-transform"], root=ROOT) == [], "run: python -m labsim.grading generate 09-firehose-transform"
