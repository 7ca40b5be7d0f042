"""The 02-producers exercises grade right from wrong: the round trip through nbgrader.

Each test autogrades the instructor solution (full marks), the generated student version untouched
(zero) and typical wrong answers, each of which must lose exactly the points of the cells named.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labsim.grading import Wrong, assert_round_trip, check_sync

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "solutions" / "02-producers"

RETRY_FAILED_ONLY = (
    '            pending = [record for record, result in zip(pending, response["Records"]) if "ErrorCode" in result]\n'
)
BACKOFF_SLEEP = "                time.sleep(backoff_delay(attempt))\n"


def _whole_batch(src: str) -> str:
    """Retry the whole batch: every failure resends the records that were already accepted."""
    return src.replace(RETRY_FAILED_ONLY, "")


def _no_backoff(src: str) -> str:
    """Retry at once, without waiting."""
    return src.replace(BACKOFF_SLEEP, "                pass\n")


def _ignore_failures(src: str) -> str:
    """Send each batch once and trust the HTTP 200."""
    return src.replace(
        src[src.index("    ### BEGIN SOLUTION"):src.index("    ### END SOLUTION")],
        "    ### BEGIN SOLUTION\n"
        "    for start in range(0, len(records), 500):\n"
        "        client.put_records(StreamName=stream, Records=records[start:start + 500])\n"
        "    return []\n",
    )


def _unbounded(src: str) -> str:
    """Retry until everything is delivered, whatever max_attempts says."""
    return src.replace("        for attempt in range(max_attempts):\n", "        for attempt in range(10**6):\n") \
              .replace("            if attempt < max_attempts - 1:\n", "            if True:\n")


@pytest.mark.notebook
def test_resilient_producer_round_trip():
    scores = assert_round_trip(UNIT / "resilient-producer.ipynb", wrong_answers={
        "retries the whole batch": Wrong({"send_all": _whole_batch}, loses=["test_no_duplicates"]),
        "retries without back-off": Wrong({"send_all": _no_backoff}, loses=["test_burst", "test_waits"]),
        "ignores FailedRecordCount": Wrong({"send_all": _ignore_failures},
                                           loses=["test_burst", "test_waits", "test_reports"]),
        "ignores max_attempts": Wrong({"send_all": _unbounded}, loses=["test_reports"]),
        "back-off without jitter": Wrong(
            {"backoff": lambda s: s.replace("random.uniform(0, min(cap, base * 2 ** attempt))",
                                            "min(cap, base * 2 ** attempt)")},
            loses=["test_backoff"]),
        # Capping the random draw instead of the ceiling: every producer waits exactly `cap` once past it.
        "jitter lost at the cap": Wrong(
            {"backoff": lambda s: s.replace("random.uniform(0, min(cap, base * 2 ** attempt))",
                                            "min(cap, random.uniform(0, base * 2 ** attempt))")},
            loses=["test_backoff"]),
        # Below the ceiling for the default arguments, so only other base and cap values show it.
        "ceiling from fixed numbers, not base and cap": Wrong(
            {"backoff": lambda s: s.replace("random.uniform(0, min(cap, base * 2 ** attempt))",
                                            "random.uniform(0, min(5.0, 0.1 * 2 ** attempt))")},
            loses=["test_backoff"]),
        # A zero wait once made the grader divide by zero; now it says what it saw.
        "back-off of zero": Wrong(
            {"backoff": lambda s: s.replace("return random.uniform(0, min(cap, base * 2 ** attempt))", "return 0.0")},
            loses=["test_backoff", "test_burst", "test_waits"]),
        # The Recorder sees no call: the grader once crashed on max() of an empty sequence.
        "sends through the global client": Wrong(
            {"send_all": lambda s: s.replace("response = client.put_records(", "response = kinesis.put_records(")},
            loses=["test_waits", "test_reports"]),
        # Enough on a healthy lab; the hidden burst has entries failing with InternalFailure too.
        "retries only throttled entries": Wrong(
            {"send_all": lambda s: s.replace('if "ErrorCode" in result]',
                                             'if result.get("ErrorCode") == "ProvisionedThroughputExceededException"]')},
            loses=["test_burst"]),
        # A constant (if jittered) wait is too short to drain a burst five times the limit.
        "back-off that does not grow": Wrong(
            {"backoff": lambda s: s.replace("min(cap, base * 2 ** attempt)", "base")},
            loses=["test_backoff", "test_burst"]),
    })
    assert scores["solution"].max_total == 10
    assert "exactly cap" in scores["jitter lost at the cap"].errors["test_backoff"]
    assert "whatever the code" in scores["retries only throttled entries"].errors["test_burst"]
    assert "use `client`, not `kinesis`" in scores["sends through the global client"].errors["test_reports"]
    for label, score in scores.items():  # every failure is explained in words, never a Python crash
        assert label == "untouched" or all(e.startswith("AssertionError") for e in score.errors.values()), (label, score.errors)


def _salt(buckets: int):
    return lambda s: s.replace("% 16", f"% {buckets}")


# Part 2 answers that the visible data cannot tell from right ones: the hidden tests run on a fresh history.
HARD_CODED = """
from labsim.streams import shard_for_key


