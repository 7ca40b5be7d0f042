"""The latency model through plain boto3: paths, round trips on the lab clock, private DNS, the KPL feeling it."""

from __future__ import annotations

import json
import threading

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labsim import Lab, quotas
from labsim.kpl import KinesisProducer

ACCOUNT = "123456789012"
STREAM_ARN = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/orders"
RTT = {"vpc-endpoint": quotas.NETWORK_ROUND_TRIP_VPC_ENDPOINT_MS, "internet": quotas.NETWORK_ROUND_TRIP_INTERNET_MS,
       "cross-region": quotas.NETWORK_ROUND_TRIP_CROSS_REGION_MS}


@pytest.fixture
def lab():
    with Lab() as lab:
        boto3.client("kinesis", region_name="us-east-1").create_stream(StreamName="orders", ShardCount=1)
        lab.clock.advance(30)
        yield lab


def kinesis(**kwargs):
    return boto3.client("kinesis", region_name="us-east-1", **kwargs)


def timed_put(lab, client):
    t0 = lab.clock.now()
    client.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    return (lab.clock.now() - t0) * 1000


def in_range(ms, path):
    return RTT[path] - 1e-3 <= ms <= RTT[path] * (1 + quotas.NETWORK_JITTER) + 1e-3


def vpc(lab, region="us-east-1"):
    return boto3.client("ec2", region_name=region).create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


def endpoint(lab, vpc_id, service="kinesis-streams", kind="Interface", **kwargs):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    return ec2.create_vpc_endpoint(VpcId=vpc_id, ServiceName=f"com.amazonaws.us-east-1.{service}",
                                   VpcEndpointType=kind, **kwargs)["VpcEndpoint"]["VpcEndpointId"]


def test_the_network_is_ideal_until_placed(lab):
    assert timed_put(lab, kinesis()) == 0.0
    assert lab.network.summary() == {} and not lab.network.placed


@pytest.mark.parametrize("where,path", [({}, "internet"), ({"region": "eu-west-1"}, "cross-region")])
def test_a_request_takes_its_paths_round_trip_on_the_lab_clock(lab, where, path):
    lab.network.place(**where)
    ms = timed_put(lab, kinesis())
    assert in_range(ms, path), ms
    summary = lab.network.summary()
    assert list(summary) == [path] and summary[path]["requests"] == 1
    trip = lab.network.trips[-1]
    assert (trip.service, trip.operation, trip.path) == ("kinesis", "PutRecord", path)
    assert trip.seconds * 1000 == pytest.approx(ms, abs=1e-3)  # epoch seconds hold about a microsecond


def test_the_record_arrives_half_way_through_the_round_trip(lab):
    lab.network.place(region="eu-west-1")
    client = kinesis()
    t0 = lab.clock.now()
    shard = client.put_record(StreamName="orders", Data=b"x", PartitionKey="p")["ShardId"]
    rtt = lab.network.trips[-1].seconds
    lab.network.ideal()
    it = client.get_shard_iterator(StreamName="orders", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    arrival = client.get_records(ShardIterator=it)["Records"][0]["ApproximateArrivalTimestamp"].timestamp()
    assert arrival - t0 == pytest.approx(rtt / 2, abs=0.001)  # timestamps carry milliseconds


def test_a_synchronous_loop_manages_one_request_per_round_trip(lab):
    rates = {}
    for path, where in (("internet", {}), ("cross-region", {"region": "ap-southeast-2"})):
        lab.network.place(**where)
        client, n, t0 = kinesis(), 0, lab.clock.now()
        while lab.clock.now() - t0 < 1.0:
            client.put_record(StreamName="orders", Data=b"x", PartitionKey=str(n))
            n += 1
        rates[path] = n / (lab.clock.now() - t0)
        lab.clock.advance(1)
    assert 1000 / (RTT["internet"] * 1.2) <= rates["internet"] <= 1000 / RTT["internet"]
    assert rates["cross-region"] <= 1000 / RTT["cross-region"] < rates["internet"] / 5


def test_an_endpoint_dns_name_is_the_vpc_endpoint_path(lab):
    vpce = endpoint(lab, vpc(lab))
    lab.network.place()
    url = f"https://{vpce}-1a2b3c4d.kinesis.us-east-1.vpce.amazonaws.com"
    ms = timed_put(lab, kinesis(endpoint_url=url))
    assert in_range(ms, "vpc-endpoint")
    assert in_range(timed_put(lab, kinesis()), "internet")  # the public name, from the same place


def test_private_dns_sends_the_usual_hostname_through_the_endpoint_and_its_policy(lab):
    vpc_id = vpc(lab)
    vpce = endpoint(lab, vpc_id, PolicyDocument=json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "kinesis:PutRecord", "Resource": STREAM_ARN}]}))
    lab.network.place(vpc_id=vpc_id)
    client = kinesis()
    assert client.meta.endpoint_url == "https://kinesis.us-east-1.amazonaws.com"  # no change to the client
    assert in_range(timed_put(lab, client), "vpc-endpoint")
    with pytest.raises(ClientError) as e:  # the endpoint policy applies, to the administrator too
        client.delete_stream(StreamName="orders")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "VPC endpoint policy" in e.value.response["Error"]["Message"]
    lab.network.ideal()
    client.describe_stream_summary(StreamName="orders")  # from outside the VPC: no endpoint policy
    assert vpce.startswith("vpce-")


