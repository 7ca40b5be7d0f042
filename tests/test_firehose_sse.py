"""Firehose server-side encryption for DirectPut streams, through plain boto3."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labsim import quotas

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/firehose"
SETTLE = quotas.FIREHOSE_SSE_TRANSITION_SECONDS


def s3_config():
    return {"BucketARN": "arn:aws:s3:::lake", "RoleARN": ROLE, "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}}


@pytest.fixture
def fh(lab):
    lab.client("s3").create_bucket(Bucket="lake")
    client = lab.client("firehose")
    client.create_delivery_stream(DeliveryStreamName="e", ExtendedS3DestinationConfiguration=s3_config())
    lab.clock.advance(quotas.FIREHOSE_CREATING_SECONDS)
    return client


def sse(fh):
    return fh.describe_delivery_stream(DeliveryStreamName="e")["DeliveryStreamDescription"]["DeliveryStreamEncryptionConfiguration"]


def code(e):
    return e.value.response["Error"]["Code"]


def test_aws_owned_key_enabling_enabled_disabling_disabled(lab, fh):
    assert sse(fh) == {"Status": "DISABLED"}
    assert fh.put_record(DeliveryStreamName="e", Record={"Data": b"x"})["Encrypted"] is False
    fh.start_delivery_stream_encryption(DeliveryStreamName="e", DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"})
    assert sse(fh) == {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLING"}
    with pytest.raises(ClientError) as e:
        fh.stop_delivery_stream_encryption(DeliveryStreamName="e")
    assert code(e) == "ResourceInUseException"
    lab.clock.advance(SETTLE)
    assert sse(fh) == {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLED"}
    assert fh.put_record_batch(DeliveryStreamName="e", Records=[{"Data": b"x"}])["Encrypted"] is True
    fh.stop_delivery_stream_encryption(DeliveryStreamName="e")
    assert sse(fh)["Status"] == "DISABLING"
    lab.clock.advance(SETTLE)
    assert sse(fh) == {"Status": "DISABLED"}


def test_customer_key_gets_a_grant_and_data_keys_are_counted(lab, fh):
    key = lab.client("kms").create_key()["KeyMetadata"]["Arn"]
    fh.start_delivery_stream_encryption(DeliveryStreamName="e", DeliveryStreamEncryptionConfigurationInput={
        "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key})
    lab.clock.advance(SETTLE)
    assert sse(fh) == {"KeyType": "CUSTOMER_MANAGED_CMK", "Status": "ENABLED", "KeyARN": key}
    grants = lab.client("kms").list_grants(KeyId=key)["Grants"]
    assert [g["GranteePrincipal"] for g in grants] == ["firehose.amazonaws.com"]
    assert {"GenerateDataKey", "Decrypt", "RetireGrant"} <= set(grants[0]["Operations"])
    calls = lab.physics["kms"].calls
    for _ in range(10):
        fh.put_record(DeliveryStreamName="e", Record={"Data": b"x"})
    assert calls[(key, "CreateGrant")] == 1 and calls[(key, "GenerateDataKey")] == 1  # one data key, reused
    lab.clock.advance(quotas.FIREHOSE_SSE_DATA_KEY_REUSE_SECONDS)
    fh.put_record(DeliveryStreamName="e", Record={"Data": b"x"})
    assert calls[(key, "GenerateDataKey")] == 2
    fh.stop_delivery_stream_encryption(DeliveryStreamName="e")
    lab.clock.advance(SETTLE)
    assert lab.client("kms").list_grants(KeyId=key)["Grants"] == []  # retired
    assert calls[(key, "RetireGrant")] == 1


@pytest.mark.parametrize("spoil,failure_type", [
    (lambda kms, key_id: kms.disable_key(KeyId=key_id), "DISABLED_KMS_KEY"),
    (lambda kms, key_id: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7), "INVALID_KMS_KEY"),
])
def test_a_bad_key_ends_in_enabling_failed_with_a_failure_description(lab, fh, spoil, failure_type):
    kms = lab.client("kms")
    meta = kms.create_key()["KeyMetadata"]
    spoil(kms, meta["KeyId"])
    fh.start_delivery_stream_encryption(DeliveryStreamName="e", DeliveryStreamEncryptionConfigurationInput={
        "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": meta["Arn"]})
    assert sse(fh)["Status"] == "ENABLING"
    lab.clock.advance(SETTLE)
    view = sse(fh)
    assert view["Status"] == "ENABLING_FAILED" and view["FailureDescription"]["Type"] == failure_type
    assert view["FailureDescription"]["Details"]
    assert fh.put_record(DeliveryStreamName="e", Record={"Data": b"x"})["Encrypted"] is False


def test_a_missing_key_and_a_caller_who_may_not_create_the_grant(lab, fh):
    fh.start_delivery_stream_encryption(DeliveryStreamName="e", DeliveryStreamEncryptionConfigurationInput={
        "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"})
    lab.clock.advance(SETTLE)
    assert sse(fh)["FailureDescription"]["Type"] == "KMS_KEY_NOT_FOUND"
    key = lab.client("kms").create_key()["KeyMetadata"]["Arn"]
    iam = lab.client("iam")
    iam.create_user(UserName="ops")
    iam.put_user_policy(UserName="ops", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "firehose:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": key}]}))
    ak = iam.create_access_key(UserName="ops")["AccessKey"]
    ops = lab.client("firehose", aws_access_key_id=ak["AccessKeyId"], aws_secret_access_key=ak["SecretAccessKey"])
    ops.start_delivery_stream_encryption(DeliveryStreamName="e", DeliveryStreamEncryptionConfigurationInput={
        "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key})
    lab.clock.advance(SETTLE)
    failure = sse(fh)["FailureDescription"]
    assert failure["Type"] == "CREATE_KMS_GRANT_FAILED"
    assert "is not authorized to perform: kms:CreateGrant" in failure["Details"]


def test_a_failed_change_of_key_keeps_the_old_key(lab, fh):
    kms = lab.client("kms")
    good = kms.create_key()["KeyMetadata"]["Arn"]
    bad = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=bad["KeyId"])
    fh.start_delivery_stream_encryption(DeliveryStreamName="e", DeliveryStreamEncryptionConfigurationInput={
        "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": good})
    lab.clock.advance(SETTLE)
    fh.start_delivery_stream_encryption(DeliveryStreamName="e", DeliveryStreamEncryptionConfigurationInput={
        "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": bad["Arn"]})
    lab.clock.advance(SETTLE)
    view = sse(fh)
    assert (view["Status"], view["KeyARN"], view["FailureDescription"]["Type"]) == ("ENABLED", good, "DISABLED_KMS_KEY")


def test_key_disabled_live_fails_puts_with_invalid_kms_resource(lab, fh):
    kms = lab.client("kms")
    meta = kms.create_key()["KeyMetadata"]
    fh.start_delivery_stream_encryption(DeliveryStreamName="e", DeliveryStreamEncryptionConfigurationInput={
        "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": meta["Arn"]})
    lab.clock.advance(SETTLE)
    fh.put_record(DeliveryStreamName="e", Record={"Data": b"x"})
    kms.disable_key(KeyId=meta["KeyId"])
    fh.put_record(DeliveryStreamName="e", Record={"Data": b"x"})  # the cached data key still works
    lab.clock.advance(quotas.FIREHOSE_SSE_DATA_KEY_REUSE_SECONDS)
    with pytest.raises(ClientError) as e:
        fh.put_record(DeliveryStreamName="e", Record={"Data": b"x"})
    assert code(e) == "InvalidKMSResourceException"
    assert "KMS.DisabledException" in e.value.response["Error"]["Message"]
    kms.enable_key(KeyId=meta["KeyId"])
    fh.put_record(DeliveryStreamName="e", Record={"Data": b"x"})


def test_revoking_firehoses_grant_fails_puts(lab, fh):
    kms = lab.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    fh.start_delivery_stream_encryption(DeliveryStreamName="e", DeliveryStreamEncryptionConfigurationInput={
        "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key})
    lab.clock.advance(SETTLE)
    grant = kms.list_grants(KeyId=key)["Grants"][0]["GrantId"]
    kms.revoke_grant(KeyId=key, GrantId=grant)
    with pytest.raises(ClientError) as e:
        fh.put_record(DeliveryStreamName="e", Record={"Data": b"x"})
    assert code(e) == "InvalidKMSResourceException"


def test_refused_for_a_kinesis_stream_source(orders_lab):
    lab = orders_lab
    lab.client("s3").create_bucket(Bucket="lake")
    fh = lab.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName="k", DeliveryStreamType="KinesisStreamAsSource",
                              KinesisStreamSourceConfiguration={"KinesisStreamARN": f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/orders",
                                                                "RoleARN": ROLE},
                              ExtendedS3DestinationConfiguration=s3_config())
    lab.clock.advance(quotas.FIREHOSE_CREATING_SECONDS)
    for call in (lambda: fh.start_delivery_stream_encryption(DeliveryStreamName="k"),
                 lambda: fh.stop_delivery_stream_encryption(DeliveryStreamName="k")):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "InvalidArgumentException"
        assert "KinesisStreamAsSource" in e.value.response["Error"]["Message"]


def test_bad_arguments_and_the_25_changes_limit(lab, fh):
    with pytest.raises(ClientError) as e:
        fh.start_delivery_stream_encryption(DeliveryStreamName="e", DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK"})
    assert code(e) == "InvalidArgumentException"
    for i in range(int(quotas.FIREHOSE_SSE_CHANGES_PER_DAY)):
        if i % 2 == 0:
            fh.start_delivery_stream_encryption(DeliveryStreamName="e")
        else:
            fh.stop_delivery_stream_encryption(DeliveryStreamName="e")
        lab.clock.advance(SETTLE)
    with pytest.raises(ClientError) as e:
        fh.stop_delivery_stream_encryption(DeliveryStreamName="e")
    assert code(e) == "LimitExceededException"
    lab.clock.advance(86_400)
    fh.stop_delivery_stream_encryption(DeliveryStreamName="e")
