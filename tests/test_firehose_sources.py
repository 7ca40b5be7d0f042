"""A Kinesis data stream as source, and HTTP endpoint destinations, through plain boto3."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json

import pytest
from aws_kinesis_agg.aggregator import RecordAggregator
from botocore.exceptions import ClientError

from labsim import quotas
from labsim.firehose import EndpointResponse, RecordingEndpoint, http_endpoint, pipeline, read_object

ROLE = "arn:aws:iam::123456789012:role/firehose"
URL = "https://collector.example.com/ingest"


def source_stream(lab, shards=1):
    kinesis = lab.client("kinesis")
    kinesis.create_stream(StreamName="src", ShardCount=shards)
    lab.clock.advance(10)
    return kinesis, kinesis.describe_stream_summary(StreamName="src")["StreamDescriptionSummary"]["StreamARN"]


def kds_delivery(lab, arn, interval=60, bucket_exists=True):
    fh, s3 = lab.client("firehose"), lab.client("s3")
    if bucket_exists:
        s3.create_bucket(Bucket="lake")
    fh.create_delivery_stream(
        DeliveryStreamName="fromkds", DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration={"BucketARN": "arn:aws:s3:::lake", "RoleARN": ROLE,
                                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": interval}})
    return fh, s3


def delivered(s3, prefix=""):
    objs = s3.list_objects_v2(Bucket="lake", Prefix=prefix).get("Contents", [])
    return b"".join(read_object(s3, "lake", o["Key"]) for o in sorted(objs, key=lambda o: o["LastModified"]))


def test_kds_source_delivers_and_refuses_direct_puts(lab):
    kinesis, arn = source_stream(lab)
    fh, s3 = kds_delivery(lab, arn)
    for i in range(10):
        kinesis.put_record(StreamName="src", Data=b"%d," % i, PartitionKey="k")
    lab.clock.advance(5)
    with pytest.raises(ClientError) as err:
        fh.put_record_batch(DeliveryStreamName="fromkds", Records=[{"Data": b"x"}])
    assert err.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert "KinesisStreamAsSource" in str(err.value)
    lab.clock.advance(60)
    assert delivered(s3) == b"".join(b"%d," % i for i in range(10))
    source = fh.describe_delivery_stream(DeliveryStreamName="fromkds")["DeliveryStreamDescription"]["Source"]
    assert source["KinesisStreamSourceDescription"]["KinesisStreamARN"] == arn


def test_kds_source_polls_once_a_second_per_shard_and_shows_in_the_streams_metrics(lab):
    kinesis, arn = source_stream(lab, shards=2)
    kds_delivery(lab, arn)
    lab.clock.advance(5)  # ACTIVE
    lab.clock.advance(30)
    cw = lab.client("cloudwatch")
    points = cw.get_metric_statistics(Namespace="AWS/Kinesis", MetricName="GetRecords.Success",
                                      Dimensions=[{"Name": "StreamName", "Value": "src"}],
                                      StartTime=dt.datetime(2025, 1, 1), EndTime=dt.datetime(2027, 1, 1),
                                      Period=3600, Statistics=["SampleCount"])["Datapoints"]
    calls = sum(p["SampleCount"] for p in points)
    assert 2 * 30 <= calls <= 2 * 32  # one GetRecords per second per shard


def test_kds_source_deaggregates_kpl_records(lab):
    kinesis, arn = source_stream(lab)
    fh, s3 = kds_delivery(lab, arn)
    agg = RecordAggregator()
    for i in range(50):
        agg.add_user_record("pk", b"user-%02d;" % i)
    pk, _, data = agg.clear_and_get().get_contents()
    kinesis.put_record(StreamName="src", Data=data, PartitionKey=pk)
    lab.clock.advance(70)
    assert delivered(s3) == b"".join(b"user-%02d;" % i for i in range(50))


def test_kds_source_starts_at_creation_and_reads_parents_before_children(lab):
    kinesis, arn = source_stream(lab)
    kinesis.put_record(StreamName="src", Data=b"before-firehose;", PartitionKey="a")
    lab.clock.advance(1)
    fh, s3 = kds_delivery(lab, arn, interval=300)
    for i in range(5):
        kinesis.put_record(StreamName="src", Data=b"parent-%d;" % i, PartitionKey=str(i))
    shard = kinesis.list_shards(StreamName="src")["Shards"][0]
    kinesis.split_shard(StreamName="src", ShardToSplit=shard["ShardId"], NewStartingHashKey=str(2**127))
    lab.clock.advance(60)
    for i in range(5):
        kinesis.put_record(StreamName="src", Data=b"child-%d;" % i, PartitionKey=str(i))
    lab.clock.advance(400)
    got = delivered(s3)
    assert b"before-firehose" not in got
    assert got.count(b"parent-") == 5 and got.count(b"child-") == 5
    assert got.rindex(b"parent-") < got.index(b"child-")


def test_kds_source_waits_while_destination_fails(lab):
    kinesis, arn = source_stream(lab)
    fh, s3 = kds_delivery(lab, arn, bucket_exists=False)
    kinesis.put_record(StreamName="src", Data=b"first;", PartitionKey="a")
    lab.clock.advance(70)
    kinesis.put_record(StreamName="src", Data=b"second;", PartitionKey="a")
    lab.clock.advance(10)
    pipe = pipeline(lab, "fromkds")
    assert pipe.retrying is not None and pipe.waiting_records() == 1  # second still in the stream
    s3.create_bucket(Bucket="lake")
    lab.clock.advance(200)
    assert delivered(s3) == b"first;second;"


# -- HTTP endpoints ------------------------------------------------------------------------------
def http_delivery(lab, retry=60, encoding="NONE", backup="FailedDataOnly", access_key="k3y"):
    fh, s3 = lab.client("firehose"), lab.client("s3")
    s3.create_bucket(Bucket="lake")
    fh.create_delivery_stream(DeliveryStreamName="web", HttpEndpointDestinationConfiguration={
        "EndpointConfiguration": {"Url": URL, "Name": "collector", "AccessKey": access_key},
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 10}, "RetryOptions": {"DurationInSeconds": retry},
        "RequestConfiguration": {"ContentEncoding": encoding,
                                 "CommonAttributes": [{"AttributeName": "env", "AttributeValue": "lab"}]},
        "S3BackupMode": backup,
        "S3Configuration": {"BucketARN": "arn:aws:s3:::lake", "RoleARN": ROLE, "Prefix": "web/"}})
    lab.clock.advance(float(quotas.FIREHOSE_CREATING_SECONDS))
    return fh, s3


def test_http_request_follows_the_delivery_specification(lab):
    endpoint = RecordingEndpoint()
    http_endpoint(lab, URL, endpoint)
    fh, _ = http_delivery(lab, encoding="GZIP")
    fh.put_record_batch(DeliveryStreamName="web", Records=[{"Data": b"one"}, {"Data": b"two"}])
    lab.clock.advance(10)
    (request,) = endpoint.requests
    h = request.headers
    assert h["Content-Type"] == "application/json" and h["Content-Encoding"] == "gzip"
    assert h["X-Amz-Firehose-Access-Key"] == "k3y" and h["X-Amz-Firehose-Protocol-Version"] == "1.0"
    assert json.loads(h["X-Amz-Firehose-Common-Attributes"]) == {"commonAttributes": {"env": "lab"}}
    body = json.loads(gzip.decompress(request.body))
    assert body["requestId"] == h["X-Amz-Firehose-Request-Id"]
    assert body["timestamp"] == int(lab.clock.now() * 1000)
    assert [base64.b64decode(r["data"]) for r in body["records"]] == [b"one", b"two"]
    assert endpoint.received == [b"one", b"two"]


def test_http_failure_is_retried_and_recovers_within_retry_duration(lab):
    endpoint = RecordingEndpoint(fail_until=lab.clock.now() + 40)
    http_endpoint(lab, URL, endpoint)
    fh, s3 = http_delivery(lab, retry=120)
    fh.put_record(DeliveryStreamName="web", Record={"Data": b"eventually"})
    lab.clock.advance(120)
    assert endpoint.received == [b"eventually"] and len(endpoint.requests) > 1
    assert s3.list_objects_v2(Bucket="lake").get("KeyCount") == 0  # no backup needed


@pytest.mark.parametrize("handler, code", [
    (lambda request: request.reply(500), "HttpEndpoint.InvalidStatusCode"),
    (lambda request: EndpointResponse(200, b'{"requestId": "someone-else"}'), "HttpEndpoint.InvalidResponseFromDestination"),
    (lambda request: 1 / 0, "HttpEndpoint.DestinationException"),
    (None, "HttpEndpoint.ConnectionFailed"),
])
def test_http_failures_past_retry_duration_go_to_s3_backup(lab, handler, code):
    if handler is not None:
        http_endpoint(lab, URL, handler)
    fh, s3 = http_delivery(lab, retry=30)
    fh.put_record_batch(DeliveryStreamName="web", Records=[{"Data": b"kept-1"}, {"Data": b"kept-2"}])
    lab.clock.advance(10 + 30 + 1)
    (obj,) = s3.list_objects_v2(Bucket="lake")["Contents"]
    assert obj["Key"].startswith("web/http-endpoint-failed/2026/01/01/00/web-1-")
    docs = [json.loads(line) for line in read_object(s3, "lake", obj["Key"]).splitlines()]
    assert [base64.b64decode(d["rawData"]) for d in docs] == [b"kept-1", b"kept-2"]
    assert {d["errorCode"] for d in docs} == {code} and all(d["attemptsMade"] > 1 for d in docs)
    assert set(docs[0]) == {"attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage", "attemptEndingTimestamp", "rawData"}


def test_http_all_data_backup_copies_every_delivery(lab):
    endpoint = RecordingEndpoint()
    http_endpoint(lab, URL, endpoint)
    fh, s3 = http_delivery(lab, backup="AllData")
    fh.put_record(DeliveryStreamName="web", Record={"Data": b"both"})
    lab.clock.advance(10)
    assert endpoint.received == [b"both"]
    (obj,) = s3.list_objects_v2(Bucket="lake")["Contents"]
    assert obj["Key"].startswith("web/2026/01/01/00/") and read_object(s3, "lake", obj["Key"]) == b"both"


def test_endpoint_registration_rejects_bad_input(lab):
    with pytest.raises(ValueError, match="https://"):
        http_endpoint(lab, "http://plain.example", RecordingEndpoint())
    with pytest.raises(TypeError, match="callable"):
        http_endpoint(lab, URL, "not a handler")


def test_kds_source_data_waits_only_as_long_as_the_streams_retention(lab):
    kinesis, arn = source_stream(lab)  # retention 24 h
    fh, s3 = kds_delivery(lab, arn, bucket_exists=False)
    start = lab.clock.now()
    for label, at in ((b"A;", 0), (b"B;", 70), (b"C;", 2 * 3600)):
        lab.clock.advance_to(start + at)
        kinesis.put_record(StreamName="src", Data=label, PartitionKey="a")
    lab.clock.advance_to(start + 25 * 3600)  # S3 has been failing for 25 hours
    pipe = pipeline(lab, "fromkds")
    assert pipe.dropped == 2  # A and B aged out of the stream's 24 h while Firehose could not deliver
    s3.create_bucket(Bucket="lake")
    lab.clock.advance(float(quotas.FIREHOSE_RETRY_MAX_SECONDS))
    assert delivered(s3) == b"C;"
