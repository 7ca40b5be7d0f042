"""The Lab contract: in-process clients, simulated time, one lab at a time, nothing left patched."""

from __future__ import annotations

import datetime as dt
import threading
import time

import boto3
import botocore.httpsession
import botocore.session
import pytest

import labsim
from labsim import Lab, LabError
from labsim.clock import DEFAULT_START, real_sleep


def test_lab_client_and_plain_boto3_client_share_the_simulated_account():
    with Lab() as lab:
        kinesis = lab.client("kinesis")
        plain = boto3.client("kinesis", region_name="us-east-1")
        kinesis.create_stream(StreamName="shared", ShardCount=1)
        assert "shared" in plain.list_streams()["StreamNames"]


def test_default_region_is_us_east_1_and_can_be_changed():
    with Lab() as lab:
        assert lab.client("kinesis").meta.region_name == "us-east-1"
        assert lab.client("kinesis", region_name="eu-west-1").meta.region_name == "eu-west-1"
    with Lab(region="eu-west-1") as lab:
        assert lab.client("kinesis").meta.region_name == "eu-west-1"


def test_clock_starts_at_fixed_time_and_advances_without_waiting(monkeypatch):
    slept = []
    monkeypatch.setattr("labsim.lab.real_sleep", slept.append)  # any real wait would land here
    with Lab() as lab:
        assert lab.clock.now() == DEFAULT_START
        lab.clock.advance(3600)
        assert lab.clock.now() == DEFAULT_START + 3600
    assert slept == []


def test_time_sleep_in_lab_thread_advances_simulated_time(monkeypatch):
    slept = []
    monkeypatch.setattr("labsim.lab.real_sleep", slept.append)
    with Lab() as lab:
        before = lab.clock.now()
        time.sleep(120)
        assert lab.clock.now() == before + 120
    assert slept == []  # simulated time moved; the thread did not wait


def test_sleep_on_a_foreign_thread_does_not_move_simulated_time():
    with Lab() as lab:
        before = lab.clock.now()
        t = threading.Thread(target=time.sleep, args=(0.05,))
        t.start()
        t.join()
        assert lab.clock.now() == before


def test_adopted_thread_moves_simulated_time():
    with Lab() as lab:
        before = lab.clock.now()

        def worker():
            lab.clock.adopt_thread()
            time.sleep(30)

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert lab.clock.now() == before + 30


def test_moto_timestamps_follow_the_lab_clock():
    with Lab() as lab:
        kinesis = lab.client("kinesis")
        kinesis.create_stream(StreamName="ts", ShardCount=1)
        lab.clock.advance(100)
        desc = kinesis.describe_stream_summary(StreamName="ts")["StreamDescriptionSummary"]
        created = desc["StreamCreationTimestamp"].timestamp()
        assert abs(created - DEFAULT_START) < 1.0, "creation time is when the lab clock said"


def test_waiter_returns_at_once_in_simulated_time(monkeypatch):
    slept = []
    monkeypatch.setattr("labsim.lab.real_sleep", slept.append)  # any real wait would land here
    with Lab() as lab:
        kinesis = lab.client("kinesis")
        kinesis.create_stream(StreamName="waited", ShardCount=1)
        kinesis.get_waiter("stream_exists").wait(StreamName="waited")
        assert slept == []
        summary = kinesis.describe_stream_summary(StreamName="waited")["StreamDescriptionSummary"]
        assert summary["StreamStatus"] == "ACTIVE"


def test_waiter_that_never_succeeds_gives_up_in_simulated_time(monkeypatch):
    slept = []
    monkeypatch.setattr("labsim.lab.real_sleep", slept.append)
    with Lab() as lab:
        kinesis = lab.client("kinesis")
        kinesis.create_stream(StreamName="stays", ShardCount=1)
        start = lab.clock.now()
        with pytest.raises(Exception) as info:
            kinesis.get_waiter("stream_not_exists").wait(
                StreamName="stays", WaiterConfig={"Delay": 10, "MaxAttempts": 6}
            )
        assert "Max attempts exceeded" in str(info.value)
        assert lab.clock.now() - start == pytest.approx(50, abs=1e-6), "5 sleeps of 10 s between 6 attempts"
        assert slept == []


