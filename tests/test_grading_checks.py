"""labsim.grading's checks: they pass right answers and fail wrong ones with a message that helps."""

from __future__ import annotations

import doctest
import hashlib

import pytest

import labsim.grading.checks
from labsim import Lab
from labsim.grading import (
    check_predictions_match_stream,
    check_records_read,
    check_sequence_numbers,
    check_shard_predictions,
    check_stream_exists,
    read_stream,
)

WRITTEN = [("k1", "one"), ("k2", "two"), ("k3", "three"), ("k1", "four")]


@pytest.fixture
def kinesis():
    with Lab() as lab:
        yield lab.client("kinesis")


@pytest.fixture
def stream(kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName="s")
    numbers = [
        kinesis.put_record(StreamName="s", Data=data.encode(), PartitionKey=key)["SequenceNumber"]
        for key, data in WRITTEN
    ]
    return kinesis, numbers


def _md5_shard(key: str, shards) -> str:
    h = int(hashlib.md5(key.encode()).hexdigest(), 16)
    return next(s["ShardId"] for s in shards if int(s["HashKeyRange"]["StartingHashKey"]) <= h <= int(s["HashKeyRange"]["EndingHashKey"]))


def test_docstring_examples():
    assert doctest.testmod(labsim.grading.checks, optionflags=doctest.ELLIPSIS).failed == 0


def test_stream_checks(stream):
    kinesis, _ = stream
    check_stream_exists(kinesis, "s", shards=2)
    with pytest.raises(AssertionError, match=r"no stream named 'S'.*create_stream"):
        check_stream_exists(kinesis, "S")
    with pytest.raises(AssertionError, match=r"has 2 open shard\(s\), expected 3"):
        check_stream_exists(kinesis, "s", shards=3)


def test_sequence_number_checks(stream):
    kinesis, numbers = stream
    check_sequence_numbers(kinesis, "s", numbers, WRITTEN)
    with pytest.raises(AssertionError, match="should be a list"):
        check_sequence_numbers(kinesis, "s", None, WRITTEN)
    with pytest.raises(AssertionError, match="has 3 entries but 4"):
        check_sequence_numbers(kinesis, "s", numbers[:3], WRITTEN)
    with pytest.raises(AssertionError, match="a string, not an int"):
        check_sequence_numbers(kinesis, "s", [int(n) for n in numbers], WRITTEN)
    with pytest.raises(AssertionError, match="in the order given"):
        check_sequence_numbers(kinesis, "s", numbers[::-1], WRITTEN)


def test_record_checks(stream):
    kinesis, _ = stream
    everything = [{k: v for k, v in r.items() if k != "ShardId"} for r in read_stream(kinesis, "s")]
    assert len(everything) == len(WRITTEN)
    check_records_read(kinesis, "s", everything, expected=len(WRITTEN))
    with pytest.raises(AssertionError, match="LATEST.*TRIM_HORIZON"):
        check_records_read(kinesis, "s", [])
    by_shard = {}
    for r in read_stream(kinesis, "s"):
        by_shard.setdefault(r["ShardId"], []).append({k: v for k, v in r.items() if k != "ShardId"})
    assert len(by_shard) == 2, "the test keys should use both shards"
    first, second = sorted(by_shard)
    with pytest.raises(AssertionError, match=f"missing ones are on {second}.*every shard"):
        check_records_read(kinesis, "s", by_shard[first])
    with pytest.raises(AssertionError, match="more than once"):
        check_records_read(kinesis, "s", everything + everything[:1])
    with pytest.raises(AssertionError, match="holds 4 records, expected 10"):
        check_records_read(kinesis, "s", everything, expected=10)
    with pytest.raises(AssertionError, match="not a record"):
        check_records_read(kinesis, "s", [r["Data"] for r in everything])


def test_prediction_checks(stream):
    kinesis, _ = stream
    shards = kinesis.list_shards(StreamName="s")["Shards"]
    check_predictions_match_stream(_md5_shard, kinesis, "s")
    check_shard_predictions(_md5_shard, shards, ["a", "b", "c", "ü-🚚"])
    with pytest.raises(AssertionError, match="returned 0; return the ShardId string"):
        check_shard_predictions(lambda key, shards: 0, shards, ["a"])
    wrong = lambda key, shards: shards[0]["ShardId"]  # noqa: E731
    with pytest.raises(AssertionError, match="the service put it on .*MD5"):
        check_predictions_match_stream(wrong, kinesis, "s")
    with pytest.raises(NotImplementedError):
        check_shard_predictions(lambda key, shards: (_ for _ in ()).throw(NotImplementedError()), shards, ["a"])


def test_prediction_check_needs_records(kinesis):
    kinesis.create_stream(StreamName="empty", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="empty")
    with pytest.raises(AssertionError, match="holds no records"):
        check_predictions_match_stream(_md5_shard, kinesis, "empty")
