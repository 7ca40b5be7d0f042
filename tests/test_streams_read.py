"""The polling read side through plain boto3: iterators, GetRecords limits, MillisBehindLatest, metrics."""

from __future__ import annotations

import base64
import datetime as dt
import re

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

from labsim import Lab, quotas
from labsim.safety import FAKE_ACCESS_KEY, FAKE_SECRET_KEY

MiB = 1024 * 1024
NO_RETRY = Config(retries={"total_max_attempts": 1})
# One session for the module: its clients are plain boto3 clients, but botocore parses the service
# model once instead of once per test (a fresh boto3.client costs ~0.2 s).
SESSION = boto3.session.Session(aws_access_key_id=FAKE_ACCESS_KEY, aws_secret_access_key=FAKE_SECRET_KEY, region_name="us-east-1")


def client(**kwargs):
    return SESSION.client("kinesis", **kwargs)


def make_stream(lab, name="s", shards=1):
    k = client()
    k.create_stream(StreamName=name, ShardCount=shards)
    lab.clock.advance(quotas.STREAM_CREATING_SECONDS + 1)
    return k


def put(k, n, name="s", key="k", size=None, start=0):
    records = [{"Data": (b"%d" % i) if size is None else bytes(size), "PartitionKey": key} for i in range(start, start + n)]
    out = k.put_records(StreamName=name, Records=records)
    assert out["FailedRecordCount"] == 0
    return [r["SequenceNumber"] for r in out["Records"]]


def iterator(k, kind="TRIM_HORIZON", shard="shardId-000000000000", name="s", **extra):
    return k.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType=kind, **extra)["ShardIterator"]


def code(exc_info):
    return exc_info.value.response["Error"]["Code"]


def message(exc_info):
    return exc_info.value.response["Error"]["Message"]


# --- iterator types ------------------------------------------------------------------------------------
def test_trim_horizon_reads_every_record_in_order_with_lab_clock_arrival_times(lab):
    k = make_stream(lab)
    t0 = lab.clock.now()
    put(k, 3)
    lab.clock.advance(2.5)
    put(k, 2, start=3)
    out = k.get_records(ShardIterator=iterator(k))
    assert [r["Data"] for r in out["Records"]] == [b"0", b"1", b"2", b"3", b"4"]
    seqs = [int(r["SequenceNumber"]) for r in out["Records"]]
    assert seqs == sorted(seqs)
    arrivals = [r["ApproximateArrivalTimestamp"].timestamp() for r in out["Records"]]
    assert arrivals == [t0] * 3 + [t0 + 2.5] * 2
    assert out["MillisBehindLatest"] == 0
    assert out["NextShardIterator"]


def test_latest_sees_only_records_written_after_the_call(lab):
    k = make_stream(lab)
    put(k, 3)
    it = iterator(k, "LATEST")
    assert k.get_records(ShardIterator=it)["Records"] == []
    put(k, 2, start=10)
    assert [r["Data"] for r in k.get_records(ShardIterator=it)["Records"]] == [b"10", b"11"]


def test_at_sequence_number_is_inclusive_and_after_is_exclusive(lab):
    k = make_stream(lab)
    seqs = put(k, 5)
    at = k.get_records(ShardIterator=iterator(k, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[2]))
    after = k.get_records(ShardIterator=iterator(k, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[2]))
    assert [r["SequenceNumber"] for r in at["Records"]] == seqs[2:]
    assert [r["SequenceNumber"] for r in after["Records"]] == seqs[3:]


def test_at_timestamp_starts_at_first_record_at_or_after_the_time(lab):
    k = make_stream(lab)
    put(k, 2)
    lab.clock.advance(10)
    mark = lab.clock.now()
    lab.clock.advance(1)
    put(k, 2, start=2)
    out = k.get_records(ShardIterator=iterator(k, "AT_TIMESTAMP", Timestamp=mark))
    assert [r["Data"] for r in out["Records"]] == [b"2", b"3"]
    # older than anything in the shard: the oldest untrimmed record
    old = k.get_records(ShardIterator=iterator(k, "AT_TIMESTAMP", Timestamp=dt.datetime(2000, 1, 1)))
    assert [r["Data"] for r in old["Records"]] == [b"0", b"1", b"2", b"3"]


