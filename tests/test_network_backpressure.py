"""Back-pressure through plain boto3: the KPL's UserRecordsPending and the Agent's publish queue grow
while the stream throttles, are visible as numbers and metrics, and drain without losing a record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import boto3
import pytest

from labsim import Lab
from labsim.agent import Agent
from labsim.kpl import KinesisProducer


@pytest.fixture
def lab():
    with Lab() as lab:
        boto3.client("kinesis", region_name="us-east-1").create_stream(StreamName="s", ShardCount=1)
        lab.clock.advance(30)
        yield lab


def stored(lab, stream="s"):
    k = boto3.client("kinesis", region_name="us-east-1")
    shard = k.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    it = k.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    n = 0
    while it:
        out = k.get_records(ShardIterator=it)
        n += len(out["Records"])
        if not out["Records"] and out.get("MillisBehindLatest", 0) == 0:
            break
        it = out.get("NextShardIterator")
        lab.clock.advance(1)  # within the shard's 5 reads and 2 MiB per second
    return n


def test_kpl_pending_records_grow_while_the_shard_throttles_and_drain_after(lab):
    kinesis = boto3.client("kinesis", region_name="us-east-1")
    producer = KinesisProducer("s", client=kinesis, aggregation_enabled=False, metrics_upload_delay_ms=1000)
    pending, start = [], lab.clock.now()
    for second in range(3):  # 2,000 records/s of 1 KiB: twice what one shard takes
        for i in range(2000):
            producer.put_record(b"x" * 1024, partition_key=f"{second}-{i}")
        lab.clock.advance_to(start + second + 1)
        pending.append(producer.outstanding_records)
    assert pending[0] < pending[1] < pending[2] and pending[2] >= 1500, pending
    producer.flush()
    lab.clock.advance(10)
    assert producer.outstanding_records == 0
    metrics = producer.metrics()
    assert metrics["UserRecordsPending"]["Maximum"] >= pending[-1]
    assert metrics["ErrorsByCode[ProvisionedThroughputExceededException]"]["Sum"] > 0
    producer.close()
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    got = cw.get_metric_statistics(Namespace="KinesisProducerLibrary", MetricName="UserRecordsPending",
                                   Dimensions=[{"Name": "StreamName", "Value": "s"}], Statistics=["Maximum"], Period=60,
                                   StartTime=dt.datetime.fromtimestamp(start - 60, dt.timezone.utc),
                                   EndTime=dt.datetime.fromtimestamp(lab.clock.now() + 60, dt.timezone.utc))
    assert max(p["Maximum"] for p in got["Datapoints"]) >= pending[1]
    assert stored(lab) == 6000, "every record arrived once the pressure was gone"


def test_kpl_below_the_shard_limit_keeps_nothing_waiting(lab):
    producer = KinesisProducer("s", client=boto3.client("kinesis", region_name="us-east-1"), aggregation_enabled=False)
    start = lab.clock.now()
    for second in range(3):
        for i in range(500):
            producer.put_record(b"x" * 1024, partition_key=f"{second}-{i}")
        lab.clock.advance_to(start + second + 1)
        assert producer.outstanding_records == 0
    producer.close()


def agent_config(tmp: Path, stream: str, capacity: int) -> dict:
    return {"checkpointFile": f"{tmp}/cp", "cloudwatch.emitMetrics": False,
            "flows": [{"filePattern": f"{tmp}/app.log", "kinesisStream": stream, "initialPosition": "START_OF_FILE",
                       "maxBufferSizeRecords": 100, "maxBufferAgeMillis": 1000, "publishQueueCapacity": capacity}]}


def test_agent_publish_queue_fills_and_stops_the_reading_while_the_shard_throttles(lab, tmp_path):
    lines = 5000
    (tmp_path / "app.log").write_bytes((b"y" * 999 + b"\n") * lines)  # 5 MB: five times what the shard takes in a second
    agent = Agent(agent_config(tmp_path, "s", capacity=5), kinesis=boto3.client("kinesis", region_name="us-east-1")).start()
    flow = agent.runners[0].flow.id
    queue, read = [], []
    for _ in range(8):
        lab.clock.advance(0.25)
        m = agent.metrics()[flow]
        queue.append(m["PublishQueueBuffers"])
        read.append(m["BytesRead"])
    m = agent.metrics()[flow]
    assert max(queue) >= 5 and m["ReadsPausedQueueFull"] > 0
    assert m["RecordSendErrors"] > 0, "the shard throttled some records"
    assert read[-1] < lines * 1000, "the reading waited for the queue"
    assert m["PublishQueueRecords"] == sum(len(b.records) for b in agent.runners[0].sender.queue)
    lab.clock.advance(30)
    m = agent.metrics()[flow]
    agent.stop()
    assert (m["PublishQueueBuffers"], m["PublishQueueRecords"], m["BytesRead"]) == (0, 0, lines * 1000)
    assert m["RecordsSent"] == lines == stored(lab)


def test_agent_queue_stays_empty_when_the_shard_keeps_up(lab, tmp_path):
    (tmp_path / "app.log").write_bytes((b"y" * 99 + b"\n") * 300)
    agent = Agent(agent_config(tmp_path, "s", capacity=5), kinesis=boto3.client("kinesis", region_name="us-east-1")).start()
    lab.clock.advance(3)
    m = agent.metrics()[agent.runners[0].flow.id]
    agent.stop()
    assert (m["PublishQueueBuffers"], m["ReadsPausedQueueFull"], m["RecordSendErrors"], m["RecordsSent"]) == (0, 0, 0, 300)
