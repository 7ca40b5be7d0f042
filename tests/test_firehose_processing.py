"""Firehose data transformation through plain boto3: the Lambda processor's contract, failures, backup, metrics."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json

import pytest
from botocore.exceptions import ClientError

from labsim import quotas

from test_lambda import TRUST, zip_of

FH_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
FN_ARN = "arn:aws:lambda:us-east-1:123456789012:function:xform"

TO_UPPER = """
import base64, json
def handler(event, context):
    print("batch of", len(event["records"]))
    out = []
    for r in event["records"]:
        text = base64.b64decode(r["data"]).decode()
        if text.startswith("drop"):
            out.append({"recordId": r["recordId"], "result": "Dropped", "data": r["data"]})
        elif text.startswith("bad"):
            out.append({"recordId": r["recordId"], "result": "ProcessingFailed", "data": r["data"]})
        else:
            out.append({"recordId": r["recordId"], "result": "Ok",
                        "data": base64.b64encode(text.upper().encode() + b"\\n").decode()})
    return {"records": out}
"""


def setup(lab, source=TO_UPPER, allow_invoke=True, processors=None, lambda_params=None, **dest):
    iam = lab.client("iam")
    fn_role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    fh_role = iam.create_role(RoleName="delivery", AssumeRolePolicyDocument=FH_TRUST)["Role"]["Arn"]
    if allow_invoke:
        iam.put_role_policy(RoleName="delivery", PolicyName="invoke", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": FN_ARN}]}))
    lab.client("lambda").create_function(FunctionName="xform", Runtime="python3.12", Role=fn_role, Handler="index.handler",
                                         Code={"ZipFile": zip_of({"index.py": source})}, Timeout=60)
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="lake")
    params = [{"ParameterName": "LambdaArn", "ParameterValue": FN_ARN}] + [
        {"ParameterName": k, "ParameterValue": v} for k, v in (lambda_params or {}).items()]
    procs = processors if processors is not None else [{"Type": "Lambda", "Parameters": params}]
    config = {"BucketARN": "arn:aws:s3:::lake", "RoleARN": fh_role,
              "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
              "ProcessingConfiguration": {"Enabled": True, "Processors": procs}, **dest}
    fh = lab.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName="clicks", ExtendedS3DestinationConfiguration=config)
    lab.clock.advance(float(quotas.FIREHOSE_CREATING_SECONDS))
    return fh, s3


def objects(s3, prefix=""):
    out = {}
    for o in s3.list_objects_v2(Bucket="lake", Prefix=prefix).get("Contents", []):
        out[o["Key"]] = s3.get_object(Bucket="lake", Key=o["Key"])["Body"].read()
    return out


def put(fh, *texts):
    fh.put_record_batch(DeliveryStreamName="clicks", Records=[{"Data": t.encode()} for t in texts])


def stat(lab, metric, stat="Sum"):
    points = lab.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Firehose", MetricName=metric, Dimensions=[{"Name": "DeliveryStreamName", "Value": "clicks"}],
        StartTime=dt.datetime(2025, 1, 1), EndTime=dt.datetime(2027, 1, 1), Period=86400, Statistics=[stat])["Datapoints"]
    return sum(p[stat] for p in points)


def test_lambda_transforms_buffered_batches_and_failed_records_land_under_processing_failed(lab):
    fh, s3 = setup(lab)
    put(fh, "a", "drop me", "bad one", "b")
    lab.clock.advance(59)
    assert objects(s3) == {}  # the Lambda buffer waits BufferIntervalInSeconds (60 s default)
    lab.clock.advance(1)
    lab.clock.advance(60)  # then the destination buffer's interval
    got = objects(s3)
    good = [v for k, v in got.items() if not k.startswith("processing-failed/")]
    assert good == [b"A\nB\n"]  # Dropped is gone, Ok transformed, order kept
    (failed_key,) = [k for k in got if k.startswith("processing-failed/")]
    doc = json.loads(got[failed_key])
    assert base64.b64decode(doc["rawData"]) == b"bad one"
    assert doc["errorCode"] == "Lambda.ProcessingFailedStatus" and doc["lambdaArn"] == FN_ARN
    assert {"attemptsMade", "arrivalTimestamp", "errorMessage", "attemptEndingTimestamp"} <= set(doc)
    assert stat(lab, "SucceedProcessing.Records") == 3  # Ok and Dropped count as processed
    assert stat(lab, "SucceedProcessing.Bytes") == 4
    assert stat(lab, "ExecuteProcessing.Success") == 1
    assert stat(lab, "ExecuteProcessing.Duration", "Maximum") > 0


def test_the_event_has_the_documented_shape(lab):
    fh, s3 = setup(lab, source="""
