"""The request pipeline (labsim.transport): one door per operation, the model guard, bad input, after stop."""

from __future__ import annotations

import json
import random

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labsim import Lab
from labsim.safety import LabStoppedError
from labsim.transport import Router, router


def code(e):
    return e.value.response["Error"]["Code"]


def message(e):
    return e.value.response["Error"]["Message"]


def raw_client(lab):
    """A client that sends what it is given: the service, not botocore, must judge it."""
    return lab.client("kinesis", config=Config(parameter_validation=False))


def active_stream(lab, kinesis, name="s", shards=1):
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    lab.clock.advance(30)


# --- wiring -----------------------------------------------------------------------------------------
def test_register_refuses_a_second_handler_and_undo_removes_it():
    r = Router()
    undo = r.register("firehose", "PutRecordBatch", lambda call: {})
    with pytest.raises(ValueError, match="already has a handler"):
        r.register("firehose", "PutRecordBatch", lambda call: {})
    undo()
    assert ("firehose", "PutRecordBatch") not in r.handlers
    r.register("firehose", "PutRecordBatch", lambda call: {})  # free again


def test_a_lab_leaves_no_handler_or_guard_behind():
    with Lab() as lab:
        assert ("kinesis", "GetRecords") in router.handlers and [n for n, _ in router.guards] == ["model", "faults", "route", "iam", "network"]
        lab.client("kinesis").list_streams()
    assert router.handlers == {} and router.guards == []


def test_a_guard_sees_every_call_before_the_operation_and_can_refuse_it(lab):
    seen = []

    def guard(call):
        seen.append((call.service, call.operation, call.account_id, call.region, call.principal))
        if call.operation == "DeleteStream":
            from labsim.errors import ServiceError
            raise ServiceError("User is not authorized to perform: kinesis:DeleteStream", "AccessDeniedException")

    undo = router.add_guard(guard, "test")
    try:
        kinesis = lab.client("kinesis", region_name="eu-west-1")
        active_stream(lab, kinesis)
        with pytest.raises(ClientError) as e:
            kinesis.delete_stream(StreamName="s")
        assert code(e) == "AccessDeniedException"
        # moto-served operations pass the guards too
        kinesis.add_tags_to_stream(StreamName="s", Tags={"a": "b"})
    finally:
        undo()
    assert ("kinesis", "CreateStream", "123456789012", "eu-west-1", "arn:aws:iam::123456789012:root") in seen
    assert ("kinesis", "AddTagsToStream", "123456789012", "eu-west-1", "arn:aws:iam::123456789012:root") in seen
    assert kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"


# --- the model guard ----------------------------------------------------------------------------------
@pytest.mark.parametrize("call, expected", [
    (lambda k: k.list_streams(Limit=10_001), "Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"),
    (lambda k: k.describe_stream(StreamName="s", Limit=10_001), "at 'limit' failed to satisfy constraint"),
    (lambda k: k.list_shards(StreamName="s", ExclusiveStartShardId="bad id!"), "at 'exclusiveStartShardId' failed to satisfy constraint: Member must satisfy regular expression pattern"),
    (lambda k: k.add_tags_to_stream(StreamName="s", Tags={"k" * 129: "v"}), "Member must have length less than or equal to 128"),
    (lambda k: k.start_stream_encryption(StreamName="s", EncryptionType="AES", KeyId="alias/aws/kinesis"), "Member must satisfy enum value set: [NONE, KMS]"),
    (lambda k: k.enable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["Everything"]), "Member must satisfy enum value set"),
    (lambda k: k.get_records(ShardIterator="x" * 513), "at 'shardIterator' failed to satisfy constraint: Member must have length less than or equal to 512"),
])
def test_the_model_is_enforced_for_every_operation(lab, call, expected):
    kinesis = raw_client(lab)
    active_stream(lab, kinesis)
    with pytest.raises(ClientError) as e:
        call(kinesis)
    assert code(e) == "ValidationException", message(e)
    assert expected in message(e)


