"""AWS IoT topic rules with a Kinesis or Firehose action deliver messages published with plain boto3."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labsim.grading import read_stream


@pytest.fixture
def clients(lab):
    kinesis, iot, data = lab.client("kinesis"), lab.client("iot"), lab.client("iot-data")
    kinesis.create_stream(StreamName="telemetry", ShardCount=1)
    lab.clock.advance(30)
    return kinesis, iot, data


def rule(iot, name, sql, action, error_action=None):
    payload = {"sql": sql, "actions": [action], "ruleDisabled": False, "awsIotSqlVersion": "2016-03-23"}
    if error_action:
        payload["errorAction"] = error_action
    iot.create_topic_rule(ruleName=name, topicRulePayload=payload)


KINESIS = {"kinesis": {"roleArn": "arn:aws:iam::123456789012:role/iot", "streamName": "telemetry",
                       "partitionKey": "${topic(2)}"}}


def test_rule_selects_filters_and_substitutes_the_partition_key(lab, clients):
    kinesis, iot, data = clients
    rule(iot, "hot", "SELECT temp, topic(2) AS device FROM 'plant/+/temp' WHERE temp > 30", KINESIS)
    data.publish(topic="plant/d-7/temp", payload=json.dumps({"temp": 35, "unit": "C"}).encode())
    data.publish(topic="plant/d-8/temp", payload=json.dumps({"temp": 20}).encode())
    data.publish(topic="other/d-9/temp", payload=json.dumps({"temp": 99}).encode())
    records = read_stream(kinesis, "telemetry")
    assert [(r["PartitionKey"], json.loads(r["Data"])) for r in records] == [("d-7", {"temp": 35, "device": "d-7"})]


def test_select_star_passes_the_document_and_newuuid_keys_differ(lab, clients):
    kinesis, iot, data = clients
    action = {"kinesis": dict(KINESIS["kinesis"], partitionKey="${newuuid()}")}
    rule(iot, "all", "SELECT * FROM 'sensors/#'", action)
    for i in range(3):
        data.publish(topic=f"sensors/a/{i}", payload=json.dumps({"i": i}).encode())
    records = read_stream(kinesis, "telemetry")
    assert [json.loads(r["Data"]) for r in records] == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert len({r["PartitionKey"] for r in records}) == 3


def test_disabled_rule_does_nothing_and_bad_sql_is_refused(lab, clients):
    kinesis, iot, data = clients
    rule(iot, "off", "SELECT * FROM 'x'", KINESIS)
    iot.disable_topic_rule(ruleName="off")
    data.publish(topic="x", payload=b'{"a": 1}')
    assert read_stream(kinesis, "telemetry") == []
    with pytest.raises(ClientError, match="no function"):
        rule(iot, "bad", "SELECT get_thing_shadow(1) FROM 'x'", KINESIS)


def test_failed_action_runs_the_error_action(lab, clients):
    kinesis, iot, data = clients
    missing = {"kinesis": dict(KINESIS["kinesis"], streamName="nope")}
    rule(iot, "broken", "SELECT * FROM 'x'", missing, error_action=KINESIS)
    data.publish(topic="x", payload=b'{"a": 1}')
    (record,) = read_stream(kinesis, "telemetry")
    report = json.loads(record["Data"])
    assert report["ruleName"] == "broken" and report["failures"][0]["failedAction"] == "kinesisAction"


def test_firehose_action_appends_the_separator(lab, clients):
    _, iot, data = clients
    s3, firehose = lab.client("s3"), lab.client("firehose")
    s3.create_bucket(Bucket="iot-sink")
    firehose.create_delivery_stream(DeliveryStreamName="iot-fh", ExtendedS3DestinationConfiguration={
        "RoleARN": "arn:aws:iam::123456789012:role/fh", "BucketARN": "arn:aws:s3:::iot-sink"})
    rule(iot, "tofh", "SELECT * FROM 'x'", {"firehose": {"roleArn": "arn:aws:iam::123456789012:role/iot",
                                                         "deliveryStreamName": "iot-fh", "separator": "\n"}})
    data.publish(topic="x", payload=b'{"a": 1}')
    (obj,) = s3.list_objects_v2(Bucket="iot-sink")["Contents"]
    assert s3.get_object(Bucket="iot-sink", Key=obj["Key"])["Body"].read() == b'{"a":1}\n'


def test_moto_internals_labsim_iot_relies_on(lab, clients):
    """labsim.iot reaches into moto's iot model: a moto upgrade that moves these fails here, loudly."""
    _, iot, _ = clients
    rule(iot, "r", "SELECT * FROM 'x'", KINESIS, error_action=KINESIS)
    backend = lab.backend("iot")
    fake = backend.rules["r"]
    assert (fake.rule_name, fake.rule_disabled, fake.actions, fake.error_action) == ("r", False, [KINESIS], KINESIS)
    assert lab.backend("iot-data").iot_backend is backend