import json, base64
def handler(event, context):
    rec = event["records"][0]
    shape = {"top": sorted(event), "record": sorted(rec), "arn": event["deliveryStreamArn"], "region": event["region"],
             "ts": rec["approximateArrivalTimestamp"]}
    return {"records": [{"recordId": r["recordId"], "result": "Ok",
                         "data": base64.b64encode(json.dumps(shape).encode()).decode()} for r in event["records"]]}
""", lambda_params={"BufferIntervalInSeconds": "0"})
    t = lab.clock.now()
    put(fh, "x")
    lab.clock.advance(60)
    (body,) = objects(s3).values()
    shape = json.loads(body)
    assert shape["top"] == ["deliveryStreamArn", "invocationId", "records", "region"]
    assert shape["record"] == ["approximateArrivalTimestamp", "data", "recordId"]
    assert shape["arn"] == "arn:aws:firehose:us-east-1:123456789012:deliverystream/clicks" and shape["region"] == "us-east-1"
    assert shape["ts"] == int(t * 1000)


def test_a_kinesis_source_adds_kinesis_record_metadata(lab):
    iam = lab.client("iam")
    iam.create_role(RoleName="src", AssumeRolePolicyDocument=FH_TRUST)
    iam.put_role_policy(RoleName="src", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    fn_role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    lab.client("lambda").create_function(FunctionName="xform", Runtime="python3.12", Role=fn_role, Handler="index.handler",
                                         Code={"ZipFile": zip_of({"index.py": """
import json, base64
def handler(event, context):
    return {"records": [{"recordId": r["recordId"], "result": "Ok", "data": base64.b64encode(
        (json.dumps([event.get("sourceKinesisStreamArn"), r["kinesisRecordMetadata"]]) + "\\n").encode()).decode()}
        for r in event["records"]]}
