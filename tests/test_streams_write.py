"""Kinesis write-side physics, through plain boto3 inside a lab.

Each test states the service behaviour it checks (kinesis-facts §1). Time is the lab's virtual
clock: nothing refills, activates or scales until the test advances it (or botocore sleeps).
"""

from __future__ import annotations

import datetime as dt
import threading

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labsim import Lab, quotas
from labsim.streams import shard_for_key
from labsim.keyspace import MAX_HASH_KEY

NO_RETRY = Config(retries={"total_max_attempts": 1})
MiB = 1024 * 1024

# One boto3 session for the module: creating clients from it skips re-reading botocore's data files
# in every test. Clients made by it are plain boto3 clients, served by the lab like any other (some
# tests below also use ``boto3.client(...)`` itself).
SESSION = boto3.session.Session()


@pytest.fixture
def lab():
    with Lab() as lab:
        yield lab


@pytest.fixture
def kinesis(lab):
    return SESSION.client("kinesis", region_name="us-east-1", config=NO_RETRY)


def make_stream(lab, kinesis, name="s", shards=1, **kw):
    kinesis.create_stream(StreamName=name, ShardCount=shards, **kw)
    lab.clock.advance(quotas.STREAM_CREATING_SECONDS)
    return name


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def fill(kinesis, name, key="hot", n=1000, size=1):
    """Spend ``n`` records of the shard ``key`` maps to (in PutRecords calls of up to 500)."""
    while n:
        batch = min(n, 500)
        out = kinesis.put_records(StreamName=name, Records=[{"Data": b"x" * size, "PartitionKey": key}] * batch)
        assert out["FailedRecordCount"] == 0
        n -= batch


# --- lifecycle ----------------------------------------------------------------------------------
def test_new_stream_is_creating_then_active_after_the_modelled_delay(lab, kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    status = lambda: kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamStatus"]
    assert status() == "CREATING"
    lab.clock.advance(quotas.STREAM_CREATING_SECONDS - 0.5)
    assert status() == "CREATING"
    lab.clock.advance(0.5)
    assert status() == "ACTIVE"


def test_writes_to_a_creating_stream_are_resource_not_found(lab, kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    assert error_of(e) == ("ResourceNotFoundException", "Stream s under account 123456789012 not found.")
    with pytest.raises(ClientError) as e:
        kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": "k"}])
    assert error_of(e)[0] == "ResourceNotFoundException"


def test_stream_exists_waiter_returns_once_active_in_simulated_time(lab, kinesis):
    t0 = lab.clock.now()
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="s")
    assert kinesis.describe_stream(StreamName="s")["StreamDescription"]["StreamStatus"] == "ACTIVE"
    assert quotas.STREAM_CREATING_SECONDS <= lab.clock.now() - t0 <= quotas.STREAM_CREATING_SECONDS + 10


def test_lab_docstring_example_still_holds(lab):
    kinesis = lab.client("kinesis")
    kinesis.create_stream(StreamName="demo", ShardCount=1)
    lab.clock.advance(30)
    assert kinesis.describe_stream_summary(StreamName="demo")["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"


def test_control_plane_changes_need_an_active_stream(lab, kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=2)
    arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    for call in (
        lambda: kinesis.delete_stream(StreamName="s"),
        lambda: kinesis.update_max_record_size(StreamARN=arn, MaxRecordSizeInKiB=2048),
        lambda: kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"}),
        lambda: kinesis.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey="12345"),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e) == (
            "ResourceInUseException",
            "Stream s under account 123456789012 not ACTIVE, instead in state CREATING",
        )


def test_delete_goes_through_deleting_and_writes_work_until_gone(lab, kinesis):
    make_stream(lab, kinesis)
    kinesis.delete_stream(StreamName="s")
    assert kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamStatus"] == "DELETING"
    kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")  # "might continue to accept" (DeleteStream doc)
    with pytest.raises(ClientError) as e:
        kinesis.create_stream(StreamName="s", ShardCount=1)
    assert error_of(e) == ("ResourceInUseException", "Stream s under account 123456789012 already exists.")
    kinesis.get_waiter("stream_not_exists").wait(StreamName="s")
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    assert error_of(e)[0] == "ResourceNotFoundException"
    assert kinesis.list_streams()["StreamNames"] == []


def test_at_most_five_streams_creating_at_once(lab, kinesis):
    for i in range(quotas.STREAMS_CREATING_AT_ONCE):
        kinesis.create_stream(StreamName=f"s{i}", ShardCount=1)
    with pytest.raises(ClientError) as e:
        kinesis.create_stream(StreamName="one-too-many", ShardCount=1)
    assert error_of(e)[0] == "LimitExceededException"
    lab.clock.advance(quotas.STREAM_CREATING_SECONDS)
    kinesis.create_stream(StreamName="one-too-many", ShardCount=1)


# --- per-shard write budget -----------------------------------------------------------------------
def test_put_record_over_1000_records_per_second_is_throttled_with_aws_message(lab, kinesis):
    make_stream(lab, kinesis, shards=2)
    shard = shard_for_key(kinesis.describe_stream(StreamName="s"), "hot")
    fill(kinesis, "s", "hot", 1000)
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="hot")
    assert error_of(e) == (
        "ProvisionedThroughputExceededException",
        f"Rate exceeded for shard {shard} in stream s under account 123456789012.",
    )
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    lab.clock.advance(0.01)  # refill is continuous: 10 ms buys 10 records
    for _ in range(10):
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="hot")
    with pytest.raises(ClientError):
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="hot")


