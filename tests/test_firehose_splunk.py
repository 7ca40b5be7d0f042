"""Firehose to Splunk through plain boto3, received by the lab's HEC (issue 12, part C)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labsim import quotas
from labsim.firehose import pipeline, splunk_hec

ROLE = "arn:aws:iam::123456789012:role/firehose"
BUCKET = "splunk-backup"
URL = "https://splunk.example.com:8088"
TOKEN = "0b5e5ab4-7c1f-4a57-9e1b-3c0d2a9f1e11"


def code(err):
    return err.value.response["Error"]["Code"]


def make(lab, name="to-splunk", **dest):
    lab.client("s3").create_bucket(Bucket=BUCKET)
    config = {"HECEndpoint": URL, "HECEndpointType": "Raw", "HECToken": TOKEN,
              "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{BUCKET}"},
              "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 10}, **dest}
    fh = lab.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName=name, SplunkDestinationConfiguration=config)
    lab.clock.advance(float(quotas.FIREHOSE_CREATING_SECONDS))
    return fh, lab.client("s3")


def put(fh, *records, name="to-splunk"):
    fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": r} for r in records])


def failed(s3, prefix="splunk-failed/"):
    out = []
    for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []):
        out += [json.loads(line) for line in s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read().splitlines()]
    return out


def metric(lab, name, stat="Sum", stream="to-splunk"):
    points = lab.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Firehose", MetricName=name, Dimensions=[{"Name": "DeliveryStreamName", "Value": stream}],
        StartTime=dt.datetime(2025, 1, 1), EndTime=dt.datetime(2027, 1, 1), Period=3600, Statistics=[stat])["Datapoints"]
    return [p[stat] for p in points]


def test_describe_shows_the_splunk_defaults(lab):
    fh = lab.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName="d", SplunkDestinationConfiguration={
        "HECEndpoint": URL, "HECEndpointType": "Event", "HECToken": TOKEN,
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{BUCKET}"}})
    desc = fh.describe_delivery_stream(DeliveryStreamName="d")["DeliveryStreamDescription"]["Destinations"][0]
    splunk = desc["SplunkDestinationDescription"]
    assert splunk["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 60}
    assert splunk["HECAcknowledgmentTimeoutInSeconds"] == 180
    assert splunk["S3BackupMode"] == "FailedEventsOnly"
    assert splunk["RetryOptions"]["DurationInSeconds"] == quotas.FIREHOSE_SPLUNK_RETRY_SECONDS_DEFAULT
    assert splunk["S3DestinationDescription"]["CompressionFormat"] == "UNCOMPRESSED"


def test_raw_endpoint_events_tokens_channel_and_acks(lab):
    hec = splunk_hec(lab, URL, TOKEN, ack_delay=2.0)
    fh, s3 = make(lab)
    put(fh, b"GET /home 200\n", b"GET /pay 500\n")
    lab.clock.advance(9.9)
    assert hec.events == []
    lab.clock.advance(0.1)
    assert [e["event"] for e in hec.events] == ["GET /home 200", "GET /pay 500"]
    (request,) = hec.requests
    assert request.path == "/services/collector/raw"
    assert request.headers["Authorization"] == f"Splunk {TOKEN}"
    assert len(request.headers["X-Splunk-Request-Channel"]) == 36
    assert request.reply == {"text": "Success", "code": 0, "ackId": 0}
    assert hec.acks == {0: request.at + 2.0}
    assert hec.count("/pay") == 1
    assert metric(lab, "DeliveryToSplunk.Records") == [2.0]
    assert metric(lab, "DeliveryToSplunk.DataAckLatency", "Maximum") == [2.0]
    assert failed(s3) == []


def test_event_endpoint_takes_hec_events_and_refuses_anything_else(lab):
    hec = splunk_hec(lab, URL, TOKEN)
    fh, s3 = make(lab, HECEndpointType="Event", RetryOptions={"DurationInSeconds": 30})
    put(fh, json.dumps({"event": {"user": "ana"}, "sourcetype": "app"}).encode(),
        json.dumps({"event": "logout", "sourcetype": "app"}).encode())
    lab.clock.advance(10)
    assert [e["event"] for e in hec.events] == [{"user": "ana"}, "logout"]
    assert hec.requests[0].path == "/services/collector/event"
    put(fh, b'{"user": "bob"}')  # not an HEC event: no "event" field
    lab.clock.advance(60)
    (doc,) = failed(s3)
    assert set(doc) == {"attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage", "attemptEndingTimestamp",
                        "rawData", "EventId"}
    assert doc["errorCode"] == "Splunk.InvalidDataFormat" and '"code": 6' in doc["errorMessage"]
    assert base64.b64decode(doc["rawData"]) == b'{"user": "bob"}' and doc["attemptsMade"] > 1
    assert doc["EventId"].endswith(".0")


@pytest.mark.parametrize("setup, expected", [
    (lambda lab: splunk_hec(lab, URL, "another-token"), "Splunk.InvalidToken"),
    (lambda lab: splunk_hec(lab, URL, TOKEN, acknowledgement=False), "Splunk.DisabledAck"),
    (lambda lab: None, "Splunk.InvalidEndpoint"),
])
def test_errors_are_retried_then_backed_up_under_splunk_failed(lab, setup, expected):
    setup(lab)
    fh, s3 = make(lab, RetryOptions={"DurationInSeconds": 0})
    put(fh, b"one\n")
    lab.clock.advance(10)
    (doc,) = failed(s3)
    assert doc["errorCode"] == expected and doc["attemptsMade"] == 1


def test_ack_timeout_retries_and_the_hec_sees_duplicates(lab):
    hec = splunk_hec(lab, URL, TOKEN, ack_delay=200.0)  # longer than the default 180 s timeout
    fh, s3 = make(lab, RetryOptions={"DurationInSeconds": 5})
    put(fh, b"payment 42\n")
    lab.clock.advance(30)
    (doc,) = failed(s3)
    assert doc["errorCode"] == "Splunk.AckTimeout"
    assert "possible the data was indexed successfully" in doc["errorMessage"]
    assert hec.count("payment 42") == doc["attemptsMade"] > 1  # every attempt reached Splunk


def test_a_longer_ack_timeout_lets_a_slow_indexer_acknowledge(lab):
    hec = splunk_hec(lab, URL, TOKEN, ack_delay=200.0)
    fh, s3 = make(lab, HECAcknowledgmentTimeoutInSeconds=300)
    put(fh, b"payment 42\n")
    lab.clock.advance(10)
    assert hec.count("payment 42") == 1 and failed(s3) == []
    assert pipeline(lab, "to-splunk").errors == []


def test_a_busy_hec_is_retried_until_it_recovers(lab):
    hec = splunk_hec(lab, URL, TOKEN, fail_until=lab.clock.now() + 40)
    fh, s3 = make(lab)
    put(fh, b"line\n")
    lab.clock.advance(60)
    assert hec.count() == 1 and failed(s3) == []
    assert {e[1] for e in pipeline(lab, "to-splunk").errors} == {"Splunk.ServerError"}
    assert [r.status for r in hec.requests][-1] == 200 and hec.requests[0].status == 503


def test_all_events_backs_up_every_record(lab):
    splunk_hec(lab, URL, TOKEN)
    fh, s3 = make(lab, S3BackupMode="AllEvents", S3Configuration={
        "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{BUCKET}", "Prefix": "all/"})
    put(fh, b"a\n", b"b\n")
    lab.clock.advance(10)
    (obj,) = s3.list_objects_v2(Bucket=BUCKET, Prefix="all/")["Contents"]
    assert s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read() == b"a\nb\n"


def test_update_destination_changes_the_token(lab):
    hec = splunk_hec(lab, URL, "rotated")
    fh, _ = make(lab)
    fh.update_destination(DeliveryStreamName="to-splunk", CurrentDeliveryStreamVersionId="1",
                          DestinationId="destinationId-000000000001", SplunkDestinationUpdate={"HECToken": "rotated"})
    put(fh, b"x\n")
    lab.clock.advance(10)
    assert hec.count() == 1


@pytest.mark.parametrize("field, value, words", [
    ("HECAcknowledgmentTimeoutInSeconds", 601, "less than or equal to 600"),
    ("HECAcknowledgmentTimeoutInSeconds", 179, "greater than or equal to 180"),
    ("RetryOptions", {"DurationInSeconds": 7201}, "less than or equal to 7200"),
    ("HECEndpointType", "Json", "enum value set"),
])
def test_splunk_ranges_are_validated(lab, field, value, words):
    fh = lab.client("firehose", config=Config(parameter_validation=False))  # let the server judge
    with pytest.raises(ClientError) as err:
        fh.create_delivery_stream(DeliveryStreamName="v", SplunkDestinationConfiguration={
            "HECEndpoint": URL, "HECEndpointType": "Raw", "HECToken": TOKEN,
            "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{BUCKET}"}, field: value})
    assert code(err) == "ValidationException" and words in err.value.response["Error"]["Message"]


def test_a_token_is_required(lab):
    with pytest.raises(ClientError) as err:
        lab.client("firehose").create_delivery_stream(DeliveryStreamName="v", SplunkDestinationConfiguration={
            "HECEndpoint": URL, "HECEndpointType": "Raw",
            "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{BUCKET}"}})
    assert code(err) == "InvalidArgumentException" and "HECToken" in err.value.response["Error"]["Message"]


def test_hec_helper_refuses_bad_input(lab):
    with pytest.raises(ValueError, match="https://"):
        splunk_hec(lab, "http://plain.example.com", TOKEN)
    with pytest.raises(ValueError, match="token is required"):
        splunk_hec(lab, URL, "")


def test_tokens_from_secrets_manager_are_refused_clearly(lab):
    with pytest.raises(ClientError) as err:
        lab.client("firehose").create_delivery_stream(DeliveryStreamName="v", SplunkDestinationConfiguration={
            "HECEndpoint": URL, "HECEndpointType": "Raw", "SecretsManagerConfiguration": {"Enabled": True},
            "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{BUCKET}"}})
    assert code(err) == "InvalidArgumentException" and "give HECToken" in err.value.response["Error"]["Message"]
