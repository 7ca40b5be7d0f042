"""Endpoints: HTTPS only, FIPS / dual-stack / account-specific hosts, VPC interface endpoints and their policies."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError



ACCOUNT = "123456789012"
STREAM_ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/orders"


@pytest.fixture
def lab(orders_lab):
    return orders_lab


@pytest.mark.parametrize("config,host", [
    ({"use_fips_endpoint": True}, "https://kinesis-fips.us-east-1.amazonaws.com"),
    ({"use_dualstack_endpoint": True}, "https://kinesis.us-east-1.api.aws"),
    ({"use_fips_endpoint": True, "use_dualstack_endpoint": True}, "https://kinesis-fips.us-east-1.api.aws"),
])
def test_fips_and_dual_stack_hosts_are_served(lab, config, host):
    k = lab.client("kinesis", config=Config(**config))
    assert k.meta.endpoint_url == host
    assert k.list_streams()["StreamNames"] == ["orders"]
    assert k.put_record(StreamARN=STREAM_ARN, Data=b"x", PartitionKey="p")["ShardId"] == "shardId-000000000000"


def test_plain_http_gets_no_answer_from_kinesis(lab):
    k = boto3.client("kinesis", region_name="us-east-1", endpoint_url="http://kinesis.us-east-1.amazonaws.com",
                     config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(EndpointConnectionError):
        k.list_streams()
    assert lab.physics["iam"].network.refused == 1


def vpc_endpoint(lab, policy=None):
    ec2 = lab.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    kwargs = {"PolicyDocument": json.dumps(policy)} if policy else {}
    return ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.kinesis-streams",
                                   VpcEndpointType="Interface", **kwargs)["VpcEndpoint"]["VpcEndpointId"]


def through(endpoint_id, **kwargs):
    url = f"https://{endpoint_id}-1a2b3c4d.kinesis.us-east-1.vpce.amazonaws.com"
    return boto3.client("kinesis", region_name="us-east-1", endpoint_url=url, config=Config(retries={"total_max_attempts": 1}), **kwargs)


def test_vpc_endpoint_policy_applies_to_everyone_through_it(lab):
    vpce = vpc_endpoint(lab, {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["kinesis:PutRecord", "kinesis:ListStreams"],
                                              "Resource": STREAM_ARN}]})
    k = through(vpce)
    k.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    with pytest.raises(ClientError) as e:  # the administrator too
        k.delete_stream(StreamName="orders")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "because no VPC endpoint policy allows the kinesis:DeleteStream action" in e.value.response["Error"]["Message"]
    lab.client("kinesis").describe_stream_summary(StreamName="orders")  # not through the endpoint: no endpoint policy


def test_source_vpce_condition_in_a_stream_policy(lab):
    vpce = vpc_endpoint(lab)
    iam = lab.client("iam")
    iam.create_user(UserName="app")
    iam.put_user_policy(UserName="app", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "kinesis:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce}}}]}))
    key = iam.create_access_key(UserName="app")["AccessKey"]
    creds = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    through(vpce, **creds).put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    with pytest.raises(ClientError) as e:  # over the public endpoint: denied by the condition
        lab.client("kinesis", **creds).put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    assert "explicit deny" in e.value.response["Error"]["Message"]


def test_unknown_endpoint_name_does_not_resolve(lab):
    with pytest.raises(EndpointConnectionError):
        through("vpce-0000000000").list_streams()
