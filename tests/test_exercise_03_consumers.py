"""Graded exercise 03-consumers: the grader tells a correct consumer from the typical wrong ones.

One autograde run grades the solution, the untouched student version and every wrong answer below;
each wrong answer must lose exactly the test cells named in ``loses`` and keep every other point.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labsim.grading import Wrong, assert_round_trip

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "03-consumers" / "consumers.ipynb"
READ_TESTS = ["test_read", "test_read_resharded", "test_read_limits", "test_replay"]


def _replace(old: str, new: str):
    def edit(src: str) -> str:
        assert old in src, f"the solution no longer contains {old!r}: update this wrong answer"
        return src.replace(old, new)

    return edit


def _chain(*edits):
    def edit(src: str) -> str:
        for e in edits:
            src = e(src)
        return src

    return edit


WAIT_FOR_ACTIVE = (
    '    while client.describe_stream_consumer(ConsumerARN=consumer)["ConsumerDescription"]["ConsumerStatus"] != "ACTIVE":\n'
    "        time.sleep(1)\n"
)

WRONG_ANSWERS = {
    "skips the parent (lists only open shards)": Wrong(
        {"read_all": _replace('client.list_shards(StreamName=stream)',
                              'client.list_shards(StreamName=stream, ShardFilter={"Type": "AT_LATEST"})')},
        loses=["test_read_resharded"],
    ),
    "assumes NextShardIterator is always there": Wrong(
        {"read_all": _replace('iterator = response.get("NextShardIterator")', 'iterator = response["NextShardIterator"]')},
        loses=["test_read_resharded"],
    ),
    "never stops on an open shard (loops forever)": Wrong(
        {"read_all": _replace('if response["MillisBehindLatest"] == 0:  # an open shard, caught up\n            return []\n', '')},
        loses=READ_TESTS,
    ),
    "reads children before parents": Wrong(
        {"read_all": _chain(
            _replace("for sid in sorted(parents)", "for sid in sorted(parents, reverse=True)"),
            _replace("all(p in done or p not in parents for p in parents[sid])", "True"),
        )},
        loses=["test_read_resharded"],
    ),
    "retries a throttled call at once (no back-off)": Wrong(
        {"read_all": _replace("time.sleep(backoff)", "pass")},
        loses=["test_read_limits"],
    ),
    "no pause between calls": Wrong(
        {"read_all": _replace("time.sleep(pause)", "pass")},
        loses=["test_read_limits"],
    ),
    "does not recover from an expired iterator": Wrong(
        {"read_all": _replace('if err.response["Error"]["Code"] == "ExpiredIteratorException":', "if False:")},
        loses=["test_read_limits"],
    ),
    # Right on a healthy lab; the hidden wide stream starts with empty batches while records wait.
    "stops reading a shard at its first empty batch": Wrong(
        {"read_all": _replace('if response["MillisBehindLatest"] == 0:  # an open shard, caught up',
                              'if not response["Records"] or response["MillisBehindLatest"] == 0:')},
        loses=["test_read"],
    ),
    "ignores since (always TRIM_HORIZON)": Wrong(
        {"read_all": _replace("if since is not None:", "if False:")},
        loses=["test_replay"],
    ),
    # Waits after a refusal, but always the same time: enough to finish, not a back-off.
    "back-off that does not grow": Wrong(
        {"read_all": _replace("backoff = min(backoff * 2, 10.0)", "backoff = backoff")},
        loses=["test_read_limits"],
    ),
    "polls with GetRecords instead of fan-out": Wrong(
        {"read_all_efo": lambda src: src.split("    ### BEGIN SOLUTION")[0]
         + "    ### BEGIN SOLUTION\n    return read_all(client, stream)\n    ### END SOLUTION\n"},
        loses=["test_efo"],
    ),
    "subscribes before the consumer is ACTIVE": Wrong({"read_all_efo": _replace(WAIT_FOR_ACTIVE, "")}, loses=["test_efo"]),
    "subscribes to the first shard only": Wrong(
        {"read_all_efo": _replace('client.list_shards(StreamName=stream)["Shards"]:',
                                  'client.list_shards(StreamName=stream)["Shards"][:1]:')},
        loses=["test_efo"],
    ),
    # The visible 120 small records arrive in the first event; a backlog of megabytes does not.
    "keeps only the first event of each subscription": Wrong(
        {"read_all_efo": _replace('if pushed["MillisBehindLatest"] == 0:', "if True:")},
        loses=["test_efo"],
    ),
    "forgets that polling consumers share a shard": Wrong(
        {"choose": _replace("polling_read = consumers * read_mb_per_s", "polling_read = read_mb_per_s")},
        loses=["test_choose"],
    ),
    "ignores the latency target": Wrong(
        {"choose": _replace("and polling_latency <= latency_ms_target", "")},
        loses=["test_choose"],
    ),
}


@pytest.mark.notebook
def test_consumers_round_trip():
    scores = assert_round_trip(SOLUTION, wrong_answers=WRONG_ANSWERS)
    assert scores["solution"].total == scores["solution"].max_total == 17
    assert scores["untouched"].total == 0
    assert "longer after each refusal" in scores["back-off that does not grow"].errors["test_read_limits"]
    assert "do not poll" in scores["polls with GetRecords instead of fan-out"].errors["test_efo"]
    assert "an empty batch is not the end" in scores["stops reading a shard at its first empty batch"].errors["test_read"]
    for label, score in scores.items():  # every failure is explained in words, never a Python crash
        assert label == "untouched" or all(e.startswith("AssertionError") for e in score.errors.values()), (label, score.errors)
