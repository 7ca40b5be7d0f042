"""Enhanced fan-out through plain boto3: consumers' lifecycle and SubscribeToShard's event stream."""

from __future__ import annotations


import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

from labsim import quotas
from labsim.safety import FAKE_ACCESS_KEY, FAKE_SECRET_KEY
from labsim.streams import eventstream as es
from labsim.streams.latency import latency_table, propagation_delay

SESSION = boto3.session.Session(aws_access_key_id=FAKE_ACCESS_KEY, aws_secret_access_key=FAKE_SECRET_KEY, region_name="us-east-1")
SHARD = "shardId-000000000000"


def client(**kwargs):
    return SESSION.client("kinesis", **kwargs)


def make_stream(lab, name="s", shards=1):
    k = client()
    k.create_stream(StreamName=name, ShardCount=shards)
    lab.clock.advance(quotas.STREAM_CREATING_SECONDS + 1)
    return k, k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def active_consumer(lab, k, arn, name="app"):
    consumer = k.register_stream_consumer(StreamARN=arn, ConsumerName=name)["Consumer"]
    lab.clock.advance(quotas.CONSUMER_CREATING_SECONDS)
    return consumer["ConsumerARN"]


def put(k, n, name="s", start=0, key="k"):
    k.put_records(StreamName=name, Records=[{"Data": b"%d" % i, "PartitionKey": key} for i in range(start, start + n)])


def code(e):
    return e.value.response["Error"]["Code"]


# --- consumers -----------------------------------------------------------------------------------------
def test_register_is_creating_then_active_with_an_arn_carrying_the_creation_epoch(lab):
    k, arn = make_stream(lab)
    now = int(lab.clock.now())
    c = k.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]
    assert c["ConsumerStatus"] == "CREATING"
    assert c["ConsumerARN"] == f"arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/app:{now}"
    assert c["ConsumerCreationTimestamp"].timestamp() == now
    lab.clock.advance(quotas.CONSUMER_CREATING_SECONDS - 1)
    assert k.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]["ConsumerStatus"] == "CREATING"
    lab.clock.advance(1)
    d = k.describe_stream_consumer(StreamARN=arn, ConsumerName="app")["ConsumerDescription"]
    assert d["ConsumerStatus"] == "ACTIVE" and d["StreamARN"] == arn and d["ConsumerARN"] == c["ConsumerARN"]
    assert k.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["ConsumerCount"] == 1


def test_consumer_names_are_validated_and_unique_per_stream(lab):
    k, arn = make_stream(lab)
    for bad in ["has space", "x" * 129]:
        with pytest.raises(ClientError) as e:
            k.register_stream_consumer(StreamARN=arn, ConsumerName=bad)
        assert code(e) == "ValidationException"
    k.register_stream_consumer(StreamARN=arn, ConsumerName="app")
    with pytest.raises(ClientError) as e:
        k.register_stream_consumer(StreamARN=arn, ConsumerName="app")
    assert code(e) == "ResourceInUseException"
    with pytest.raises(ClientError) as e:
        k.register_stream_consumer(StreamARN=arn.replace("/s", "/nope"), ConsumerName="app")
    assert code(e) == "ResourceNotFoundException"


def test_at_most_20_consumers_per_stream_and_5_creating_at_once(lab):
    k, arn = make_stream(lab)
    for i in range(5):
        k.register_stream_consumer(StreamARN=arn, ConsumerName=f"c{i}")
    with pytest.raises(ClientError) as e:
        k.register_stream_consumer(StreamARN=arn, ConsumerName="c5")
    assert code(e) == "LimitExceededException"
    for i in range(5, 20):
        lab.clock.advance(quotas.CONSUMER_CREATING_SECONDS)
        k.register_stream_consumer(StreamARN=arn, ConsumerName=f"c{i}")
    lab.clock.advance(quotas.CONSUMER_CREATING_SECONDS)
    with pytest.raises(ClientError) as e:
        k.register_stream_consumer(StreamARN=arn, ConsumerName="one-too-many")
    assert code(e) == "LimitExceededException"


def test_list_stream_consumers_pages_with_max_results_and_next_token(lab):
    k, arn = make_stream(lab)
    for i in range(5):
        k.register_stream_consumer(StreamARN=arn, ConsumerName=f"c{i}")
    first = k.list_stream_consumers(StreamARN=arn, MaxResults=3)
    assert [c["ConsumerName"] for c in first["Consumers"]] == ["c0", "c1", "c2"]
    rest = k.list_stream_consumers(StreamARN=arn, MaxResults=3, NextToken=first["NextToken"])
    assert [c["ConsumerName"] for c in rest["Consumers"]] == ["c3", "c4"] and "NextToken" not in rest
    assert {c["ConsumerStatus"] for c in rest["Consumers"]} == {"CREATING"}