def test_bytes_budget_counts_data_plus_partition_key(lab, kinesis):
    make_stream(lab, kinesis)
    key = "k" * 100
    # 1 MiB = two records of (MiB/2 - 100) data bytes + 100 key bytes each: exactly the budget.
    for _ in range(2):
        kinesis.put_record(StreamName="s", Data=b"x" * (MiB // 2 - 100), PartitionKey=key)
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName="s", Data=b"", PartitionKey="k")
    assert error_of(e)[0] == "ProvisionedThroughputExceededException"
    lab.clock.advance(1.0)
    kinesis.put_record(StreamName="s", Data=b"x" * (MiB - 1), PartitionKey="k")


def test_put_records_fails_exactly_the_records_over_budget_in_order(lab, kinesis):
    make_stream(lab, kinesis, shards=2)
    desc = kinesis.describe_stream(StreamName="s")
    hot_shard = shard_for_key(desc, "hot")
    cold = next(f"c{i}" for i in range(100) if shard_for_key(desc, f"c{i}") != hot_shard)
    fill(kinesis, "s", "hot", 990)
    records = [{"Data": b"d", "PartitionKey": "hot" if i % 2 else cold} for i in range(40)]
    out = kinesis.put_records(StreamName="s", Records=records)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(out["Records"]) == 40
    hot_results = [r for r, rec in zip(out["Records"], records) if rec["PartitionKey"] == "hot"]
    cold_results = [r for r, rec in zip(out["Records"], records) if rec["PartitionKey"] == cold]
    assert all("SequenceNumber" in r and r["ShardId"] == hot_shard for r in hot_results[:10])
    for r in hot_results[10:]:
        assert r == {
            "ErrorCode": "ProvisionedThroughputExceededException",
            "ErrorMessage": f"Rate exceeded for shard {hot_shard} in stream s under account 123456789012.",
        }
    assert all("SequenceNumber" in r and "ErrorCode" not in r for r in cold_results)  # its own shard, its own budget
    assert out["FailedRecordCount"] == 10


def test_budget_is_a_token_bucket_of_one_seconds_worth(lab, kinesis):
    make_stream(lab, kinesis)
    fill(kinesis, "s", "k", 1000)
    lab.clock.advance(10)  # idle time does not bank more than one second
    out = kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": "k"}] * 500)
    assert out["FailedRecordCount"] == 0
    out = kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": "k"}] * 500)
    assert out["FailedRecordCount"] == 0
    out = kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": "k"}] * 500)
    assert out["FailedRecordCount"] == 500


@pytest.mark.parametrize("mode", ["legacy", "standard"])
def test_botocore_retries_a_throttled_put_record_in_simulated_time(lab, mode):
    kinesis = boto3.client("kinesis", region_name="us-east-1", config=Config(retries={"mode": mode}))
    make_stream(lab, kinesis)
    fill(kinesis, "s", "k", 1000)
    t0 = lab.clock.now()
    out = kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    assert out["ResponseMetadata"]["RetryAttempts"] >= 1
    assert lab.clock.now() > t0  # the back-off slept in lab time, which refilled the budget


def test_retries_give_up_when_the_shard_stays_saturated(lab):
    kinesis = boto3.client("kinesis", region_name="us-east-1", config=Config(retries={"mode": "standard", "total_max_attempts": 2}))
    make_stream(lab, kinesis, MaxRecordSizeInKiB=10240)
    kinesis.put_record(StreamName="s", Data=b"x" * (10 * MiB - 1), PartitionKey="k")
    # the 10 MiB record leaves the shard ~9 s in debt; one standard-mode back-off (<= 2 s) cannot cover it
    t0 = lab.clock.now()
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    assert error_of(e)[0] == "ProvisionedThroughputExceededException"
    assert e.value.response["ResponseMetadata"]["RetryAttempts"] == 1
    assert 0 < lab.clock.now() - t0 <= 2.0


# --- validation ---------------------------------------------------------------------------------------
def test_put_records_limits_500_records_and_10_mib(lab, kinesis):
    make_stream(lab, kinesis, shards=11)
    starts = [s["HashKeyRange"]["StartingHashKey"] for s in kinesis.list_shards(StreamName="s")["Shards"]]
    with pytest.raises(ClientError) as e:
        kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": "k"}] * 501)
    assert error_of(e) == (
        "ValidationException",
        "1 validation error detected: Value at 'records' failed to satisfy constraint: "
        "Member must have length less than or equal to 500",
    )
    big = [{"Data": b"x" * (MiB - 10), "PartitionKey": f"k{i}", "ExplicitHashKey": starts[i]} for i in range(11)]  # one per shard
    with pytest.raises(ClientError) as e:
        kinesis.put_records(StreamName="s", Records=big)
    assert error_of(e) == ("InvalidArgumentException", "Records size exceeds 10 MB limit")
    assert kinesis.put_records(StreamName="s", Records=big[:10])["FailedRecordCount"] == 0


def test_record_size_limit_is_1_mib_of_data_plus_key_by_default(lab, kinesis):
    make_stream(lab, kinesis)
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName="s", Data=b"x" * MiB, PartitionKey="k")
    assert error_of(e) == (
        "ValidationException",
        "1 validation error detected: Value at 'data' failed to satisfy constraint: "
        "Member must have length less than or equal to 1048576",
    )
    with pytest.raises(ClientError) as e:
        kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": "k"}, {"Data": b"x" * MiB, "PartitionKey": "k"}])
    assert "Value at 'records.2.member.data'" in error_of(e)[1]
    kinesis.put_record(StreamName="s", Data=b"x" * (MiB - 1), PartitionKey="k")