def test_at_timestamp_in_the_future_is_invalid_argument(lab):
    # The service refuses a start it has not reached yet (issue 8: the lab used to accept it).
    k = make_stream(lab)
    with pytest.raises(ClientError) as e:
        iterator(k, "AT_TIMESTAMP", Timestamp=lab.clock.now() + 60)
    assert code(e) == "InvalidArgumentException"
    assert "timestampInMillis parameter cannot be greater than the currentTimestampInMillis" in message(e)
    assert iterator(k, "AT_TIMESTAMP", Timestamp=lab.clock.now())  # now itself is fine


def test_at_timestamp_older_than_the_trim_horizon_gives_the_oldest_untrimmed_record(lab):
    k = make_stream(lab)
    put(k, 1)
    lab.clock.advance(20 * 3600)
    put(k, 1, start=1)
    lab.clock.advance(5 * 3600)  # record 0 is now 25 h old, record 1 is 5 h old
    out = k.get_records(ShardIterator=iterator(k, "AT_TIMESTAMP", Timestamp=dt.datetime(2000, 1, 1)))
    assert [r["Data"] for r in out["Records"]] == [b"1"]


def test_sequence_number_from_another_shard_is_invalid_argument(lab):
    k = make_stream(lab, shards=2)
    shards = k.list_shards(StreamName="s")["Shards"]
    rec = k.put_record(StreamName="s", Data=b"x", ExplicitHashKey=shards[1]["HashKeyRange"]["StartingHashKey"], PartitionKey="p")
    with pytest.raises(ClientError) as e:
        iterator(k, "AT_SEQUENCE_NUMBER", shard=shards[0]["ShardId"], StartingSequenceNumber=rec["SequenceNumber"])
    assert code(e) == "InvalidArgumentException"
    assert message(e) == (
        "Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was used in a call to a shard "
        "with shardId-000000000000"
    )


def test_a_sequence_number_that_breaks_the_model_pattern_is_a_validation_error(lab):
    # The model's pattern (0|([1-9]\d{0,128})) is checked before the service looks at the value.
    k = make_stream(lab)
    put(k, 1)
    with pytest.raises(ClientError) as e:
        iterator(k, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber="abc")
    assert code(e) == "ValidationException"
    assert "Value 'abc' at 'startingSequenceNumber' failed to satisfy constraint: Member must satisfy regular expression pattern" in message(e)


@pytest.mark.parametrize("bad", ["123", "never-issued"])
def test_garbage_or_never_issued_sequence_numbers_are_invalid_argument(lab, bad):
    k = make_stream(lab)
    seq = put(k, 1)[0]
    if bad == "never-issued":
        bad = str(int(seq) + 5)  # same shard and stream, a counter the shard has not reached
    with pytest.raises(ClientError) as e:
        iterator(k, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=bad)
    assert code(e) == "InvalidArgumentException"
    assert f"StartingSequenceNumber {bad} used in GetShardIterator on shard shardId-000000000000 in stream s" in message(e)


def test_sequence_number_of_another_stream_is_invalid(lab):
    k = make_stream(lab)
    make_stream(lab, "other")
    seq = put(k, 1, name="other")[0]
    put(k, 1)
    with pytest.raises(ClientError) as e:
        iterator(k, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=seq)
    assert code(e) == "InvalidArgumentException"
    assert message(e).endswith("is invalid because it did not come from this stream.")


def test_iterator_type_and_sequence_number_must_agree(lab):
    k = make_stream(lab)
    seq = put(k, 1)[0]
    with pytest.raises(ClientError) as e:
        iterator(k, "AT_SEQUENCE_NUMBER")
    assert code(e) == "InvalidArgumentException" and "no StartingSequenceNumber" in message(e)
    with pytest.raises(ClientError) as e:
        iterator(k, "LATEST", StartingSequenceNumber=seq)
    assert code(e) == "InvalidArgumentException" and "also a StartingSequenceNumber" in message(e)
    with pytest.raises(ClientError) as e:
        iterator(k, "AT_TIMESTAMP")
    assert code(e) == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        iterator(k, "OLDEST")
    assert code(e) == "ValidationException"


