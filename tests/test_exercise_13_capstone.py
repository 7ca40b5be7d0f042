"""The 13-capstone exercise grades a whole pipeline by behaviour: the round trip through nbgrader.

The instructor solution earns full marks, the untouched student version none, and each typical wrong design
(issue 15, "Capstone") loses exactly the checks named and keeps every other point: the hidden tests drive the
brief's peak through the learner's stream, producer, KCL dashboard, Firehose lake and IAM roles on new clicks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labsim.grading import Wrong, assert_round_trip, check_sync

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "solutions" / "13-capstone" / "capstone.ipynb"

SHARDS = "    shards = 3  #"
ENCRYPT = '    kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key_arn)\n'
RETRY_LOOP = (
    "        for attempt in range(30):\n"
    "            result = kinesis.put_records(StreamName=stream, Records=pending)\n"
)
SKIP_SEEN = (
    "            if self.store.has(key):\n"
    "                continue  # delivered again after a crash: already counted\n"
)
POLL = '{"idle_time_between_reads_in_millis": 500}'
PREFIX = '"Prefix": "clicks/dt=!{timestamp:yyyy-MM-dd}/",'
CONVERSION_START = '            "DataFormatConversionConfiguration": {'
PRODUCER_ACTIONS = ('["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:PutRecord",\n'
                    '                                       "kinesis:PutRecords"], "Resource": stream_arn}')
DASHBOARD_ACTIONS = ('["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:GetShardIterator",\n'
                     '                                       "kinesis:GetRecords"], "Resource": stream_arn}')


def _replace(old: str, new: str):
    def edit(src: str) -> str:
        assert old in src, f"the solution no longer contains {old!r}: update this wrong answer"
        return src.replace(old, new)
    return edit


def _no_retry(src: str) -> str:
    """One PutRecords call per batch: the failed entries of a throttled call are dropped."""
    assert RETRY_LOOP in src
    return src.replace(RETRY_LOOP, "        for attempt in range(1):\n"
                                   "            result = kinesis.put_records(StreamName=stream, Records=pending)\n"
                                   "            break\n")


def _json_lake(src: str) -> str:
    """No format conversion: Firehose writes the JSON as it came."""
    end_text = '{"ParquetSerDe": {}}}}})'
    assert CONVERSION_START in src and end_text in src
    start, end = src.index(CONVERSION_START), src.index(end_text) + len(end_text)
    return src[:start] + '            "CompressionFormat": "UNCOMPRESSED"})' + src[end:]


WRONG_ANSWERS = {
    "stream sized by bytes only (1 shard)": Wrong({"stream": _replace(SHARDS, "    shards = 1  #")}, loses=["test_sizing"]),
    "over-provisioned stream (8 shards)": Wrong({"stream": _replace(SHARDS, "    shards = 8  #")}, loses=["test_budget"]),
    "no encryption": Wrong({"stream": _replace(ENCRYPT, "")}, loses=["test_encryption"]),
    "producer does not retry failed entries": Wrong({"producer": _no_retry}, loses=["test_producer"]),
    "dashboard not idempotent": Wrong({"dashboard": _replace(SKIP_SEEN, "")}, loses=["test_crash"]),
    "dashboard polls every 5 s": Wrong({"dashboard": _replace(POLL, '{"idle_time_between_reads_in_millis": 5000}')},
                                       loses=["test_freshness"]),
    "JSON lake instead of Parquet": Wrong({"lake": _json_lake}, loses=["test_lake"]),
    "producer with kinesis:* on Resource *": Wrong(
        {"policies": _replace(PRODUCER_ACTIONS, '"kinesis:*", "Resource": "*"}')}, loses=["test_permissions"]),
    # Two mistakes in separate cells, graded by separate checks, in one submission (one notebook run less):
    # each check loses its points and every other keeps them.
    "lake without a date partition + dashboard role with kinesis:*": Wrong(
        {"lake": _replace(PREFIX, '"Prefix": "clicks/",'),
         "policies": _replace(DASHBOARD_ACTIONS, '"kinesis:*", "Resource": stream_arn}')},
        loses=["test_lake", "test_permissions"]),
}


@pytest.mark.notebook
def test_capstone_round_trip():
    scores = assert_round_trip(NOTEBOOK, wrong_answers=WRONG_ANSWERS)
    assert scores["solution"].total == scores["solution"].max_total == 14
    assert scores["untouched"].total == 0


def test_exercise_is_generated_from_the_solution():
    assert check_sync(["13-capstone"], root=ROOT) == [], "run: python -m labsim.grading generate 13-capstone"
