"""Firehose acts as its IAM roles: each call it makes on the learner's behalf is checked, and fails as on AWS."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labsim import quotas
from labsim.firehose import pipeline, read_object

ACCOUNT = "123456789012"
BUCKET_ARN = "arn:aws:s3:::lake"
SRC_ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/orders"
S3_ACTIONS = ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket",
              "s3:ListBucketMultipartUploads", "s3:PutObject"]
KINESIS_ACTIONS = ["kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"]


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resource):
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def delivery_role(lab, *statements, trusted="firehose.amazonaws.com", name="delivery"):
    iam = lab.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": trusted}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="delivery", PolicyDocument=doc(*statements))
    return arn


def s3_policy(actions=S3_ACTIONS):
    return allow(actions, [BUCKET_ARN, BUCKET_ARN + "/*"])


def direct_put(lab, role, encryption=None, logging=None):
    lab.client("s3").create_bucket(Bucket="lake")
    config = {"BucketARN": BUCKET_ARN, "RoleARN": role, "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}}
    if encryption:
        config["EncryptionConfiguration"] = {"KMSEncryptionConfig": {"AWSKMSKeyARN": encryption}}
    if logging:
        config["CloudWatchLoggingOptions"] = logging
    fh = lab.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName="orders-fh", ExtendedS3DestinationConfiguration=config)
    lab.clock.advance(quotas.FIREHOSE_CREATING_SECONDS)
    return fh


def objects(lab):
    s3 = lab.client("s3")
    return [read_object(s3, "lake", o["Key"]) for o in s3.list_objects_v2(Bucket="lake").get("Contents", [])]


def test_full_delivery_role_delivers(orders_lab):
    fh = direct_put(orders_lab, delivery_role(orders_lab, s3_policy()))
    fh.put_record(DeliveryStreamName="orders-fh", Record={"Data": b"a,"})
    orders_lab.clock.advance(61)
    assert objects(orders_lab) == [b"a,"]


def test_missing_put_object_fails_delivery_with_s3_access_denied_retried_then_dropped(orders_lab):
    role = delivery_role(orders_lab, s3_policy([a for a in S3_ACTIONS if a != "s3:PutObject"]))
    fh = direct_put(orders_lab, role)
    fh.put_record(DeliveryStreamName="orders-fh", Record={"Data": b"a,"})
    orders_lab.clock.advance(61)
    p = pipeline(orders_lab, "orders-fh")
    assert objects(orders_lab) == []
    assert p.errors[0][1] == "S3.AccessDenied"
    assert "trust policy for the provided IAM role allows Firehose to assume the role" in p.errors[0][2]
    assert p.waiting_records() == 1  # retried, not lost yet
    orders_lab.clock.advance(quotas.FIREHOSE_S3_RETRY_SECONDS)
    assert (p.waiting_records(), p.dropped) == (0, 1)  # 24 h of retries, then dropped as on AWS


def test_fixing_the_role_lets_the_retry_deliver(orders_lab):
    iam = orders_lab.client("iam")
    role = delivery_role(orders_lab, s3_policy(["s3:GetBucketLocation"]))
    fh = direct_put(orders_lab, role)
    fh.put_record(DeliveryStreamName="orders-fh", Record={"Data": b"late,"})
    orders_lab.clock.advance(61)
    assert objects(orders_lab) == []
    iam.put_role_policy(RoleName="delivery", PolicyName="delivery", PolicyDocument=doc(s3_policy()))
    orders_lab.clock.advance(quotas.FIREHOSE_RETRY_MAX_SECONDS)
    assert objects(orders_lab) == [b"late,"]


def test_a_role_firehose_may_not_assume_cannot_write(orders_lab):
    role = delivery_role(orders_lab, s3_policy(), trusted="lambda.amazonaws.com")
    fh = direct_put(orders_lab, role)
    fh.put_record(DeliveryStreamName="orders-fh", Record={"Data": b"a,"})
    orders_lab.clock.advance(61)
    assert pipeline(orders_lab, "orders-fh").errors[0][1] == "S3.AccessDenied"


def test_customer_key_needs_generate_data_key_via_s3(orders_lab):
    key = orders_lab.client("kms").create_key()["KeyMetadata"]["Arn"]
    role = delivery_role(orders_lab, s3_policy())
    fh = direct_put(orders_lab, role, encryption=key)
    fh.put_record(DeliveryStreamName="orders-fh", Record={"Data": b"a,"})
    orders_lab.clock.advance(61)
    p = pipeline(orders_lab, "orders-fh")
    assert p.errors[-1][1] == "S3.AccessDenied" and objects(orders_lab) == []
    orders_lab.client("iam").put_role_policy(RoleName="delivery", PolicyName="kms", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key,
         "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}))
    before = orders_lab.physics["kms"].total_calls(key)
    orders_lab.clock.advance(quotas.FIREHOSE_RETRY_MAX_SECONDS)
    assert objects(orders_lab) == [b"a,"]
    s3 = orders_lab.client("s3")
    head = s3.head_object(Bucket="lake", Key=s3.list_objects_v2(Bucket="lake")["Contents"][0]["Key"])
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key)
    assert orders_lab.physics["kms"].total_calls(key) == before + 1  # one data key per object


def test_kms_via_service_condition_must_name_s3(orders_lab):
    key = orders_lab.client("kms").create_key()["KeyMetadata"]["Arn"]
    role = delivery_role(orders_lab, s3_policy(), {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": key,
                                                     "Condition": {"StringEquals": {"kms:ViaService": "kinesis.us-east-1.amazonaws.com"}}})
    fh = direct_put(orders_lab, role, encryption=key)
    fh.put_record(DeliveryStreamName="orders-fh", Record={"Data": b"a,"})
    orders_lab.clock.advance(61)
    assert pipeline(orders_lab, "orders-fh").errors[0][1] == "S3.AccessDenied"


@pytest.mark.parametrize("break_key,code", [
    (lambda kms, key: kms.disable_key(KeyId=key), "S3.KMS.KeyDisabled"),
    (lambda kms, key: kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7), "S3.KMS.InvalidStateException"),
])
def test_a_broken_customer_key_is_an_s3_kms_delivery_error(orders_lab, break_key, code):
    kms = orders_lab.client("kms")
    meta = kms.create_key()["KeyMetadata"]
    key = meta["Arn"]
    fh = direct_put(orders_lab, delivery_role(orders_lab, s3_policy(), allow("kms:GenerateDataKey", key)), encryption=key)
    break_key(kms, meta["KeyId"])
    fh.put_record(DeliveryStreamName="orders-fh", Record={"Data": b"a,"})
    orders_lab.clock.advance(61)
    assert pipeline(orders_lab, "orders-fh").errors[0][1] == code


def test_delivery_errors_are_logged_to_cloudwatch_logs_when_the_role_may(orders_lab):
    logs = orders_lab.client("logs")
    logs.create_log_group(logGroupName="/aws/kinesisfirehose/orders-fh")
    logs.create_log_stream(logGroupName="/aws/kinesisfirehose/orders-fh", logStreamName="DestinationDelivery")
    logging = {"Enabled": True, "LogGroupName": "/aws/kinesisfirehose/orders-fh", "LogStreamName": "DestinationDelivery"}
    log_arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/kinesisfirehose/orders-fh:log-stream:*"
    fh = direct_put(orders_lab, delivery_role(orders_lab, s3_policy(["s3:ListBucket"]), allow("logs:PutLogEvents", log_arn)),
                    logging=logging)
    fh.put_record(DeliveryStreamName="orders-fh", Record={"Data": b"a,"})
    orders_lab.clock.advance(61)
    events = logs.get_log_events(logGroupName="/aws/kinesisfirehose/orders-fh", logStreamName="DestinationDelivery")["events"]
    entry = json.loads(events[0]["message"])
    assert entry["errorCode"] == "S3.AccessDenied"
    assert entry["deliveryStreamARN"].endswith(":deliverystream/orders-fh") and entry["destination"] == BUCKET_ARN


def test_without_put_log_events_nothing_is_logged_and_delivery_goes_on(orders_lab):
    logs = orders_lab.client("logs")
    logs.create_log_group(logGroupName="g")
    logs.create_log_stream(logGroupName="g", logStreamName="DestinationDelivery")
    fh = direct_put(orders_lab, delivery_role(orders_lab, s3_policy()),
                    logging={"Enabled": True, "LogGroupName": "g", "LogStreamName": "DestinationDelivery"})
    orders_lab.client("s3").delete_bucket(Bucket="lake")  # a delivery error to log
    fh.put_record(DeliveryStreamName="orders-fh", Record={"Data": b"a,"})
    orders_lab.clock.advance(61)
    p = pipeline(orders_lab, "orders-fh")
    assert p.errors[0][1] == "S3.NoSuchBucket"
    assert logs.get_log_events(logGroupName="g", logStreamName="DestinationDelivery")["events"] == []
    assert p.on_error.refused == len(p.errors) >= 1 and p.on_error.written == 0


def kds_source(lab, source_role, dest_role=None):
    lab.client("s3").create_bucket(Bucket="lake")
    fh = lab.client("firehose")
    fh.create_delivery_stream(
        DeliveryStreamName="from-orders", DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": SRC_ARN, "RoleARN": source_role},
        ExtendedS3DestinationConfiguration={"BucketARN": BUCKET_ARN, "RoleARN": dest_role or source_role,
                                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}})
    lab.clock.advance(quotas.FIREHOSE_CREATING_SECONDS)
    return fh


def test_stream_source_is_checked_at_creation(orders_lab):
    fh = orders_lab.client("firehose")
    untrusted = delivery_role(orders_lab, allow(KINESIS_ACTIONS, SRC_ARN), trusted="lambda.amazonaws.com", name="untrusted")
    with pytest.raises(ClientError) as e:
        kds_source(orders_lab, untrusted)
    assert e.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert e.value.response["Error"]["Message"] == f"Firehose is unable to assume role {untrusted}. Please check the role provided."
    no_describe = delivery_role(orders_lab, allow(["kinesis:GetRecords"], SRC_ARN), name="nodescribe")
    with pytest.raises(ClientError) as e:
        kds_source(orders_lab, no_describe)
    assert e.value.response["Error"]["Message"] == (
        f"Role {no_describe} is not authorized to perform: kinesis:DescribeStream on resource {SRC_ARN}.")
    assert fh.list_delivery_streams()["DeliveryStreamNames"] == []


@pytest.mark.parametrize("missing", ["kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"])
def test_source_role_without_a_read_permission_reads_nothing_and_retries_indefinitely(orders_lab, missing):
    role = delivery_role(orders_lab, allow([a for a in KINESIS_ACTIONS if a != missing], SRC_ARN), s3_policy())
    kds_source(orders_lab, role)
    orders_lab.client("kinesis").put_record(StreamName="orders", Data=b"kept,", PartitionKey="p")
    orders_lab.clock.advance(120)
    poller = orders_lab.backend("firehose").delivery_streams["from-orders"].poller
    assert objects(orders_lab) == []
    assert {code for _, code, _ in poller.errors} == {"AccessDeniedException"}
    assert f"is not authorized to perform: {missing} on resource: {SRC_ARN}" in poller.errors[-1][2]
    assert len(poller.errors) >= 100  # about once a second, for as long as it lasts
    orders_lab.client("iam").put_role_policy(RoleName="delivery", PolicyName="delivery",
                                             PolicyDocument=doc(allow(KINESIS_ACTIONS, SRC_ARN), s3_policy()))
    orders_lab.clock.advance(62)
    assert objects(orders_lab) == [b"kept,"]  # the data waited in the stream


def test_placeholder_roles_nobody_created_are_not_enforced(orders_lab):
    fh = direct_put(orders_lab, f"arn:aws:iam::{ACCOUNT}:role/never-created")
    fh.put_record(DeliveryStreamName="orders-fh", Record={"Data": b"a,"})
    orders_lab.clock.advance(61)
    assert objects(orders_lab) == [b"a,"]


def test_an_encrypted_source_needs_kms_decrypt_on_its_customer_key(orders_lab):
    key = orders_lab.client("kms").create_key()["KeyMetadata"]["Arn"]
    k = orders_lab.client("kinesis")
    k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId=key)
    orders_lab.clock.advance(quotas.SSE_UPDATING_SECONDS)
    role = delivery_role(orders_lab, allow(KINESIS_ACTIONS, SRC_ARN), s3_policy())
    kds_source(orders_lab, role)
    k.put_record(StreamName="orders", Data=b"secret,", PartitionKey="p")
    orders_lab.clock.advance(70)
    poller = orders_lab.backend("firehose").delivery_streams["from-orders"].poller
    assert objects(orders_lab) == [] and poller.errors[-1][1] == "KMSAccessDeniedException"
    orders_lab.client("iam").put_role_policy(RoleName="delivery", PolicyName="kms", PolicyDocument=doc(
        allow("kms:Decrypt", key)))
    orders_lab.clock.advance(62)
    assert objects(orders_lab) == [b"secret,"]