def test_a_trimmed_sequence_number_starts_at_the_trim_horizon(lab):
    k = make_stream(lab)
    old = put(k, 2)
    lab.clock.advance(23 * 3600)
    put(k, 1, start=2)
    lab.clock.advance(2 * 3600)
    out = k.get_records(ShardIterator=iterator(k, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=old[0]))
    assert [r["Data"] for r in out["Records"]] == [b"2"]


def test_unknown_shard_and_unknown_stream_are_resource_not_found(lab):
    k = make_stream(lab)
    with pytest.raises(ClientError) as e:
        iterator(k, shard="shardId-000000000007")
    assert code(e) == "ResourceNotFoundException"
    assert message(e) == "Shard shardId-000000000007 in stream s under account 123456789012 does not exist"
    with pytest.raises(ClientError) as e:
        iterator(k, name="nope")
    assert code(e) == "ResourceNotFoundException"


# --- the iterator token -----------------------------------------------------------------------------------
def test_iterators_are_opaque_and_garbage_or_tampering_is_invalid_argument(lab):
    k = make_stream(lab)
    it = iterator(k)
    assert "shardId" not in it and len(it) <= 512
    raw = bytearray(base64.b64decode(it))
    raw[3] ^= 1
    tampered = base64.b64encode(bytes(raw)).decode()
    for bad in ["garbage", "AAAA", tampered, it[:-4], "🙂"]:
        with pytest.raises(ClientError) as e:
            k.get_records(ShardIterator=bad)
        assert code(e) == "InvalidArgumentException"
        assert message(e) == "Invalid ShardIterator."


def test_iterators_expire_after_five_minutes_of_lab_time(lab):
    k = make_stream(lab)
    put(k, 1)
    it = iterator(k)
    lab.clock.advance(299)
    nxt = k.get_records(ShardIterator=it)["NextShardIterator"]
    lab.clock.advance(2)
    with pytest.raises(ClientError) as e:
        k.get_records(ShardIterator=it)
    assert code(e) == "ExpiredIteratorException"
    assert re.fullmatch(
        r"Iterator expired\. The iterator was created at time \w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4} while right now it is "
        r"\w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4} which is further in the future than the tolerated delay of 300000 milliseconds\.",
        message(e),
    )
    assert "Thu Jan 01 00:00:11 UTC 2026" in message(e)
    # the NextShardIterator returned at t+299 has its own fresh five minutes
    assert k.get_records(ShardIterator=nxt)["Records"] == []


def test_an_iterator_of_a_deleted_and_recreated_stream_is_not_found(lab):
    k = make_stream(lab)
    it = iterator(k)
    k.delete_stream(StreamName="s")
    lab.clock.advance(quotas.STREAM_DELETING_SECONDS + 1)
    make_stream(lab)
    with pytest.raises(ClientError) as e:
        k.get_records(ShardIterator=it)
    assert code(e) == "ResourceNotFoundException"


def test_get_shard_iterator_is_limited_to_five_calls_per_second_per_shard(lab):
    make_stream(lab, shards=2)
    k = client(config=NO_RETRY)
    for _ in range(5):
        iterator(k)
    with pytest.raises(ClientError) as e:
        iterator(k)
    assert code(e) == "ProvisionedThroughputExceededException"
    assert message(e) == "Rate exceeded for shard shardId-000000000000 in stream s under account 123456789012."
    iterator(k, shard="shardId-000000000001")  # another shard has its own limit
    lab.clock.advance(1)
    iterator(k)


# --- GetRecords limits ------------------------------------------------------------------------------------
def test_limit_must_be_between_1_and_10000(lab):
    k = make_stream(lab)
    put(k, 5)
    it = iterator(k)
    assert len(k.get_records(ShardIterator=it, Limit=2)["Records"]) == 2
    # Out of the model's range (1-10,000): ValidationException, as the service answers.
    with pytest.raises(ClientError) as e:
        k.get_records(ShardIterator=it, Limit=10_001)
    assert code(e) == "ValidationException"
    assert "Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000" in message(e)
    with pytest.raises(ParamValidationError):
        k.get_records(ShardIterator=it, Limit=0)  # botocore checks the model's minimum itself