def test_update_max_record_size_allows_records_up_to_10_mib(lab, kinesis):
    make_stream(lab, kinesis)
    arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    unchecked = boto3.client("kinesis", region_name="us-east-1", config=Config(parameter_validation=False))
    for bad, word in ((1023, "greater"), (10241, "less")):  # botocore itself refuses 1023 unless told not to check
        with pytest.raises(ClientError) as e:
            unchecked.update_max_record_size(StreamARN=arn, MaxRecordSizeInKiB=bad)
        assert error_of(e)[0] == "ValidationException" and f"Member must have value {word} than or equal to" in error_of(e)[1]
    kinesis.update_max_record_size(StreamARN=arn, MaxRecordSizeInKiB=4096)
    summary = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]
    assert summary["MaxRecordSizeInKiB"] == 4096 and summary["StreamStatus"] == "UPDATING"
    # writes go on while UPDATING; a 3 MiB record passes (the shard's 1 MiB/s then pays it back)
    kinesis.put_record(StreamName="s", Data=b"x" * (3 * MiB), PartitionKey="k")
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    assert error_of(e)[0] == "ProvisionedThroughputExceededException"
    lab.clock.advance(3.0)
    kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")


def test_create_stream_takes_max_record_size(lab, kinesis):
    kinesis.create_stream(StreamName="big", ShardCount=1, MaxRecordSizeInKiB=10240)
    assert kinesis.describe_stream_summary(StreamName="big")["StreamDescriptionSummary"]["MaxRecordSizeInKiB"] == 10240
    with pytest.raises(ClientError) as e:
        kinesis.create_stream(StreamName="bad", ShardCount=1, MaxRecordSizeInKiB=20000)
    assert error_of(e)[0] == "ValidationException"