def test_private_dns_satisfies_a_source_vpce_condition(lab):
    vpc_id = vpc(lab)
    vpce = endpoint(lab, vpc_id)
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="app")
    iam.put_user_policy(UserName="app", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "kinesis:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce}}}]}))
    key = iam.create_access_key(UserName="app")["AccessKey"]
    app = kinesis(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    lab.network.place(vpc_id=vpc_id)
    app.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    lab.network.place()  # same Region, outside the VPC: over the internet, so no aws:SourceVpce
    with pytest.raises(ClientError) as e:
        app.put_record(StreamName="orders", Data=b"x", PartitionKey="p")
    assert "explicit deny" in e.value.response["Error"]["Message"]


def test_without_private_dns_the_usual_hostname_leaves_through_the_nat(lab):
    vpc_id = vpc(lab)
    endpoint(lab, vpc_id, PrivateDnsEnabled=False)
    lab.network.place(vpc_id=vpc_id)
    assert in_range(timed_put(lab, kinesis()), "internet")


def test_a_gateway_endpoint_serves_dynamodb_but_not_kinesis(lab):
    vpc_id = vpc(lab)
    endpoint(lab, vpc_id, service="dynamodb", kind="Gateway")
    lab.network.place(vpc_id=vpc_id)
    boto3.client("dynamodb", region_name="us-east-1").list_tables()
    timed_put(lab, kinesis())
    assert [(t.service, t.path) for t in lab.network.trips] == [("dynamodb", "vpc-endpoint"), ("kinesis", "internet")]


def test_an_endpoint_in_the_vpc_does_not_serve_another_region(lab):
    vpc_id = vpc(lab)
    endpoint(lab, vpc_id)
    lab.network.place(vpc_id=vpc_id)
    boto3.client("kinesis", region_name="eu-west-1").list_streams()
    assert lab.network.trips[-1].path == "cross-region"


def test_round_trips_are_the_same_for_the_same_seed():
    def trips(seed):
        with Lab(seed=seed) as lab:
            lab.network.place(region="eu-west-1")
            client = kinesis()
            for _ in range(5):
                client.list_streams()
            return [round(t.seconds, 9) for t in lab.network.trips]
    assert trips(1) == trips(1) != trips(2)


def test_place_refuses_what_does_not_exist(lab):
    with pytest.raises(ValueError, match="there is no VPC vpc-12345678 in us-east-1"):
        lab.network.place(vpc_id="vpc-12345678")
    with pytest.raises(ValueError, match="VPC id"):
        lab.network.place(vpc_id="my-vpc")
    with pytest.raises(ValueError, match="Region name"):
        lab.network.place(region="ireland")
    assert not lab.network.placed


def test_a_thread_the_lab_does_not_own_leaves_virtual_time_alone(lab):
    lab.network.place(region="eu-west-1")
    client = kinesis()
    t0 = lab.clock.now()
    worker = threading.Thread(target=lambda: client.list_streams())
    worker.start()
    worker.join()
    assert lab.clock.now() == t0 and lab.network.summary()["cross-region"]["requests"] == 1


def test_a_clock_task_calling_during_a_trip_keeps_both_round_trips(lab):
    lab.network.place(region="eu-west-1")
    client, seen = kinesis(), []
    lab.clock.call_later(0.01, lambda: seen.append(client.list_streams()["StreamNames"]))
    ms = timed_put(lab, client)
    assert seen == [["orders"]]
    assert [t.operation for t in lab.network.trips] == ["PutRecord", "ListStreams"]
    assert ms >= sum(t.seconds for t in lab.network.trips) * 1000 / 2  # the put's trip out, the nested call in it


def test_the_kpl_measures_the_round_trip_as_its_request_time(lab):
    times = {}
    for path, where in (("internet", {}), ("cross-region", {"region": "eu-west-1"})):
        lab.network.place(**where)
        with KinesisProducer("orders", client=kinesis(), metrics_level="detailed") as producer:
            futures = [producer.put_record(b"r" * 100, partition_key=str(i)) for i in range(50)]
        assert all(f.result().successful for f in futures)
        times[path] = producer.metrics()["RequestTime"]["Average"]
    assert in_range(times["internet"], "internet") and in_range(times["cross-region"], "cross-region")


def test_a_refused_plain_http_request_never_travels(lab):
    lab.network.place(region="eu-west-1")
    client = boto3.client("kinesis", region_name="us-east-1", endpoint_url="http://kinesis.us-east-1.amazonaws.com",
                          config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(Exception):
        client.list_streams()
    assert lab.network.summary() == {}