def test_limit_pages_through_the_shard_with_next_shard_iterator(lab):
    k = make_stream(lab)
    put(k, 7)
    it, seen = iterator(k), []
    for _ in range(4):
        out = k.get_records(ShardIterator=it, Limit=3)
        seen += [r["Data"] for r in out["Records"]]
        it = out["NextShardIterator"]
        lab.clock.advance(0.2)
    assert seen == [b"%d" % i for i in range(7)]


def test_an_open_shard_with_nothing_new_returns_no_records_and_an_iterator(lab):
    k = make_stream(lab)
    out = k.get_records(ShardIterator=iterator(k))
    assert out["Records"] == [] and out["NextShardIterator"] and out["MillisBehindLatest"] == 0
    assert "ChildShards" not in out


def test_five_get_records_calls_per_second_per_shard_shared_by_all_readers(lab):
    make_stream(lab)
    a = client(config=NO_RETRY)
    b = boto3.client("kinesis", region_name="us-east-1", config=NO_RETRY)  # a learner's plain client
    its = [iterator(a), iterator(b)]
    for i in range(5):
        (a if i % 2 else b).get_records(ShardIterator=its[i % 2])
    with pytest.raises(ClientError) as e:
        a.get_records(ShardIterator=its[0])
    assert code(e) == "ProvisionedThroughputExceededException"
    assert message(e) == "Rate exceeded for shard shardId-000000000000 in stream s under account 123456789012."
    lab.clock.advance(1)
    b.get_records(ShardIterator=its[1])


def test_two_mib_per_second_read_budget_a_big_read_is_paid_back_before_the_next(lab):
    k = make_stream(lab)
    for i in range(4):  # 4 records of ~0.9 MiB, written at the 1 MiB/s write rate
        put(k, 1, size=900_000, start=i)
        lab.clock.advance(1)
    reader = client(config=NO_RETRY)
    out = reader.get_records(ShardIterator=iterator(reader))
    assert len(out["Records"]) == 4  # 3.6 MB in one call: the bucket (2 MiB) goes ~1.5 MiB into debt
    with pytest.raises(ClientError) as e:
        reader.get_records(ShardIterator=out["NextShardIterator"])
    assert code(e) == "ProvisionedThroughputExceededException"
    lab.clock.advance(0.5)
    with pytest.raises(ClientError):
        reader.get_records(ShardIterator=out["NextShardIterator"])
    lab.clock.advance(0.5)  # debt of 3.6e6 - 2 MiB = 1.5e6 bytes repaid at 2 MiB/s takes ~0.72 s
    assert reader.get_records(ShardIterator=out["NextShardIterator"])["Records"] == []


def test_at_most_10_mib_per_call_then_the_shard_refuses_reads_for_5_seconds(lab):
    k = make_stream(lab)
    for i in range(12):
        put(k, 1, size=1_000_000, start=i)
        lab.clock.advance(1)
    reader = client(config=NO_RETRY)
    out = reader.get_records(ShardIterator=iterator(reader))
    assert len(out["Records"]) == 10  # 10,000,000 bytes; the 11th would pass 10 MiB
    assert sum(len(r["Data"]) for r in out["Records"]) <= quotas.GET_RECORDS_MAX_BYTES
    nxt = out["NextShardIterator"]
    lab.clock.advance(4.9)  # the byte debt alone would be repaid after ~3.8 s; the penalty is 5 s
    with pytest.raises(ClientError) as e:
        reader.get_records(ShardIterator=nxt)
    assert code(e) == "ProvisionedThroughputExceededException"
    lab.clock.advance(0.2)
    assert len(reader.get_records(ShardIterator=nxt)["Records"]) == 2


def test_polling_every_200_ms_like_kcl_never_hits_the_call_limit(lab):
    import time

    make_stream(lab)
    k = client(config=NO_RETRY)
    it = iterator(k)
    for _ in range(50):
        it = k.get_records(ShardIterator=it)["NextShardIterator"]
        time.sleep(0.2)  # inside a lab this moves the virtual clock at once