def test_partition_key_hash_key_and_stream_name_are_validated(lab, kinesis):
    make_stream(lab, kinesis)
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k" * 257)
    code, message = error_of(e)
    assert code == "ValidationException"
    assert message.endswith("at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256")
    kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k" * 256)
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k", ExplicitHashKey="0123")
    assert error_of(e) == (
        "ValidationException",
        "1 validation error detected: Value '0123' at 'explicitHashKey' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})",
    )
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k", ExplicitHashKey=str(MAX_HASH_KEY + 1))
    assert error_of(e)[0] == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        kinesis.create_stream(StreamName="bad name!", ShardCount=1)
    assert error_of(e) == (
        "ValidationException",
        "1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    )
    with pytest.raises(ClientError) as e:
        kinesis.put_records(
            StreamName="s",
            Records=[{"Data": b"x", "PartitionKey": "k" * 300}, {"Data": b"x", "PartitionKey": "k", "ExplicitHashKey": "x"}],
        )
    assert error_of(e)[1].startswith("2 validation errors detected: ")


def test_unknown_stream_is_resource_not_found(lab, kinesis):
    with pytest.raises(ClientError) as e:
        kinesis.put_records(StreamName="nope", Records=[{"Data": b"x", "PartitionKey": "k"}])
    assert error_of(e) == ("ResourceNotFoundException", "Stream nope under account 123456789012 not found.")


# --- routing and sequence numbers -------------------------------------------------------------------
def test_routing_is_md5_of_the_key_and_shard_for_key_agrees(lab, kinesis):
    make_stream(lab, kinesis, shards=4)
    desc = kinesis.describe_stream(StreamName="s")
    listed = kinesis.list_shards(StreamName="s")
    for i in range(200):
        key = f"user-{i}"
        got = kinesis.put_record(StreamName="s", Data=b"x", PartitionKey=key)["ShardId"]
        assert got == shard_for_key(desc, key) == shard_for_key(listed, key) == shard_for_key(listed["Shards"], key)
    assert shard_for_key(desc, "üñïçødé") == kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="üñïçødé")["ShardId"]


def test_explicit_hash_key_overrides_and_ranges_are_inclusive(lab, kinesis):
    make_stream(lab, kinesis, shards=2)
    shards = kinesis.list_shards(StreamName="s")["Shards"]
    end0 = shards[0]["HashKeyRange"]["EndingHashKey"]
    put = lambda ehk: kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="same", ExplicitHashKey=ehk)["ShardId"]
    assert put("0") == put(end0) == "shardId-000000000000"
    assert put(str(int(end0) + 1)) == put(str(MAX_HASH_KEY)) == "shardId-000000000001"
    assert shards[1]["HashKeyRange"]["EndingHashKey"] == str(2**128 - 1)