def send_body(lab, body, operation="PutRecords"):
    """Send ``body`` as the JSON of a Kinesis call (what a hand-written HTTP client could send)."""
    kinesis = lab.client("kinesis")
    active_stream(lab, kinesis)

    def replace(request, **kwargs):
        request.data = json.dumps(body).encode()

    kinesis.meta.events.register(f"before-sign.kinesis.{operation}", replace)
    with pytest.raises(ClientError) as e:
        kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": "k"}])
    return e


@pytest.mark.parametrize("body", [
    {"StreamName": "s", "Records": [{"Data": 123, "PartitionKey": "k"}]},   # Data not a string
    {"StreamName": "s", "Records": "not a list"},                          # Records not a list
    {"StreamName": "s", "Records": ["not an object"]},                     # an entry not an object
    {"StreamName": 5, "Records": [{"Data": "eA==", "PartitionKey": "k"}]},  # a name that is a number
    [1, 2, 3],                                                             # a body that is not an object
])
def test_wrong_json_types_are_serialization_exceptions(lab, body):
    e = send_body(lab, body)
    assert code(e) == "SerializationException"


def test_an_operation_the_service_lacks_is_unknown(lab):
    kinesis = lab.client("kinesis")

    def rename(request, **kwargs):
        request.headers["X-Amz-Target"] = "Kinesis_20131202.MakeCoffee"

    kinesis.meta.events.register("before-sign.kinesis.ListStreams", rename)
    with pytest.raises(ClientError) as e:
        kinesis.list_streams()
    assert code(e) == "UnknownOperationException"


def test_put_records_own_checks_agree_with_the_model_guard(lab):
    # PutRecords skips the generic guard for speed; its own validation must say the same things.
    import botocore.session

    from labsim.validation import problems

    shape = botocore.session.get_session().get_service_model("kinesis").operation_model("PutRecords").input_shape
    kinesis = raw_client(lab)
    active_stream(lab, kinesis)
    bad = {"StreamName": "s", "Records": [{"Data": "eA==", "PartitionKey": ""}]}
    expected = problems(shape, bad)
    with pytest.raises(ClientError) as e:
        kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": ""}])
    assert code(e) == "ValidationException"
    assert expected and all(p in message(e) for p in expected)


# --- service rules --------------------------------------------------------------------------------------
def test_list_streams_pages_from_any_name(lab):
    kinesis = lab.client("kinesis")
    for name in ("b", "d", "a", "c"):
        kinesis.create_stream(StreamName=name, ShardCount=1)
    lab.clock.advance(30)
    assert kinesis.list_streams(ExclusiveStartStreamName="bb")["StreamNames"] == ["c", "d"]  # not a stream: fine
    first = kinesis.list_streams(Limit=3)
    assert first["StreamNames"] == ["a", "b", "c"] and first["HasMoreStreams"] is True
    rest = kinesis.list_streams(NextToken=first["NextToken"])
    assert rest["StreamNames"] == ["d"] and rest["HasMoreStreams"] is False


def test_deleting_a_stream_with_consumers_needs_enforce_consumer_deletion(lab):
    kinesis = lab.client("kinesis")
    active_stream(lab, kinesis)
    arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")
    with pytest.raises(ClientError) as e:
        kinesis.delete_stream(StreamName="s")
    assert code(e) == "ResourceInUseException"
    kinesis.delete_stream(StreamName="s", EnforceConsumerDeletion=True)
    lab.clock.advance(30)
    assert kinesis.list_streams()["StreamNames"] == []


def test_describe_stream_and_list_shards_agree_about_expired_shards_whoever_looks_first(lab):
    kinesis = lab.client("kinesis")
    active_stream(lab, kinesis)
    kinesis.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    lab.clock.advance(24 * 3600 + 60)  # the parent closed a day ago: it has expired
    described = [s["ShardId"] for s in kinesis.describe_stream(StreamName="s")["StreamDescription"]["Shards"]]
    listed = [s["ShardId"] for s in kinesis.list_shards(StreamName="s")["Shards"]]
    assert described == listed == ["shardId-000000000001", "shardId-000000000002"]