def test_deregister_is_deleting_then_gone_and_a_new_registration_gets_a_new_arn(lab):
    k, arn = make_stream(lab)
    old = active_consumer(lab, k, arn)
    k.deregister_stream_consumer(ConsumerARN=old)
    assert k.describe_stream_consumer(ConsumerARN=old)["ConsumerDescription"]["ConsumerStatus"] == "DELETING"
    lab.clock.advance(quotas.CONSUMER_DELETING_SECONDS)
    with pytest.raises(ClientError) as e:
        k.describe_stream_consumer(ConsumerARN=old)
    assert code(e) == "ResourceNotFoundException"
    assert k.list_stream_consumers(StreamARN=arn)["Consumers"] == []
    new = active_consumer(lab, k, arn)
    assert new != old


# --- SubscribeToShard --------------------------------------------------------------------------------
def test_subscribe_yields_events_with_records_continuation_and_millis_behind(lab):
    k, arn = make_stream(lab)
    consumer = active_consumer(lab, k, arn)
    put(k, 3)
    resp = k.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "TRIM_HORIZON"})
    events = resp["EventStream"]
    first = next(iter(events))
    event = first["SubscribeToShardEvent"]
    assert set(event) == {"Records", "ContinuationSequenceNumber", "MillisBehindLatest"}
    assert [r["Data"] for r in event["Records"]] == [b"0", b"1", b"2"]
    assert event["ContinuationSequenceNumber"] == event["Records"][-1]["SequenceNumber"]
    assert event["MillisBehindLatest"] == 0
    assert set(event["Records"][0]) == {"SequenceNumber", "ApproximateArrivalTimestamp", "Data", "PartitionKey"}
    events.close()


def test_records_arrive_70_ms_after_they_were_written(lab):
    k, arn = make_stream(lab)
    consumer = active_consumer(lab, k, arn)
    resp = k.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "LATEST"})
    n = iter(range(1000))
    lab.clock.call_every(0.25, lambda: put(k, 1, start=next(n)), name="producer")
    lags = []
    for event in resp["EventStream"]:
        for r in event["SubscribeToShardEvent"]["Records"]:
            lags.append(lab.clock.now() - r["ApproximateArrivalTimestamp"].timestamp())
        if len(lags) >= 20:
            break
    assert len(lags) == 20
    assert all(abs(lag - propagation_delay("efo")) < 0.002 for lag in lags)


def test_a_subscription_ends_after_five_minutes_of_lab_time_with_heartbeats_when_idle(lab):
    k, arn = make_stream(lab)
    consumer = active_consumer(lab, k, arn)
    start = lab.clock.now()
    resp = k.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "LATEST"})
    events = [e["SubscribeToShardEvent"] for e in resp["EventStream"]]
    assert lab.clock.now() - start == pytest.approx(quotas.SUBSCRIPTION_LIFETIME_SECONDS)
    assert len(events) == pytest.approx(quotas.SUBSCRIPTION_LIFETIME_SECONDS / quotas.EFO_HEARTBEAT_SECONDS, abs=1)
    assert all(e["Records"] == [] and e["ContinuationSequenceNumber"] for e in events)


def test_continuation_sequence_number_resumes_without_loss_or_duplicates(lab):
    k, arn = make_stream(lab)
    consumer = active_consumer(lab, k, arn)
    put(k, 5)
    resp = k.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "TRIM_HORIZON"})
    cont = next(iter(resp["EventStream"]))["SubscribeToShardEvent"]["ContinuationSequenceNumber"]
    resp["EventStream"].close()
    put(k, 2, start=5)
    lab.clock.advance(quotas.SUBSCRIBE_RESUBSCRIBE_GUARD_SECONDS)
    again = k.subscribe_to_shard(
        ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": cont}
    )
    event = next(iter(again["EventStream"]))["SubscribeToShardEvent"]
    assert [r["Data"] for r in event["Records"]] == [b"5", b"6"]


def test_each_consumer_gets_its_own_2_mib_per_second(lab):
    k, arn = make_stream(lab)
    a = active_consumer(lab, k, arn, "a")
    b = active_consumer(lab, k, arn, "b")
    for i in range(6):  # 6 x 0.9 MB, written at the 1 MiB/s write limit
        k.put_record(StreamName="s", Data=bytes(900_000), PartitionKey="k")
        lab.clock.advance(1)
    subs = [k.subscribe_to_shard(ConsumerARN=c, ShardId=SHARD, StartingPosition={"Type": "TRIM_HORIZON"})["EventStream"] for c in (a, b)]
    got = {0: [], 1: []}
    start = lab.clock.now()
    for i, stream in enumerate(subs):
        for event in stream:
            e = event["SubscribeToShardEvent"]
            got[i].append((lab.clock.now() - start, len(e["Records"])))
            if sum(n for _, n in got[i]) == 6:
                break
    # each consumer reads 5.4 MB at 2 MiB/s: the first ~2 MiB at once, the rest paced by its own budget,
    # and consumer b is not slowed down by consumer a having read the same data first
    for i in (0, 1):
        assert got[i][0][1] == 2
        assert got[i][-1][0] - got[i][0][0] == pytest.approx((5.4e6 - 2 * 1024 * 1024) / (2 * 1024 * 1024), abs=0.6)