def test_sequence_numbers_increase_within_a_shard_and_are_unique(lab, kinesis):
    make_stream(lab, kinesis, shards=3)
    seen: dict[str, list[str]] = {}
    for step in range(4):
        out = kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": f"k{i}"} for i in range(100)])
        for r in out["Records"]:
            seen.setdefault(r["ShardId"], []).append(r["SequenceNumber"])
        lab.clock.advance(0.25)
    everything = [s for seqs in seen.values() for s in seqs]
    assert len(set(everything)) == len(everything) == 400
    for seqs in seen.values():
        assert all(len(s) == 56 and s.isdigit() for s in seqs)
        assert [int(s) for s in seqs] == sorted(int(s) for s in seqs)
    records = kinesis.get_records(
        ShardIterator=kinesis.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    )["Records"]
    assert [r["SequenceNumber"] for r in records] == seen["shardId-000000000000"]
    assert records[0]["ApproximateArrivalTimestamp"] == lab.clock.datetime() - dt.timedelta(seconds=1)


# --- capacity modes -----------------------------------------------------------------------------------
def test_on_demand_starts_with_four_shards_and_refuses_manual_resharding(lab, kinesis):
    kinesis.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    lab.clock.advance(quotas.STREAM_CREATING_SECONDS)
    summary = kinesis.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"} and summary["OpenShardCount"] == 4
    message = "Request is invalid. Stream od under account 123456789012 is in On-Demand mode."
    for call in (
        lambda: kinesis.split_shard(StreamName="od", ShardToSplit="shardId-000000000000", NewStartingHashKey="12345"),
        lambda: kinesis.merge_shards(StreamName="od", ShardToMerge="shardId-000000000000", AdjacentShardToMerge="shardId-000000000001"),
        lambda: kinesis.update_shard_count(StreamName="od", TargetShardCount=8, ScalingType="UNIFORM_SCALING"),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e) == ("ValidationException", message)


def test_on_demand_splits_a_hot_shard_within_15_minutes(lab, kinesis):
    kinesis.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    lab.clock.advance(quotas.STREAM_CREATING_SECONDS)
    hot = shard_for_key(kinesis.describe_stream(StreamName="od"), "hot")
    open_shards = lambda: kinesis.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]["OpenShardCount"]
    start = lab.clock.now()
    payload = [{"Data": b"x" * 7000, "PartitionKey": "hot"}] * 100  # 700 KB/s: fits one shard, above 500 KB/s
    for _ in range(quotas.ON_DEMAND_MEASURE_SECONDS + 60):  # a little over one minute, whatever the window phase
        assert kinesis.put_records(StreamName="od", Records=payload)["FailedRecordCount"] == 0
        lab.clock.advance(1.0)
    assert open_shards() == 4
    while open_shards() == 4 and lab.clock.now() - start < 2 * quotas.ON_DEMAND_SCALE_WINDOW_SECONDS:
        lab.clock.advance(5.0)
    assert lab.clock.now() - start <= quotas.ON_DEMAND_SCALE_WINDOW_SECONDS + 5
    shards = kinesis.list_shards(StreamName="od")["Shards"]
    children = [s for s in shards if s.get("ParentShardId") == hot]
    assert len(children) == 2 and len(shards) == 6
    parent = next(s for s in shards if s["ShardId"] == hot)
    assert "EndingSequenceNumber" in parent["SequenceNumberRange"]  # closed: no new writes
    low, high = sorted(children, key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))
    assert int(high["HashKeyRange"]["StartingHashKey"]) - int(parent["HashKeyRange"]["StartingHashKey"]) == (
        int(parent["HashKeyRange"]["EndingHashKey"]) - int(high["HashKeyRange"]["StartingHashKey"]) + 1
    )  # an even split
    assert kinesis.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"
    assert kinesis.put_record(StreamName="od", Data=b"x", PartitionKey="hot")["ShardId"] in {low["ShardId"], high["ShardId"]}


