"""Layer 2 (KCL, Agent) is plain boto3: signed with a role's credentials, the IAM guard checks every call,
and a missing permission fails the way the real library fails."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labsim import iam as labiam
from labsim.agent import Agent
from labsim.kcl import RecordProcessorBase, Worker

ACCOUNT = "123456789012"
STREAM_ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/orders"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders-app"
KINESIS_READ = {"Effect": "Allow", "Action": ["kinesis:DescribeStreamSummary", "kinesis:ListShards",
                                               "kinesis:GetShardIterator", "kinesis:GetRecords"], "Resource": STREAM_ARN}
LEASE_TABLE = {"Effect": "Allow", "Action": ["dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:Scan",
                                              "dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                              "dynamodb:DeleteItem"], "Resource": [TABLE_ARN, TABLE_ARN + "/index/*"]}
METRICS = {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def app_role(lab, *statements, name="kcl-app"):
    iam = lab.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc(*statements))
    return arn


class Collect(RecordProcessorBase):
    seen: list[bytes] = []

    def initialize(self, initialize_input): pass

    def process_records(self, process_records_input):
        Collect.seen.extend(r.binary_data for r in process_records_input.records)
        process_records_input.checkpointer.checkpoint()

    def lease_lost(self, lease_lost_input): pass

    def shard_ended(self, shard_ended_input): shard_ended_input.checkpointer.checkpoint()

    def shutdown_requested(self, shutdown_requested_input): shutdown_requested_input.checkpointer.checkpoint()


def worker(lab, role_arn):
    creds = labiam.assume(lab, role_arn)
    clients = {s: labiam.client(lab, s, **creds) for s in ("kinesis", "dynamodb", "cloudwatch")}
    # Polling, whose permissions KINESIS_READ grants (fan-out, the 3.x default, also needs the consumer's).
    return Worker("orders-app", "orders", Collect, worker_id="w1",
                  config={"initial_position_in_stream": "TRIM_HORIZON", "retrieval_mode": "POLLING"}, **clients)


def test_kcl_with_every_permission_processes_and_every_call_was_checked(orders_lab):
    Collect.seen = []
    orders_lab.client("kinesis").put_record(StreamName="orders", Data=b"a", PartitionKey="p")
    guard = labiam.guard_of(orders_lab.context)
    before = guard.evaluated
    w = worker(orders_lab, app_role(orders_lab, KINESIS_READ, LEASE_TABLE, METRICS)).start()
    orders_lab.clock.advance(30)
    w.shutdown()
    assert Collect.seen == [b"a"]
    assert guard.evaluated - before > 20  # Kinesis, DynamoDB and CloudWatch calls, each evaluated
    assert not [k for k in w.metrics if k.startswith("Errors:")]


def test_kcl_without_its_lease_table_never_starts(orders_lab):
    w = worker(orders_lab, app_role(orders_lab, KINESIS_READ, METRICS))
    with pytest.raises(ClientError) as e:
        w.start()
    err = e.value.response["Error"]
    assert err["Code"] == "AccessDeniedException"
    assert f"is not authorized to perform: dynamodb:CreateTable on resource: {TABLE_ARN}" in err["Message"]
    assert w.state != "STARTED" and w.leases() == []


def test_kcl_without_put_metric_data_processes_and_counts_the_failed_publish(orders_lab):
    Collect.seen = []
    orders_lab.client("kinesis").put_record(StreamName="orders", Data=b"b", PartitionKey="p")
    w = worker(orders_lab, app_role(orders_lab, KINESIS_READ, LEASE_TABLE)).start()
    orders_lab.clock.advance(30)
    w.shutdown()
    assert Collect.seen == [b"b"]  # the KCL logs the failed PutMetricData and goes on
    assert w.metrics["Errors:AccessDenied"] >= 1


def test_agent_with_a_role_missing_put_records_keeps_its_data_and_sends_once_allowed(orders_lab, tmp_path):
    arn = app_role(orders_lab, {"Effect": "Allow", "Action": "kinesis:DescribeStreamSummary", "Resource": STREAM_ARN}, name="agent")
    kinesis = orders_lab.client("kinesis", role_arn=arn)
    log = tmp_path / "app.log"
    log.write_text("")
    agent = Agent({"checkpointFile": f"{tmp_path}/cp", "cloudwatch.emitMetrics": False,
                   "flows": [{"filePattern": f"{tmp_path}/*.log", "kinesisStream": "orders", "initialPosition": "START_OF_FILE",
                              "maxBufferAgeMillis": 1000}]}, kinesis=kinesis).start()
    log.write_text("GET /a 200\n")
    orders_lab.clock.advance(10)
    counts = next(iter(agent.metrics().values()))
    assert counts["RecordsSent"] == 0 and counts["ServiceErrors"] >= 1  # refused: retried with back-off, not lost
    orders_lab.client("iam").put_role_policy(RoleName="agent", PolicyName="put", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "kinesis:PutRecords", "Resource": STREAM_ARN}))
    orders_lab.clock.advance(30)
    agent.stop()
    assert next(iter(agent.metrics().values()))["RecordsSent"] == 1