def refused_writes(stream, start, end):
    return {"shardId-000000000000": 5875.0, "shardId-000000000001": 0.0,
            "shardId-000000000002": 0.0, "shardId-000000000003": 0.0}


def find_hot(refused, events, shards):
    return "shardId-000000000000", "c-9754"


refused = refused_writes(STREAM, START, END)
hot_shard, hot_customer = find_hot(refused, EVENTS, kinesis.list_shards(StreamName=STREAM)["Shards"])
"""
NO_SHARD_DIMENSION = ('Dimensions=[{"Name": "StreamName", "Value": stream}, {"Name": "ShardId", "Value": shard["ShardId"]}]',
                      'Dimensions=[{"Name": "StreamName", "Value": stream}]')
SKIPS_CLOUDWATCH = ("    hot_shard = max(refused, key=refused.get)\n",
                    "    hot_shard = Counter(shard_for_key(shards, e['customer']) for e in events).most_common(1)[0][0]\n")


def _swap(old: str, new: str):
    def edit(src: str) -> str:
        assert old in src, f"the solution no longer contains {old!r}: update this wrong answer"
        return src.replace(old, new)

    return edit


@pytest.mark.notebook
def test_hot_partitions_round_trip():
    scores = assert_round_trip(UNIT / "hot-partitions.ipynb", wrong_answers={
        "keeps the customer as key": Wrong(
            {"key_fn": lambda s: s.replace("return f\"{event['customer']}#{bucket}\"", "return event['customer']")},
            loses=["test_key_spread"]),
        "random suffix per event": Wrong(
            {"key_fn": lambda s: s.replace('int(hashlib.md5(event["order"].encode()).hexdigest(), 16) % 16',
                                           "random.randrange(16)")},
            loses=["test_key_valid", "test_key_order"]),
        # Stable within one kernel, different in the next process: str hashes are salted per process.
        "suffix from Python's hash()": Wrong(
            {"key_fn": _swap('int(hashlib.md5(event["order"].encode()).hexdigest(), 16) % 16', 'hash(event["order"]) % 16')},
            loses=["test_key_valid"]),
        # Stable in this kernel (a dict remembers each order's random bucket), lost when the producer restarts.
        "random bucket per order, remembered in a dict": Wrong(
            {"key_fn": lambda s: "_BUCKETS = {}\n\n" + _swap(
                'bucket = int(hashlib.md5(event["order"].encode()).hexdigest(), 16) % 16',
                'bucket = _BUCKETS.setdefault(event["order"], random.randrange(16))')(s)},
            loses=["test_key_valid"]),
        "keys by order id": Wrong(
            {"key_fn": lambda s: s.replace("return f\"{event['customer']}#{bucket}\"", 'return event["order"]')},
            loses=["test_key_bounded"]),
        "two buckets are not enough": Wrong({"key_fn": _salt(2)}, loses=["test_key_spread"]),
        "answers copied from the print-out": Wrong({"find_hot": HARD_CODED}, loses=["test_refused", "test_find_hot"]),
        "asks CloudWatch without the ShardId dimension": Wrong(
            {"find_hot": _swap(*NO_SHARD_DIMENSION)}, loses=["test_refused"]),
        "a metric name with no datapoints": Wrong(
            {"find_hot": _swap('MetricName="WriteProvisionedThroughputExceeded"', 'MetricName="WriteThrottleEvents"')},
            loses=["test_refused"]),
        "skips CloudWatch (busiest shard by event count)": Wrong(
            {"find_hot": _swap(*SKIPS_CLOUDWATCH)}, loses=["test_find_hot"]),
        "picks the quietest shard": Wrong(
            {"find_hot": _swap("hot_shard = max(refused, key=refused.get)", "hot_shard = min(refused, key=refused.get)")},
            loses=["test_find_hot"]),
        "forgets shard-level metrics": Wrong({"monitoring": "# not done\npass\n"}, loses=["test_monitoring", "test_refused"]),
    })
    assert scores["solution"].max_total == 10
    assert "ShardId dimension" in scores["asks CloudWatch without the ShardId dimension"].errors["test_refused"]
    assert "no datapoints" in scores["a metric name with no datapoints"].errors["test_refused"]
    assert "salted per process" in scores["suffix from Python's hash()"].errors["test_key_valid"]
    assert "remembers its earlier answers" in scores["random bucket per order, remembered in a dict"].errors["test_key_valid"]
    for label, score in scores.items():  # every failure is explained in words, never a Python crash
        assert label == "untouched" or all(e.startswith("AssertionError") for e in score.errors.values()), (label, score.errors)


def test_exercises_are_generated_from_the_solutions():
    assert check_sync(["02-producers"], root=ROOT) == [], "run: python -m labsim.grading generate 02-producers"