def test_on_demand_shards_below_the_threshold_are_not_split(lab, kinesis):
    kinesis.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    lab.clock.advance(quotas.STREAM_CREATING_SECONDS)
    for _ in range(quotas.ON_DEMAND_MEASURE_SECONDS + 60):
        kinesis.put_records(StreamName="od", Records=[{"Data": b"x" * 4000, "PartitionKey": "warm"}] * 100)  # 400 KB/s
        lab.clock.advance(1.0)
    lab.clock.advance(3600)
    assert kinesis.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]["OpenShardCount"] == 4


def test_capacity_mode_switches_twice_per_24_hours(lab, kinesis):
    make_stream(lab, kinesis, shards=3)
    arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    for mode in ("ON_DEMAND", "PROVISIONED"):
        kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": mode})
        summary = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]
        assert summary["StreamStatus"] == "UPDATING" and summary["OpenShardCount"] == 3  # shard count kept
        lab.clock.advance(quotas.STREAM_UPDATING_SECONDS)
    with pytest.raises(ClientError) as e:
        kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    assert error_of(e)[0] == "LimitExceededException"
    lab.clock.advance(24 * 3600)
    kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})


# --- CloudWatch -----------------------------------------------------------------------------------------
def _stats(cw, lab, metric, dims, start, period, stats=("Sum",)):
    out = cw.get_metric_statistics(
        Namespace="AWS/Kinesis", MetricName=metric, Dimensions=dims,
        StartTime=start, EndTime=lab.clock.datetime() + dt.timedelta(seconds=1), Period=period, Statistics=list(stats),
    )
    return sorted(out["Datapoints"], key=lambda d: d["Timestamp"])


def test_stream_metrics_one_datapoint_per_second_read_back_with_boto3(lab, kinesis):
    make_stream(lab, kinesis, shards=1)
    cw = SESSION.client("cloudwatch", region_name="us-east-1")
    start = lab.clock.datetime()
    for second in range(60):
        kinesis.put_records(StreamName="s", Records=[{"Data": b"x" * 99, "PartitionKey": "k"}] * 300)  # 30,000 B/s
        kinesis.put_records(StreamName="s", Records=[{"Data": b"x" * 99, "PartitionKey": "k"}] * 500)
        if second % 10 == 0:
            try:
                kinesis.put_record(StreamName="s", Data=b"y" * 9, PartitionKey="k")
            except ClientError:
                pass
        lab.clock.advance(1.0)
    dims = [{"Name": "StreamName", "Value": "s"}]
    per_second = _stats(cw, lab, "IncomingRecords", dims, start, 1)
    assert len(per_second) == 60
    # 800 offered per second, budget 1,000/s: all fit except the PutRecord every 10 s makes 801 (fits too)
    total = _stats(cw, lab, "IncomingRecords", dims, start, 60)
    assert sum(d["Sum"] for d in total) == 60 * 800 + 6
    assert sum(d["Sum"] for d in _stats(cw, lab, "IncomingBytes", dims, start, 60)) == 60 * 800 * 100 + 6 * 10
    calls = _stats(cw, lab, "PutRecords.Success", dims, start, 60, ("SampleCount", "Average"))
    assert sum(d["SampleCount"] for d in calls) == 120
    assert sum(d["Sum"] for d in _stats(cw, lab, "PutRecords.TotalRecords", dims, start, 60)) == 48_000
    assert sum(d["Sum"] for d in _stats(cw, lab, "PutRecord.Success", dims, start, 60)) == 6
    assert _stats(cw, lab, "PutRecords.Latency", dims, start, 60, ("Average",))[0]["Average"] == quotas.PUT_RECORDS_LATENCY_MS


