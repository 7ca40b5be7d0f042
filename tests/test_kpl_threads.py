"""Outside a virtual lab: a wall-clock lab, no lab at all (ThreadScheduler), injected schedulers."""

from __future__ import annotations

import threading
import time

import boto3
import pytest
from botocore.stub import Stubber

from labsim.clock import VirtualClock
from labsim.lab import current_lab
from labsim.kpl import KinesisProducer, ThreadScheduler, deaggregate
from test_kpl_helpers import FakeKinesis


def test_no_lab_uses_a_real_time_thread_and_works_with_any_client():
    assert current_lab() is None
    fake = FakeKinesis(shards=2, throttle_every=7)
    producer = KinesisProducer("clicks", client=fake, record_max_buffered_time_ms=20, metrics_level="none")
    assert isinstance(producer.scheduler, ThreadScheduler) and not producer.virtual
    futures = [producer.put_record(b"%d" % i, partition_key=f"k{i}") for i in range(500)]
    producer.flush(timeout=10)
    assert all(f.result(timeout=1).successful for f in futures)
    assert any(len(f.result().attempts) > 1 for f in futures)  # the fake throttled some
    assert fake.threads == {"labsim-kpl-clicks"}  # sent from the scheduler thread, not the caller's
    stored = [u.data for recs in fake.stored.values() for u in deaggregate(recs)]
    assert sorted(stored) == sorted(b"%d" % i for i in range(500))
    producer.close()
    assert not producer.scheduler._thread.is_alive()


def test_result_blocks_until_settled_and_callbacks_run_on_the_send_thread():
    producer = KinesisProducer("clicks", client=FakeKinesis(), record_max_buffered_time_ms=30, metrics_level="none")
    threads = []
    done = threading.Event()
    future = producer.put_record(b"x", partition_key="k")
    future.add_done_callback(lambda f: (threads.append(threading.current_thread().name), done.set()))
    assert future.result(timeout=5).successful
    assert done.wait(5) and threads == ["labsim-kpl-clicks"]
    slow = KinesisProducer("clicks", client=FakeKinesis(), record_max_buffered_time_ms=10_000, metrics_level="none")
    with pytest.raises(TimeoutError):
        slow.put_record(b"y", partition_key="k").result(timeout=0.05)
    slow.close()
    producer.close()


def test_with_a_real_boto3_client_and_no_lab():
    client = boto3.client("kinesis", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    shard = {"ShardId": "shardId-000000000000", "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": str(2**128 - 1)},
             "SequenceNumberRange": {"StartingSequenceNumber": "1"}}
    with Stubber(client) as stub:
        stub.add_response("list_shards", {"Shards": [shard]}, {"StreamName": "clicks"})
        stub.add_response(
            "put_records",
            {"Records": [{"SequenceNumber": "495", "ShardId": "shardId-000000000000"}]},
        )
        with KinesisProducer("clicks", client=client, record_max_buffered_time_ms=10, metrics_level="none") as producer:
            futures = [producer.put_record(b"%d" % i, partition_key=f"k{i}") for i in range(3)]
        stub.assert_no_pending_responses()
    assert [(f.result().sequence_number, f.result().sub_sequence_number) for f in futures] == [("495", 0), ("495", 1), ("495", 2)]


def test_wall_clock_lab_runs_the_send_loop_in_real_time():
    # (A stream takes 10 real seconds to become ACTIVE in a wall-clock lab, so this writes to a
    # missing stream: the lab's clock thread still has to retry and expire the records on its own.)
    from labsim import Lab

    with Lab(clock="wall") as lab:
        producer = KinesisProducer("missing", client=lab.client("kinesis"), record_max_buffered_time_ms=20,
                                   record_ttl_ms=300, metrics_level="none")
        assert producer.scheduler is lab.clock and not producer.virtual
        t0 = time.monotonic()
        put_at = lab.clock.now()
        future = producer.put_record(b"live", partition_key="k")
        while not future.done() and time.monotonic() - t0 < 30:
            time.sleep(0.01)  # nobody flushes: the lab's clock thread does the work
        assert future.done(), "the lab's clock thread should have expired the record on its own"
        result = future.result()
        assert not result.successful and result.error_code == "Expired"
        # Expired only once its time to live (300 ms) had passed, by the producer's own clock
        # (no assertion on how fast the machine did it).
        assert result.attempts[-1].ended_at - put_at >= 0.3 - 1e-3
        assert {a.error_code for a in result.attempts[:-1]} == {"ResourceNotFoundException"}
        producer.close()


def test_an_injected_virtual_clock_without_a_lab():
    clock = VirtualClock(start=1000.0)
    fake = FakeKinesis()
    producer = KinesisProducer("clicks", client=fake, scheduler=clock, metrics_level="none")
    future = producer.put_record(b"x", partition_key="k")
    clock.advance(0.099)
    assert not future.done() and fake.calls == 0  # still buffered: 100 ms buffer time
    clock.advance(0.2)
    # sent at its deadline, 100 ms after the put: no "at least 50 ms" wait (that was KPL 0.9.0 only)
    assert future.done() and future.result().attempts[0].started_at == pytest.approx(1000.1)
    producer.close()