def test_millis_behind_latest_is_the_age_of_the_oldest_unread_record(lab):
    k = make_stream(lab)
    put(k, 2)
    lab.clock.advance(10)
    put(k, 1, start=2)
    lab.clock.advance(5)
    first = k.get_records(ShardIterator=iterator(k), Limit=1)
    assert first["MillisBehindLatest"] == 15_000  # record 1 is unread and 15 s old
    second = k.get_records(ShardIterator=first["NextShardIterator"], Limit=1)
    assert second["MillisBehindLatest"] == 5_000
    third = k.get_records(ShardIterator=second["NextShardIterator"])
    assert third["MillisBehindLatest"] == 0


def test_a_closed_shard_read_to_its_end_has_no_next_iterator_but_child_shards(lab):
    k = make_stream(lab)
    put(k, 3)
    it = iterator(k)
    k.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    first = k.get_records(ShardIterator=it, Limit=2)
    assert first["NextShardIterator"] and "ChildShards" not in first
    last = k.get_records(ShardIterator=first["NextShardIterator"])
    assert [r["Data"] for r in last["Records"]] == [b"2"]
    assert last.get("NextShardIterator") is None
    assert last["ChildShards"] == [
        {"ShardId": "shardId-000000000001", "ParentShards": ["shardId-000000000000"],
         "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": str(2**127 - 1)}},
        {"ShardId": "shardId-000000000002", "ParentShards": ["shardId-000000000000"],
         "HashKeyRange": {"StartingHashKey": str(2**127), "EndingHashKey": str(2**128 - 1)}},
    ]


def test_get_shard_iterator_on_a_closed_shard_still_works(lab):
    k = make_stream(lab)
    put(k, 1)
    k.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    out = k.get_records(ShardIterator=iterator(k, "LATEST"))
    assert out["Records"] == [] and out.get("NextShardIterator") is None and len(out["ChildShards"]) == 2


def test_read_metrics_reach_cloudwatch(lab):
    k = make_stream(lab)
    put(k, 4)
    reader = client(config=NO_RETRY)
    it = iterator(reader)
    for _ in range(6):
        try:
            it = reader.get_records(ShardIterator=it)["NextShardIterator"]
        except ClientError:
            pass
    lab.clock.advance(2)
    cw = SESSION.client("cloudwatch")

    def total(name):
        pts = cw.get_metric_statistics(
            Namespace="AWS/Kinesis", MetricName=name, Dimensions=[{"Name": "StreamName", "Value": "s"}],
            StartTime=dt.datetime(2025, 12, 31), EndTime=dt.datetime(2026, 1, 2), Period=60, Statistics=["Sum"],
        )["Datapoints"]
        return sum(p["Sum"] for p in pts)

    assert total("GetRecords.Records") == 4
    assert total("GetRecords.Success") == 5
    assert total("ReadProvisionedThroughputExceeded") == 1


def test_stream_arn_given_to_get_records_must_be_the_iterators(lab):
    k = make_stream(lab)
    make_stream(lab, "other")
    other_arn = k.describe_stream_summary(StreamName="other")["StreamDescriptionSummary"]["StreamARN"]
    own_arn = k.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    it = iterator(k)
    assert k.get_records(ShardIterator=it, StreamARN=own_arn)["Records"] == []
    with pytest.raises(ClientError) as e:
        k.get_records(ShardIterator=it, StreamARN=other_arn)
    assert code(e) == "InvalidArgumentException"


def test_starting_and_ending_sequence_numbers_of_a_shard_are_valid_positions(lab):
    k = make_stream(lab)
    put(k, 2)
    k.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    parent = k.list_shards(StreamName="s")["Shards"][0]
    rng = parent["SequenceNumberRange"]
    out = k.get_records(ShardIterator=iterator(k, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=rng["StartingSequenceNumber"]))
    assert [r["Data"] for r in out["Records"]] == [b"0", b"1"]
    end = k.get_records(ShardIterator=iterator(k, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=rng["EndingSequenceNumber"]))
    assert end["Records"] == [] and end.get("NextShardIterator") is None and len(end["ChildShards"]) == 2


def test_iterators_are_identical_from_one_fresh_lab_to_the_next():
    def run():
        with Lab() as lab:
            k = client()
            k.create_stream(StreamName="det", ShardCount=1)
            lab.clock.advance(quotas.STREAM_CREATING_SECONDS + 1)
            return k.get_shard_iterator(StreamName="det", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")["ShardIterator"]

    assert run() == run()