def test_resubscribing_within_5_seconds_is_resource_in_use_and_later_takes_over(lab):
    k, arn = make_stream(lab)
    consumer = active_consumer(lab, k, arn)
    nr = client(config=Config(retries={"total_max_attempts": 1}))
    first = k.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "LATEST"})
    lab.clock.advance(4)
    with pytest.raises(ClientError) as e:
        nr.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "LATEST"})
    assert code(e) == "ResourceInUseException"
    lab.clock.advance(1)
    second = k.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "LATEST"})
    with pytest.raises(EventStreamError) as e:
        for _ in first["EventStream"]:
            pass
    assert code(e) == "ResourceInUseException"
    assert next(iter(second["EventStream"]))["SubscribeToShardEvent"]["Records"] == []


def test_subscribe_refuses_a_consumer_that_is_not_active_or_unknown(lab):
    k, arn = make_stream(lab)
    c = k.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]["ConsumerARN"]
    with pytest.raises(ClientError) as e:
        k.subscribe_to_shard(ConsumerARN=c, ShardId=SHARD, StartingPosition={"Type": "LATEST"})
    assert code(e) == "ResourceInUseException"
    lab.clock.advance(quotas.CONSUMER_CREATING_SECONDS)
    with pytest.raises(ClientError) as e:
        k.subscribe_to_shard(ConsumerARN=c + "0", ShardId=SHARD, StartingPosition={"Type": "LATEST"})
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        k.subscribe_to_shard(ConsumerARN=c, ShardId="shardId-000000000009", StartingPosition={"Type": "LATEST"})
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        k.subscribe_to_shard(ConsumerARN=c, ShardId=SHARD, StartingPosition={"Type": "AT_SEQUENCE_NUMBER", "SequenceNumber": "12"})
    assert code(e) == "InvalidArgumentException"


def test_deregistering_ends_open_subscriptions_with_resource_not_found(lab):
    k, arn = make_stream(lab)
    consumer = active_consumer(lab, k, arn)
    resp = k.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "LATEST"})
    k.deregister_stream_consumer(StreamARN=arn, ConsumerName="app")
    with pytest.raises(EventStreamError) as e:
        next(iter(resp["EventStream"]))
    assert code(e) == "ResourceNotFoundException"


def test_at_a_closed_shards_end_the_event_names_child_shards_and_the_stream_ends(lab):
    k, arn = make_stream(lab)
    consumer = active_consumer(lab, k, arn)
    put(k, 2)
    k.split_shard(StreamName="s", ShardToSplit=SHARD, NewStartingHashKey=str(2**127))
    resp = k.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "TRIM_HORIZON"})
    events = [e["SubscribeToShardEvent"] for e in resp["EventStream"]]
    assert [r["Data"] for r in events[0]["Records"]] == [b"0", b"1"]
    last = events[-1]
    assert "ContinuationSequenceNumber" not in last
    assert [c["ShardId"] for c in last["ChildShards"]] == ["shardId-000000000001", "shardId-000000000002"]
    assert all(c["ParentShards"] == [SHARD] for c in last["ChildShards"])


# --- the building blocks ------------------------------------------------------------------------------
def test_event_stream_messages_round_trip_through_botocores_decoder():
    raw = es.event_message("SubscribeToShardEvent", {"Records": [], "MillisBehindLatest": 0}) + es.exception_message(
        "ResourceInUseException", "busy"
    )
    decoded = es.decode_messages(raw)
    assert decoded[0]["headers"] == {":message-type": "event", ":event-type": "SubscribeToShardEvent", ":content-type": "application/json"}
    assert decoded[1]["headers"][":exception-type"] == "ResourceInUseException"
    assert b'"busy"' in decoded[1]["payload"]


def test_latency_model_matches_the_published_figures():
    assert propagation_delay("efo", 1) == propagation_delay("efo", 5) == 0.07
    assert propagation_delay("polling", 1) == 0.2 and propagation_delay("polling", 5) == 1.0
    assert [row["polling"] for row in latency_table(3)] == [0.2, 0.4, 0.6]
    with pytest.raises(ValueError):
        propagation_delay("carrier-pigeon")
    with pytest.raises(ValueError):
        propagation_delay("efo", 0)
