"""The IAM guard's cost per request.

    python benchmarks/bench_iam.py [--calls 2000] [--repeat 5] [--cpu]

Two measurements, each the median of ``--repeat`` runs:

1. The guard alone (``IamGuard.__call__`` on a prepared ``Call``), in microseconds per call:
   the lab's administrator key (the default, one comparison), an IAM user with three inline
   policies and a group policy, a role session with a permissions boundary, a user reaching a
   stream of another account through its resource policy, and a user whose policy tests the
   stream's tags (``aws:ResourceTag/team``), an administrator of a member account under a service
   control policy (created last: SCPs are looked up only once an organization exists). Then the server-side check a service makes as its role
   (``labsim.iam.as_service``: Firehose's delivery role and ``s3:PutObject``, once per object).
2. End to end: ``PutRecord`` of 100 bytes through boto3 as the administrator and as the IAM user,
   in microseconds per call; the difference is what policy evaluation adds to a learner's call.

Times are of ``time.perf_counter`` (``--cpu``: ``time.process_time``, steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from types import SimpleNamespace

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from labsim import Lab  # noqa: E402
from labsim import iam as labiam  # noqa: E402
from labsim.safety import FAKE_ACCESS_KEY  # noqa: E402
from labsim.transport import Call  # noqa: E402

CLOCK = time.perf_counter
ACCOUNT = "123456789012"
HTTPS = SimpleNamespace(url="https://kinesis.us-east-1.amazonaws.com/")  # what the guard reads of a request
STREAM = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/bench"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def per_call(fn, n: int, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = CLOCK()
        for _ in range(n):
            fn()
        runs.append((CLOCK() - t0) / n * 1e6)
    return statistics.median(runs)


def main() -> None:
    global CLOCK
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cpu", action="store_true")
    args = ap.parse_args()
    if args.cpu:
        CLOCK = time.process_time
    with Lab() as lab:
        k = lab.client("kinesis")
        k.create_stream(StreamName="bench", ShardCount=4)
        lab.clock.advance(30)
        iam = lab.client("iam")
        iam.create_user(UserName="producer")
        for i, action in enumerate(["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:PutRecord*"]):
            iam.put_user_policy(UserName="producer", PolicyName=f"p{i}", PolicyDocument=doc(
                {"Effect": "Allow", "Action": action, "Resource": "arn:aws:kinesis:*:*:stream/bench"},
                {"Effect": "Deny", "Action": "kinesis:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))
        iam.create_group(GroupName="g")
        iam.put_group_policy(GroupName="g", PolicyName="g", PolicyDocument=doc({"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}))
        iam.add_user_to_group(GroupName="g", UserName="producer")
        key = iam.create_access_key(UserName="producer")["AccessKey"]
        boundary = iam.create_policy(PolicyName="b", PolicyDocument=doc({"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}))["Policy"]["Arn"]
        role = iam.create_role(RoleName="r", PermissionsBoundary=boundary, AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
        iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument=doc({"Effect": "Allow", "Action": "kinesis:PutRecord", "Resource": STREAM}))
        session = labiam.assume(lab, role)
        other = labiam.account_admin(lab, "222222222222")
        k.put_resource_policy(ResourceARN=STREAM, Policy=doc({"Effect": "Allow", "Principal": {"AWS": "222222222222"},
                                                               "Action": "kinesis:PutRecord", "Resource": STREAM}))

        k.add_tags_to_stream(StreamName="bench", Tags={"team": "payments"})
        iam.create_user(UserName="tagged")
        iam.put_user_policy(UserName="tagged", PolicyName="t", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "kinesis:PutRecord", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/team": "payments"}}}))
        tagged = iam.create_access_key(UserName="tagged")["AccessKey"]
        delivery = iam.create_role(RoleName="delivery", AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
        iam.put_role_policy(RoleName="delivery", PolicyName="s3", PolicyDocument=doc(
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetBucketLocation", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::lake", "arn:aws:s3:::lake/*"]}))

        guard = labiam.guard_of(lab.context)
        params = {"StreamName": "bench", "Data": "eA==", "PartitionKey": "p"}
        print(f"IAM guard, microseconds per call (median of {args.repeat} x {args.calls}; clock: {'process' if args.cpu else 'wall'})")
        cases = [("administrator (default)", FAKE_ACCESS_KEY, ACCOUNT, params),
                 ("IAM user, 4 policies", key["AccessKeyId"], ACCOUNT, params),
                 ("role session + boundary", session["aws_access_key_id"], ACCOUNT, params),
                 ("cross-account via resource policy", other["aws_access_key_id"], "222222222222", {**params, "StreamARN": STREAM}),
                 ("IAM user, aws:ResourceTag condition", tagged["AccessKeyId"], ACCOUNT, params)]
        for label, access_key, account, p in cases:
            def one(access_key=access_key, account=account, p=p):
                guard(Call("kinesis", "PutRecord", dict(p), "us-east-1", account, access_key, HTTPS, None, True, None))
            one()
            print(f"  {label:36s} {per_call(one, args.calls, args.repeat):8.1f}")

        org = lab.client("organizations")
        org.create_organization(FeatureSet="ALL")
        member = org.create_account(Email="m@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
        scp = org.create_policy(Name="no-delete", Description="d", Type="SERVICE_CONTROL_POLICY", Content=doc(
            {"Effect": "Deny", "Action": "kinesis:DeleteStream", "Resource": "*"}))["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=scp, TargetId=member)
        member_admin = labiam.account_admin(lab, member)

        def under_scp():
            guard(Call("kinesis", "PutRecord", dict(params), "us-east-1", member, member_admin["aws_access_key_id"], HTTPS, None, True, None))
        under_scp()
        print(f"  {'member account under an SCP':36s} {per_call(under_scp, args.calls, args.repeat):8.1f}")

        def service_check():
            labiam.as_service(lab.context, "firehose.amazonaws.com", delivery, "s3:PutObject", "arn:aws:s3:::lake/2026/01/01/obj")
        assert labiam.as_service(lab.context, "firehose.amazonaws.com", delivery, "s3:PutObject", "arn:aws:s3:::lake/k").allowed
        print(f"  {'Firehose as its role (as_service)':36s} {per_call(service_check, args.calls, args.repeat):8.1f}")

        user = lab.client("kinesis", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        print("PutRecord end to end through boto3, microseconds per call")
        results = {}
        for label, client in (("administrator", k), ("IAM user", user)):
            def put(client=client):
                client.put_record(StreamName="bench", Data=b"x" * 100, PartitionKey="p")
                lab.clock.advance(0.01)
            put()
            results[label] = per_call(put, max(1, args.calls // 4), args.repeat)
            print(f"  {label:36s} {results[label]:8.1f}")
        added = results["IAM user"] - results["administrator"]
        print(f"  policy evaluation adds {added:.1f} us ({added / results['administrator'] * 100:.1f} %) to a PutRecord")


if __name__ == "__main__":
    main()