"""})})
    kinesis = lab.client("kinesis")
    kinesis.create_stream(StreamName="src", ShardCount=1)
    lab.clock.advance(30)
    stream_arn = kinesis.describe_stream_summary(StreamName="src")["StreamDescriptionSummary"]["StreamARN"]
    lab.client("s3").create_bucket(Bucket="lake")
    role = "arn:aws:iam::123456789012:role/src"
    lab.client("firehose").create_delivery_stream(
        DeliveryStreamName="clicks", DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": stream_arn, "RoleARN": role},
        ExtendedS3DestinationConfiguration={"BucketARN": "arn:aws:s3:::lake", "RoleARN": role,
                                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
                                            "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
                                                {"ParameterName": "LambdaArn", "ParameterValue": FN_ARN}]}]}})
    lab.clock.advance(10)
    seq = kinesis.put_record(StreamName="src", Data=b"hello", PartitionKey="user-1")["SequenceNumber"]
    lab.clock.advance(200)
    (body,) = objects(lab.client("s3")).values()
    arn, meta = json.loads(body)
    assert arn == stream_arn
    assert meta["partitionKey"] == "user-1" and meta["sequenceNumber"] == seq and meta["shardId"] == "shardId-000000000000"
    assert meta["subsequenceNumber"] == 0 and isinstance(meta["approximateArrivalTimestamp"], int)


@pytest.mark.parametrize("answer, code", [
    ("[{'recordId': r['recordId'], 'result': 'Ok', 'data': r['data']} for r in rs[1:]]", "Lambda.MissingRecordId"),
    ("[{'recordId': r['recordId'], 'result': 'Ok', 'data': base64.b64decode(r['data']).decode()} for r in rs]", "Lambda.InvalidData"),
    ("[{'recordId': r['recordId'], 'result': 'OK', 'data': r['data']} for r in rs]", "Lambda.InvalidRecordResult"),
    ("[{'recordId': rs[0]['recordId'], 'result': 'Ok', 'data': r['data']} for r in rs]", "Lambda.DuplicatedRecordId"),
])
def test_a_bad_answer_fails_the_whole_batch(lab, answer, code):
    fh, s3 = setup(lab, source=f"import base64\ndef handler(event, context):\n    rs = event['records']\n    return {{'records': {answer}}}\n",
                   lambda_params={"NumberOfRetries": "0"})
    put(fh, "hello world!", "second!")
    lab.clock.advance(120)
    got = objects(s3)
    assert all(k.startswith("processing-failed/") for k in got) and got
    docs = [json.loads(line) for body in got.values() for line in body.splitlines()]
    assert len(docs) == 2 and {d["errorCode"] for d in docs} == {code}
    assert stat(lab, "ExecuteProcessing.Success") == 0


def test_invocation_errors_are_retried_number_of_retries_times(lab):
    fh, s3 = setup(lab, source="calls = 0\ndef handler(event, context):\n    global calls\n    calls += 1\n    raise RuntimeError(f'call {calls}')\n",
                   lambda_params={"NumberOfRetries": "2"})
    put(fh, "a")
    lab.clock.advance(120)
    (body,) = objects(s3, "processing-failed/").values()
    doc = json.loads(body)
    assert doc["attemptsMade"] == 3 and doc["errorCode"] == "Lambda.FunctionError" and "call 3" in doc["errorMessage"]
    logs = lab.client("logs")
    stream = logs.describe_log_streams(logGroupName="/aws/lambda/xform")["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName="/aws/lambda/xform", logStreamName=stream)["events"]
    assert sum(e["message"].startswith("START") for e in events) == 3


def test_the_delivery_role_must_be_allowed_to_invoke(lab):
    fh, s3 = setup(lab, allow_invoke=False, lambda_params={"NumberOfRetries": "0"})
    put(fh, "a")
    lab.clock.advance(120)
    (body,) = objects(s3, "processing-failed/").values()
    assert json.loads(body)["errorCode"] == "Lambda.InvokeAccessDenied"


def test_error_output_prefix_and_source_backup(lab):
    fh, s3 = setup(lab, Prefix="ok/", ErrorOutputPrefix="errors/!{firehose:error-output-type}/!{timestamp:yyyy}/",
                   S3BackupMode="Enabled", S3BackupConfiguration={
                       "BucketARN": "arn:aws:s3:::lake", "RoleARN": "arn:aws:iam::123456789012:role/delivery",
                       "Prefix": "source/", "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}})
    put(fh, "a", "bad")
    lab.clock.advance(180)
    keys = sorted(objects(s3))
    assert any(k.startswith("errors/processing-failed/2026/") for k in keys)
    (backup,) = [v for k, v in objects(s3, "source/").items()]
    assert backup == b"abad"  # the source records, untouched
    assert objects(s3, "ok/") and list(objects(s3, "ok/").values()) == [b"A\n"]
    with pytest.raises(ClientError, match="Enabled to Disabled"):
        fh.update_destination(DeliveryStreamName="clicks", CurrentDeliveryStreamVersionId="1",
                              DestinationId="destinationId-000000000001",
                              ExtendedS3DestinationUpdate={"S3BackupMode": "Disabled"})


@pytest.mark.parametrize("params, message", [
    ([{"Type": "Lambda", "Parameters": []}], "LambdaArn"),
    ([{"Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": FN_ARN},
                                        {"ParameterName": "BufferSizeInMBs", "ParameterValue": "5"}]}], "between 0.2 and 3"),
    ([{"Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": FN_ARN},
                                        {"ParameterName": "BufferIntervalInSeconds", "ParameterValue": "901"}]}], "between 0 and 900"),
    ([{"Type": "AppendDelimiterToRecord", "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": "x"}]}], "not valid for"),
    ([{"Type": "MetadataExtraction", "Parameters": [{"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{a: .a"},
                                                    {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}], "not a valid jq"),
])
def test_processor_parameters_are_validated(lab, params, message):
    with pytest.raises(ClientError) as err:
        setup(lab, processors=params)
    assert err.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert message in err.value.response["Error"]["Message"]


def test_built_in_processors_decompress_extract_logs_and_append_a_delimiter(lab):
    fh, s3 = setup(lab, processors=[
        {"Type": "Decompression", "Parameters": [{"ParameterName": "CompressionFormat", "ParameterValue": "GZIP"}]},
        {"Type": "CloudWatchLogProcessing", "Parameters": [{"ParameterName": "DataMessageExtraction", "ParameterValue": "true"}]},
        {"Type": "AppendDelimiterToRecord", "Parameters": []},
    ])
    control = {"messageType": "CONTROL_MESSAGE", "logEvents": [{"id": "1", "timestamp": 0, "message": "CWL CONTROL MESSAGE"}]}
    data = {"messageType": "DATA_MESSAGE", "logEvents": [{"id": "2", "timestamp": 0, "message": "first"},
                                                          {"id": "3", "timestamp": 0, "message": "second"}]}
    fh.put_record_batch(DeliveryStreamName="clicks", Records=[
        {"Data": gzip.compress(json.dumps(d).encode())} for d in (control, data)] + [{"Data": b"not gzip"}])
    lab.clock.advance(60)
    got = objects(s3)
    assert [v for k, v in got.items() if not k.startswith("processing-failed/")] == [b"first\nsecond\n"]
    (failed,) = [v for k, v in got.items() if k.startswith("processing-failed/")]
    assert json.loads(failed)["errorCode"] == "Decompression.Failed"


def test_json_de_aggregation_splits_records_and_caps_them_at_500(lab):
    fh, s3 = setup(lab, processors=[{"Type": "RecordDeAggregation", "Parameters": [
        {"ParameterName": "SubRecordType", "ParameterValue": "JSON"}]}, {"Type": "AppendDelimiterToRecord", "Parameters": []}])
    fh.put_record_batch(DeliveryStreamName="clicks", Records=[
        {"Data": b'{"a":1}{"a":2} {"a":3}'}, {"Data": b'{"b":1}' * (quotas.FIREHOSE_DEAGGREGATION_MAX_RECORDS + 1)}])
    lab.clock.advance(60)
    got = objects(s3)
    assert [v for k, v in got.items() if not k.startswith("processing-failed/")] == [b'{"a":1}\n{"a":2}\n{"a":3}\n']
    (failed,) = [v for k, v in got.items() if k.startswith("processing-failed/")]
    assert json.loads(failed)["errorCode"] == "RecordDeAggregation.TooManyRecords"


def test_a_lambda_in_front_of_an_http_endpoint(lab):
    from labsim.firehose import RecordingEndpoint, http_endpoint

    fh, s3 = setup(lab)  # makes the function and the roles (and an S3 stream we do not use here)
    endpoint = RecordingEndpoint()
    http_endpoint(lab, "https://collector.example.com/in", endpoint)
    role = "arn:aws:iam::123456789012:role/delivery"
    fh.create_delivery_stream(DeliveryStreamName="web", HttpEndpointDestinationConfiguration={
        "EndpointConfiguration": {"Url": "https://collector.example.com/in", "Name": "collector"}, "RoleARN": role,
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 10},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
            {"ParameterName": "LambdaArn", "ParameterValue": FN_ARN}, {"ParameterName": "BufferIntervalInSeconds", "ParameterValue": "5"}]}]},
        "S3Configuration": {"BucketARN": "arn:aws:s3:::lake", "RoleARN": role, "Prefix": "web/"}})
    lab.clock.advance(float(quotas.FIREHOSE_CREATING_SECONDS))
    fh.put_record_batch(DeliveryStreamName="web", Records=[{"Data": d} for d in (b"x", b"bad", b"y")])
    lab.clock.advance(20)
    assert endpoint.received == [b"X\n", b"Y\n"]
    (failed,) = objects(s3, "web/processing-failed/").values()
    assert base64.b64decode(json.loads(failed)["rawData"]) == b"bad"


def test_splunk_buffers_256_kb_for_its_lambda_by_default(lab):
    from labsim.firehose import pipeline

    setup(lab)
    fh = lab.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName="to-splunk", SplunkDestinationConfiguration={
        "HECEndpoint": "https://splunk.example.com:8088", "HECEndpointType": "Raw", "HECToken": "t0ken",
        "S3Configuration": {"RoleARN": "arn:aws:iam::123456789012:role/delivery", "BucketARN": "arn:aws:s3:::lake"},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
            {"ParameterName": "LambdaArn", "ParameterValue": FN_ARN}, {"ParameterName": "RoleArn",
                                                                        "ParameterValue": "arn:aws:iam::123456789012:role/delivery"}]}]}})
    lab.clock.advance(float(quotas.FIREHOSE_CREATING_SECONDS))
    assert pipeline(lab, "to-splunk").size_limit == 256 * 1024
    logs = lab.client("logs")
    fh.put_record_batch(DeliveryStreamName="to-splunk", Records=[{"Data": b"e" * 1000}] * 200)  # 200 KB: waits
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/xform")["logGroups"] == []
    fh.put_record_batch(DeliveryStreamName="to-splunk", Records=[{"Data": b"e" * 1000}] * 70)  # past 256 KiB: invoked now
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/xform")["logGroups"] != []
