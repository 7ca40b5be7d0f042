"""The producer through the lab: aggregation, shard grouping, collection, limiter, retries, TTL."""

from __future__ import annotations

import random
import warnings

import boto3
import pytest

from labsim.kpl import CallbackError, KinesisProducer, deaggregate
from labsim.kpl.aggregation import MAGIC
from test_kpl_helpers import Recording, lab_stream, md5_hash_key, read_all

THROTTLED = "ProvisionedThroughputExceededException"


def _put_many(producer, n, seed=1, size=50, key_space=10**6):
    rng = random.Random(seed)
    return [
        producer.put_record(b"%07d|" % i + bytes(size), partition_key=f"user-{rng.randrange(key_space)}")
        for i in range(n)
    ]


def test_contract_example_put_flush_result():
    with lab_stream() as (lab, kinesis):
        with KinesisProducer("clicks", client=kinesis, record_max_buffered_time_ms=100) as producer:
            future = producer.put_record(b"payload", partition_key="user-42")
            assert not future.done() and producer.outstanding_records == 1
            producer.flush()
            assert future.done() and producer.outstanding_records == 0
        result = future.result()
        assert result.successful and result.shard_id == "shardId-000000000000"
        assert result.sequence_number and result.sub_sequence_number == 0
        assert len(result.attempts) == 1 and result.attempts[0].success
        assert result.error_code is None
        [record] = kinesis.get_records(
            ShardIterator=kinesis.get_shard_iterator(StreamName="clicks", ShardId=result.shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        )["Records"]
        assert record["Data"] == b"payload" and record["PartitionKey"] == "user-42"  # one record: sent raw
        assert record["SequenceNumber"] == result.sequence_number


def test_result_moves_virtual_time_only_as_far_as_needed():
    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("clicks", client=kinesis, record_max_buffered_time_ms=200, metrics_level="none")
        t0 = lab.clock.now()
        result = producer.put_record(b"x", partition_key="k").result()
        waited = lab.clock.now() - t0
        assert result.successful
        assert 0.2 <= waited < 0.22  # the buffer time and no more (no 50 ms minimum: KPL 0.9.0 only), not the TTL
        assert abs(result.attempts[0].delay_ms - waited * 1000) < 1
        assert producer.put_record_sync(b"y", partition_key="k").successful
        producer.close()


def test_aggregates_use_the_kpl_envelope_and_keys():
    with lab_stream() as (lab, kinesis):
        rec = Recording(kinesis)
        with KinesisProducer("clicks", client=rec, metrics_level="none") as producer:
            futures = [producer.put_record(b"r%d" % i, partition_key=f"user-{i}") for i in range(10)]
        [[entry]] = rec.requests
        first_hash = md5_hash_key("user-0")
        assert entry["PartitionKey"] == "a"
        assert entry["ExplicitHashKey"] == str(first_hash)
        assert entry["Data"][:4] == MAGIC
        results = [f.result() for f in futures]
        assert {r.sequence_number for r in results} == {rec.responses[0][0]["SequenceNumber"]}
        assert [r.sub_sequence_number for r in results] == list(range(10))
        users = deaggregate([{"Data": entry["Data"], "PartitionKey": "a", "SequenceNumber": "1"}])
        assert [(u.partition_key, u.data, u.explicit_hash_key) for u in users] == [(f"user-{i}", b"r%d" % i, None) for i in range(10)]


def test_explicit_hash_key_is_carried_inside_the_aggregate():
    with lab_stream(shards=2) as (lab, kinesis):
        with KinesisProducer("clicks", client=kinesis, metrics_level="none") as producer:
            high = str(2**128 - 5)
            futures = [producer.put_record(b"%d" % i, partition_key=f"k{i}", explicit_hash_key=high) for i in range(3)]
        assert {f.result().shard_id for f in futures} == {"shardId-000000000001"}
        users = read_all(kinesis)["shardId-000000000001"]
        assert [u.explicit_hash_key for u in users] == [high] * 3


def test_records_are_grouped_by_shard_and_every_one_arrives_once():
    with lab_stream(shards=4) as (lab, kinesis):
        rec = Recording(kinesis)
        with KinesisProducer("clicks", client=rec, metrics_level="none") as producer:
            futures = _put_many(producer, 3000, size=20)
        assert all(f.result().successful for f in futures)
        shards = {s["ShardId"]: s["HashKeyRange"] for s in kinesis.list_shards(StreamName="clicks")["Shards"]}
        for request, response in zip(rec.requests, rec.responses):
            for entry, res in zip(request, response):
                rng = shards[res["ShardId"]]
                users = deaggregate([{"Data": entry["Data"], "PartitionKey": entry["PartitionKey"], "SequenceNumber": "1"}])
                assert all(int(rng["StartingHashKey"]) <= u.hash_key <= int(rng["EndingHashKey"]) for u in users)
        stored = read_all(kinesis)
        got = sorted(u.data for users in stored.values() for u in users)
        assert got == sorted(b"%07d|" % i + bytes(20) for i in range(3000))
        for f in futures:  # each future names the shard the record is really in
            assert f.result().shard_id in shards


def test_aggregation_limits_and_disabling_it():
    with lab_stream() as (lab, kinesis):
        with KinesisProducer("clicks", client=kinesis, aggregation_max_count=7, metrics_level="none") as producer:
            futures = _put_many(producer, 30, size=10)
        assert max(f.result().sub_sequence_number for f in futures) == 6
        assert producer.metrics()["UserRecordsPerKinesisRecord"]["Maximum"] == 7

        rec = Recording(kinesis)
        with KinesisProducer("clicks", client=rec, aggregation_max_size=1000, metrics_level="none") as producer:
            _put_many(producer, 100, size=100)
        sizes = [len(e["Data"]) for req in rec.requests for e in req]
        assert max(sizes) <= 1000 and len(sizes) > 10

        rec = Recording(kinesis)
        with KinesisProducer("clicks", client=rec, aggregation_enabled=False, metrics_level="none") as producer:
            futures = _put_many(producer, 20, size=10)
        entries = [e for req in rec.requests for e in req]
        assert len(entries) == 20 and not any(e["Data"].startswith(MAGIC) for e in entries)
        assert {f.result().sub_sequence_number for f in futures} == {0}


def test_collection_batches_within_the_limits():
    with lab_stream(shards=4) as (lab, kinesis):
        rec = Recording(kinesis)
        with KinesisProducer("clicks", client=rec, aggregation_enabled=False, collection_max_count=25, metrics_level="none") as producer:
            _put_many(producer, 200, size=10)
        assert max(len(r) for r in rec.requests) == 25
        assert sum(len(r) for r in rec.requests) == 200

        rec = Recording(kinesis)
        with KinesisProducer("clicks", client=rec, aggregation_enabled=False, collection_max_size=60_000, metrics_level="none") as producer:
            _put_many(producer, 100, size=3000)
        for request in rec.requests:
            assert sum(len(e["Data"]) + len(e["PartitionKey"]) for e in request) <= 60_000
        metrics = producer.metrics()
        assert metrics["KinesisRecordsPerPutRecordsRequest"]["Maximum"] <= 20


def test_limiter_keeps_a_shard_at_rate_limit_percent():
    # Unaggregated tiny records: the records token stream binds. rate_limit=50 -> 500 records/s
    # after a first burst of 1,000 (the bucket starts full), so 3,000 records take about 4 s.
    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("clicks", client=kinesis, aggregation_enabled=False, rate_limit=50,
                                   record_max_buffered_time_ms=10)
        t0 = lab.clock.now()
        futures = _put_many(producer, 3000, size=1)
        producer.flush()
        elapsed = lab.clock.now() - t0
        assert all(f.result().successful for f in futures)
        assert 3.9 <= elapsed <= 4.3
        assert "ErrorsByCode" not in producer.metrics()  # the shard never had to throttle
        ends = sorted(f.result().attempts[-1].ended_at - t0 for f in futures)
        in_second_two = sum(1 for t in ends if 2.0 < t <= 3.0)
        assert 450 <= in_second_two <= 550
        producer.close()


def test_throttled_records_are_retried_until_they_succeed():
    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("clicks", client=kinesis, aggregation_enabled=False, rate_limit=200)
        futures = _put_many(producer, 2500, size=1)
        producer.flush()
        results = [f.result() for f in futures]
        assert all(r.successful for r in results)
        retried = [r for r in results if len(r.attempts) > 1]
        assert retried, "a producer offering 2x the shard's records/s must meet throttling"
        assert all(a.error_code == THROTTLED and not a.success for r in retried for a in r.attempts[:-1])
        assert all(r.attempts[-1].success for r in retried)
        m = producer.metrics()
        assert m[f"ErrorsByCode[{THROTTLED}]"]["Sum"] > 0
        assert m["RetriesPerRecord"]["Sum"] == sum(len(r.attempts) - 1 for r in results)
        producer.close()


def test_fail_if_throttled_fails_at_once():
    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("clicks", client=kinesis, aggregation_enabled=False, rate_limit=300, fail_if_throttled=True)
        futures = _put_many(producer, 3000, size=1)
        producer.flush()
        results = [f.result() for f in futures]
        failed = [r for r in results if not r.successful]
        assert failed and len(failed) < len(results)
        assert all(len(r.attempts) == 1 and r.error_code == THROTTLED for r in failed)
        assert all("Rate exceeded" in r.error_message or "throughput" in r.error_message.lower() for r in failed)
        producer.close()


def test_only_failed_records_are_retried():
    def fail_first_try_of_odd(entry, tries):
        n = int(entry["Data"][:7])
        return ("InternalFailure", "Internal service failure.") if n % 2 and tries == 1 else None

    with lab_stream() as (lab, kinesis):
        rec = Recording(kinesis, fail=fail_first_try_of_odd)
        with KinesisProducer("clicks", client=rec, aggregation_enabled=False, metrics_level="none") as producer:
            futures = _put_many(producer, 10, size=1)
        assert [len(r) for r in rec.requests] == [10, 5]
        assert sorted(int(e["Data"][:7]) for e in rec.requests[1]) == [1, 3, 5, 7, 9]
        for i, f in enumerate(futures):
            r = f.result()
            assert r.successful
            if i % 2:
                assert [(a.success, a.error_code) for a in r.attempts] == [(False, "InternalFailure"), (True, None)]
                assert r.attempts[1].delay_ms == pytest.approx(50, abs=1)  # back in the buffer: half the buffer time
            else:
                assert len(r.attempts) == 1


def test_a_failed_request_retries_every_record_in_it():
    from botocore.exceptions import ClientError

    def boom(call_no):
        if call_no == 1:
            return ClientError({"Error": {"Code": "InternalFailure", "Message": "try again"}}, "PutRecords")
        return None

    with lab_stream() as (lab, kinesis):
        rec = Recording(kinesis, raise_on_call=boom)
        with KinesisProducer("clicks", client=rec) as producer:
            futures = _put_many(producer, 5, size=1)
        assert all(f.result().successful for f in futures)
        assert all(f.result().attempts[0].error_code == "InternalFailure" for f in futures)
        assert producer.metrics()["ErrorsByCode[InternalFailure]"]["Sum"] == 1


def test_records_expire_after_the_ttl_and_nothing_is_dropped():
    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("no-such-stream", client=kinesis, record_ttl_ms=1000, record_max_buffered_time_ms=100)
        assert producer.shard_map is None and "ResourceNotFoundException" in producer.shard_map_error
        t0 = lab.clock.now()
        futures = [producer.put_record(b"%d" % i, partition_key=f"k{i}") for i in range(5)]
        producer.flush()
        assert lab.clock.now() - t0 <= 1.2
        for f in futures:
            r = f.result()
            assert not r.successful and r.error_code == "Expired"
            assert r.sequence_number is None and r.shard_id is None
            codes = [a.error_code for a in r.attempts]
            assert codes[-1] == "Expired" and set(codes[:-1]) == {"ResourceNotFoundException"}
            assert len(codes) >= 5  # retried every half buffer time (50 ms) until the TTL ran out
            assert all(a.ended_at >= a.started_at for a in r.attempts)
        m = producer.metrics()
        assert m["UserRecordExpired"]["Sum"] == 5 and m["UserRecordsPut"]["Sum"] == 0
        producer.close()


def test_records_expire_while_waiting_in_the_limiter():
    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("clicks", client=kinesis, aggregation_enabled=False, rate_limit=1,
                                   record_ttl_ms=500, metrics_level="none")
        futures = _put_many(producer, 1030, size=1)  # the first 1,000 go as a burst; 10/s after that
        producer.flush()
        results = [f.result() for f in futures]
        expired = [r for r in results if not r.successful]
        assert 20 <= len(expired) <= 30
        assert all([a.error_code for a in r.attempts] == ["Expired"] for r in expired)


def test_wrong_shard_after_a_split_is_retried_and_consumers_filter_the_copies():
    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("clicks", client=kinesis, record_max_buffered_time_ms=120_000,
                                   record_ttl_ms=300_000, shard_map_refresh_s=3600)
        futures = _put_many(producer, 200, size=10)
        kinesis.split_shard(StreamName="clicks", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
        lab.clock.advance(60)  # the split completes; the producer still believes in one shard
        assert producer.outstanding_records == 200
        producer.flush()
        results = [f.result() for f in futures]
        assert all(r.successful for r in results)
        wrong = [r for r in results if any(a.error_code == "Wrong Shard" for a in r.attempts)]
        assert wrong and len(wrong) < 200
        assert len(producer.shard_map) == 2
        children = {s["ShardId"]: s for s in kinesis.list_shards(StreamName="clicks")["Shards"] if "ParentShardId" in s}
        for r in results:
            assert r.shard_id in children
            rng = children[r.shard_id]["HashKeyRange"]
            key = md5_hash_key(r.partition_key)
            assert int(rng["StartingHashKey"]) <= key <= int(rng["EndingHashKey"])
        filtered = read_all(kinesis)
        everything = read_all(kinesis, filter_by_shard=False)
        n_filtered = sum(len(v) for v in filtered.values())
        assert n_filtered == 200
        assert sum(len(v) for v in everything.values()) == 200 + len(wrong)  # the misplaced copies
        producer.close()


def test_callbacks_run_and_their_errors_are_kept():
    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("clicks", client=kinesis, metrics_level="none")
        seen = []
        good = producer.put_record(b"1", partition_key="a")
        good.add_done_callback(lambda f: seen.append(f.result().successful))
        bad = producer.put_record(b"2", partition_key="b")
        bad.add_done_callback(lambda f: 1 / 0)
        waiter = producer.put_record(b"3", partition_key="c")
        waiter.add_done_callback(lambda f: good.result())  # already settled: allowed
        with pytest.warns(CallbackError, match="ZeroDivisionError"):
            producer.flush()
        assert seen == [True]
        assert len(producer.callback_errors) == 1 and isinstance(producer.callback_errors[0], ZeroDivisionError)
        # The producer keeps working after a broken callback.
        late = producer.put_record(b"4", partition_key="d")
        late.add_done_callback(lambda f: seen.append("late"))
        producer.flush()
        assert seen == [True, "late"]
        # A callback added to a settled future runs at once.
        late.add_done_callback(lambda f: seen.append("after"))
        assert seen[-1] == "after"
        producer.close()


def test_waiting_inside_a_callback_is_refused_not_deadlocked():
    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("clicks", client=kinesis, metrics_level="none")
        first = producer.put_record(b"1", partition_key="a", explicit_hash_key="1")
        other = producer.put_record(b"2" * 200_000, partition_key="b")  # goes in a later request
        first.add_done_callback(lambda f: other.result())
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            producer.flush()
        assert isinstance(producer.callback_errors[0], RuntimeError)
        assert "inside a done-callback" in str(producer.callback_errors[0])
        assert other.result().successful
        producer.close()


def test_a_learners_plain_boto3_client_works_in_the_lab():
    with lab_stream() as (lab, _):
        kinesis = boto3.client("kinesis", region_name="us-east-1")
        with KinesisProducer("clicks", client=kinesis) as producer:
            futures = _put_many(producer, 50)
        assert all(f.result().successful for f in futures)


def test_default_client_is_the_labs():
    with lab_stream() as (lab, kinesis):
        with KinesisProducer("clicks") as producer:
            f = producer.put_record(b"x", partition_key="k")
        assert f.result().successful
        assert "outstanding=0" in repr(producer) and "closed" in repr(producer)


def _run_scenario():
    with lab_stream(shards=2) as (lab, kinesis):
        t0 = lab.clock.now()
        with KinesisProducer("clicks", client=kinesis, rate_limit=200) as producer:
            futures = _put_many(producer, 5000, seed=5, size=500)  # ~2.5 MB: throttling and retries
        results = [f.result() for f in futures]
        # (Sequence numbers embed a per-lab stream tag, so compare where and when, not the numbers.)
        return lab.clock.now() - t0, [
            (r.shard_id, r.sub_sequence_number, [(a.started_at - t0, a.error_code) for a in r.attempts]) for r in results
        ]


def test_runs_are_deterministic_in_simulated_time():
    first, second = _run_scenario(), _run_scenario()
    assert first[0] > 0.2  # the run took simulated time (throttling, retries)
    assert any(len(attempts) > 1 for _, _, attempts in first[1])
    assert first == second