def test_describe_stream_pages_with_exclusive_start_shard_id(lab):
    kinesis = lab.client("kinesis")
    active_stream(lab, kinesis, shards=4)
    page = kinesis.describe_stream(StreamName="s", Limit=2)["StreamDescription"]
    assert [s["ShardId"] for s in page["Shards"]] == ["shardId-000000000000", "shardId-000000000001"] and page["HasMoreShards"]
    rest = kinesis.describe_stream(StreamName="s", ExclusiveStartShardId="shardId-000000000001")["StreamDescription"]
    assert [s["ShardId"] for s in rest["Shards"]] == ["shardId-000000000002", "shardId-000000000003"] and not rest["HasMoreShards"]


# --- after the lab, and the environment -----------------------------------------------------------------
def test_clients_of_a_stopped_lab_fail_at_once_without_the_network(no_network):
    with Lab() as lab:
        mine = lab.client("kinesis")
        plain = boto3.client("kinesis", region_name="us-east-1")
    for client in (mine, plain):
        with pytest.raises(LabStoppedError, match="lab that has stopped"):
            client.list_streams()
    assert no_network == []


def test_aws_endpoint_url_in_the_environment_is_ignored_inside_a_lab(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_KINESIS", "http://localhost:4567")
    with Lab() as lab:
        kinesis = lab.client("kinesis")
        kinesis.create_stream(StreamName="s", ShardCount=1)
        assert boto3.client("kinesis").list_streams()["StreamNames"] == ["s"]


# --- determinism -----------------------------------------------------------------------------------------
def _throttled_run(global_seed):
    """Sleep times botocore draws while retrying throttled calls, under one global random state."""
    random.seed(global_seed)
    random.random()
    with Lab(seed=3) as lab:
        kinesis = lab.client("kinesis")
        active_stream(lab, kinesis)
        for _ in range(12):  # over GetShardIterator's 5 per second: botocore retries with jitter
            kinesis.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="LATEST")
        return lab.clock.now()


def test_retry_jitter_comes_from_the_lab_seed_not_the_global_random_state():
    times = {_throttled_run(seed) for seed in (4, 7, 15, 1, 2)}
    assert len(times) == 1


def test_request_ids_are_the_same_every_run():
    def ids():
        with Lab() as lab:
            k = lab.client("kinesis")
            return [k.list_streams()["ResponseMetadata"]["RequestId"] for _ in range(3)]

    first = ids()
    assert first == ids() and len(set(first)) == 3


# --- fault injection -----------------------------------------------------------------------------------
def _failed_entries(seed):
    with Lab(seed=seed) as lab:
        kinesis = lab.client("kinesis")
        active_stream(lab, kinesis, shards=2)
        lab.faults.inject("PutRecords", "InternalFailure", rate=0.25)
        resp = kinesis.put_records(StreamName="s", Records=[{"Data": b"x", "PartitionKey": str(i)} for i in range(40)])
        failed = [i for i, r in enumerate(resp["Records"]) if "ErrorCode" in r]
        assert resp["FailedRecordCount"] == len(failed)
        assert {resp["Records"][i]["ErrorCode"] for i in failed} <= {"InternalFailure"}
        assert all(resp["Records"][i]["ErrorMessage"] == "Internal service failure." for i in failed)
        stored = sum(len(kinesis.get_records(ShardIterator=kinesis.get_shard_iterator(
            StreamName="s", ShardId=sid, ShardIteratorType="TRIM_HORIZON")["ShardIterator"])["Records"])
            for sid in ("shardId-000000000000", "shardId-000000000001"))
        assert stored == 40 - len(failed)  # a failed entry is not stored; the others are
        return failed


def test_injected_put_records_failures_are_per_entry_and_the_same_every_run():
    first = _failed_entries(seed=11)
    assert 0 < len(first) < 40
    assert first == _failed_entries(seed=11)
    assert first != _failed_entries(seed=12)


