"""Dynamic partitioning through plain boto3: jq and Lambda keys, one buffer per partition, the limit, the rules."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError

from labsim import quotas
from labsim.firehose import pipeline

from test_firehose_processing import FN_ARN, objects, setup

JQ = {"Type": "MetadataExtraction", "Parameters": [
    {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{customer: .customer}"},
    {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}
DYNAMIC = {"DynamicPartitioningConfiguration": {"Enabled": True},
           "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/"}

KEYS_FROM_LAMBDA = """
import base64, json
def handler(event, context):
    out = []
    for r in event["records"]:
        doc = json.loads(base64.b64decode(r["data"]))
        out.append({"recordId": r["recordId"], "result": "Ok",
                    "data": base64.b64encode((json.dumps(doc) + "\\n").encode()).decode(),
                    "metadata": {"partitionKeys": {"day": doc["ts"][:10]}}})
    return {"records": out}
"""


def put_json(fh, *docs):
    fh.put_record_batch(DeliveryStreamName="clicks", Records=[{"Data": json.dumps(d).encode()} for d in docs])


def test_jq_keys_give_one_object_per_partition(lab):
    fh, s3 = setup(lab, processors=[JQ, {"Type": "AppendDelimiterToRecord", "Parameters": []}],
                   Prefix="customer=!{partitionKeyFromQuery:customer}/", **DYNAMIC)
    put_json(fh, {"customer": "a", "n": 1}, {"customer": "b", "n": 2}, {"customer": "a", "n": 3}, {"n": 4})
    assert pipeline(lab, "clicks").stage.partitions.active == 2
    lab.clock.advance(60)
    got = objects(s3)
    a = [v for k, v in got.items() if k.startswith("customer=a/")]
    b = [v for k, v in got.items() if k.startswith("customer=b/")]
    assert a == [b'{"customer": "a", "n": 1}\n{"customer": "a", "n": 3}\n'] and b == [b'{"customer": "b", "n": 2}\n']
    (err,) = [v for k, v in got.items() if k.startswith("errors/processing-failed/")]
    assert base64.b64decode(json.loads(err)["rawData"]) == b'{"n": 4}'
    assert all("/2026/" not in k for k in got if k.startswith("customer="))  # no default timestamp appended
    assert pipeline(lab, "clicks").stage.partitions.active == 0  # delivered partitions are no longer active


def test_lambda_keys_partition_by_date(lab):
    fh, s3 = setup(lab, source=KEYS_FROM_LAMBDA, Prefix="logs/dt=!{partitionKeyFromLambda:day}/", **DYNAMIC)
    put_json(fh, {"ts": "2026-01-01T10:00:00"}, {"ts": "2026-01-02T11:00:00"}, {"ts": "2026-01-01T12:00:00"})
    lab.clock.advance(120)
    got = objects(s3, "logs/")
    assert sorted(k.split("/")[1] for k in got) == ["dt=2026-01-01", "dt=2026-01-02"]
    assert sum(v.count(b"\n") for v in got.values()) == 3


def test_each_partition_buffers_on_its_own(lab):
    fh, s3 = setup(lab, processors=[JQ], Prefix="c=!{partitionKeyFromQuery:customer}/", **DYNAMIC)
    put_json(fh, {"customer": "a"})
    lab.clock.advance(30)
    put_json(fh, {"customer": "b"})
    lab.clock.advance(30)  # a's interval is over, b's is not
    assert [k.split("/")[0] for k in objects(s3)] == ["c=a"]
    lab.clock.advance(30)
    assert sorted(k.split("/")[0] for k in objects(s3)) == ["c=a", "c=b"]


def test_records_beyond_the_active_partition_limit_go_to_active_partition_exceeded(lab):
    fh, s3 = setup(lab, processors=[JQ], Prefix="c=!{partitionKeyFromQuery:customer}/", **DYNAMIC)
    limit = quotas.FIREHOSE_ACTIVE_PARTITIONS_DEFAULT
    assert pipeline(lab, "clicks").stage.partitions.limit == limit
    docs = [{"customer": str(i)} for i in range(limit + 3)]
    for i in range(0, len(docs), 250):
        put_json(fh, *docs[i:i + 250])
    assert pipeline(lab, "clicks").stage.partitions.active == limit
    lab.clock.advance(60)
    over = [v for k, v in objects(s3, "errors/activePartitionExceeded/").items()]
    lines = [json.loads(line) for v in over for line in v.splitlines()]
    assert len(lines) == 3 and {d["errorCode"] for d in lines} == {"DynamicPartitioning.ActivePartitionsLimitExceeded"}
    assert len([k for k in objects(s3, "c=")]) == limit


def test_deaggregation_runs_before_key_extraction(lab):
    fh, s3 = setup(lab, processors=[{"Type": "RecordDeAggregation", "Parameters": [
        {"ParameterName": "SubRecordType", "ParameterValue": "JSON"}]}, JQ],
        Prefix="c=!{partitionKeyFromQuery:customer}/", **DYNAMIC)
    fh.put_record(DeliveryStreamName="clicks", Record={"Data": b'{"customer":"x"}{"customer":"y"}'})
    lab.clock.advance(60)
    assert sorted(k.split("/")[0] for k in objects(s3)) == ["c=x", "c=y"]


@pytest.mark.parametrize("dest, message", [
    ({"Prefix": "static/", **DYNAMIC}, "at least one partition key"),
    ({"Prefix": "c=!{partitionKeyFromLambda:c}/", **DYNAMIC}, "no Lambda processor"),
    ({"Prefix": "c=!{partitionKeyFromQuery:customer}/", "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 0}, **DYNAMIC},
     "at least 60"),
    ({"Prefix": "c=!{partitionKeyFromQuery:customer}/", "ErrorOutputPrefix": "e/!{firehose:error-output-type}/"},
     "needs dynamic partitioning enabled"),
])
def test_partitioning_rules(lab, dest, message):
    with pytest.raises(ClientError) as err:
        setup(lab, processors=[JQ], **dest)
    assert err.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert message in err.value.response["Error"]["Message"]


def test_it_can_only_be_enabled_when_the_stream_is_created(lab):
    fh, _ = setup(lab, processors=[JQ], Prefix="c/", ErrorOutputPrefix="e/")
    update = {"Prefix": "c=!{partitionKeyFromQuery:customer}/", "ErrorOutputPrefix": "e/!{firehose:error-output-type}/",
              "DynamicPartitioningConfiguration": {"Enabled": True}}
    with pytest.raises(ClientError, match="only be enabled when the delivery stream is created"):
        fh.update_destination(DeliveryStreamName="clicks", CurrentDeliveryStreamVersionId="1",
                              DestinationId="destinationId-000000000001", ExtendedS3DestinationUpdate=update)


def test_it_cannot_be_disabled(lab):
    fh, _ = setup(lab, processors=[JQ], Prefix="c=!{partitionKeyFromQuery:customer}/", **DYNAMIC)
    with pytest.raises(ClientError, match="cannot be disabled"):
        fh.update_destination(DeliveryStreamName="clicks", CurrentDeliveryStreamVersionId="1",
                              DestinationId="destinationId-000000000001",
                              ExtendedS3DestinationUpdate={"DynamicPartitioningConfiguration": {"Enabled": False}})