def test_throttling_shows_in_metrics_and_shard_metrics_need_enhanced_monitoring(lab, kinesis):
    make_stream(lab, kinesis, shards=2)
    hot = shard_for_key(kinesis.describe_stream(StreamName="s"), "hot")
    start = lab.clock.datetime()
    for _ in range(3):
        kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": "hot"}] * 500)
    cw = SESSION.client("cloudwatch", region_name="us-east-1")  # read at once: pending datapoints are published first
    stream_dims = [{"Name": "StreamName", "Value": "s"}]
    shard_dims = stream_dims + [{"Name": "ShardId", "Value": hot}]
    assert _stats(cw, lab, "WriteProvisionedThroughputExceeded", stream_dims, start, 60)[0]["Sum"] == 500
    assert _stats(cw, lab, "PutRecords.ThrottledRecords", stream_dims, start, 60)[0]["Sum"] == 500
    assert _stats(cw, lab, "IncomingRecords", shard_dims, start, 60) == []  # no shard level without enhanced monitoring
    lab.clock.advance(60)
    start = lab.clock.datetime()
    kinesis.enable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["IncomingRecords", "WriteProvisionedThroughputExceeded"])
    for _ in range(3):
        kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": "hot"}] * 500)
    assert _stats(cw, lab, "IncomingRecords", shard_dims, start, 60)[0]["Sum"] == 1000
    assert _stats(cw, lab, "WriteProvisionedThroughputExceeded", shard_dims, start, 60)[0]["Sum"] == 500
    # CloudWatch matches the exact dimension set: the stream total is not doubled by the shard copies.
    assert _stats(cw, lab, "WriteProvisionedThroughputExceeded", stream_dims, start, 60)[0]["Sum"] == 500
    assert _stats(cw, lab, "IncomingRecords", stream_dims, start, 60)[0]["Sum"] == 1000
    assert _stats(cw, lab, "IncomingBytes", shard_dims, start, 60) == []  # not enabled at shard level


# --- concurrency ---------------------------------------------------------------------------------------
def test_eight_threads_putting_at_once_lose_nothing(lab):
    make_stream(lab, boto3.client("kinesis", region_name="us-east-1"), shards=40)
    results: list[dict] = []
    errors: list[BaseException] = []

    def producer(t: int) -> None:
        try:
            client = boto3.client("kinesis", region_name="us-east-1")
            for call in range(5):
                records = [{"Data": f"{t}-{call}-{i}".encode(), "PartitionKey": f"{t}-{call}-{i}"} for i in range(500)]
                results.append(client.put_records(StreamName="s", Records=records))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=producer, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert sum(r["FailedRecordCount"] for r in results) == 0
    stream = lab.backend("kinesis").streams["s"]
    stored = [rec for shard in stream.shards.values() for rec in shard.store]
    assert len(stored) == 8 * 5 * 500
    assert len({r.data for r in stored}) == 20_000
    for shard in stream.shards.values():
        seqs = [r.sequence_number for r in shard.store]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


