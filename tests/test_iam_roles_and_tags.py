"""lab.client(role_arn=...), a second account, and tag conditions (aws:ResourceTag, aws:RequestTag, aws:TagKeys)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labsim import iam as labiam

ACCOUNT = "123456789012"
OTHER = "222222222222"
STREAM_ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/orders"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def role(lab, name, trusted, *statements, iam=None):
    iam = iam or lab.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": trusted, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc(*statements))
    return arn


def error(e):
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_lab_client_role_arn_assumes_the_role(orders_lab):
    arn = role(orders_lab, "reader", {"AWS": ACCOUNT}, {"Effect": "Allow", "Action": "kinesis:DescribeStreamSummary", "Resource": STREAM_ARN})
    k = orders_lab.client("kinesis", role_arn=arn, role_session_name="app")
    assert k.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]["StreamName"] == "orders"
    with pytest.raises(ClientError) as e:
        k.list_shards(StreamName="orders")
    assert error(e)[1].startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/reader/app is not authorized to perform: kinesis:ListShards")
    assert orders_lab.client("sts", role_arn=arn).get_caller_identity()["Arn"].endswith(":assumed-role/reader/lab")


def test_lab_client_role_arn_enforces_the_trust_policy(orders_lab):
    arn = role(orders_lab, "delivery", {"Service": "firehose.amazonaws.com"}, {"Effect": "Allow", "Action": "*", "Resource": "*"})
    with pytest.raises(ClientError) as e:
        orders_lab.client("kinesis", role_arn=arn)
    code, message = error(e)
    assert code == "AccessDenied" and f"sts:AssumeRole on resource: {arn}" in message
    with pytest.raises(ValueError, match="role's ARN"):
        orders_lab.client("kinesis", role_arn="delivery")


def test_lab_client_role_arn_as_another_identity(orders_lab):
    iam = orders_lab.client("iam")
    arn = role(orders_lab, "r", {"AWS": ACCOUNT}, {"Effect": "Allow", "Action": "kinesis:ListStreams", "Resource": "*"})
    iam.create_user(UserName="u")
    key = iam.create_access_key(UserName="u")["AccessKey"]
    creds = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    with pytest.raises(ClientError):  # the user itself may not assume it: no sts:AssumeRole in its policies
        orders_lab.client("kinesis", role_arn=arn, **creds)
    iam.put_user_policy(UserName="u", PolicyName="assume", PolicyDocument=doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn}))
    assert orders_lab.client("kinesis", role_arn=arn, **creds).list_streams()["StreamNames"] == ["orders"]


def test_cross_account_role_in_the_second_account(orders_lab):
    other = labiam.account_admin(orders_lab, OTHER)
    their_iam = orders_lab.client("iam", **other)
    orders_lab.client("kinesis", **other).create_stream(StreamName="theirs", ShardCount=1)
    orders_lab.clock.advance(30)
    arn = role(orders_lab, "partner", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
               {"Effect": "Allow", "Action": "kinesis:PutRecord", "Resource": f"arn:aws:kinesis:us-east-1:{OTHER}:stream/theirs"},
               iam=their_iam)
    k = orders_lab.client("kinesis", role_arn=arn)
    k.put_record(StreamName="theirs", Data=b"x", PartitionKey="p")
    with pytest.raises(ClientError) as e:
        k.delete_stream(StreamName="theirs")
    assert f"assumed-role/partner/lab is not authorized to perform: kinesis:DeleteStream on resource: arn:aws:kinesis:us-east-1:{OTHER}" in error(e)[1]


def tagged_user(lab, *statements):
    iam = lab.client("iam")
    iam.create_user(UserName="t")
    iam.put_user_policy(UserName="t", PolicyName="p", PolicyDocument=doc(*statements))
    key = iam.create_access_key(UserName="t")["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def test_resource_tag_condition_on_streams(orders_lab):
    k = orders_lab.client("kinesis")
    k.create_stream(StreamName="other", ShardCount=1)
    orders_lab.clock.advance(30)
    k.add_tags_to_stream(StreamName="orders", Tags={"Team": "payments"})
    k.add_tags_to_stream(StreamName="other", Tags={"Team": "search"})
    creds = tagged_user(orders_lab, {"Effect": "Allow", "Action": "kinesis:PutRecord", "Resource": "*",
                                     "Condition": {"StringEquals": {"aws:ResourceTag/Team": "payments"}}})
    user = orders_lab.client("kinesis", **creds)
    user.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    with pytest.raises(ClientError) as e:
        user.put_record(StreamName="other", Data=b"x", PartitionKey="p")
    assert "because no identity-based policy allows the kinesis:PutRecord action" in error(e)[1]
    k.add_tags_to_stream(StreamName="other", Tags={"Team": "payments"})  # retagging changes the answer at once
    user.put_record(StreamName="other", Data=b"x", PartitionKey="p")


def test_resource_tag_deny_on_delivery_streams(orders_lab):
    orders_lab.client("s3").create_bucket(Bucket="lake")
    fh = orders_lab.client("firehose")
    for name, env in (("dev-fh", "dev"), ("prod-fh", "prod")):
        fh.create_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": "env", "Value": env}],
                                  ExtendedS3DestinationConfiguration={"BucketARN": "arn:aws:s3:::lake",
                                                                      "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/fh"})
    orders_lab.clock.advance(10)
    creds = tagged_user(orders_lab, {"Effect": "Allow", "Action": "firehose:*", "Resource": "*"},
                        {"Effect": "Deny", "Action": "firehose:DeleteDeliveryStream", "Resource": "*",
                         "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}}})
    user = orders_lab.client("firehose", **creds)
    with pytest.raises(ClientError) as e:
        user.delete_delivery_stream(DeliveryStreamName="prod-fh")
    assert error(e)[0] == "AccessDeniedException" and "explicit deny" in error(e)[1]
    user.delete_delivery_stream(DeliveryStreamName="dev-fh")


def test_request_tags_and_tag_keys(orders_lab):
    creds = tagged_user(orders_lab, {"Effect": "Allow", "Action": "kinesis:AddTagsToStream", "Resource": STREAM_ARN,
                                     "Condition": {"StringEquals": {"aws:RequestTag/owner": "ana"},
                                                   "ForAllValues:StringEquals": {"aws:TagKeys": ["owner"]}}})
    user = orders_lab.client("kinesis", **creds)
    user.add_tags_to_stream(StreamName="orders", Tags={"owner": "ana"})
    for tags in ({"owner": "bob"}, {"owner": "ana", "cost": "1"}):
        with pytest.raises(ClientError):
            user.add_tags_to_stream(StreamName="orders", Tags=tags)


def test_policies_without_tag_conditions_do_not_read_tags():
    plain = labiam.Policy.compile({"Statement": [{"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}]})
    tagged = labiam.Policy.compile({"Statement": [{"Effect": "Allow", "Action": "kinesis:*", "Resource": "*",
                                                   "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}}}]})
    assert (plain.uses_tags, tagged.uses_tags) == (False, True)