def test_second_lab_while_one_runs_is_a_clear_error():
    with Lab():
        other = Lab()
        with pytest.raises(LabError, match="already running"):
            other.start()
    with other:  # fine once the first has stopped
        assert other.running


def test_start_in_one_cell_stop_in_another():
    lab = Lab().start()
    try:
        assert labsim.current_lab() is lab
        assert lab.start() is lab, "starting twice is harmless"
    finally:
        lab.stop()
    assert labsim.current_lab() is None
    lab.stop()  # stopping twice is harmless


def test_stop_running_finds_a_lost_lab():
    Lab().start()
    Lab.stop_running()
    assert labsim.current_lab() is None


def test_lab_can_restart_with_a_fresh_account():
    lab = Lab()
    with lab:
        lab.client("kinesis").create_stream(StreamName="gone", ShardCount=1)
    with lab:
        assert lab.client("kinesis").list_streams()["StreamNames"] == []


def test_nothing_is_left_patched_after_stop():
    before = (
        time.sleep,
        botocore.httpsession.URLLib3Session.send,
        botocore.session.Session.get_credentials,
        botocore.session.Session.get_config_variable,
    )
    import moto.core.utils

    utcnow_before = moto.core.utils.utcnow
    with Lab() as lab:
        lab.client("kinesis").list_streams()
        assert time.sleep is not before[0]
    after = (
        time.sleep,
        botocore.httpsession.URLLib3Session.send,
        botocore.session.Session.get_credentials,
        botocore.session.Session.get_config_variable,
    )
    assert after == before
    assert moto.core.utils.utcnow is utcnow_before
    from labsim.transport import router

    assert router.active is False and router.handlers == {} and router.guards == []


def test_lab_client_refuses_endpoint_url_and_needs_a_running_lab():
    lab = Lab()
    with pytest.raises(LabError, match="not running"):
        lab.client("kinesis")
    with lab:
        with pytest.raises(LabError, match="endpoint_url"):
            lab.client("kinesis", endpoint_url="http://localhost:4566")


def test_bad_arguments_are_rejected_clearly():
    with pytest.raises(ValueError, match="virtual' or 'wall"):
        Lab(clock="fast")
    with pytest.raises(ValueError, match="region"):
        Lab(region="")
    with Lab() as lab:
        with pytest.raises(ValueError, match="forward"):
            lab.clock.advance(-1)
        with pytest.raises(TypeError, match="number of seconds"):
            lab.clock.advance("5")


def test_clock_datetime_is_utc():
    with Lab(start_time=0) as lab:
        assert lab.clock.datetime() == dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def test_same_seed_gives_same_ids():
    def run():
        with Lab() as lab:
            kinesis = lab.client("kinesis")
            kinesis.create_stream(StreamName="ids", ShardCount=1)
            resp = kinesis.list_streams()
            return resp["ResponseMetadata"]["RequestId"]

    assert run() == run()


def test_wall_clock_mode_runs_tasks_in_real_time():
    with Lab(clock="wall") as lab:
        fired = threading.Event()
        lab.clock.call_later(0.05, fired.set)
        assert fired.wait(2.0), "the wall clock's thread ran the task"
        start = time.perf_counter()
        lab.clock.advance(0.05)
        assert time.perf_counter() - start >= 0.04
        real_sleep(0)


def test_two_fresh_labs_give_identical_sequence_numbers():
    def run():
        with Lab() as lab:
            kinesis = lab.client("kinesis")
            kinesis.create_stream(StreamName="same", ShardCount=2)
            kinesis.get_waiter("stream_exists").wait(StreamName="same")
            return [kinesis.put_record(StreamName="same", Data=b"x", PartitionKey=str(i))["SequenceNumber"] for i in range(5)]

    assert run() == run()
