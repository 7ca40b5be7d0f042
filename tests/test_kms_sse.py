"""Kinesis server-side encryption with KMS, through plain boto3: states, keys, permissions, every KMS error."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labsim import quotas
from labsim import iam as labiam

ACCOUNT = "123456789012"
STREAM_ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/orders"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def lab(orders_lab):
    return orders_lab


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def read_all(k, stream="orders"):
    shard = k.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    it = k.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return k.get_records(ShardIterator=it)["Records"]


def summary(k):
    return k.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]


def test_managed_key_created_on_first_use_and_updating_then_active(lab):
    k = lab.client("kinesis")
    kms = lab.client("kms")
    assert "alias/aws/kinesis" not in [a["AliasName"] for a in kms.list_aliases()["Aliases"] if "TargetKeyId" in a]
    k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    s = summary(k)
    assert (s["StreamStatus"], s["EncryptionType"], s["KeyId"]) == ("UPDATING", "KMS", "alias/aws/kinesis")
    k.put_record(StreamName="orders", Data=b"during update", PartitionKey="p")  # writes continue
    lab.clock.advance(quotas.SSE_UPDATING_SECONDS)
    assert summary(k)["StreamStatus"] == "ACTIVE"
    target = next(a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/kinesis")
    assert kms.describe_key(KeyId=target)["KeyMetadata"]["KeyManager"] == "AWS"


def test_start_needs_an_active_stream_and_a_known_key(lab):
    k = lab.client("kinesis")
    with pytest.raises(ClientError) as e:
        k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId="alias/nope")
    assert code(e) == "KMSNotFoundException"
    key = lab.client("kms").create_key()["KeyMetadata"]["Arn"]
    k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId=key)
    with pytest.raises(ClientError) as e:
        k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId=key)
    assert code(e) == "ResourceInUseException"


def test_only_new_records_are_encrypted_and_consumers_need_decrypt(lab):
    kms = lab.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    k = lab.client("kinesis")
    k.put_record(StreamName="orders", Data=b"plain", PartitionKey="p")
    iam = lab.client("iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="r", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["kinesis:ListShards", "kinesis:GetShardIterator", "kinesis:GetRecords"], "Resource": STREAM_ARN}))
    ak = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = lab.client("kinesis", aws_access_key_id=ak["AccessKeyId"], aws_secret_access_key=ak["SecretAccessKey"])
    assert [r["Data"] for r in read_all(reader)] == [b"plain"]  # nothing encrypted yet
    k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId=key)
    lab.clock.advance(quotas.SSE_UPDATING_SECONDS)
    k.put_record(StreamName="orders", Data=b"secret", PartitionKey="p")
    with pytest.raises(ClientError) as e:
        read_all(reader)
    assert code(e) == "KMSAccessDeniedException"
    shard = reader.list_shards(StreamName="orders")["Shards"][0]["ShardId"]
    reader.get_shard_iterator(StreamName="orders", ShardId=shard, ShardIteratorType="TRIM_HORIZON")  # no KMS error here
    iam.put_user_policy(UserName="reader", PolicyName="kms", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}))
    assert [r["Data"] for r in read_all(reader)] == [b"plain", b"secret"]
    assert [r["Data"] for r in read_all(k)] == [b"plain", b"secret"]  # the administrator


def test_producer_needs_generate_data_key_on_a_customer_key_but_not_on_the_managed_key(lab):
    iam = lab.client("iam")
    iam.create_user(UserName="producer")
    iam.put_user_policy(UserName="producer", PolicyName="w", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["kinesis:PutRecord", "kinesis:PutRecords"], "Resource": STREAM_ARN}))
    ak = iam.create_access_key(UserName="producer")["AccessKey"]
    producer = lab.client("kinesis", aws_access_key_id=ak["AccessKeyId"], aws_secret_access_key=ak["SecretAccessKey"])
    k = lab.client("kinesis")
    k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    lab.clock.advance(quotas.SSE_UPDATING_SECONDS)
    producer.put_record(StreamName="orders", Data=b"x", PartitionKey="p")  # managed key: no KMS permission needed
    key = lab.client("kms").create_key()["KeyMetadata"]["Arn"]
    k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId=key)
    lab.clock.advance(quotas.SSE_UPDATING_SECONDS)
    with pytest.raises(ClientError) as e:
        producer.put_records(StreamName="orders", Records=[{"Data": b"x", "PartitionKey": "p"}])
    assert code(e) == "KMSAccessDeniedException"
    iam.put_user_policy(UserName="producer", PolicyName="kms", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": key}))
    assert producer.put_records(StreamName="orders", Records=[{"Data": b"x", "PartitionKey": "p"}])["FailedRecordCount"] == 0


def test_a_grant_is_enough_and_a_missing_one_is_not(lab):
    key = lab.client("kms").create_key()["KeyMetadata"]["Arn"]
    iam = lab.client("iam")
    iam.create_user(UserName="p")
    iam.put_user_policy(UserName="p", PolicyName="w", PolicyDocument=doc({"Effect": "Allow", "Action": "kinesis:PutRecord", "Resource": STREAM_ARN}))
    ak = iam.create_access_key(UserName="p")["AccessKey"]
    producer = lab.client("kinesis", aws_access_key_id=ak["AccessKeyId"], aws_secret_access_key=ak["SecretAccessKey"])
    k = lab.client("kinesis")
    k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId=key)
    lab.clock.advance(quotas.SSE_UPDATING_SECONDS)
    with pytest.raises(ClientError) as e:
        producer.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    assert code(e) == "KMSAccessDeniedException"
    lab.client("kms").create_grant(KeyId=key, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:user/p", Operations=["GenerateDataKey"])
    producer.put_record(StreamName="orders", Data=b"x", PartitionKey="p")


def test_key_disabled_live_fails_writes_and_reads_once_the_data_key_is_renewed(lab):
    kms = lab.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    k = lab.client("kinesis")
    k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId=key)
    lab.clock.advance(quotas.SSE_UPDATING_SECONDS)
    k.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    kms.disable_key(KeyId=key)
    k.put_record(StreamName="orders", Data=b"y", PartitionKey="p")  # the cached data key still works
    lab.clock.advance(quotas.SSE_DATA_KEY_REUSE_SECONDS)
    with pytest.raises(ClientError) as e:
        k.put_record(StreamName="orders", Data=b"z", PartitionKey="p")
    assert code(e) == "KMSDisabledException"
    with pytest.raises(ClientError) as e:
        read_all(k)
    assert code(e) == "KMSDisabledException"
    kms.enable_key(KeyId=key)
    assert len(read_all(k)) == 2


def test_key_pending_deletion_then_deleted(lab):
    kms = lab.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    k = lab.client("kinesis")
    k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId=key)
    lab.clock.advance(quotas.SSE_UPDATING_SECONDS)
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    with pytest.raises(ClientError) as e:
        k.put_record(StreamName="orders", Data=b"z", PartitionKey="p")
    assert code(e) == "KMSInvalidStateException"
    lab.clock.advance(7 * 86400 + 1)
    with pytest.raises(ClientError) as e:
        k.put_record(StreamName="orders", Data=b"z", PartitionKey="p")
    assert code(e) == "KMSNotFoundException"


def test_kms_throttling_and_call_counts(lab):
    key = lab.client("kms").create_key()["KeyMetadata"]["Arn"]
    k = lab.client("kinesis")
    k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId=key)
    lab.clock.advance(quotas.SSE_UPDATING_SECONDS)
    kms_physics = lab.physics["kms"]
    before = kms_physics.total_calls(key)
    for _ in range(20):
        k.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    assert kms_physics.total_calls(key) == before + 1  # one data key per 5 minutes per credential
    kms_physics.requests_per_second = 1
    other = lab.client("kinesis", **labiam.account_admin(lab, ACCOUNT, "second-writer"))
    lab.clock.advance(1)
    k.put_record(StreamName="orders", Data=b"x", PartitionKey="p")  # cached: no KMS call
    other.put_record(StreamName="orders", Data=b"x", PartitionKey="p")  # new credential: 1 call
    third = lab.client("kinesis", **labiam.account_admin(lab, ACCOUNT, "third-writer"))
    with pytest.raises(ClientError) as e:
        third.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    assert code(e) == "KMSThrottlingException"


def test_stop_encryption_and_the_25_changes_limit(lab):
    k = lab.client("kinesis")
    for i in range(int(quotas.SSE_CHANGES_PER_DAY)):
        k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId="alias/aws/kinesis")
        lab.clock.advance(quotas.SSE_UPDATING_SECONDS)
    with pytest.raises(ClientError) as e:
        k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    assert code(e) == "LimitExceededException"
    k.stop_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    lab.clock.advance(quotas.SSE_UPDATING_SECONDS)
    s = summary(k)
    assert (s["EncryptionType"], s.get("KeyId")) == ("NONE", None)
    lab.clock.advance(quotas.SSE_CHANGE_WINDOW_SECONDS)
    k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId="alias/aws/kinesis")


def test_server_side_work_between_requests_does_not_act_as_the_last_caller(lab):
    """A clock task runs between requests: the encryption check must not see the previous request's identity."""
    from labsim import iam as labiam2

    iam = lab.client("iam")
    iam.create_user(UserName="u")
    iam.put_user_policy(UserName="u", PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "kinesis:DescribeStreamSummary", "Resource": STREAM_ARN}))
    ak = iam.create_access_key(UserName="u")["AccessKey"]
    lab.client("kinesis", aws_access_key_id=ak["AccessKeyId"], aws_secret_access_key=ak["SecretAccessKey"]).describe_stream_summary(StreamName="orders")
    assert labiam2.current() is None  # the request is over


def test_an_account_not_subscribed_to_kms_gets_kms_opt_in_required(lab):
    k = lab.client("kinesis")
    k.start_stream_encryption(StreamName="orders", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    lab.clock.advance(quotas.SSE_UPDATING_SECONDS)
    lab.physics["kms"].subscribed = False  # the lab's knob: this account has no KMS subscription
    with pytest.raises(ClientError) as e:
        k.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    assert code(e) == "KMSOptInRequired"
    assert e.value.response["Error"]["Message"].startswith("The AWS access key ID needs a subscription for the service.")
    lab.physics["kms"].subscribed = True
    k.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
