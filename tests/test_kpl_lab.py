"""The producer and its lab: the clock is taken once at construction, and a stopped lab fails records at once."""

from __future__ import annotations

import time

import pytest

from labsim import Lab
from labsim.kpl import KinesisProducer
from test_kpl_helpers import Recording, lab_stream


def test_the_producer_takes_the_running_labs_clock_at_construction():
    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("clicks", client=kinesis, metrics_level="none")
        assert producer.scheduler is lab.clock and producer.virtual
        producer.close()


def test_after_the_lab_stops_futures_fail_at_once_with_a_clear_error_and_nothing_is_sent():
    with lab_stream() as (lab, kinesis):
        rec = Recording(kinesis)
        producer = KinesisProducer("clicks", client=rec)
        buffered = [producer.put_record(b"%d" % i, partition_key=f"k{i}") for i in range(5)]
        assert rec.requests == [] and not any(f.done() for f in buffered)
    # the lab has stopped with five records still buffered in the producer
    late = producer.put_record(b"late", partition_key="k")
    for f in [*buffered, late]:
        r = f.result()  # no waiting: they settle at once
        assert not r.successful and r.error_code == "LabStopped"
        assert "lab" in r.error_message and "stopped" in r.error_message and "new KinesisProducer" in r.error_message
        assert len(r.attempts) == 1
    producer.flush()
    producer.close()
    assert rec.requests == []  # no PutRecords attempt of any kind after the stop
    assert producer.outstanding_records == 0
    assert any("LabStopped" in e for e in producer._metrics.upload_errors)  # the last upload was not tried


def test_a_stopped_lab_fails_records_that_were_being_retried():
    fail_always = lambda entry, tries: ("ProvisionedThroughputExceededException", "Rate exceeded")  # noqa: E731
    with lab_stream() as (lab, kinesis):
        rec = Recording(kinesis, fail=fail_always)
        producer = KinesisProducer("clicks", client=rec, metrics_level="none")
        future = producer.put_record(b"x", partition_key="k")
        lab.clock.advance(1.0)  # several throttled tries so far
        tries = len(rec.requests)
        assert tries >= 2 and not future.done()
    result = future.result()
    assert result.error_code == "LabStopped"
    assert [a.error_code for a in result.attempts[:-1]] == ["ProvisionedThroughputExceededException"] * tries
    assert len(rec.requests) == tries


def test_a_new_lab_does_not_adopt_a_producer_made_in_an_old_one():
    with lab_stream() as (lab, kinesis):
        producer = KinesisProducer("clicks", client=kinesis, metrics_level="none")
    with Lab() as other:
        assert producer.scheduler is not other.clock
        assert producer.put_record(b"x", partition_key="k").result().error_code == "LabStopped"


@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_a_producer_inside_a_lab_survives_a_refused_sleep(bad):
    with lab_stream() as (lab, kinesis):
        with KinesisProducer("clicks", client=kinesis, metrics_level="none") as producer:
            future = producer.put_record(b"x", partition_key="k")
            with pytest.raises((OverflowError, ValueError)):
                time.sleep(bad)
        assert future.result().successful
