"""Safe by construction: fake credentials, every request in-process, no socket ever opened."""

from __future__ import annotations

import os
import socket

import boto3
import botocore.session
import pytest

from labsim import Lab, NetworkBlockedError
from labsim.safety import FAKE_ACCESS_KEY
from labsim.transport import router

REAL_LOOKING = {
    "AWS_ACCESS_KEY_ID": "AKIAREALKEYDONOTUSE1",
    "AWS_SECRET_ACCESS_KEY": "real/secret/that/must/never/be/used",
    "AWS_SESSION_TOKEN": "real-session-token",
}




def test_a_whole_session_runs_with_the_network_blocked(no_network):
    with Lab() as lab:
        kinesis = boto3.client("kinesis", region_name="us-east-1")
        kinesis.create_stream(StreamName="offline", ShardCount=2)
        kinesis.get_waiter("stream_exists").wait(StreamName="offline")
        put = kinesis.put_record(StreamName="offline", Data=b"x", PartitionKey="k")
        it = kinesis.get_shard_iterator(
            StreamName="offline", ShardId=put["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        assert kinesis.get_records(ShardIterator=it)["Records"][0]["Data"] == b"x"
        s3 = lab.client("s3")
        s3.create_bucket(Bucket="offline-bucket")
        s3.put_object(Bucket="offline-bucket", Key="k", Body=b"v")
        lab.client("dynamodb").list_tables()
        lab.client("cloudwatch").list_metrics()
    assert no_network == [], f"labsim tried to reach the network: {no_network}"


def test_real_credentials_in_the_environment_are_neither_used_nor_changed(monkeypatch, no_network):
    for key, value in REAL_LOOKING.items():
        monkeypatch.setenv(key, value)
    with Lab():
        client = boto3.client("kinesis", region_name="us-east-1")
        client.list_streams()
        creds = client._request_signer._credentials
        assert creds.access_key == FAKE_ACCESS_KEY
        assert creds.secret_key != REAL_LOOKING["AWS_SECRET_ACCESS_KEY"]
        for key, value in REAL_LOOKING.items():
            assert os.environ[key] == value, "the environment is left as it was, even during the lab"
    for key, value in REAL_LOOKING.items():
        assert os.environ[key] == value
    assert no_network == []


def test_a_named_profile_is_never_resolved(monkeypatch, tmp_path, no_network):
    config = tmp_path / "config"
    config.write_text("[profile prod]\ncredential_process = /bin/false\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "prod")
    with Lab():
        client = boto3.client("kinesis")
        assert client.meta.region_name == "eu-west-1"
        client.list_streams()
        assert client._request_signer._credentials.access_key == FAKE_ACCESS_KEY


def test_client_without_region_gets_the_lab_region(monkeypatch):
    for var in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with Lab(region="eu-west-1"):
        assert boto3.client("kinesis").meta.region_name == "eu-west-1"


def test_custom_endpoint_is_refused_not_contacted(no_network):
    with Lab():
        client = boto3.client("kinesis", region_name="us-east-1", endpoint_url="https://kinesis.example.com")
        with pytest.raises(NetworkBlockedError, match="refused"):
            client.list_streams()
    assert no_network == []


def test_a_client_the_lab_cannot_route_is_blocked_at_the_transport(no_network):
    # A client whose session predates labsim has no router; the transport guard stops it.
    session = botocore.session.Session()
    client = session.create_client(
        "kinesis", region_name="us-east-1", aws_access_key_id="AKIAREAL", aws_secret_access_key="s"
    )
    client.meta.events.unregister("before-send", router)
    with Lab():
        with pytest.raises(NetworkBlockedError, match="blocked a real network request"):
            client.list_streams()
    assert no_network == []


def test_outside_a_lab_labsim_changes_nothing():
    assert router.active is False
    session = botocore.session.Session()
    assert session.get_credentials is not None  # the real resolver is back in place
    from labsim import safety

    assert safety.guard.active is False


def test_an_aws_endpoint_url_is_served_in_process(no_network):
    with Lab():
        client = boto3.client("kinesis", region_name="us-east-1", endpoint_url="https://kinesis.us-east-1.amazonaws.com")
        client.create_stream(StreamName="via-endpoint", ShardCount=1)
        assert "via-endpoint" in client.list_streams()["StreamNames"]
    assert no_network == []
