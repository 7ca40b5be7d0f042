"""The moto internals labsim.iam, labsim.kms and labsim.iam.network read (moto is pinned; an upgrade fails here)."""

from __future__ import annotations

import inspect
import json

from labsim import Lab
from labsim.iam.principals import backends


def test_iam_sts_kms_ec2_kinesis_internals():
    with Lab() as lab:
        iam = lab.client("iam")
        doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        iam.create_user(UserName="u")
        iam.put_user_policy(UserName="u", PolicyName="p", PolicyDocument=doc)
        key = iam.create_access_key(UserName="u")["AccessKey"]["AccessKeyId"]
        arn = iam.create_policy(PolicyName="m", PolicyDocument=doc)["Policy"]["Arn"]
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}]})
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust, PermissionsBoundary=arn)
        iam.create_group(GroupName="g")
        iam.add_user_to_group(GroupName="g", UserName="u")
        session = lab.client("sts").assume_role(RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="s1")["Credentials"]

        b = backends("iam")["123456789012"]["aws"]
        access = b.access_keys[key]
        assert access.user_name == "u" and access.status == "Active" and access.role_arn is None
        user = b.users["u"]
        assert user.policies["p"] == doc and isinstance(user.managed_policies, dict) and user.arn.endswith(":user/u")
        assert user in b.groups["g"].users
        managed = b.managed_policies[arn]
        assert [v.document for v in managed.versions if v.version_id == managed.default_version_id] == [doc]
        role = next(r for r in b.roles.values() if r.name == "r")  # keyed by role id
        assert role.assume_role_policy_document == trust and role.permissions_boundary_arn == arn and isinstance(role.tags, list)
        assert b.access_keys[session["AccessKeyId"]].role_arn == role.arn
        assumed = backends("sts")["123456789012"]["aws"].get_assumed_role_from_access_key(session["AccessKeyId"])
        assert assumed.session_name == "s1" and assumed.policy is None and assumed.expiration is not None
        assert "duration" in inspect.signature(type(backends("sts")["123456789012"]["aws"]).assume_role).parameters

        kms = backends("kms")["123456789012"]["us-east-1"]
        kid = lab.client("kms").create_key()["KeyMetadata"]["KeyId"]
        k = kms.keys[kms.any_id_to_key_id(kid)]
        assert (k.key_state, k.enabled, k.deletion_date, k.key_manager) == ("Enabled", True, None, "CUSTOMER")
        assert json.loads(k.policy)["Statement"] and isinstance(k.grants, dict) and k.arn.endswith(kid)
        assert "tags" in inspect.signature(kms.create_key).parameters and "alias_name" in inspect.signature(kms.create_alias).parameters

        ec2 = lab.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.kinesis-streams", VpcEndpointType="Interface")["VpcEndpoint"]["VpcEndpointId"]
        assert json.loads(backends("ec2")["123456789012"]["us-east-1"].vpc_end_points[vpce].policy_document)["Statement"]

        assert backends("kinesis")["123456789012"]["us-east-1"].resource_policies == {}


def test_organizations_tags_grants_logs_and_s3_internals():
    """What labsim.iam.organizations, labsim.iam.tags, labsim.firehose.encryption and .access read of moto."""
    from moto.kms.models import KmsBackend
    from moto.s3.models import S3Backend

    with Lab() as lab:
        org = lab.client("organizations")
        org.create_organization(FeatureSet="ALL")
        member = org.create_account(Email="m@example.com", AccountName="m")["CreateAccountStatus"]["AccountId"]
        b = backends("organizations")["123456789012"]["aws"]
        assert b.org.master_account_id == "123456789012"
        account = next(a for a in b.accounts if a.id == member)
        root = next(ou for ou in b.ou if ou.id == account.parent_id)
        assert root.parent_id is None and [p.id for p in account.attached_policies][0] == "p-FullAWSAccess"
        policy = account.attached_policies[0]
        assert policy.type == "SERVICE_CONTROL_POLICY" and json.loads(policy.content)["Statement"]

        lab.client("kinesis").create_stream(StreamName="s", ShardCount=1, Tags={"team": "a"})
        assert backends("kinesis")["123456789012"]["us-east-1"].streams["s"].tags == {"team": "a"}
        tagger = backends("firehose")["123456789012"]["us-east-1"].tagger
        assert hasattr(tagger, "get_tag_dict_for_resource")

        assert list(inspect.signature(KmsBackend.create_grant).parameters) == [
            "self", "key_id", "grantee_principal", "operations", "name", "constraints", "retiring_principal"]
        assert list(inspect.signature(KmsBackend.retire_grant).parameters) == ["self", "key_id", "grant_id", "grant_token"]
        assert {"encryption", "kms_key_id"} <= set(inspect.signature(S3Backend.put_object).parameters)
        logs = backends("logs")["123456789012"]["us-east-1"]
        assert list(inspect.signature(logs.put_log_events).parameters) == ["log_group_name", "log_stream_name", "log_events"]