def test_injected_empty_batches_keep_the_reader_in_place(lab):
    kinesis = lab.client("kinesis")
    active_stream(lab, kinesis)
    kinesis.put_records(StreamName="s", Records=[{"Data": str(i).encode(), "PartitionKey": "k"} for i in range(5)])
    lab.clock.advance(1)
    lab.faults.inject("GetRecords", "EmptyBatch", rate=1.0)
    it = kinesis.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    empty = kinesis.get_records(ShardIterator=it)
    assert empty["Records"] == [] and empty["MillisBehindLatest"] > 0
    lab.faults.clear()
    lab.clock.advance(1)
    again = kinesis.get_records(ShardIterator=empty["NextShardIterator"])
    assert [r["Data"] for r in again["Records"]] == [b"0", b"1", b"2", b"3", b"4"]


def test_a_fault_rule_with_times_injects_exactly_that_many_then_ends(lab):
    kinesis = lab.client("kinesis")
    active_stream(lab, kinesis)
    kinesis.put_records(StreamName="s", Records=[{"Data": str(i).encode(), "PartitionKey": "k"} for i in range(3)])
    lab.clock.advance(1)
    lab.faults.inject("GetRecords", "EmptyBatch", rate=1.0, times=2)
    it = kinesis.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    sizes = []
    for _ in range(3):
        out = kinesis.get_records(ShardIterator=it)
        sizes.append((len(out["Records"]), out["MillisBehindLatest"] > 0))
        it = out["NextShardIterator"]
        lab.clock.advance(0.2)
    assert sizes == [(0, True), (0, True), (3, False)]
    assert not lab.faults.active and lab.faults.injected[("kinesis", "GetRecords", "EmptyBatch")] == 2
    with pytest.raises(ValueError, match="times"):
        lab.faults.inject("GetRecords", "EmptyBatch", times=0)


def test_injected_call_failures_are_aws_errors_botocore_retries(lab):
    kinesis = lab.client("kinesis", config=Config(retries={"mode": "standard", "max_attempts": 1}))
    active_stream(lab, kinesis)
    lab.faults.inject("DescribeStreamSummary", "ServiceUnavailable", rate=1.0)
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream_summary(StreamName="s")
    assert code(e) == "ServiceUnavailable" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    lab.faults.inject("DescribeStreamSummary", "ServiceUnavailable", rate=0.0)
    lab.faults.inject("ListShards", "InternalFailure", rate=1.0)
    with pytest.raises(ClientError) as e:
        kinesis.list_shards(StreamName="s")
    assert code(e) == "InternalFailure" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert lab.faults.injected[("kinesis", "ListShards", "InternalFailure")] >= 1


def test_an_unknown_fault_is_refused_with_the_list_of_known_ones(lab):
    with pytest.raises(ValueError, match="PutRecords/InternalFailure"):
        lab.faults.inject("PutRecords", "Gremlins")
    with pytest.raises(ValueError, match="rate"):
        lab.faults.inject("PutRecords", "InternalFailure", rate=2)


def test_keys_the_lab_issued_are_refused_after_it_stops_other_keys_are_not(no_network):
    with Lab() as lab:
        iam = lab.client("iam")
        iam.create_user(UserName="ana")
        key = iam.create_access_key(UserName="ana")["AccessKey"]
        ana = boto3.client("kinesis", region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                           aws_secret_access_key=key["SecretAccessKey"])
    with pytest.raises(LabStoppedError):
        ana.list_streams()
    # A key the lab never issued is none of labsim's business outside a lab (stock moto may serve it).
    import moto

    with moto.mock_aws():
        other = boto3.client("kinesis", region_name="us-east-1", aws_access_key_id="AKIAOTHERTOOL0000000",
                             aws_secret_access_key="x")
        assert other.list_streams()["StreamNames"] == []
    assert no_network == []