# --- moto's control plane on the labsim model ------------------------------------------------------------
def test_control_plane_operations_moto_serves_read_the_labsim_model(lab, kinesis):
    make_stream(lab, kinesis, shards=2)
    kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    desc = kinesis.describe_stream(StreamName="s")["StreamDescription"]
    assert [s["ShardId"] for s in desc["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    assert kinesis.list_streams()["StreamNames"] == ["s"]
    kinesis.add_tags_to_stream(StreamName="s", Tags={"team": "data"})
    assert kinesis.list_tags_for_stream(StreamName="s")["Tags"] == [{"Key": "team", "Value": "data"}]
    kinesis.increase_stream_retention_period(StreamName="s", RetentionPeriodHours=48)
    kinesis.start_stream_encryption(StreamName="s", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    summary = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 48 and summary["EncryptionType"] == "KMS"
    assert kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")["EncryptionType"] == "KMS"
    limits = kinesis.describe_limits()
    assert limits["OpenShardCount"] == 2 and limits["ShardLimit"] == quotas.SHARDS_PER_ACCOUNT
    arn = summary["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]
    assert consumer["ConsumerName"] == "app"
    assert kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["ConsumerCount"] == 1


def test_stream_arn_routes_to_the_same_stream(lab, kinesis):
    make_stream(lab, kinesis)
    arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    out = kinesis.put_records(StreamARN=arn, Records=[{"Data": b"x", "PartitionKey": "k"}])
    assert out["FailedRecordCount"] == 0
    kinesis.put_record(StreamARN=arn, Data=b"x", PartitionKey="k")
    assert kinesis.describe_stream(StreamARN=arn)["StreamDescription"]["StreamName"] == "s"
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamARN=arn.replace("stream/s", "stream/t"), Data=b"x", PartitionKey="k")
    assert error_of(e)[0] == "ResourceNotFoundException"


# --- moto contract: the methods labsim overrides are the ones moto's KinesisResponse calls ------------------
def test_moto_kinesis_methods_labsim_overrides_keep_their_signatures():
    import inspect

    from moto.kinesis.models import KinesisBackend

    from labsim.streams.backend import LabKinesisBackend

    for name in (
        "describe_stream", "describe_stream_summary", "create_stream", "delete_stream", "put_record", "put_records",
        "update_stream_mode", "describe_limits",
        "enable_enhanced_monitoring", "disable_enhanced_monitoring",
    ):
        theirs = list(inspect.signature(getattr(KinesisBackend, name)).parameters)
        ours = list(inspect.signature(getattr(LabKinesisBackend, name)).parameters)
        assert ours[: len(theirs)] == theirs, f"{name}: moto {theirs} vs labsim {ours}"


def test_each_operation_has_one_implementation_on_the_backend(lab, kinesis):
    # The pipeline's handlers and direct backend calls reach the same method: what one changes,
    # the other sees (no second door with its own state).
    make_stream(lab, kinesis, shards=1)
    backend = lab.backend("kinesis")
    kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    it = backend.get_shard_iterator("s", None, "shardId-000000000000", "TRIM_HORIZON")
    batch = backend.get_records(it, 10)
    assert [r.data for r in batch.records] == [b"x"] and batch.millis_behind_latest == 0
    resp = kinesis.get_records(ShardIterator=batch.next_iterator)
    assert resp["Records"] == [] and resp["MillisBehindLatest"] == 0
    backend.split_shard(stream_name="s", shard_to_split="shardId-000000000000", new_starting_hash_key=str(2**127))
    assert [s["ShardId"] for s in kinesis.list_shards(StreamName="s")["Shards"]] == [
        "shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]


def test_enhanced_monitoring_lists_metrics_in_a_stable_order(lab, kinesis):
    make_stream(lab, kinesis, shards=1)
    resp = kinesis.enable_enhanced_monitoring(
        StreamName="s", ShardLevelMetrics=["WriteProvisionedThroughputExceeded", "IncomingRecords", "IncomingBytes"]
    )
    assert resp["DesiredShardLevelMetrics"] == ["IncomingBytes", "IncomingRecords", "WriteProvisionedThroughputExceeded"]


def test_enhanced_monitoring_order_does_not_depend_on_the_hash_seed():
    import subprocess
    import sys

    script = (
        "from labsim import Lab\n"
        "with Lab() as lab:\n"
        "    k = lab.client('kinesis'); k.create_stream(StreamName='s', ShardCount=1); lab.clock.advance(30)\n"
        "    r = k.enable_enhanced_monitoring(StreamName='s', ShardLevelMetrics=['WriteProvisionedThroughputExceeded', 'IncomingRecords', 'IncomingBytes'])\n"
        "    print(r['DesiredShardLevelMetrics'], k.describe_stream(StreamName='s')['StreamDescription']['EnhancedMonitoring'])\n"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={**__import__("os").environ, "PYTHONHASHSEED": seed}, check=True).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1, outputs
