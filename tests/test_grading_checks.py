"""labsim.grading's checks: they pass right answers and fail wrong ones with a message that helps."""

from __future__ import annotations

import doctest
import hashlib
from collections import Counter

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


# --- checks added for hidden tests on unseen data ----------------------------------------------------
from labsim.grading import (  # noqa: E402
    check_hot_partition,
    check_order_kept,
    check_partition_keys,
    check_refused_writes,
    check_same_in_another_process,
    fill_stream,
    new_test_seed,
)


def test_new_test_seed_differs_run_to_run_even_when_random_is_seeded():
    import random

    random.seed(1)
    seeds = {new_test_seed() for _ in range(20)}
    assert len(seeds) > 15 and all(1 <= s < 10**6 for s in seeds)


def test_fill_stream_needs_several_pages_and_is_reproducible(kinesis):
    written = fill_stream(kinesis, "drawn", seed=7, big_shard_records=10_000)
    assert written == fill_stream(kinesis, "drawn-again", seed=7, big_shard_records=10_000)
    records = read_stream(kinesis, "drawn")
    assert len(records) == len(written) > 10_000
    per_shard = Counter(r["ShardId"] for r in records)
    assert max(per_shard.values()) > 10_000, "one shard must hold more than one GetRecords page"
    check_records_read(kinesis, "drawn", [{k: v for k, v in r.items() if k != "ShardId"} for r in records],
                       expected=len(written), test_seed=7)
    first_pages = []
    for shard in kinesis.list_shards(StreamName="drawn")["Shards"]:
        it = kinesis.get_shard_iterator(StreamName="drawn", ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        first_pages += kinesis.get_records(ShardIterator=it)["Records"]
    with pytest.raises(AssertionError, match=r"seed 7.*at most 10,000 records"):
        check_records_read(kinesis, "drawn", first_pages, test_seed=7)


def test_order_check_explains_instead_of_crashing():
    rows = [{"k": "a", "n": 1}, {"k": "a", "n": 2}, {"k": "b", "n": 1}]
    check_order_kept(rows, lambda r: r["k"], lambda r: r["n"])
    with pytest.raises(AssertionError, match=r"'a' came back in the order \[2, 1\]"):
        check_order_kept(rows[1::-1], lambda r: r["k"], lambda r: r["n"])
    with pytest.raises(AssertionError, match=r"records\[1\] is not one of the records written"):
        check_order_kept([rows[0], "junk"], lambda r: r["k"], lambda r: r["n"])


def test_record_check_takes_odd_data_without_crashing(stream):
    kinesis, _ = stream
    odd = [{"SequenceNumber": "1", "PartitionKey": "k", "Data": 3.5}]
    with pytest.raises(AssertionError, match="not in stream"):
        check_records_read(kinesis, "s", odd)


def _md5_bucket(event):
    return f"{event['customer']}#{int(hashlib.md5(event['order'].encode()).hexdigest(), 16) % 16}"


def _salted_bucket(event):
    return f"{event['customer']}#{hash(event['order']) % 16}"


EVENTS = [{"customer": f"c{i % 5}", "order": f"o-{i}"} for i in range(300)]


def test_keys_must_match_in_another_process():
    check_same_in_another_process(_md5_bucket, EVENTS, what="partition_key")
    with pytest.raises(AssertionError, match="salted per process"):
        check_same_in_another_process(_salted_bucket, EVENTS, what="partition_key")
    with pytest.raises(AssertionError, match="could not run in a fresh Python process"):
        check_same_in_another_process(_uses_an_object, EVENTS[:3])
    with pytest.raises(AssertionError, match=r"raised KeyError"):
        check_same_in_another_process(lambda e: e["nope"], EVENTS[:3])


_REMEMBERED: dict = {}
_MD5_MEMO: dict = {}
_SUFFIXES = ["a", "b", "c", "d"]


def _remembered_random_bucket(event):
    # Stable in this process only: a restarted producer draws the buckets again.
    import random

    return f"{event['customer']}#{_REMEMBERED.setdefault(event['order'], random.randrange(16))}"


def _memoised_md5_bucket(event):
    if event["order"] not in _MD5_MEMO:
        _MD5_MEMO[event["order"]] = _SUFFIXES[int(hashlib.md5(event["order"].encode()).hexdigest(), 16) % 4]
    return f"{event['customer']}#{_MD5_MEMO[event['order']]}"


def test_keys_remembered_in_a_global_are_checked_as_a_restarted_process_would_compute_them():
    for e in EVENTS:  # the notebook computed every key before the check, so the memory holds them all
        _remembered_random_bucket(e), _memoised_md5_bucket(e)
    with pytest.raises(AssertionError, match="remembers its earlier answers in _REMEMBERED"):
        check_same_in_another_process(_remembered_random_bucket, EVENTS, what="partition_key")
    # A cache of a stable digest, and a constant lookup list, give the same answers in a fresh process.
    check_same_in_another_process(_memoised_md5_bucket, EVENTS, what="partition_key")


class _Buckets:
    n = 4


_BUCKETS = _Buckets()


def _uses_an_object(event):
    return f"{event['customer']}#{len(event['order']) % _BUCKETS.n}"


def test_partition_key_check():
    assert check_partition_keys(_md5_bucket, EVENTS[:10]) == [_md5_bucket(e) for e in EVENTS[:10]]
    with pytest.raises(AssertionError, match="string of 1 to 256"):
        check_partition_keys(lambda e: 7, EVENTS[:3], test_seed=4)
    with pytest.raises(AssertionError, match=r"partition_key\(.*\) raised KeyError"):
        check_partition_keys(lambda e: e["missing"], EVENTS[:3])
    import itertools

    counter = itertools.count()
    with pytest.raises(AssertionError, match="different key the second time"):
        check_partition_keys(lambda e: f"k{next(counter)}", EVENTS[:3])


SHARDS = [
    {"ShardId": "shardId-000000000000", "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": str(2**127 - 1)},
     "SequenceNumberRange": {"StartingSequenceNumber": "0"}},
    {"ShardId": "shardId-000000000001", "HashKeyRange": {"StartingHashKey": str(2**127), "EndingHashKey": str(2**128 - 1)},
     "SequenceNumberRange": {"StartingSequenceNumber": "0"}},
]


