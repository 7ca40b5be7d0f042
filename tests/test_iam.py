"""IAM enforced on every call: plain boto3 identities, policies, resource and trust policies."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError


from labsim import iam as labiam

ACCOUNT = "123456789012"
OTHER = "222222222222"
STREAM_ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/orders"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


@pytest.fixture
def lab(orders_lab):
    return orders_lab


def user(lab, name, *statements, group=None):
    iam = lab.client("iam")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def error(excinfo):
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def test_admin_by_default_everything_allowed(lab):
    k = lab.client("kinesis")
    k.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    assert k.list_streams()["StreamNames"] == ["orders"]
    assert labiam.guard_of(lab.context).evaluated == 0


def test_user_without_policy_gets_access_denied_with_aws_message(lab):
    k = lab.client("kinesis", **user(lab, "nobody"))
    with pytest.raises(ClientError) as e:
        k.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    code, message, status = error(e)
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (f"User: arn:aws:iam::{ACCOUNT}:user/nobody is not authorized to perform: kinesis:PutRecord "
                       f"on resource: {STREAM_ARN} because no identity-based policy allows the kinesis:PutRecord action")


def test_wildcard_action_and_resource_arn(lab):
    lab.client("kinesis").create_stream(StreamName="other", ShardCount=1)
    lab.clock.advance(30)
    k = lab.client("kinesis", **user(lab, "producer", allow("kinesis:Put*", "arn:aws:kinesis:*:*:stream/ord*")))
    k.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    k.put_records(StreamName="orders", Records=[{"Data": b"y", "PartitionKey": "p"}])
    with pytest.raises(ClientError) as e:
        k.put_record(StreamName="other", Data=b"x", PartitionKey="p")
    assert "stream/other" in error(e)[1]
    with pytest.raises(ClientError) as e:
        k.describe_stream_summary(StreamName="orders")
    assert error(e)[0] == "AccessDeniedException"


def test_explicit_deny_beats_allow(lab):
    k = lab.client("kinesis", **user(lab, "u", allow("kinesis:*", "*"), deny("kinesis:PutRecords", STREAM_ARN)))
    k.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    with pytest.raises(ClientError) as e:
        k.put_records(StreamName="orders", Records=[{"Data": b"y", "PartitionKey": "p"}])
    assert error(e)[1].endswith("with an explicit deny in an identity-based policy")


def test_not_action_and_action_case_insensitive(lab):
    k = lab.client("kinesis", **user(lab, "u", {"Effect": "Allow", "NotAction": "kinesis:delete*", "Resource": "*"}))
    k.describe_stream_summary(StreamName="orders")
    with pytest.raises(ClientError):
        k.delete_stream(StreamName="orders")


def test_group_and_managed_policies_count(lab):
    iam = lab.client("iam")
    arn = iam.create_policy(PolicyName="read", PolicyDocument=doc(allow(["kinesis:ListShards", "kinesis:GetShardIterator"], STREAM_ARN)))["Policy"]["Arn"]
    iam.create_group(GroupName="readers")
    iam.put_group_policy(GroupName="readers", PolicyName="g", PolicyDocument=doc(allow("kinesis:GetRecords", STREAM_ARN)))
    creds = user(lab, "reader")
    iam.add_user_to_group(GroupName="readers", UserName="reader")
    k = lab.client("kinesis", **creds)
    with pytest.raises(ClientError):
        k.list_shards(StreamName="orders")
    iam.attach_user_policy(UserName="reader", PolicyArn=arn)
    shard = k.list_shards(StreamName="orders")["Shards"][0]["ShardId"]
    it = k.get_shard_iterator(StreamName="orders", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert k.get_records(ShardIterator=it)["Records"] == []  # the group's GetRecords, on the iterator's stream
    iam.remove_user_from_group(GroupName="readers", UserName="reader")
    with pytest.raises(ClientError) as e:
        k.get_records(ShardIterator=it)
    assert "kinesis:GetRecords on resource: " + STREAM_ARN in error(e)[1]


def test_no_resource_type_actions_need_star(lab):
    k = lab.client("kinesis", **user(lab, "u", allow("kinesis:ListStreams", STREAM_ARN)))
    with pytest.raises(ClientError) as e:
        k.list_streams()
    assert "on resource" not in error(e)[1]
    k2 = lab.client("kinesis", **user(lab, "v", allow("kinesis:ListStreams")))
    assert k2.list_streams()["StreamNames"] == ["orders"]


def role(lab, name, trust_principal, *statements, boundary=None):
    iam = lab.client("iam")
    kwargs = {"PermissionsBoundary": boundary} if boundary else {}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": trust_principal, "Action": "sts:AssumeRole"}), **kwargs)["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc(*statements))
    return arn


def test_assumed_role_session_uses_role_policies(lab):
    arn = role(lab, "consumer", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, allow("kinesis:DescribeStreamSummary", STREAM_ARN))
    c = lab.client("sts").assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]
    k = boto3.client("kinesis", region_name="us-east-1", aws_access_key_id=c["AccessKeyId"],
                     aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    assert k.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]["StreamName"] == "orders"
    with pytest.raises(ClientError) as e:
        k.list_shards(StreamName="orders")
    assert f"User: arn:aws:sts::{ACCOUNT}:assumed-role/consumer/s1 is not authorized" in error(e)[1]


def test_trust_policy_refuses_other_principals(lab):
    arn = role(lab, "firehose-role", {"Service": "firehose.amazonaws.com"}, allow("kinesis:*"))
    with pytest.raises(ClientError) as e:
        lab.client("sts").assume_role(RoleArn=arn, RoleSessionName="s1")
    code, message, status = error(e)
    assert (code, status) == ("AccessDenied", 403)
    assert "sts:AssumeRole on resource: " + arn in message


def test_user_needs_identity_permission_when_trust_names_the_account(lab):
    arn = role(lab, "r", {"AWS": ACCOUNT}, allow("kinesis:*"))
    sts = lab.client("sts", **user(lab, "u"))
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    assert error(e)[0] == "AccessDenied"
    sts2 = lab.client("sts", **user(lab, "w", allow("sts:AssumeRole", arn)))
    assert sts2.assume_role(RoleArn=arn, RoleSessionName="s1")["AssumedRoleUser"]["Arn"].endswith("assumed-role/r/s1")


def test_session_policy_and_permissions_boundary_only_narrow(lab):
    iam = lab.client("iam")
    boundary = iam.create_policy(PolicyName="b", PolicyDocument=doc(allow(["kinesis:Describe*", "kinesis:List*"])))["Policy"]["Arn"]
    arn = role(lab, "r", {"AWS": ACCOUNT}, allow("kinesis:*"), boundary=boundary)
    k = lab.client("kinesis", **labiam.assume(lab, arn))
    k.describe_stream_summary(StreamName="orders")
    with pytest.raises(ClientError) as e:
        k.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    assert "no permissions boundary allows" in error(e)[1]
    arn2 = role(lab, "r2", {"AWS": ACCOUNT}, allow("kinesis:*"))
    c = lab.client("sts").assume_role(RoleArn=arn2, RoleSessionName="s1", Policy=doc(allow("kinesis:ListShards")))["Credentials"]
    k2 = lab.client("kinesis", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    k2.list_shards(StreamName="orders")
    with pytest.raises(ClientError) as e:
        k2.describe_stream_summary(StreamName="orders")
    assert "no session policy allows" in error(e)[1]


def test_secure_transport_and_principal_arn_conditions(lab):
    lab.client("s3").create_bucket(Bucket="lab-bucket")
    creds = user(lab, "u", allow("s3:*"), deny("s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}}))
    lab.client("s3", **creds).list_objects_v2(Bucket="lab-bucket")
    plain = boto3.client("s3", region_name="us-east-1", endpoint_url="http://s3.us-east-1.amazonaws.com", **creds)
    with pytest.raises(ClientError) as e:  # S3 still answers plain HTTP; the policy refuses it
        plain.list_objects_v2(Bucket="lab-bucket")
    assert "explicit deny" in error(e)[1]
    creds2 = user(lab, "v", allow("kinesis:*", Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/w*"}}))
    with pytest.raises(ClientError):
        lab.client("kinesis", **creds2).describe_stream_summary(StreamName="orders")
    creds3 = user(lab, "w1", allow("kinesis:*", Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/w*"}}))
    lab.client("kinesis", **creds3).describe_stream_summary(StreamName="orders")


def test_stream_resource_policy_grants_another_account(lab):
    other = labiam.account_admin(lab, OTHER)
    k_other = lab.client("kinesis", **other)
    with pytest.raises(ClientError) as e:
        k_other.put_record(StreamARN=STREAM_ARN, Data=b"x", PartitionKey="p")
    assert error(e)[1].endswith("because no resource-based policy allows the kinesis:PutRecord action")
    lab.client("kinesis").put_resource_policy(ResourceARN=STREAM_ARN, Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": ["kinesis:PutRecord", "kinesis:DescribeStreamSummary"],
         "Resource": STREAM_ARN}))
    k_other.put_record(StreamARN=STREAM_ARN, Data=b"cross", PartitionKey="p")
    summary = k_other.describe_stream_summary(StreamARN=STREAM_ARN)["StreamDescriptionSummary"]
    assert summary["StreamARN"] == STREAM_ARN
    # the record landed in the owner's stream
    k = lab.client("kinesis")
    shard = k.list_shards(StreamName="orders")["Shards"][0]["ShardId"]
    it = k.get_shard_iterator(StreamName="orders", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in k.get_records(ShardIterator=it)["Records"]] == [b"cross"]
    with pytest.raises(ClientError) as e:  # only the owner manages the policy
        k_other.put_resource_policy(ResourceARN=STREAM_ARN, Policy=doc(allow("kinesis:*")))
    assert error(e)[0] == "AccessDeniedException"


def test_same_account_resource_policy_naming_the_user_is_enough(lab):
    creds = user(lab, "u")
    lab.client("kinesis").put_resource_policy(ResourceARN=STREAM_ARN, Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/u"}, "Action": "kinesis:DescribeStreamSummary",
         "Resource": STREAM_ARN}))
    lab.client("kinesis", **creds).describe_stream_summary(StreamName="orders")


@pytest.mark.parametrize("service,call,code,status", [
    ("s3", lambda c: c.list_objects_v2(Bucket="lab-bucket"), "AccessDenied", 403),
    ("dynamodb", lambda c: c.describe_table(TableName="t"), "AccessDeniedException", 400),
    ("cloudwatch", lambda c: c.list_metrics(), "AccessDenied", 403),
    ("firehose", lambda c: c.list_delivery_streams(), "AccessDeniedException", 400),
    ("kms", lambda c: c.list_keys(), "AccessDeniedException", 400),
    ("iam", lambda c: c.list_users(), "AccessDenied", 403),
])
def test_every_service_refuses_in_its_own_protocol(lab, service, call, code, status):
    lab.client("s3").create_bucket(Bucket="lab-bucket")
    client = lab.client(service, **user(lab, "u"))
    with pytest.raises(ClientError) as e:
        call(client)
    assert error(e)[0] == code and error(e)[2] == status
    assert "is not authorized to perform" in error(e)[1]


def test_sts_get_caller_identity_needs_no_permission(lab):
    assert lab.client("sts", **user(lab, "u")).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/u"


def test_deactivated_key_and_expired_session(lab):
    iam = lab.client("iam")
    creds = user(lab, "u", allow("*"))
    iam.update_access_key(UserName="u", AccessKeyId=creds["aws_access_key_id"], Status="Inactive")
    with pytest.raises(ClientError) as e:
        lab.client("kinesis", **creds).list_streams()
    assert error(e)[0] == "UnrecognizedClientException"
    arn = role(lab, "r", {"AWS": ACCOUNT}, allow("kinesis:*"))
    c = lab.client("sts").assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=900)["Credentials"]
    k = lab.client("kinesis", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    k.list_streams()
    lab.clock.advance(901)
    with pytest.raises(ClientError) as e:
        k.list_streams()
    assert error(e)[0] == "ExpiredTokenException"


def test_authorize_checks_server_side_calls_against_a_role(lab):
    arn = role(lab, "delivery", {"Service": "firehose.amazonaws.com"}, allow(["kinesis:GetRecords", "kinesis:GetShardIterator"], STREAM_ARN))
    labiam.authorize(lab.context, arn, "kinesis:GetRecords", STREAM_ARN)
    with pytest.raises(labiam.AccessDenied) as e:
        labiam.authorize(lab.context, arn, "kinesis:ListShards", STREAM_ARN)
    assert e.value.message.startswith(f"User: {arn} is not authorized to perform: kinesis:ListShards")
    labiam.authorize(lab.context, None, "kinesis:ListShards", STREAM_ARN)  # the administrator


def test_malformed_policy_is_refused_clearly():
    with pytest.raises(labiam.PolicyError, match="Effect"):
        labiam.Policy.compile({"Statement": [{"Effect": "Permit", "Action": "*", "Resource": "*"}]})
    with pytest.raises(labiam.PolicyError, match="operator"):
        labiam.Policy.compile({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Sorta": {"a": "b"}}}]})
