"""Resharding, ListShards filters and paging, and retention, through plain boto3."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from labsim import quotas
from labsim.safety import FAKE_ACCESS_KEY, FAKE_SECRET_KEY
from labsim.keyspace import shard_for_key

SESSION = boto3.session.Session(aws_access_key_id=FAKE_ACCESS_KEY, aws_secret_access_key=FAKE_SECRET_KEY, region_name="us-east-1")
HALF = 2**127
TOP = 2**128 - 1


def client(**kwargs):
    return SESSION.client("kinesis", **kwargs)


def make_stream(lab, name="s", shards=1, **kw):
    k = client()
    if kw:
        k.create_stream(StreamName=name, **kw)
    else:
        k.create_stream(StreamName=name, ShardCount=shards)
    lab.clock.advance(quotas.STREAM_CREATING_SECONDS + 1)
    return k


def settle(lab):
    lab.clock.advance(quotas.STREAM_UPDATING_SECONDS)


def ids(shards):
    return [s["ShardId"] for s in shards]


def code(e):
    return e.value.response["Error"]["Code"]


def status(k, name="s"):
    return k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]


def read_all(k, shard_id, name="s"):
    it = k.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return [r["Data"] for r in k.get_records(ShardIterator=it)["Records"]]


# --- SplitShard / MergeShards -------------------------------------------------------------------------
def test_split_closes_the_parent_opens_two_children_and_new_writes_go_to_them(lab):
    k = make_stream(lab)
    k.put_record(StreamName="s", Data=b"before", PartitionKey="a")
    k.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF))
    assert status(k) == "UPDATING"
    shards = k.list_shards(StreamName="s")["Shards"]
    parent, low, high = shards
    assert "EndingSequenceNumber" in parent["SequenceNumberRange"]
    assert low["ParentShardId"] == high["ParentShardId"] == "shardId-000000000000"
    assert (low["HashKeyRange"], high["HashKeyRange"]) == (
        {"StartingHashKey": "0", "EndingHashKey": str(HALF - 1)},
        {"StartingHashKey": str(HALF), "EndingHashKey": str(TOP)},
    )
    out = k.put_record(StreamName="s", Data=b"after", PartitionKey="a")
    assert out["ShardId"] == shard_for_key(shards, "a") != "shardId-000000000000"
    assert read_all(k, "shardId-000000000000") == [b"before"]  # the parent stays readable
    assert read_all(k, out["ShardId"]) == [b"after"]
    settle(lab)
    assert status(k) == "ACTIVE"


@pytest.mark.parametrize("key", ["0", "1", str(TOP), str(TOP + 1)])
def test_split_key_must_lie_strictly_inside_the_parent(lab, key):
    k = make_stream(lab)
    with pytest.raises(ClientError) as e:
        k.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=key)
    assert code(e) == "InvalidArgumentException"
    assert "is not both greater than one plus the shard's StartingHashKey 0 and less than the shard's EndingHashKey" in (
        e.value.response["Error"]["Message"]
    )


def test_resharding_is_refused_while_updating_and_on_a_closed_shard(lab):
    k = make_stream(lab, shards=2)
    k.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF // 2))
    with pytest.raises(ClientError) as e:
        k.split_shard(StreamName="s", ShardToSplit="shardId-000000000001", NewStartingHashKey=str(HALF + 10))
    assert code(e) == "ResourceInUseException"
    with pytest.raises(ClientError) as e:
        k.update_shard_count(StreamName="s", TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    assert code(e) == "ResourceInUseException"
    settle(lab)
    with pytest.raises(ClientError) as e:
        k.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(10))
    assert code(e) == "InvalidArgumentException" and "already been merged or split" in e.value.response["Error"]["Message"]


def test_merge_needs_two_adjacent_open_shards(lab):
    k = make_stream(lab, shards=3)
    with pytest.raises(ClientError) as e:
        k.merge_shards(StreamName="s", ShardToMerge="shardId-000000000000", AdjacentShardToMerge="shardId-000000000002")
    assert code(e) == "InvalidArgumentException"
    assert e.value.response["Error"]["Message"] == (
        "Shards shardId-000000000000 and shardId-000000000002 in stream s under account 123456789012 are not "
        "an adjacent pair of shards eligible for merging"
    )
    k.merge_shards(StreamName="s", ShardToMerge="shardId-000000000001", AdjacentShardToMerge="shardId-000000000002")
    child = k.list_shards(StreamName="s", ShardFilter={"Type": "AT_LATEST"})["Shards"][-1]
    assert child["ShardId"] == "shardId-000000000003"
    assert (child["ParentShardId"], child["AdjacentParentShardId"]) == ("shardId-000000000001", "shardId-000000000002")
    assert child["HashKeyRange"]["EndingHashKey"] == str(TOP)


def test_on_demand_streams_cannot_be_resharded(lab):
    k = make_stream(lab, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    with pytest.raises(ClientError) as e:
        k.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF // 8))
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        k.update_shard_count(StreamName="s", TargetShardCount=8, ScalingType="UNIFORM_SCALING")
    assert code(e) == "ValidationException"


# --- UpdateShardCount --------------------------------------------------------------------------------
@pytest.mark.parametrize("current,target", [(2, 4), (4, 2), (3, 5), (5, 3), (4, 7), (1, 2)])
def test_update_shard_count_leaves_target_even_shards_with_real_lineage(lab, current, target):
    k = make_stream(lab, shards=current)
    out = k.update_shard_count(StreamName="s", TargetShardCount=target, ScalingType="UNIFORM_SCALING")
    assert (out["CurrentShardCount"], out["TargetShardCount"], out["StreamName"]) == (current, target, "s")
    assert status(k) == "UPDATING"
    open_shards = k.list_shards(StreamName="s", ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert len(open_shards) == target
    step = 2**128 // target
    starts = sorted(int(s["HashKeyRange"]["StartingHashKey"]) for s in open_shards)  # ListShards is in ShardId order
    assert starts == [i * step for i in range(target)]
    every = {s["ShardId"]: s for s in k.list_shards(StreamName="s")["Shards"]}
    for s in every.values():  # every lineage link points at a real (closed) shard
        for parent in (s.get("ParentShardId"), s.get("AdjacentParentShardId")):
            assert parent is None or "EndingSequenceNumber" in every[parent]["SequenceNumberRange"]
    assert k.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["OpenShardCount"] == target


def test_update_shard_count_limits(lab):
    k = make_stream(lab, shards=4)
    for target, word in [(9, "double"), (1, "half")]:
        with pytest.raises(ClientError) as e:
            k.update_shard_count(StreamName="s", TargetShardCount=target, ScalingType="UNIFORM_SCALING")
        assert code(e) == "LimitExceededException" and word in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        k.update_shard_count(StreamName="s", TargetShardCount=4, ScalingType="SPLIT_EVERYTHING")
    assert code(e) == "ValidationException"


def test_at_most_ten_scalings_per_rolling_24_hours(lab):
    k = make_stream(lab, shards=2)
    for i in range(10):
        k.update_shard_count(StreamName="s", TargetShardCount=3 if i % 2 == 0 else 2, ScalingType="UNIFORM_SCALING")
        settle(lab)
    with pytest.raises(ClientError) as e:
        k.update_shard_count(StreamName="s", TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    assert code(e) == "LimitExceededException"
    lab.clock.advance(24 * 3600)
    k.update_shard_count(StreamName="s", TargetShardCount=3, ScalingType="UNIFORM_SCALING")


# --- ListShards --------------------------------------------------------------------------------------
def test_list_shards_pages_with_max_results_and_next_token_that_expires(lab):
    k = make_stream(lab, shards=5)
    first = k.list_shards(StreamName="s", MaxResults=2)
    assert ids(first["Shards"]) == ["shardId-000000000000", "shardId-000000000001"]
    second = k.list_shards(NextToken=first["NextToken"], MaxResults=2)
    third = k.list_shards(NextToken=second["NextToken"])
    assert ids(second["Shards"] + third["Shards"]) == [f"shardId-00000000000{i}" for i in range(2, 5)]
    assert "NextToken" not in third
    with pytest.raises(ClientError) as e:
        k.list_shards(StreamName="s", NextToken=first["NextToken"])
    assert code(e) == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        k.list_shards(NextToken="not-a-token")
    assert code(e) == "InvalidArgumentException"
    lab.clock.advance(quotas.LIST_SHARDS_NEXT_TOKEN_LIFETIME_SECONDS + 1)
    with pytest.raises(ClientError) as e:
        k.list_shards(NextToken=first["NextToken"])
    assert code(e) == "ExpiredNextTokenException"


def test_exclusive_start_shard_id_and_after_shard_id(lab):
    k = make_stream(lab, shards=4)
    assert ids(k.list_shards(StreamName="s", ExclusiveStartShardId="shardId-000000000001")["Shards"]) == [
        "shardId-000000000002", "shardId-000000000003"]
    flt = {"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000002"}
    assert ids(k.list_shards(StreamName="s", ShardFilter=flt)["Shards"]) == ["shardId-000000000003"]
    with pytest.raises(ClientError) as e:
        k.list_shards(StreamName="s", ShardFilter={"Type": "AFTER_SHARD_ID"})
    assert code(e) == "InvalidArgumentException"


def test_shard_filters_by_time(lab):
    k = make_stream(lab)
    t_created = lab.clock.now()
    lab.clock.advance(3600)
    t_split = lab.clock.now()
    k.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF))
    settle(lab)
    lab.clock.advance(3600)
    t_later = lab.clock.now()
    k.merge_shards(StreamName="s", ShardToMerge="shardId-000000000001", AdjacentShardToMerge="shardId-000000000002")
    settle(lab)

    def listed(flt):
        return ids(k.list_shards(StreamName="s", ShardFilter=flt)["Shards"])

    everything = ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002", "shardId-000000000003"]
    assert listed({"Type": "FROM_TRIM_HORIZON"}) == everything == ids(k.list_shards(StreamName="s")["Shards"])
    assert listed({"Type": "AT_LATEST"}) == ["shardId-000000000003"]
    assert listed({"Type": "AT_TRIM_HORIZON"}) == ["shardId-000000000000"]  # the stream is younger than 24 h
    assert listed({"Type": "AT_TIMESTAMP", "Timestamp": t_created + 60}) == ["shardId-000000000000"]
    assert listed({"Type": "AT_TIMESTAMP", "Timestamp": t_split + 60}) == ["shardId-000000000001", "shardId-000000000002"]
    assert listed({"Type": "FROM_TIMESTAMP", "Timestamp": t_split + 60}) == everything[1:]
    assert listed({"Type": "FROM_TIMESTAMP", "Timestamp": t_later + 60}) == ["shardId-000000000003"]
    with pytest.raises(ClientError) as e:
        listed({"Type": "AT_TIMESTAMP"})
    assert code(e) == "InvalidArgumentException"


def test_describe_stream_and_list_shards_agree(lab):
    k = make_stream(lab, shards=2)
    k.update_shard_count(StreamName="s", TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    described = k.describe_stream(StreamName="s")["StreamDescription"]["Shards"]
    assert described == k.list_shards(StreamName="s")["Shards"]


# --- retention -----------------------------------------------------------------------------------------
def test_records_disappear_after_the_retention_period(lab):
    k = make_stream(lab)
    k.put_record(StreamName="s", Data=b"old", PartitionKey="k")
    lab.clock.advance(23 * 3600)
    k.put_record(StreamName="s", Data=b"new", PartitionKey="k")
    assert read_all(k, "shardId-000000000000") == [b"old", b"new"]
    lab.clock.advance(2 * 3600)
    assert read_all(k, "shardId-000000000000") == [b"new"]
    lab.clock.advance(24 * 3600)
    assert read_all(k, "shardId-000000000000") == []


def test_retention_period_changes_and_their_errors(lab):
    k = make_stream(lab)
    k.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    for call, hours, text in [
        (k.increase_stream_retention_period, 8761, "Maximum allowed retention period is 8760 hours"),
        (k.decrease_stream_retention_period, 23, "Minimum allowed retention period is 24 hours"),
        (k.increase_stream_retention_period, 24, "can not be shorter than"),
        (k.decrease_stream_retention_period, 48, "can not be longer than"),
    ]:
        with pytest.raises(ClientError) as e:
            call(StreamName="s", RetentionPeriodHours=hours)
        assert code(e) == "InvalidArgumentException" and text in e.value.response["Error"]["Message"]
    k.increase_stream_retention_period(StreamName="s", RetentionPeriodHours=8760)
    assert k.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["RetentionPeriodHours"] == 8760
    lab.clock.advance(100 * 3600)
    assert read_all(k, "shardId-000000000000") == [b"x"]
    k.decrease_stream_retention_period(StreamName="s", RetentionPeriodHours=48)  # unreadable at once
    assert read_all(k, "shardId-000000000000") == []


def test_closed_shards_expire_and_list_shards_omits_them(lab):
    k = make_stream(lab)
    k.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF))
    lab.clock.advance(23 * 3600)
    assert "shardId-000000000000" in ids(k.list_shards(StreamName="s")["Shards"])
    lab.clock.advance(3600)
    assert ids(k.list_shards(StreamName="s")["Shards"]) == ["shardId-000000000001", "shardId-000000000002"]
    assert ids(k.describe_stream(StreamName="s")["StreamDescription"]["Shards"]) == ["shardId-000000000001", "shardId-000000000002"]
    with pytest.raises(ClientError) as e:
        k.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")
    assert code(e) == "ResourceNotFoundException"


def test_the_account_shard_quota_and_the_per_stream_ceiling_apply(lab, monkeypatch):
    k = make_stream(lab, shards=3)
    make_stream(lab, "other", shards=2)
    monkeypatch.setattr(quotas, "SHARDS_PER_ACCOUNT", 6)
    k.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF // 4))  # 6 open
    settle(lab)
    with pytest.raises(ClientError) as e:
        k.split_shard(StreamName="s", ShardToSplit="shardId-000000000001", NewStartingHashKey=str(HALF))
    assert code(e) == "LimitExceededException" and "shard limit" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        k.update_shard_count(StreamName="other", TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    assert code(e) == "LimitExceededException"
    monkeypatch.setattr(quotas, "SHARDS_PER_ACCOUNT", 20_000)
    monkeypatch.setattr(quotas, "SHARDS_PER_STREAM_UNIFORM_SCALING", 5)
    with pytest.raises(ClientError) as e:
        k.update_shard_count(StreamName="s", TargetShardCount=6, ScalingType="UNIFORM_SCALING")
    assert code(e) == "LimitExceededException"


def test_list_shards_needs_a_stream_that_is_no_longer_creating(lab):
    k = client()
    k.create_stream(StreamName="young", ShardCount=1)
    with pytest.raises(ClientError) as e:
        k.list_shards(StreamName="young")
    assert code(e) == "ResourceInUseException"
    with pytest.raises(ClientError) as e:
        k.list_shards()
    assert code(e) == "InvalidArgumentException"
    lab.clock.advance(quotas.STREAM_CREATING_SECONDS)
    assert ids(k.list_shards(StreamName="young")["Shards"]) == ["shardId-000000000000"]