def _reference_find_hot(refused, events, shards):
    hot = max(refused, key=refused.get)
    counts = Counter(e["customer"] for e in events if _md5_shard(e["customer"], shards) == hot)
    return hot, counts.most_common(1)[0][0]


def test_hot_partition_check():
    events = [{"customer": c} for c in ["a"] * 5 + ["b"] * 3 + ["c"] * 4 + ["d"] * 2 + ["e"] * 6]
    for hot in ("shardId-000000000000", "shardId-000000000001"):
        refused = {s["ShardId"]: (9.0 if s["ShardId"] == hot else 1.0) for s in SHARDS}
        check_hot_partition(_reference_find_hot, refused, events, SHARDS, test_seed=3)
    refused = {"shardId-000000000000": 0.0, "shardId-000000000001": 5.0}
    with pytest.raises(AssertionError, match="seed 3.*the hot shard is shardId-000000000001"):
        check_hot_partition(lambda r, e, s: ("shardId-000000000000", "a"), refused, events, SHARDS, test_seed=3)
    with pytest.raises(AssertionError, match="return a pair"):
        check_hot_partition(lambda r, e, s: "shardId-000000000001", refused, events, SHARDS)
    with pytest.raises(AssertionError, match="raised ValueError"):
        check_hot_partition(lambda r, e, s: max([]), refused, events, SHARDS)


def test_refused_writes_check_names_the_mistake():
    from labsim.viz.producers import run_keyed_workload

    with Lab() as lab:
        kinesis, cloudwatch = lab.client("kinesis"), lab.client("cloudwatch")
        kinesis.create_stream(StreamName="hot", ShardCount=2)
        kinesis.get_waiter("stream_exists").wait(StreamName="hot")
        kinesis.enable_enhanced_monitoring(StreamName="hot", ShardLevelMetrics=["WriteProvisionedThroughputExceeded"])
        start = lab.clock.datetime()
        run = run_keyed_workload(lab, kinesis, "hot", [{"k": "same"}] * 3000, lambda e: e["k"], rate=1500)
        lab.clock.advance(1)
        end = lab.clock.datetime()
        truth = {s: float(n) for s, n in run.throttled.items()}
        assert sum(truth.values()) > 0

        def good(stream, s, e):
            return dict(truth)

        check_refused_writes(good, cloudwatch, "hot", start, end, truth=run.throttled)
        total = sum(truth.values())
        cases = [
            (lambda *a: dict.fromkeys(truth, total), "without the ShardId dimension"),
            (lambda *a: dict.fromkeys(truth, 0), "no datapoints"),
            (lambda *a: {"shardId-000000000000": total}, "has the keys"),
            (lambda *a: [total], "return a dict"),
            (lambda *a: dict.fromkeys(truth, None), "should be a number"),
            (lambda *a: 1 / 0, "raised ZeroDivisionError"),
        ]
        for fn, message in cases:
            with pytest.raises(AssertionError, match=message):
                check_refused_writes(fn, cloudwatch, "hot", start, end, truth=run.throttled)
