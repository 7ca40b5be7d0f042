"""labsim.kcl's retrieval: fan-out (SubscribeToShard, the 3.x default), AT_TIMESTAMP, and what it calls.

All through plain boto3 against the lab; timings are simulated seconds.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from labsim import quotas
from labsim.kcl import RecordProcessorBase, Worker


def _stream(lab, shards=2):
    kinesis = lab.client("kinesis")
    kinesis.create_stream(StreamName="orders", ShardCount=shards)
    lab.clock.advance(30)
    return kinesis


def _counting_client(lab, calls):
    """A Kinesis client that notes every operation the worker calls."""
    kinesis = lab.client("kinesis")
    kinesis.meta.events.register("before-call.kinesis.*", lambda model, **_: calls.append(model.name))
    return kinesis


class Collector:
    def __init__(self):
        self.seen = []  # (shard, seq, data, lab time of delivery)
        self.calls = []

    def factory(self, lab):
        outer = self

        class Processor(RecordProcessorBase):
            def initialize(self, i):
                self.shard = i.shard_id
                outer.calls.append((i.shard_id, "initialize", i.sequence_number))

            def process_records(self, i):
                for r in i.records:
                    outer.seen.append((self.shard, r.sequence_number, r.binary_data, lab.clock.now()))
                i.checkpointer.checkpoint()

            def lease_lost(self, i):
                outer.calls.append((self.shard, "lease_lost", None))

            def shard_ended(self, i):
                outer.calls.append((self.shard, "shard_ended", None))
                i.checkpointer.checkpoint()

            def shutdown_requested(self, i):
                i.checkpointer.checkpoint()

        return Processor


def _produce(lab, kinesis, per_second=10):
    sent = []

    def put():
        records = [{"Data": b"r%06d" % (len(sent) + n), "PartitionKey": f"k{(len(sent) + n) % 7}"}
                   for n in range(per_second)]
        kinesis.put_records(StreamName="orders", Records=records)
        sent.extend(r["Data"] for r in records)

    return sent, lab.clock.call_every(1, put, name="producer")


def test_fanout_is_the_default_registers_the_application_consumer_and_never_polls(lab):
    kinesis = _stream(lab)
    sent, producer = _produce(lab, kinesis)
    calls = []
    out = Collector()
    worker = Worker("orders-app", "orders", out.factory(lab), worker_id="w1", kinesis=_counting_client(lab, calls),
                    config={"initial_position_in_stream": "TRIM_HORIZON"}).start()
    assert worker.config.retrieval_mode == "FANOUT"
    arn = kinesis.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]["StreamARN"]
    consumers = kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]
    assert [(c["ConsumerName"], c["ConsumerStatus"]) for c in consumers] == [("orders-app", "CREATING")]
    lab.clock.advance(quotas.CONSUMER_CREATING_SECONDS - 0.5)
    assert out.seen == [] and "SubscribeToShard" not in calls  # the KCL waits for ACTIVE
    lab.clock.advance(30)
    producer.cancel()
    lab.clock.advance(5)
    assert "GetRecords" not in calls and "GetShardIterator" not in calls
    assert calls.count("SubscribeToShard") == 2 and "DescribeStreamConsumer" in calls
    assert sorted(d for _, _, d, _ in out.seen) == sorted(sent)  # each record once
    # each shard's records arrive in order, within a second of being written (one event per heartbeat)
    for shard in {s for s, *_ in out.seen}:
        seqs = [int(q) for s, q, _, _ in out.seen if s == shard]
        assert seqs == sorted(seqs)
    worker.shutdown()
    # a second worker of the same application finds the consumer already there and uses it
    calls.clear()
    other = Worker("orders-app", "orders", out.factory(lab), worker_id="w2", kinesis=_counting_client(lab, calls)).start()
    lab.clock.advance(40)
    assert len(kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]) == 1
    assert calls.count("RegisterStreamConsumer") == 1 and calls.count("SubscribeToShard") == 2
    other.shutdown()


def test_subscriptions_are_renewed_every_five_minutes_from_the_continuation_without_gaps(lab):
    kinesis = _stream(lab, shards=1)
    sent, producer = _produce(lab, kinesis, per_second=5)
    out = Collector()
    worker = Worker("orders-app", "orders", out.factory(lab), worker_id="w1",
                    config={"initial_position_in_stream": "TRIM_HORIZON"}).start()
    lab.clock.advance(11 * 60)
    producer.cancel()
    lab.clock.advance(10)
    consumer = worker.consumers["shardId-000000000000"]
    assert quotas.SUBSCRIPTION_LIFETIME_SECONDS == 300
    assert consumer.subscriptions == 3  # 0-5 min, 5-10 min, then a third: each lasts 5 minutes
    data = [d for _, _, d, _ in out.seen]
    assert data == sent, "renewing from ContinuationSequenceNumber loses and repeats nothing"
    worker.shutdown()


def test_fanout_failover_after_a_crash_resubscribes_from_the_checkpoint(lab):
    kinesis = _stream(lab, shards=2)
    sent, producer = _produce(lab, kinesis)
    out = Collector()
    trim = {"initial_position_in_stream": "TRIM_HORIZON", "client_version_config": "CLIENT_VERSION_CONFIG_COMPATIBLE_WITH_2X"}
    w1 = Worker("orders-app", "orders", out.factory(lab), worker_id="w1", config=trim).start()
    w2 = Worker("orders-app", "orders", out.factory(lab), worker_id="w2", config=trim).start()
    lab.clock.advance(90)
    assert w1.leases() and w2.leases()
    lost = w2.leases()
    w2.crash()
    lab.clock.advance(60)
    producer.cancel()
    lab.clock.advance(10)
    assert set(lost) <= set(w1.leases())
    assert set(d for _, _, d, _ in out.seen) == set(sent)  # nothing skipped
    twice = [d for d, n in Counter(d for _, _, d, _ in out.seen).items() if n > 1]
    assert len(twice) <= 2 * 10 * 2  # at most what one un-checkpointed event per lost shard held
    w1.shutdown()


@pytest.mark.parametrize("mode", ["FANOUT", "POLLING"])
def test_at_timestamp_starts_at_the_first_record_written_at_or_after_it(lab, mode):
    kinesis = _stream(lab, shards=1)
    for n in range(5):
        kinesis.put_record(StreamName="orders", Data=b"old-%d" % n, PartitionKey="a")
        lab.clock.advance(1)
    cut = lab.clock.datetime()
    lab.clock.advance(1)
    for n in range(5):
        kinesis.put_record(StreamName="orders", Data=b"new-%d" % n, PartitionKey="a")
        lab.clock.advance(1)
    out = Collector()
    worker = Worker("orders-app", "orders", out.factory(lab), worker_id="w1",
                    config={"initial_position_in_stream": "AT_TIMESTAMP", "initial_position_in_stream_extended": cut,
                            "retrieval_mode": mode}).start()
    lab.clock.advance(15)
    assert [d for _, _, d, _ in out.seen] == [b"new-%d" % n for n in range(5)]
    assert out.calls[0] == ("shardId-000000000000", "initialize", "AT_TIMESTAMP")
    worker.shutdown()


def test_at_timestamp_before_a_split_starts_at_the_shards_open_then(lab):
    kinesis = _stream(lab, shards=1)
    cut = lab.clock.now()
    kinesis.put_record(StreamName="orders", Data=b"parent", PartitionKey="a")
    lab.clock.advance(1)
    kinesis.split_shard(StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    lab.clock.advance(30)
    kinesis.put_record(StreamName="orders", Data=b"child", PartitionKey="a")
    out = Collector()
    worker = Worker("orders-app", "orders", out.factory(lab), worker_id="w1",
                    config={"initial_position_in_stream_extended": dt.datetime.fromtimestamp(cut, dt.timezone.utc)}).start()
    lab.clock.advance(60)
    assert [d for _, _, d, _ in out.seen] == [b"parent", b"child"]  # the parent (open at the cut) first
    ended = out.calls.index(("shardId-000000000000", "shard_ended", None))
    assert all(i > ended for i, c in enumerate(out.calls) if c[1] == "initialize" and c[0] != "shardId-000000000000")
    worker.shutdown()


def test_reading_a_subscription_never_moves_the_clock_past_an_advance(lab):
    # a producer and the shard consumers tick on the same seconds: a record is often still in flight
    # (70 ms) when the consumer reads; the heartbeat due then comes first, and the clock stays on target
    kinesis = _stream(lab, shards=2)
    sent, producer = _produce(lab, kinesis, per_second=3)
    out = Collector()
    worker = Worker("orders-app", "orders", out.factory(lab), worker_id="w1",
                    config={"initial_position_in_stream": "TRIM_HORIZON"}).start()
    for _ in range(40):
        target = lab.clock.now() + 1
        assert lab.clock.advance(1) == target
    producer.cancel()
    lab.clock.advance(3)
    assert sorted(d for _, _, d, _ in out.seen) == sorted(sent)
    worker.shutdown()
