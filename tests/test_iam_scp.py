"""Service control policies through plain boto3: a ceiling over every principal of a member account."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labsim import iam as labiam


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def org(lab):
    client = lab.client("organizations")
    client.create_organization(FeatureSet="ALL")
    member = client.create_account(Email="member@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
    return client, member


def scp(client, name, *statements):
    return client.create_policy(Content=doc(*statements), Description=name, Name=name, Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]


def error(e):
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_an_explicit_deny_in_an_scp_refuses_even_an_administrator_of_the_member_account(lab, org):
    client, member = org
    admin = lab.client("kinesis", **labiam.account_admin(lab, member))
    admin.create_stream(StreamName="s", ShardCount=1)
    lab.clock.advance(30)
    client.attach_policy(PolicyId=scp(client, "no-delete", {"Effect": "Deny", "Action": "kinesis:DeleteStream", "Resource": "*"}),
                         TargetId=member)
    with pytest.raises(ClientError) as e:
        admin.delete_stream(StreamName="s")
    code, message = error(e)
    assert code == "AccessDeniedException"
    assert message.endswith("kinesis:DeleteStream on resource: "
                            f"arn:aws:kinesis:us-east-1:{member}:stream/s with an explicit deny in a service control policy")
    admin.describe_stream_summary(StreamName="s")  # the rest still allowed by FullAWSAccess


def test_every_level_must_allow_and_an_scp_grants_nothing(lab, org):
    client, member = org
    root_id = client.list_roots()["Roots"][0]["Id"]
    ou = client.create_organizational_unit(ParentId=root_id, Name="data")["OrganizationalUnit"]["Id"]
    client.move_account(AccountId=member, SourceParentId=root_id, DestinationParentId=ou)
    creds = labiam.account_admin(lab, member)
    iam = lab.client("iam", **creds)
    iam.create_user(UserName="bare")
    key = iam.create_access_key(UserName="bare")["AccessKey"]
    only_kinesis = scp(client, "only-kinesis", {"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"})
    client.attach_policy(PolicyId=only_kinesis, TargetId=ou)
    client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ou)  # a new OU gets FullAWSAccess: now it allows only Kinesis
    assert lab.client("kinesis", **creds).list_streams()["StreamNames"] == []
    with pytest.raises(ClientError) as e:  # allowed at the root and account levels, not at the OU's
        lab.client("dynamodb", **creds).list_tables()
    assert error(e)[1].endswith("because no service control policy allows the dynamodb:ListTables action")
    # an SCP allows nothing by itself: a user with no identity policy is still refused
    with pytest.raises(ClientError) as e:
        lab.client("kinesis", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]).list_streams()
    assert error(e)[1].endswith("because no identity-based policy allows the kinesis:ListStreams action")


def test_the_management_account_is_never_restricted(lab, org):
    client, _ = org
    root_id = client.list_roots()["Roots"][0]["Id"]
    client.attach_policy(PolicyId=scp(client, "deny-all", {"Effect": "Deny", "Action": "*", "Resource": "*"}), TargetId=root_id)
    iam = lab.client("iam")
    iam.create_user(UserName="ops")
    iam.put_user_policy(UserName="ops", PolicyName="p", PolicyDocument=doc({"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}))
    key = iam.create_access_key(UserName="ops")["AccessKey"]
    k = lab.client("kinesis", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    assert k.list_streams()["StreamNames"] == []
