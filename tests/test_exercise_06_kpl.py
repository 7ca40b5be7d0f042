"""The 06-kpl exercise grades right from wrong: the round trip through nbgrader.

The instructor solution earns full marks, the generated student version untouched earns none, and each
typical wrong answer loses exactly the points of the cells named (and keeps all others).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labsim.grading import Wrong, assert_round_trip, check_sync

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "solutions" / "06-kpl" / "kpl.ipynb"

SETTINGS = '    return {"aggregation_enabled": True, "record_max_buffered_time_ms": 50}\n'
DEAGGREGATE = (
    '            for user in deaggregate(response["Records"], max_key_range=shard):\n'
    "                users.append(user.to_dict())\n"
)


def _settings(new: str):
    """Replace the returned settings dict."""
    def edit(src: str) -> str:
        assert SETTINGS in src
        return src.replace(SETTINGS, f"    return {new}\n")
    return edit


def _reader(new: str):
    """Replace the per-response handling of the consumer."""
    def edit(src: str) -> str:
        assert DEAGGREGATE in src
        return src.replace(DEAGGREGATE, new)
    return edit


RAW = (
    '            for record in response["Records"]:\n'
    '                users.append({"Data": record["Data"], "PartitionKey": record["PartitionKey"],\n'
    '                              "SequenceNumber": record["SequenceNumber"], "SubSequenceNumber": 0})\n'
)
ONLY_AGGREGATES = (
    '            aggregates = [r for r in response["Records"] if r["Data"][:4] == b"\\xf3\\x89\\x9a\\xc2"]\n'
    "            for user in deaggregate(aggregates, max_key_range=shard):\n"
    "                users.append(user.to_dict())\n"
)
SWALLOWS_DAMAGE = (
    '            for record in response["Records"]:\n'
    "                try:\n"
    "                    found = [u.to_dict() for u in deaggregate([record], max_key_range=shard)]\n"
    "                except ValueError:  # like aws_kinesis_agg: pass a bad aggregate through as plain data\n"
    '                    found = [{"Data": record["Data"], "PartitionKey": record["PartitionKey"],\n'
    '                              "SequenceNumber": record["SequenceNumber"], "SubSequenceNumber": 0}]\n'
    "                users.extend(found)\n"
)
ONE_PAGE = (
    '            for user in deaggregate(response["Records"], max_key_range=shard):\n'
    "                users.append(user.to_dict())\n"
    "            break  # one GetRecords call per shard: never follows NextShardIterator\n"
)
OBJECTS = (
    '            users.extend(deaggregate(response["Records"], max_key_range=shard))  # UserRecord objects, not dicts\n'
)
PART1 = ["test_settings", "test_delivery", "test_throughput", "test_latency"]
PART2_READS = ["test_plain", "test_aggregated", "test_pages", "test_mixed"]


@pytest.mark.notebook
def test_kpl_round_trip():
    scores = assert_round_trip(NOTEBOOK, wrong_answers={
        "aggregation off": Wrong({"settings": _settings('{"aggregation_enabled": False}')},
                                 loses=["test_throughput", "test_latency"]),
        "the colleague's settings": Wrong(
            {"settings": _settings('{"aggregation_enabled": False, "record_max_buffered_time_ms": 2000}')},
            loses=["test_throughput", "test_latency"]),
        "a huge buffer": Wrong({"settings": _settings('{"record_max_buffered_time_ms": 2000}')},
                               loses=["test_latency"]),
        "the KPL defaults": Wrong({"settings": _settings("{}")}, loses=["test_latency"]),
        "Java-style names": Wrong({"settings": _settings('{"RecordMaxBufferedTime": 50}')}, loses=PART1),
        "returns the raw Kinesis records": Wrong({"reader": _reader(RAW)},
                                                 loses=["test_aggregated", "test_mixed", "test_corrupt"]),
        "drops plain records": Wrong({"reader": _reader(ONLY_AGGREGATES)}, loses=["test_plain", "test_pages", "test_mixed"]),
        "passes damaged aggregates through": Wrong({"reader": _reader(SWALLOWS_DAMAGE)}, loses=["test_corrupt"]),
        "never follows NextShardIterator": Wrong({"reader": _reader(ONE_PAGE)}, loses=["test_pages"]),
        "returns UserRecord objects, not dicts": Wrong({"reader": _reader(OBJECTS)}, loses=PART2_READS),
        "forgets to return the settings": Wrong({"settings": _settings("None")}, loses=PART1),
        "a 100 ms buffer with a higher rate limit": Wrong(
            {"settings": _settings('{"record_max_buffered_time_ms": 100, "rate_limit": 300}')}, loses=["test_latency"]),
    })
    assert scores["solution"].max_total == 10
    # Every check a wrong answer fails explains itself in words: an AssertionError with a message, never a
    # Python error escaping the grader (NameError, KeyError, TypeError ...).
    for label, got in scores.items():
        if label in ("solution", "untouched"):
            continue
        for cell, score in got.cells.items():
            if score < got.max[cell]:
                error = got.errors.get(cell, "")
                assert error.startswith("AssertionError: ") and len(error) > 40, f"{label!r}: {cell} failed with {error!r}"


def test_exercise_is_generated_from_the_solution():
    assert check_sync(["06-kpl"], root=ROOT) == [], "run: python -m labsim.grading generate 06-kpl"
