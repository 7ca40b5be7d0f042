"""CloudWatch Logs subscription filters deliver into the lab's Kinesis streams and Firehose as the service does."""

from __future__ import annotations

import gzip
import json
import random

import pytest
from botocore.exceptions import ClientError

from labsim.grading import read_stream
from labsim.logs import FilterPattern, decode_payload

STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/cwl"
ROLE = "arn:aws:iam::123456789012:role/cwl-to-kinesis"


@pytest.fixture
def setup(lab):
    kinesis, logs = lab.client("kinesis"), lab.client("logs")
    kinesis.create_stream(StreamName="cwl", ShardCount=1)
    lab.clock.advance(30)
    logs.create_log_group(logGroupName="/shop/api")
    logs.create_log_stream(logGroupName="/shop/api", logStreamName="i-1")
    return kinesis, logs


def put(lab, logs, *messages):
    t = int(lab.clock.now() * 1000)
    logs.put_log_events(logGroupName="/shop/api", logStreamName="i-1",
                        logEvents=[{"timestamp": t, "message": m} for m in messages])


def test_control_message_first_then_gzip_json_data_messages(lab, setup):
    kinesis, logs = setup
    logs.put_subscription_filter(logGroupName="/shop/api", filterName="errors", filterPattern="ERROR",
                                 destinationArn=STREAM_ARN, roleArn=ROLE)
    put(lab, logs, "INFO ok", "ERROR payment declined", "ERROR timeout")
    put(lab, logs, "INFO still ok")   # nothing matches: no record at all
    records = read_stream(kinesis, "cwl")
    assert len(records) == 2
    assert all(r["Data"][:2] == b"\x1f\x8b" for r in records), "gzip magic bytes"
    control, data = (decode_payload(r["Data"]) for r in records)
    assert control["messageType"] == "CONTROL_MESSAGE" and control["owner"] == "CloudwatchLogs"
    assert control["logEvents"][0]["message"] == "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."
    assert data["messageType"] == "DATA_MESSAGE"
    assert (data["owner"], data["logGroup"], data["logStream"], data["subscriptionFilters"]) == (
        "123456789012", "/shop/api", "i-1", ["errors"])
    assert [e["message"] for e in data["logEvents"]] == ["ERROR payment declined", "ERROR timeout"]
    assert all(len(e["id"]) == 56 and e["timestamp"] == int(lab.clock.now() * 1000) for e in data["logEvents"])
    assert json.loads(gzip.decompress(records[1]["Data"])) == data


def test_json_filter_patterns_and_the_two_filter_limit(lab, setup):
    kinesis, logs = setup
    logs.put_subscription_filter(logGroupName="/shop/api", filterName="slow", filterPattern="{ $.latency > 500 }",
                                 destinationArn=STREAM_ARN, roleArn=ROLE)
    put(lab, logs, '{"latency": 120}', '{"latency": 900, "path": "/pay"}', "not json")
    logs.put_subscription_filter(logGroupName="/shop/api", filterName="all", filterPattern="",
                                 destinationArn=STREAM_ARN, roleArn=ROLE)
    with pytest.raises(ClientError) as err:
        logs.put_subscription_filter(logGroupName="/shop/api", filterName="third", filterPattern="",
                                     destinationArn=STREAM_ARN, roleArn=ROLE)
    assert err.value.response["Error"]["Code"] == "LimitExceededException"
    payloads = [decode_payload(r["Data"]) for r in read_stream(kinesis, "cwl")]
    data = [p for p in payloads if p["messageType"] == "DATA_MESSAGE"]
    assert [e["message"] for e in data[0]["logEvents"]] == ['{"latency": 900, "path": "/pay"}']


def test_unsupported_pattern_is_a_clear_error(lab, setup):
    _, logs = setup
    with pytest.raises(ClientError, match="space-delimited"):
        logs.put_subscription_filter(logGroupName="/shop/api", filterName="x", filterPattern="[ip, user]",
                                     destinationArn=STREAM_ARN, roleArn=ROLE)


def test_firehose_destination_gets_the_gzip_payload(lab, setup):
    _, logs = setup
    s3, firehose = lab.client("s3"), lab.client("firehose")
    s3.create_bucket(Bucket="logs-archive")
    firehose.create_delivery_stream(DeliveryStreamName="cwl-fh", ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::logs-archive"})
    logs.put_subscription_filter(logGroupName="/shop/api", filterName="all", filterPattern="",
                                 destinationArn="arn:aws:firehose:us-east-1:123456789012:deliverystream/cwl-fh",
                                 roleArn=ROLE)
    put(lab, logs, "hello")
    bodies = [s3.get_object(Bucket="logs-archive", Key=o["Key"])["Body"].read()
              for o in s3.list_objects_v2(Bucket="logs-archive")["Contents"]]
    messages = sorted(decode_payload(b)["messageType"] for b in bodies)
    assert messages == ["CONTROL_MESSAGE", "DATA_MESSAGE"]


def test_throttled_delivery_is_retried_on_the_clock(lab, setup):
    kinesis, logs = setup
    logs.put_subscription_filter(logGroupName="/shop/api", filterName="all", filterPattern="",
                                 destinationArn=STREAM_ARN, roleArn=ROLE)
    rng = random.Random(7)
    for i in range(6):        # six ~240 KB gzip records in one instant: the shard takes 1 MiB/s
        put(lab, logs, *(f"{i} " + "%x" % rng.getrandbits(4 * 120_000) for _ in range(4)))
    assert len(read_stream(kinesis, "cwl")) < 7
    lab.clock.advance(3)
    payloads = [decode_payload(r["Data"]) for r in read_stream(kinesis, "cwl")]
    assert sorted(p["logEvents"][0]["message"][0] for p in payloads[1:]) == list("012345")


@pytest.mark.parametrize("pattern, message, matches", [
    ("", "anything", True), ("ERROR", "an ERROR here", True), ("ERROR", "error", False),
    ('"Connection refused"', "x Connection refused y", True), ("ERROR -health", "ERROR health check", False),
    ("?WARN ?ERROR", "WARN low disk", True), ('{ $.user.id = "u-*" }', '{"user": {"id": "u-42"}}', True),
    ('{ ($.code = 500) || ($.code = 503) }', '{"code": 503}', True), ("{ $.ok IS TRUE }", "{}", None),
])
def test_filter_patterns(pattern, message, matches):
    if matches is None:
        with pytest.raises(ValueError):
            FilterPattern(pattern)
    else:
        assert FilterPattern(pattern).matches(message) is matches


def test_moto_internals_labsim_logs_relies_on(lab):
    """labsim.logs reaches into moto's logs model: a moto upgrade that moves these fails here, loudly."""
    from moto.logs.models import LogEvent, LogGroup, LogsBackend, LogStream

    backend = lab.backend("logs")
    assert isinstance(backend, LogsBackend) and type(backend).__name__ == "LabLogsBackend"
    lab.client("logs").create_log_group(logGroupName="g")
    lab.client("logs").create_log_stream(logGroupName="g", logStreamName="s")
    group = backend.groups["g"]
    assert isinstance(group, LogGroup) and isinstance(group.subscription_filters, dict)
    assert isinstance(group.streams["s"], LogStream) and isinstance(group.streams["s"].events, list)
    assert {"timestamp", "message"} <= set(vars(LogEvent(0, {"timestamp": 1, "message": "m"})))
